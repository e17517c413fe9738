"""What a model dataset's ``flavor`` names, and how it saves and loads through that flavor.

A catalog says ``flavor: tiffin.sklearn`` (or MLflow's ``mlflow.sklearn``). The name is looked
up in :data:`tiffin.plugins.FLAVORS` (and the ``tiffin.flavors`` entry points), never imported
as written: a catalog is configuration, not a licence to import any module. Every flavor
registered there works in every model dataset, including ones installed after tiffin was
imported. The dataset keeps only the canonical string, so it stays picklable; the module is
imported at save or load.

Loading a ``runs:/`` or ``models:/`` URI resolves it against the dataset's own store, not the
process-wide tracking URI the flavors' ``load_model`` would use: the URI is turned into a local
directory with :func:`tiffin.store.model_uris.resolve_model_uri`, and for a registered version
the files are checked against the digest the registry recorded (the trust root) before the
flavor loads the directory.

Example:
    >>> canonical_flavor("mlflow.sklearn")
    'tiffin.sklearn'
    >>> canonical_flavor("tiffin.pyfunc")
    'tiffin.pyfunc'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kedro.io import DatasetError

from tiffin import plugins

__all__ = [
    "CATALOG_TRUST_HINT",
    "PYFUNC",
    "canonical_flavor",
    "known_flavors",
    "load_local",
    "load_model_uri",
    "save_fn",
    "save_model",
]

#: the generic flavor: saves a PythonModel, loads any model as a PyFuncModel
PYFUNC = "tiffin.pyfunc"
_PREFIXES = ("tiffin.", "mlflow.")
_PYFUNC_NAMES = {"pyfunc", "python_function"}


def _registered() -> dict[str, str]:
    """Flavor name -> module: :data:`tiffin.plugins.FLAVORS` over the entry points, read now.

    One table for both questions, "is this a flavor?" (when the catalog is read) and "which
    module saves it?" (at save and load): answering them from two tables made a dataset accept
    a flavor installed after tiffin's entry-point cache was filled, then refuse it at save as
    unknown, listing only sklearn and python_function. Names with a dot are loader modules.
    """
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group="tiffin.flavors") if "." not in ep.name}
    return {**found, **plugins.FLAVORS}


def known_flavors() -> list[str]:
    """Every name a catalog may give, in its canonical ``tiffin.<name>`` spelling.

    Example:
        >>> "tiffin.sklearn" in known_flavors()
        True
    """
    names = {PYFUNC} | {f"tiffin.{n}" for n in _registered() if n not in _PYFUNC_NAMES}
    return sorted(names)


def canonical_flavor(flavor: str) -> str:
    """``tiffin.<name>`` for ``tiffin.<name>``, ``mlflow.<name>`` or a bare flavor name.

    Raises:
        DatasetError: the name is not a flavor tiffin knows; the message lists those it knows.

    Example:
        >>> canonical_flavor("sklearn")
        'tiffin.sklearn'
    """
    if not isinstance(flavor, str):
        raise DatasetError(f"flavor must be a string such as 'tiffin.sklearn', got {flavor!r}")
    short = _short(flavor)
    if short in _PYFUNC_NAMES:
        return PYFUNC
    if short in _registered():
        return f"tiffin.{short}"
    raise DatasetError(
        f"unknown flavor {flavor!r}; known flavors: {known_flavors()} "
        "(the 'mlflow.' spellings of these are accepted too)"
    )


def _short(flavor: str) -> str:
    for prefix in _PREFIXES:
        if flavor.startswith(prefix):
            return flavor[len(prefix) :]
    return flavor


def _module(flavor: str) -> Any:
    import importlib

    if flavor == PYFUNC:
        import tiffin.pyfunc

        return tiffin.pyfunc
    path = _registered().get(_short(flavor))
    if path is None:  # registered when the dataset was made, gone since (uninstalled)
        raise DatasetError(f"unknown flavor {flavor!r}; known flavors: {known_flavors()}")
    return importlib.import_module(path)


def _save_python_model(model: Any, path: str | Path, **kwargs: Any) -> Any:
    """pyfunc's ``save_model`` is ``(path, python_model=...)``; log_model calls (model, path)."""
    from tiffin.pyfunc import save_model as save_pyfunc

    return save_pyfunc(path, python_model=model, **kwargs)


def save_fn(flavor: str) -> Callable[..., Any]:
    """The flavor's ``save_model(model, path, **kwargs)``, for ``Client.log_model``.

    Example:
        >>> save_fn("tiffin.sklearn").__module__
        'tiffin.flavors.sklearn'
    """
    if flavor == PYFUNC:
        return _save_python_model
    fn: Callable[..., Any] = _module(flavor).save_model
    return fn


def save_model(flavor: str, model: Any, path: str | Path, **kwargs: Any) -> None:
    """Write ``model`` as a new model directory at ``path`` with the flavor's ``save_model``.

    Example:
        >>> save_model("tiffin.sklearn", clf, "data/06_models/clf")  # doctest: +SKIP
    """
    save_fn(flavor)(model, path, **kwargs)


def load_model_uri(
    flavor: str, uri: str, tracking_uri: str, *, trust: bool = False, **kwargs: Any
) -> Any:
    """Load a path, ``file://``, ``runs:/`` or ``models:/`` URI of the store at ``tracking_uri``.

    Why not the flavor's ``load_model(uri)`` directly: it resolves store URIs against the
    process-wide tracking URI, and a catalog entry may name another store. A registered
    version whose files match the digest the registry recorded is trusted, as
    :func:`tiffin.pyfunc.load_model` does; anything else needs ``trust=True`` to run code.

    Example:
        >>> load_model_uri("tiffin.pyfunc", "models:/churn@a", "sqlite:///t.db")  # doctest: +SKIP
    """
    target: str | Path = uri
    if uri.startswith(("runs:/", "models:/")):
        from tiffin.store.model_uris import resolve_model_uri

        resolved = resolve_model_uri(uri, tracking_uri)
        target = resolved.path
        if resolved.digest is not None and not trust:
            trust = _registry_trusts(resolved)
    return load_local(flavor, target, trust=trust, **kwargs)


def load_local(flavor: str, path: str | Path, *, trust: bool = False, **kwargs: Any) -> Any:
    """Load the model directory at ``path`` with the flavor's ``load_model``.

    Example:
        >>> load_local("tiffin.sklearn", "data/06_models/clf")  # doctest: +SKIP
    """
    from tiffin.errors import UntrustedModelError

    try:
        return _module(flavor).load_model(path, trust=trust, **kwargs)
    except UntrustedModelError as e:
        raise UntrustedModelError(f"{e}\n{CATALOG_TRUST_HINT}") from e


#: what an untrusted model's refusal adds in a catalog: the gate's own words are Python's/CLI's
CATALOG_TRUST_HINT = (
    "In the catalog, trust this entry's model with `load_args: {trust: true}` (only for a "
    "model whose origin you trust: loading runs its code), or read a registered version "
    "(ModelRegistryDataset, or load_args.model_uri: models:/<name>/<version>), which loads "
    "without trust when its files match the digest the registry recorded and a person's trust "
    "decision is recorded on it (tiffin models trust NAME VERSION)."
)


def _registry_trusts(resolved: Any) -> bool:
    """Whether the registry vouches for running this version: the files must match its digest
    (IntegrityError when they do not) and a person's trust decision must be in force."""
    from tiffin.pyfunc.open import open_model

    return bool(open_model(resolved, trust=True).resolved.vouched)
