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

from tiffin.errors import FormatError

__all__ = [
    "ENV_VAR",
    "get_tracking_uri",
    "normalize_tracking_uri",
    "refuse_inside_model",
    "set_tracking_uri",
]

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


_MLMODEL = "MLmodel"  # format.mlmodel's name; the store layer does not import format


def refuse_inside_model(path: Path | str, what: str) -> None:
    """Refuse a store location (a SQLite file, an artifact root) inside a model directory.

    A ``tiffin.db`` or an artifact tree written into a model adds files its manifest does not
    list, so the model no longer verifies (and packing, registering or serving it fails later,
    far from the cause). ``path`` and each of its parents up to the root is checked for an
    ``MLmodel`` file; ``path`` need not exist yet.

    Raises:
        FormatError: naming the store, the model directory and what to do.

    Example:
        >>> refuse_inside_model("/tmp/team.db", "tracking store")
    """
    target = Path(os.path.abspath(Path(path).expanduser()))
    for directory in (target, *target.parents):
        if os.path.isfile(directory / _MLMODEL):
            raise FormatError(
                f"{what} {str(target)!r} is inside the model directory {str(directory)!r} (it "
                "has an MLmodel file): writing there would add files the model's manifest does "
                "not list; put the store outside the model"
            )
