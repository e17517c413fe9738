"""The one registry of names to code: flavors and the loader modules MLflow files name.

An MLmodel file says ``loader_module: mlflow.sklearn``. Importing whatever module a file names
is how MLflow runs attacker-chosen code, so tiffin never does: a name is *looked up* here and
mapped to one of our own modules (or a third party's, registered through the ``tiffin.flavors``
entry point group by an installed package, which is the user's choice, not the file's). A name
that is not found is refused by the trust gate unless the caller trusts the model.

Example:
    >>> from tiffin.plugins import loader_for
    >>> loader_for("mlflow.sklearn")
    'tiffin.flavors.sklearn'
    >>> loader_for("evil_loader") is None
    True
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

from tiffin.errors import MissingDependencyError, NotFoundError

__all__ = [
    "CODE_LOADERS",
    "FLAVORS",
    "LOADERS",
    "flavor_module",
    "flavor_path",
    "import_optional",
    "loader_for",
]

#: flavor name -> module implementing save_model/load_model/_load_pyfunc
FLAVORS: dict[str, str] = {
    "python_function": "tiffin.pyfunc.python_model",
    "sklearn": "tiffin.flavors.sklearn",
}

#: ``python_function.loader_module`` values found in files -> the module that loads them here
LOADERS: dict[str, str] = {
    "mlflow.sklearn": "tiffin.flavors.sklearn",
    "tiffin.flavors.sklearn": "tiffin.flavors.sklearn",
    "mlflow.pyfunc.model": "tiffin.pyfunc.python_model",
    "tiffin.pyfunc.python_model": "tiffin.pyfunc.python_model",
    "tiffin.integrations.kedro.mlflow_loader": "tiffin.integrations.kedro.pipeline_model",
}

#: known loaders whose models run code by design, whatever their files look like -> why
CODE_LOADERS: dict[str, str] = {
    "tiffin.integrations.kedro.mlflow_loader": (
        "a Kedro pipeline model: it calls the functions its pipeline.yml names"
    ),
}


@cache
def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group="tiffin.flavors")}


def loader_for(loader_module: str) -> str | None:
    """The module that loads models whose MLmodel names ``loader_module``, or None if unknown."""
    if loader_module in LOADERS:
        return LOADERS[loader_module]
    return _entry_points().get(loader_module)


def flavor_path(name: str) -> str | None:
    """The dotted module of a registered flavor (ours or an entry point's), or None.

    Example:
        >>> flavor_path("sklearn")
        'tiffin.flavors.sklearn'
    """
    return FLAVORS.get(name) or _entry_points().get(name)


def flavor_module(name: str) -> ModuleType:
    """Import the module of a registered flavor (ours or an entry point's) by flavor name.

    Example:
        >>> flavor_module("sklearn").FLAVOR_NAME
        'sklearn'
    """
    path = flavor_path(name)
    if path is None:
        known = sorted(FLAVORS) + sorted(_entry_points())
        raise NotFoundError(f"unknown flavor {name!r}; known flavors: {known}")
    return importlib.import_module(path)


def import_optional(module: str, extra: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it.

    Example:
        >>> import_optional("json", "core").__name__
        'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependencyError(
            f"{module!r} is needed here but is not installed: pip install 'tiffin[{extra}]' ({e})"
        ) from e
