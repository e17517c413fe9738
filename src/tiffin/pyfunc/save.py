"""The part of saving every flavor shares: signature, example, environment, MLmodel, manifest.

A flavor writes its own model file into a temporary directory and describes its flavor blocks;
:func:`finish_model` adds everything else in MLflow's layout and order, then writes the
manifest last, so it covers every file. The caller wraps both steps in
:func:`tiffin.format.atomic.atomic_directory`, so a failure anywhere leaves nothing behind.

Example:
    >>> with atomic_directory(path) as tmp:  # doctest: +SKIP
    ...     joblib.dump(model, tmp / "model.pkl")
    ...     finish_model(tmp, mlmodel, SaveOptions(), defaults=["scikit-learn"])
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiffin._version import __version__
from tiffin.format.mlmodel import FORMAT_VERSION, MLModel
from tiffin.format.schema import Signature

__all__ = ["SaveOptions", "finish_model", "python_version", "split_example"]


@dataclass
class SaveOptions:
    """The arguments every ``save_model`` takes, in one place."""

    signature: Signature | bool | None = None
    input_example: Any = None
    pip_requirements: Sequence[str] | None = None
    extra_pip_requirements: Sequence[str] | None = None
    metadata: Mapping[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def python_version() -> str:
    return platform.python_version()


def split_example(example: Any) -> tuple[Any, dict[str, Any] | None]:
    """MLflow's ``(data, params)`` tuple form of an input example, split in two."""
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], dict):
        return example[0], example[1]
    return example, None


def _dir_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _infer_from_example(example: Any, predict: Callable[[Any], Any] | None) -> Signature | None:
    from tiffin.format.infer import infer_signature

    data, params = split_example(example)
    output = predict(data) if predict is not None else None
    return infer_signature(data, output, params)


def finish_model(
    tmp: Path,
    mlmodel: MLModel,
    options: SaveOptions,
    *,
    defaults: Iterable[str] = (),
    inferred: Iterable[str] = (),
    predict: Callable[[Any], Any] | None = None,
) -> MLModel:
    """Write the example, environment files, MLmodel and manifest into ``tmp``.

    ``predict`` is used only to infer a signature from the input example when none is given
    (``signature=False`` turns that off, as in MLflow).
    """
    from tiffin.format.environment import resolve_requirements, write_environment
    from tiffin.format.example import save_input_example
    from tiffin.format.manifest import write_manifest

    signature = options.signature
    if signature is None and options.input_example is not None:
        signature = _infer_from_example(options.input_example, predict)
    if isinstance(signature, Signature):
        mlmodel.signature = signature
    if options.input_example is not None:
        mlmodel.data["saved_input_example_info"] = save_input_example(tmp, options.input_example)
    if options.metadata:
        mlmodel.data["metadata"] = dict(options.metadata)
    mlmodel.data["model_size_bytes"] = _dir_size(tmp) or None
    requirements = resolve_requirements(
        defaults, inferred, options.pip_requirements, options.extra_pip_requirements
    )
    env = write_environment(tmp, requirements)
    if "python_function" in mlmodel.flavors:
        mlmodel.flavors["python_function"]["env"] = env
    mlmodel.data["tiffin"] = {"format_version": FORMAT_VERSION, "version": __version__}
    mlmodel.save(tmp)
    write_manifest(tmp)
    return mlmodel
