"""Cold start: a fresh process that imports, loads a saved model and predicts one row.

This is what a CLI call, a batch job or a new serving worker pays before its first answer. For
``lr`` and ``rf`` the same fitted estimator is saved once by tiffin (skops, with a signature),
once by MLflow (its default skops format, made to work for a forest by passing
``skops_trusted_types``), and dumped with joblib. Then each child process runs:

- ``tiffin``: ``tiffin.pyfunc.load_model(dir).predict(row)`` on the tiffin model (which audits
  the skops file, checks the trees and verifies the manifest on the way);
- ``floor skops``: ``skops.io.load(model.skops, trusted=[...]).predict(row)`` on the *same*
  ``model.skops`` file, with its untrusted types passed as a literal list (what a user who
  already knows the file would write; no audit, no manifest);
- ``floor joblib``: ``joblib.load(model.joblib).predict(row)``, a second floor (pickle);
- ``mlflow``: ``mlflow.pyfunc.load_model(dir).predict(row)`` on the MLflow model.

Every child first builds the same 1-row float64 DataFrame from numpy (so every variant imports
numpy and pandas alike); only the load call differs. The whole process wall time is measured
around ``subprocess.run``. Rounds are interleaved, 7 runs each (MLflow 3).

Targets: tiffin <= 1.1x the skops floor, and MLflow / tiffin >= 2x.

Usage: ``.venv/bin/python bench/bench_load.py``
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import MODELS, PYTHON, Report, feature_names, fit_model, quiet_mlflow, run_process

RUNS = 7
MLFLOW_RUNS = 3

# The same in every child: build one row from numpy, with the model's column names.
PRELUDE = (
    "import numpy as np, pandas as pd\n"
    "row = pd.DataFrame(np.linspace(-1.0, 1.0, 20).reshape(1, 20), columns={cols!r})\n"
)
EPILOGUE = "out = m.predict(row)\nassert len(out) == 1\n"
LOADS = {
    "tiffin": "import tiffin.pyfunc\nm = tiffin.pyfunc.load_model({dir!r})\n",
    "floor skops": "import skops.io\nm = skops.io.load({skops!r}, trusted={trusted!r})\n",
    "floor joblib": "import joblib\nm = joblib.load({joblib!r})\n",
    "mlflow": (
        "import warnings\nwarnings.filterwarnings('ignore')\n"
        "import mlflow.pyfunc\nm = mlflow.pyfunc.load_model({mlflow_dir!r})\n"
    ),
}
BASELINE = "baseline: numpy+pandas row only"


def prepare(model: str, root: Path) -> dict[str, Any]:
    """Fit ``model`` and save it the four ways; return the paths the children read."""
    import joblib
    import mlflow.sklearn
    import skops.io

    import tiffin
    import tiffin.sklearn

    est, frame = fit_model(model)
    signature = tiffin.infer_signature(frame, est.predict(frame))
    tiffin_dir = root / f"{model}-tiffin"
    tiffin.sklearn.save_model(est, tiffin_dir, signature=signature, serialization_format="skops")
    skops_file = tiffin_dir / "model.skops"
    trusted = sorted(skops.io.get_untrusted_types(file=skops_file))
    joblib_file = root / f"{model}.joblib"
    joblib.dump(est, joblib_file)
    mlflow_dir = root / f"{model}-mlflow"
    mlflow.sklearn.save_model(
        est,
        str(mlflow_dir),
        signature=mlflow.models.infer_signature(frame, est.predict(frame)),
        skops_trusted_types=trusted,
    )
    return {
        "dir": str(tiffin_dir),
        "skops": str(skops_file),
        "trusted": trusted,
        "joblib": str(joblib_file),
        "mlflow_dir": str(mlflow_dir),
        "cols": feature_names(),
    }


def child_code(variant: str, paths: dict[str, Any]) -> str:
    """The program one child runs: the shared prelude, the variant's load, the shared predict."""
    prelude = PRELUDE.format(cols=paths["cols"])
    if variant == BASELINE:
        return prelude
    return prelude + LOADS[variant].format(**paths) + EPILOGUE


def main() -> int:
    """Prepare both models, time every variant in interleaved rounds, report and check."""
    quiet_mlflow()
    report = Report("bench_load", "fresh process: import + load + 1-row predict (wall time)")
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-load-") as tmp:
        root = Path(tmp)
        print("preparing models (MLflow's save infers requirements, this takes a while)...")
        paths = {model: prepare(model, root) for model in MODELS}
        programs: list[tuple[str, str]] = [(BASELINE, child_code(BASELINE, paths["lr"]))]
        for model in MODELS:
            for variant in LOADS:
                programs.append((f"{model}: {variant}", child_code(variant, paths[model])))
        for _, code in programs:  # warm-up, not counted: page cache, .pyc files
            run_process([PYTHON, "-c", code], cwd=root)
        for i in range(RUNS):
            shift = i % len(programs)  # rotate the order so no variant always runs first
            for label, code in programs[shift:] + programs[:shift]:
                if label.endswith("mlflow") and i >= MLFLOW_RUNS:
                    continue
                report.add(label, run_process([PYTHON, "-c", code], cwd=root))
            print(f"  round {i + 1}/{RUNS} done")

    for model in MODELS:
        vs_skops = report.ratio(f"{model}: tiffin", f"{model}: floor skops")
        report.ratio(f"{model}: tiffin", f"{model}: floor joblib")
        mlflow_x = report.ratio(f"{model}: mlflow", f"{model}: tiffin")
        tiffin_s = report.med(f"{model}: tiffin")
        report.target(
            f"{model}: tiffin <= 1.1x floor (skops)",
            vs_skops,
            lambda v: v <= 1.1,
            f"{vs_skops:.2f}x ({tiffin_s:.2f} s vs {report.med(f'{model}: floor skops'):.2f} s)",
        )
        report.target(
            f"{model}: MLflow / tiffin >= 2x",
            mlflow_x,
            lambda v: v >= 2.0,
            f"{mlflow_x:.2f}x ({report.med(f'{model}: mlflow'):.2f} s vs {tiffin_s:.2f} s)",
        )
    report.print_table(floor=lambda label: f"{label.partition(':')[0]}: floor skops")
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
