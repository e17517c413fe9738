"""Evaluation data: features and targets, split and checked before any model runs.

A mistake here (a misspelt target column, an empty file, a target of the wrong length) would
otherwise surface as a scikit-learn traceback from deep inside a metric, or worse, as a metric
computed on the wrong column. Each is a :class:`~tiffin.errors.SchemaError` that says what was
given and what was expected.

Example:
    >>> import pandas as pd
    >>> features, targets = split_targets(pd.DataFrame({"x": [1, 2], "y": [0, 1]}), "y")
    >>> list(features.columns), targets.tolist()
    (['x'], [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tiffin.errors import SchemaError

__all__ = ["split_targets"]


def split_targets(data: Any, targets: str | Sequence[Any] | Any) -> tuple[Any, np.ndarray]:
    """``(features, targets)`` from a frame with a target column, or features + a target array.

    Raises:
        SchemaError: no rows, a target column that is not there, targets whose length differs
            from the rows, or missing values in the targets.
    """
    import pandas as pd

    rows = len(data) if hasattr(data, "__len__") else 0
    if rows == 0:
        raise SchemaError("evaluation data has no rows; evaluate needs at least one")
    if isinstance(targets, str):
        if not isinstance(data, pd.DataFrame):
            raise SchemaError(
                f"targets={targets!r} names a column, so data must be a pandas DataFrame; "
                f"got {type(data).__name__} (or pass the targets as an array)"
            )
        if targets not in data.columns:
            raise SchemaError(
                f"target column {targets!r} is not in the data; columns are "
                f"{[str(c) for c in data.columns][:50]}"
            )
        features, values = data.drop(columns=[targets]), data[targets].to_numpy()
    else:
        features, values = data, np.asarray(targets)
        if values.ndim != 1:
            raise SchemaError(f"targets must be one-dimensional; got shape {values.shape}")
        if len(values) != rows:
            raise SchemaError(f"{len(values)} targets for {rows} rows of data; they must match")
    missing = pd.isna(values)
    if missing.any():
        first = [int(i) for i in np.flatnonzero(missing)[:5]]
        raise SchemaError(
            f"targets have {int(missing.sum())} missing values (first rows {first}); "
            "drop those rows or fill them before evaluating"
        )
    return features, values
