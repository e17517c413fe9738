"""Batch prediction over files: stream CSV, Parquet or JSON Lines through a model in chunks.

Names are imported on first use (PEP 562), so ``import tiffin.batch`` costs nothing until a job
runs; the work is in :mod:`tiffin.batch.run` (see ``docs/batch.md``).

Example:
    >>> import tiffin.batch
    >>> from tiffin.pyfunc import load_model
    >>> model = load_model("model_dir")  # doctest: +SKIP
    >>> tiffin.batch.predict_file(model, Path("in.csv"), Path("out.parquet"))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffin._lazy import lazy_names

if TYPE_CHECKING:
    from tiffin.batch.run import BatchSummary, default_workers, predict_file, write_result

__all__ = ["BatchSummary", "default_workers", "predict_file", "write_result"]

_WHERE = {name: "tiffin.batch.run" for name in __all__}


__getattr__ = lazy_names(__name__, _WHERE)
