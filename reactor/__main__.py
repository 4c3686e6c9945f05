"""``python -m reactor`` is the ``reactor`` command."""

import sys

from reactor.cli import main

sys.exit(main())
