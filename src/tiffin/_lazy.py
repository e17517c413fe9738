"""The one helper behind tiffin's lazy package faces (PEP 562).

``import tiffin.pyfunc`` (or ``tiffin.store``, ``tiffin.serve.v2``, ...) must cost nothing until a
name is used: the CLI and ``import tiffin`` stay fast, and a face never pulls in an optional
dependency (Starlette, pandas, SQLAlchemy) that the caller's path does not need. Each face keeps a
table of name -> module and installs the ``__getattr__`` made here; a name is imported once and
then cached in the package, so later lookups are plain attribute reads.

Example:
    >>> import types, sys
    >>> face = types.ModuleType("face")
    >>> sys.modules["face"] = face
    >>> face.__getattr__ = lazy_names("face", {"dumps": "json"})
    >>> face.dumps({"a": 1})
    '{"a": 1}'
    >>> "dumps" in vars(face)  # cached after the first use
    True
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, where: Mapping[str, str], *, relative: bool = False
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each name of ``where`` from its module on first use.

    Args:
        package: the face's ``__name__``.
        where: public name -> the module that defines it.
        relative: the modules in ``where`` are named relative to ``package`` (``"codec"``).
    """

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(
            importlib.import_module(f"{package}.{module}" if relative else module), name
        )
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
