"""tiffin's version, in a module that imports nothing.

Every layer needs the version (the MLmodel's ``tiffin:`` block, ``/version``, the OpenAPI
document, the CLI's ``--version``), and the package root sits above them all: reading it from
here keeps every import arrow pointing down.

Example:
    >>> from tiffin._version import __version__
    >>> __version__
    '0.1.0'
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
