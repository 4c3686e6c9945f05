"""reactor: sound drives pictures.

Importing this package does no work: no threads, devices, windows or JIT compilation.
"""

__version__ = "0.1.0"
