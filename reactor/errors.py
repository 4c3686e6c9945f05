"""One exception root for everything a user can cause.

The CLI prints ``str(error)`` as one line and exits with status 2; any other exception
reaching the top is a bug.
"""


class ReactorError(Exception):
    """Root of all user-facing errors. The message is one line a person understands."""


class UsageError(ReactorError):
    """Bad command-line arguments or option values."""


class AudioError(ReactorError):
    """Audio that cannot be read or used (missing, corrupt, empty, unsupported)."""


class ImageError(ReactorError):
    """An image (or video frame used as an image) that cannot be read or used."""


class ShaderError(ReactorError):
    """A shader that fails to load or compile; message is ``file:line: message``."""


class PresetError(ReactorError):
    """A preset file that does not match the schema; message names file and key."""


class OutputError(ReactorError):
    """An output that cannot be written (path, disk full, encoder missing)."""


class AudioDeviceError(ReactorError):
    """A sound device that cannot be found or opened, or a missing sound library."""


class MidiError(ReactorError):
    """A MIDI controller profile that does not match its schema (message names file and key),
    or a MIDI library or API that cannot be used."""
