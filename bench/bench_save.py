"""Save: writing ``rf`` (100 trees) as a complete model directory, against the bare dumps.

In one process, with every library already imported and one untimed warm-up call each, we time:

- ``tiffin``: ``tiffin.sklearn.save_model(rf, dir, signature=...)`` (skops, its default): the
  dump, the audit of the written file, requirement inference from the live objects, the
  environment files, the MLmodel and the sha256 manifest;
- ``mlflow``: ``mlflow.sklearn.save_model(rf, dir, signature=..., skops_trusted_types=...)``,
  MLflow's default (skops, requirement inference on, which runs a subprocess that re-imports
  MLflow and reloads the model); the trusted types are the ones ``skops.io.get_untrusted_types``
  reports, which MLflow needs for a forest (without them its default fails);
- the floors: ``joblib.dump(rf, file)`` and ``skops.io.dump(rf, file)``.

Each call writes into a fresh directory; rounds interleave the variants. 5 runs each, MLflow 3.

Targets: tiffin < 0.5 s, and MLflow / tiffin >= 10x.

Usage: ``.venv/bin/python bench/bench_save.py``
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import Report, fit_model, quiet_mlflow

RUNS = 5
MLFLOW_RUNS = 3


def savers(est: Any, frame: Any) -> dict[str, Callable[[Path], Any]]:
    """Each variant as a function of a fresh output directory."""
    import joblib
    import mlflow.models
    import mlflow.sklearn
    import skops.io

    import tiffin
    import tiffin.sklearn

    y = est.predict(frame)
    tiffin_sig = tiffin.infer_signature(frame, y)
    mlflow_sig = mlflow.models.infer_signature(frame, y)
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.skops"
        skops.io.dump(est, probe)
        trusted = sorted(skops.io.get_untrusted_types(file=probe))

    def mlflow_save(out: Path) -> Any:
        return mlflow.sklearn.save_model(
            est, str(out / "model"), signature=mlflow_sig, skops_trusted_types=trusted
        )

    return {
        "floor joblib.dump": lambda out: joblib.dump(est, out / "model.joblib"),
        "floor skops.io.dump": lambda out: skops.io.dump(est, out / "model.skops"),
        "tiffin save_model": lambda out: tiffin.sklearn.save_model(
            est, out / "model", signature=tiffin_sig
        ),
        "mlflow save_model": mlflow_save,
    }


def main() -> int:
    """Time each saver into fresh directories, interleaved; report medians, ratios, targets."""
    quiet_mlflow()
    report = Report("bench_save", "save rf (100 trees) in-process (wall time per call)")
    est, frame = fit_model("rf")
    variants = list(savers(est, frame).items())
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-save-") as tmp:
        root = Path(tmp)
        counter = 0

        def fresh() -> Path:
            nonlocal counter
            counter += 1
            out = root / f"run{counter}"
            out.mkdir()
            return out

        print("warming up (one untimed call each; MLflow's takes a while)...")
        for _, save in variants:
            save(fresh())
        for i in range(RUNS):
            shift = i % len(variants)
            for label, save in variants[shift:] + variants[:shift]:
                if label.startswith("mlflow") and i >= MLFLOW_RUNS:
                    continue
                out = fresh()
                start = time.perf_counter()
                save(out)
                report.add(label, time.perf_counter() - start)
            print(f"  round {i + 1}/{RUNS} done")

    tiffin_s = report.med("tiffin save_model")
    report.ratio("tiffin save_model", "floor skops.io.dump")
    report.ratio("tiffin save_model", "floor joblib.dump")
    mlflow_x = report.ratio("mlflow save_model", "tiffin save_model")
    report.target(
        "tiffin save_model(rf) < 0.5 s",
        tiffin_s,
        lambda v: v < 0.5,
        f"{tiffin_s:.3f} s (skops.io.dump alone {report.med('floor skops.io.dump'):.3f} s)",
    )
    report.target(
        "MLflow / tiffin >= 10x",
        mlflow_x,
        lambda v: v >= 10,
        f"{mlflow_x:.1f}x ({report.med('mlflow save_model'):.2f} s vs {tiffin_s:.3f} s)",
    )
    report.print_table(floor="floor skops.io.dump")
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
