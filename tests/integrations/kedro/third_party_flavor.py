"""A flavor tiffin does not ship, as a third party would write it: a dict of weights as JSON.

The model datasets must take it once it is registered in :mod:`tiffin.plugins` (at runtime in
``FLAVORS``, or through a ``tiffin.flavors`` entry point), without any change to them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FLAVOR_NAME = "weights_json"
_FILE = "weights.json"


def save_model(weights: dict[str, float], path: str | Path, **save_kwargs: Any) -> Any:
    from tiffin.format.atomic import atomic_directory
    from tiffin.format.mlmodel import MLModel
    from tiffin.pyfunc.save import SaveOptions, finish_model

    with atomic_directory(path) as tmp:
        (tmp / _FILE).write_text(json.dumps(weights), encoding="utf-8")
        mlmodel = MLModel.new()
        mlmodel.add_flavor(FLAVOR_NAME, data=_FILE)
        return finish_model(tmp, mlmodel, SaveOptions(**save_kwargs))


def load_model(model_uri: str | Path, *, trust: bool = False) -> dict[str, float]:
    from tiffin.format.manifest import verify_manifest

    model_dir = Path(model_uri)
    verify_manifest(model_dir)  # plain JSON: nothing to trust, but the files must be intact
    weights: dict[str, float] = json.loads((model_dir / _FILE).read_text(encoding="utf-8"))
    return weights
