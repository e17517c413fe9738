"""Import time: a fresh ``python -c "import tiffin"`` against bare Python and ``import mlflow``.

Why: a CLI call, a serving worker and a batch job all start with the import, so its cost is paid
on every start. The floor is ``python -c pass`` with the same interpreter (site-packages and the
editable install's ``.pth`` included); ``tiffin - floor`` is what tiffin itself adds.

Runs are interleaved (one of each per round, MLflow in the first rounds only) so noise on this
shared machine spreads over all variants. Target: ``import tiffin`` < 100 ms whole-process.

Usage: ``.venv/bin/python bench/bench_import.py``
"""

from __future__ import annotations

import sys

from _common import PYTHON, Report, quiet_mlflow, run_process

RUNS = 15
MLFLOW_RUNS = 5

VARIANTS = {
    "python -c pass (floor)": "pass",
    "import tiffin": "import tiffin",
    "import mlflow": "import mlflow",
}


def main() -> int:
    """Time each variant in fresh processes, interleaved, and report the medians and ratios."""
    quiet_mlflow()
    report = Report("bench_import", "fresh-process import time (whole process wall time)")
    for code in VARIANTS.values():  # warm the page cache and .pyc files; not counted
        run_process([PYTHON, "-c", code])
    for i in range(RUNS):
        for label, code in VARIANTS.items():
            if label == "import mlflow" and i >= MLFLOW_RUNS:
                continue
            report.add(label, run_process([PYTHON, "-c", code]))

    floor = report.med("python -c pass (floor)")
    tiffin = report.med("import tiffin")
    report.derived["tiffin - floor (s)"] = tiffin - floor
    report.ratio("import tiffin", "python -c pass (floor)")
    report.ratio("import mlflow", "import tiffin")
    report.print_table(floor="python -c pass (floor)")
    report.target(
        "import tiffin < 100 ms",
        tiffin,
        lambda v: v < 0.100,
        f"{tiffin * 1e3:.1f} ms (floor {floor * 1e3:.1f} ms, tiffin adds "
        f"{(tiffin - floor) * 1e3:.1f} ms)",
    )
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
