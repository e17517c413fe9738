"""In-process predict: what the pyfunc wrapper adds on top of the raw scikit-learn call.

``lr`` is saved with a signature by tiffin and by MLflow and loaded back with each one's
``pyfunc.load_model``. Per call, on the same float64 DataFrame, we time:

- ``raw``: ``est.predict(df)``, the estimator itself (the floor: scikit-learn already spends
  about a millisecond validating a DataFrame);
- ``tiffin``: ``tiffin.pyfunc`` model ``.predict(df)`` (strict signature enforcement + call);
- ``mlflow``: MLflow's pyfunc model ``.predict(df)`` (its enforcement + call).

``timeit``-style: each sample is a loop of ``number`` calls (sized to ~20 ms) and gives the
time per call; 101 rounds interleave the variants (one sample of each per round, the order
rotating). The table shows each variant's median; the targets use the *paired* median (the
median over rounds of that round's tiffin/raw ratio or difference), which cancels most of the
load other processes put on this shared machine.

Targets: at 1 row tiffin - raw < 100 us; at 100,000 rows tiffin / raw - 1 < 10%.

Usage: ``.venv/bin/python bench/bench_predict.py``
"""

from __future__ import annotations

import sys
import tempfile
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from _common import Report, fit_model, make_frame, quiet_mlflow

ROWS = (1, 100, 10_000, 100_000)
ROUNDS = 101
SAMPLE_SECONDS = 0.02
RAW, TIFFIN, MLFLOW = "raw est.predict(df)", "tiffin pyfunc", "mlflow pyfunc"


def label(n_rows: int, variant: str) -> str:
    """``1 rows: tiffin pyfunc``: the batch size first, so ratios group by it."""
    return f"{n_rows:,} rows: {variant}"


def load_all(root: Path) -> tuple[Any, Any, Any]:
    """Fit lr; save and load it with tiffin and MLflow; return (raw, tiffin model, mlflow model)."""
    import mlflow.pyfunc
    import mlflow.sklearn

    import tiffin
    import tiffin.pyfunc
    import tiffin.sklearn

    est, frame = fit_model("lr")
    y = est.predict(frame)
    tiffin.sklearn.save_model(est, root / "tiffin", signature=tiffin.infer_signature(frame, y))
    # pip_requirements skips MLflow's slow requirement inference: it does not change predict.
    mlflow.sklearn.save_model(
        est,
        str(root / "mlflow"),
        signature=mlflow.models.infer_signature(frame, y),
        pip_requirements=["scikit-learn", "skops"],
    )
    return est, tiffin.pyfunc.load_model(root / "tiffin"), mlflow.pyfunc.load_model(root / "mlflow")


def calibrate(fn: Callable[[], Any]) -> int:
    """How many calls make one ~``SAMPLE_SECONDS`` sample (at least 1)."""
    timer = timeit.Timer(fn)
    number, elapsed = timer.autorange()
    return max(1, round(number * SAMPLE_SECONDS / elapsed))


def main() -> int:
    """Time raw, tiffin and MLflow predict per call at several batch sizes; report and check."""
    import numpy as np

    quiet_mlflow()
    report = Report("bench_predict", "in-process predict, lr with a signature (time per call)")
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-predict-") as tmp:
        est, tiffin_model, mlflow_model = load_all(Path(tmp))
        for n_rows in ROWS:
            df = make_frame(n_rows)
            expected = est.predict(df)
            assert np.array_equal(np.asarray(tiffin_model.predict(df)), expected)
            variants: list[tuple[str, Callable[[], Any]]] = [
                (label(n_rows, RAW), partial(est.predict, df)),
                (label(n_rows, TIFFIN), partial(tiffin_model.predict, df)),
                (label(n_rows, MLFLOW), partial(mlflow_model.predict, df)),
            ]
            numbers = {name: calibrate(fn) for name, fn in variants}
            for i in range(ROUNDS):
                shift = i % len(variants)
                for name, fn in variants[shift:] + variants[:shift]:
                    number = numbers[name]
                    report.add(name, timeit.Timer(fn).timeit(number) / number)
            print(f"  {n_rows:,} rows done")

    for n_rows in ROWS:
        raw, tif, mlf = (label(n_rows, v) for v in (RAW, TIFFIN, MLFLOW))
        group = f"{n_rows:,} rows"
        report.derived[f"{group}: tiffin / raw (paired)"] = report.paired(tif, raw)
        report.derived[f"{group}: mlflow / raw (paired)"] = report.paired(mlf, raw)
        report.derived[f"{group}: mlflow / tiffin (paired)"] = report.paired(mlf, tif)
        report.derived[f"{group}: tiffin - raw, us (paired)"] = (
            report.paired(tif, raw, how="diff") * 1e6
        )
    one_raw, one_tif = label(1, RAW), label(1, TIFFIN)
    big_raw, big_tif = label(100_000, RAW), label(100_000, TIFFIN)
    overhead_us = report.derived["1 rows: tiffin - raw, us (paired)"]
    report.target(
        "1 row: tiffin - raw < 100 us",
        overhead_us,
        lambda v: v < 100,
        f"{overhead_us:.0f} us paired (medians {report.med(one_tif) * 1e6:.0f} us vs "
        f"{report.med(one_raw) * 1e6:.0f} us raw)",
    )
    extra = report.derived["100,000 rows: tiffin / raw (paired)"] - 1
    report.target(
        "100,000 rows: tiffin / raw - 1 < 10%",
        extra,
        lambda v: v < 0.10,
        f"{extra * 100:+.1f}% paired (medians {report.med(big_tif) * 1e3:.2f} ms vs "
        f"{report.med(big_raw) * 1e3:.2f} ms raw)",
    )
    report.print_table(floor=lambda name: f"{name.partition(': ')[0]}: {RAW}")
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
