"""Ship a pipeline's artifacts into the model, each through its own Kedro dataset.

kedro-mlflow copies the file behind the private ``_filepath`` attribute: remote paths fail, a
dataset without that attribute fails, and a versioned dataset's whole version folder (every
past version) is copied. Here each artifact is *loaded* through the run's catalog (so the exact
version this run wrote, from wherever it lives) and *saved* by a local twin of the same dataset
type into ``artifacts/<name>/``. The twin's configuration (type, relative file path, load and
save args) is what the model records, and what loads it back.

Example:
    >>> configs = ship_artifacts(tmp, ["encoder"], catalog)  # doctest: +SKIP
    >>> configs["encoder"]["filepath"]  # doctest: +SKIP
    'artifacts/encoder/encoder.pkl'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from tiffin.integrations.kedro.errors import PipelineModelError

__all__ = ["datasets_extras", "load_artifacts", "ship_artifacts"]

#: keys of a dataset config that describe where or how the original lives, not the data
_DROPPED = ("credentials", "versioned", "fs_args", "metadata", "version")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _configs_of(catalog: Any, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    # Materialised first, so each config is the dataset's full one whether or not this run used
    # it (a lazy entry reports the YAML as written): the hook and modelify then write the same.
    for name in names:
        catalog[name]
    configs = catalog.to_config()[0]  # one pass over the catalog, not one per artifact
    transient = [n for n in names if n not in configs]
    if transient:
        raise PipelineModelError(f"artifacts {transient}: the catalog keeps them only in memory")
    return {name: dict(configs[name]) for name in names}


def ship_artifacts(model_dir: Path, names: Sequence[str], catalog: Any) -> dict[str, Any]:
    """Save each artifact into ``model_dir/artifacts/<name>/``; return their configs."""
    from kedro.io import AbstractDataset

    shipped: dict[str, Any] = {}
    for name, config in _configs_of(catalog, names).items():
        source = config.get("filepath")
        if not isinstance(source, str):
            raise PipelineModelError(
                f"artifact {name!r} ({config.get('type')}) has no filepath; only file "
                "datasets can be shipped inside a model"
            )
        basename = PurePosixPath(source.rstrip("/")).name or _safe(name)
        relative = f"artifacts/{_safe(name)}/{basename}"
        twin = {k: v for k, v in config.items() if k not in _DROPPED}
        twin["filepath"] = relative
        local = {**twin, "filepath": str(model_dir / relative)}
        (model_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        AbstractDataset.from_config(name, local).save(catalog.load(name))
        shipped[name] = twin
    return shipped


def load_artifacts(model_dir: Path, configs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Load every shipped artifact once (the model keeps the objects for all predicts)."""
    from kedro.io import AbstractDataset

    loaded: dict[str, Any] = {}
    for name, config in configs.items():
        relative = str(config.get("filepath", ""))
        path = (model_dir / relative).resolve()
        if not relative or not path.is_relative_to(model_dir.resolve()):
            raise PipelineModelError(
                f"artifact {name!r}: filepath {relative!r} must be inside the model directory"
            )
        loaded[name] = AbstractDataset.from_config(name, {**config, "filepath": str(path)}).load()
    return loaded


def datasets_extras(configs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The kedro-datasets extras the artifacts need, named as kedro-datasets names them.

    Example:
        >>> datasets_extras({"m": {"type": "kedro_datasets.pickle.pickle_dataset.PickleDataset"}})
        ['pickle-pickledataset']
    """
    import importlib.util

    extras = set()
    for config in configs.values():
        kind = str(config.get("type", ""))
        parts = kind.removeprefix("kedro_datasets.").split(".")
        if len(parts) < 2:
            continue
        ours = kind.startswith("kedro_datasets.") or (
            len(parts) == 2 and importlib.util.find_spec(f"kedro_datasets.{parts[0]}") is not None
        )
        if ours:
            extras.add(f"{parts[0]}-{parts[-1].lower()}")
    return sorted(extras)
