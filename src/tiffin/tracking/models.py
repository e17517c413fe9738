"""Models into runs and the registry: ``log_model``, ``register_model`` and the trust record.

Registering asks what loading would run (:mod:`tiffin.format.runs_code`) before anything is
written: code-executing content needs ``trust=True``, and the decision is recorded on the
version. ``log_model`` records the author's own trust (the caller serialized the object here).

Example:
    >>> register_model("runs:/4f0c/model", "churn").version  # doctest: +SKIP
    3
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.errors import AlreadyExistsError, NotFoundError

if TYPE_CHECKING:
    pass


from tiffin.tracking.fluent import _artifacts, _registry, _run_id, _tracking

__all__ = ["ModelInfo", "NoSignatureWarning", "current_user", "log_model", "register_model"]


@dataclass(frozen=True)
class ModelInfo:
    """What ``log_model`` stored: where, from which run, with which digest and version."""

    model_uri: str
    run_id: str
    artifact_path: str
    digest: str | None
    registered_model_version: int | None = None


def log_model(
    save_fn: Callable[..., Any],
    model: Any,
    name: str,
    *,
    registered_model_name: str | None = None,
    run_id: str | None = None,
    **save_kwargs: Any,
) -> ModelInfo:
    """Save ``model`` with a flavor's ``save_model`` and store it as artifacts of the run.

    The model is saved locally first (so its manifest is written), then published into the
    run's artifact store as a whole directory; registering records its manifest digest.
    """
    return _log_model(
        _tracking(),
        _registry(),
        save_fn,
        model,
        name,
        registered_model_name,
        _run_id(run_id),
        save_kwargs,
    )


def _log_model(
    tracking: Any,
    registry: Any,
    save_fn: Callable[..., Any],
    model: Any,
    name: str,
    registered_model_name: str | None,
    run_id: str,
    save_kwargs: Mapping[str, Any],
) -> ModelInfo:
    from tiffin.format.manifest import read_manifest

    with tempfile.TemporaryDirectory(prefix="tiffin-log-") as tmp:
        local = Path(tmp) / "model"
        save_fn(model, local, **save_kwargs)
        manifest = read_manifest(local)
        _warn_without_schema(local, name)
        _artifacts(run_id, tracking).log_dir(local, name)
    info = ModelInfo(f"runs:/{run_id}/{name}", run_id, name, manifest.digest if manifest else None)
    if registered_model_name is None:
        return info
    # The caller serialized this model from its own object in this process: it is the author,
    # so registering records the author's trust (a file from elsewhere goes through
    # register_model, which asks for trust=True).
    version = _register_model(tracking, registry, info.model_uri, registered_model_name, trust=True)
    return ModelInfo(info.model_uri, run_id, name, info.digest, version.version)


class NoSignatureWarning(UserWarning):
    """A model was logged with neither a signature nor an input example."""


def _warn_without_schema(model_dir: Path, name: str) -> None:
    """Say so once, at logging time, when a model carries no schema at all.

    Served, such a model has empty V2 metadata and an empty ``/docs``, and nothing checks the
    columns a caller sends: a wrong name reaches the model, which fails with its own error.
    """
    import warnings

    from tiffin.format.mlmodel import MLMODEL_FILE, MLModel

    if not (model_dir / MLMODEL_FILE).is_file():
        return  # not this check's business: loading such a directory fails on its own
    mlmodel = MLModel.load(model_dir)
    if mlmodel.signature is not None or "saved_input_example_info" in mlmodel.data:
        return
    warnings.warn(
        f"model {name!r} is logged without a signature or an input example: served, it "
        "has no schema (empty V2 metadata and /docs, columns not checked); pass "
        "input_example=X.head(3) (its signature is inferred) or signature=",
        NoSignatureWarning,
        stacklevel=4,
    )


def register_model(model_uri: str, name: str, *, trust: bool = False) -> Any:
    """Register the model at ``model_uri`` as a new version of ``name`` (created if missing).

    The files are verified and their manifest digest recorded with the version: loading
    ``models:/name/<version>`` later checks the files against it. A model that runs code when
    loaded (a pickle, ``code/``, a foreign loader) is refused, with the loader's own message,
    unless ``trust=True``: then the decision is recorded on the version (who, when, which
    digest) and loads by ``models:/`` run it without asking again. Nothing is recorded and no
    version number is used by a refusal.

    Raises:
        UntrustedModelError: the model would run code and ``trust`` is False.

    Example:
        >>> register_model("runs:/4f0c/model", "churn").version  # doctest: +SKIP
        3
    """
    return _register_model(_tracking(), _registry(), model_uri, name, trust=trust)


def current_user() -> str:
    """The user name decisions are recorded under (the OS user, as MLflow's ``mlflow.user``).

    Example:
        >>> isinstance(current_user(), str)
        True
    """
    import getpass

    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):  # no passwd entry for the uid (some containers)
        return "unknown"


def _code_reasons(local: Path) -> dict[str, str]:
    from tiffin.format.manifest import scan_files
    from tiffin.format.mlmodel import MLModel
    from tiffin.format.runs_code import code_reasons

    return code_reasons(local, MLModel.load(local), scan_files(local))


def _register_model(
    tracking: Any, registry: Any, model_uri: str, name: str, *, trust: bool = False
) -> Any:
    from tiffin.errors import UntrustedModelError
    from tiffin.format.manifest import verify_manifest
    from tiffin.format.runs_code import refusal
    from tiffin.store.model_uris import resolve_model_uri

    if model_uri.startswith(("runs:/", "models:/")):
        local = resolve_model_uri(model_uri, tracking.uri).path
    else:
        local = Path(os.path.abspath(model_uri.removeprefix("file://")))
        if not local.is_dir():
            raise NotFoundError(f"no model directory at {model_uri}")
    manifest = verify_manifest(local)
    reasons = _code_reasons(local)  # what a load would run: decided before anything is written
    if reasons and not trust:
        raise UntrustedModelError(refusal(Path(model_uri), reasons, action="register"))
    if reasons and manifest is None:
        raise UntrustedModelError(
            f"refusing to register {model_uri}: it runs code when loaded and has no manifest, "
            "so a trust decision could not say which bytes it covers (tiffin models verify "
            "shows what is missing; re-save it with tiffin)"
        )
    source = _source_of(tracking, model_uri) if model_uri.startswith("runs:/") else str(local)
    run_id = model_uri.split("/")[1] if model_uri.startswith("runs:/") else None
    with suppress(AlreadyExistsError):  # a new version of an existing model: the common case
        registry.create_registered_model(name)
    return registry.create_model_version(
        name,
        source,
        run_id=run_id,
        digest=manifest.digest if manifest else None,
        trusted_by=current_user() if reasons else None,
    )


def _source_of(tracking: Any, runs_uri: str) -> str:
    from tiffin.store.model_uris import parse_runs_uri

    run_id, path = parse_runs_uri(runs_uri)
    run = tracking.get_run(run_id)
    return f"{run.info.artifact_uri.rstrip('/')}/{path}"
