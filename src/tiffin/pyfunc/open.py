"""``open_model``: the one door from a path or URI to a model's files, checked by the trust gate.

Opening is always the same three steps, in this order: resolve the URI to a local directory
(a path, ``file://``, a ``.tiffin`` file, ``runs:/``, ``models:/`` with the registry's digest and
trust record), parse the MLmodel (plain YAML, no code), and ask the trust gate
(:func:`~tiffin.pyfunc.trust.check_trust`), which verifies the files and refuses code-executing
content unless trusted. :func:`tiffin.pyfunc.load_model`, the flavors' ``load_model``,
``tiffin models verify`` and the Kedro datasets all open models here, so a change to the gate
lands once. What comes out is an :class:`OpenedModel`, whose ``decision`` is what every
deserializer asks for.

:func:`locate_model` is the first two steps only, for tools that never deserialize and report
what the gate would say instead of being refused by it (``tiffin models inspect``): it returns
no decision, so nothing it returns can unlock a pickle.

Example:
    >>> from tiffin.pyfunc import open_model
    >>> opened = open_model("path/to/model")  # doctest: +SKIP
    >>> opened.decision.trusted, sorted(opened.mlmodel.flavors)  # doctest: +SKIP
    (False, ['python_function', 'sklearn'])
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from tiffin.errors import NotFoundError
from tiffin.format.mlmodel import MLModel
from tiffin.pyfunc.trust import TrustDecision, check_trust
from tiffin.store.model_uris import ResolvedModel

__all__ = [
    "LocatedModel",
    "OpenedModel",
    "locate_model",
    "open_model",
    "resolve_local_path",
    "resolve_model",
]


@dataclass(frozen=True)
class LocatedModel:
    """A model found and its MLmodel parsed; its files are neither verified nor loaded."""

    model_dir: Path
    mlmodel: MLModel
    resolved: ResolvedModel


@dataclass(frozen=True)
class OpenedModel:
    """A model the trust gate let through: where it is, its MLmodel, the gate's decision (what
    loaders pass to every deserializer) and what resolving its URI found (digest, version)."""

    model_dir: Path
    mlmodel: MLModel
    decision: TrustDecision
    resolved: ResolvedModel


def locate_model(model_uri: str | Path | ResolvedModel) -> LocatedModel:
    """Resolve ``model_uri`` and parse its MLmodel; no verification, nothing loaded.

    Args:
        model_uri: anything :func:`resolve_model` takes, or what it (or
            :func:`tiffin.store.model_uris.resolve_model_uri`, for another store) returned.

    Raises:
        NotFoundError: no model there.
        FormatError: the MLmodel is not valid.

    Example:
        >>> located = locate_model("path/to/model")  # doctest: +SKIP
        >>> located.model_dir  # doctest: +SKIP
        PosixPath('path/to/model')
    """
    resolved = model_uri if isinstance(model_uri, ResolvedModel) else resolve_model(model_uri)
    return LocatedModel(resolved.path, MLModel.load(resolved.path), resolved)


def open_model(
    model_uri: str | Path | ResolvedModel, *, trust: bool = False, flavor: str | None = None
) -> OpenedModel:
    """Resolve, parse the MLmodel, and pass the trust gate: the one way a model is opened.

    Args:
        model_uri: anything :func:`resolve_model` takes, or an already resolved model.
        trust: the caller vouches for the model (``--trust``), allowing code-executing
            content. A ``models:/`` version whose files match the registry's digest and that
            carries a person's trust decision is trusted without it.
        flavor: the flavor the caller is about to load; a model without it is refused
            (``NotFoundError``) before the gate looks at its files.

    Raises:
        NotFoundError: no model there, or not the ``flavor`` asked for.
        IntegrityError: the files differ from the manifest (or the registry's digest).
        UntrustedModelError: loading would run code and the model is not trusted.

    Example:
        >>> opened = open_model("models:/churn@champion")  # doctest: +SKIP
        >>> opened.resolved.version, opened.decision.trusted  # doctest: +SKIP
        (3, True)
    """
    located = locate_model(model_uri)
    model_dir, mlmodel, resolved = located.model_dir, located.mlmodel, located.resolved
    if flavor is not None and flavor not in mlmodel.flavors:
        raise NotFoundError(f'{model_dir}: model does not have the "{flavor}" flavor')
    decision = check_trust(model_dir, mlmodel, trust=trust, registry=resolved)
    return OpenedModel(model_dir, mlmodel, decision, resolved)


def resolve_local_path(model_uri: str | Path) -> Path:
    """A local directory for a path or ``file://`` URI; other schemes are not handled here.

    A single-file model (``model.tiffin``) is unpacked safely and its directory returned.

    Example:
        >>> import tempfile
        >>> model_dir = tempfile.mkdtemp()
        >>> resolve_local_path(f"file://{model_dir}") == Path(model_dir)
        True
    """
    text = str(model_uri)
    if text.startswith("file:"):
        parsed = urlparse(text)
        if parsed.netloc not in ("", "localhost"):
            raise NotFoundError(f"{text}: file URIs must name a local path (no host)")
        text = unquote(parsed.path)
    elif "://" in text or text.startswith(("runs:/", "models:/")):
        raise NotFoundError(f"{text}: not a local path; use resolve_model for store URIs")
    path = Path(text).expanduser()
    if not path.exists():
        raise NotFoundError(f"no model at {path}")
    return _unpacked(path)


def _unpacked(path: Path) -> Path:
    """A ``.tiffin`` file (or any zip) becomes its verified, cached directory; see
    :mod:`tiffin.format.archive_cache`. Directories are returned as they are."""
    if not path.is_file():
        return path
    from tiffin.format.archive import is_archive
    from tiffin.format.archive_cache import unpack_cached

    return unpack_cached(path) if is_archive(path) else path


def resolve_model(model_uri: str | Path) -> ResolvedModel:
    """A local directory for any model URI; for ``models:/`` ones also the registry's digest,
    the version, and whether a person's trust decision is in force for it.

    Example:
        >>> resolve_model("models:/churn@champion")  # doctest: +SKIP
        ResolvedModel(path=PosixPath('.../artifacts/model'), digest='3f1c...', name='churn',
                      version=3, vouched=True)
    """
    text = str(model_uri)
    if text.startswith(("runs:/", "models:/")):
        from tiffin.store.model_uris import resolve_model_uri
        from tiffin.store.tracking_uri import get_tracking_uri

        resolved = resolve_model_uri(text, get_tracking_uri())
        return replace(resolved, path=_unpacked(resolved.path))
    return ResolvedModel(resolve_local_path(model_uri))
