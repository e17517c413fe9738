"""Where the tracking and registry database is: one setting, read from one place.

The embedded default is a SQLite file, ``tiffin.db``, in the working directory, so a project
gets a store without any setup; ``TIFFIN_TRACKING_URI`` or :func:`set_tracking_uri` point at
another file or at PostgreSQL.

Example:
    >>> set_tracking_uri("sqlite:////tmp/team.db")
    >>> get_tracking_uri()
    'sqlite:////tmp/team.db'
    >>> set_tracking_uri(None)
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_VAR", "get_tracking_uri", "normalize_tracking_uri", "set_tracking_uri"]

ENV_VAR = "TIFFIN_TRACKING_URI"
_explicit: str | None = None


def normalize_tracking_uri(uri: str | Path) -> str:
    """A store URI as given, or a plain path turned into the SQLite URI it means.

    Example:
        >>> normalize_tracking_uri("/tmp/team.db")
        'sqlite:////tmp/team.db'
    """
    text = str(uri)
    return text if "://" in text else f"sqlite:///{os.path.abspath(Path(text).expanduser())}"


def set_tracking_uri(uri: str | Path | None) -> None:
    """Use ``uri`` for this process (a plain path means a SQLite file); ``None`` resets it."""
    global _explicit
    _explicit = None if uri is None else normalize_tracking_uri(uri)


def get_tracking_uri() -> str:
    """The URI in force: set_tracking_uri, then ``TIFFIN_TRACKING_URI``, then the default."""
    if _explicit is not None:
        return _explicit
    env = os.environ.get(ENV_VAR)
    if env:
        return normalize_tracking_uri(env)
    return f"sqlite:///{Path.cwd() / 'tiffin.db'}"
