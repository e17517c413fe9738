"""Shared helpers for the benchmarks: the models, timing, tables, targets and JSON results.

Every benchmark compares tiffin with MLflow and with the raw framework call (the floor) *in the
same run*, and reports medians and ratios: the machines are small and noisy, so absolute times
from different runs are not comparable, ratios within one run are.

Example:
    >>> from _common import fit_model, Report
    >>> est, X = fit_model("lr")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

__all__ = [
    "BENCH_DIR",
    "DATE",
    "MODELS",
    "N_FEATURES",
    "N_ROWS",
    "PYTHON",
    "RESULTS_DIR",
    "Report",
    "feature_names",
    "fit_model",
    "make_frame",
    "median",
    "quiet_mlflow",
    "child_env",
    "run_process",
    "versions",
]

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = sys.executable
DATE = "2026-11-22"
N_ROWS = 2_000
N_FEATURES = 20
MODELS = ("lr", "rf")


def feature_names() -> list[str]:
    """``f0`` .. ``f19``, the column names every model is fitted and queried with."""
    return [f"f{i}" for i in range(N_FEATURES)]


def fit_model(name: str) -> tuple[Any, Any]:
    """Fit ``lr`` (LogisticRegression) or ``rf`` (RandomForest, 100 trees) on 2,000 x 20 rows.

    Returns the fitted estimator and its training DataFrame (float64 columns ``f0..f19``).
    """
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=N_ROWS, n_features=N_FEATURES, random_state=0)
    frame = pd.DataFrame(X, columns=feature_names())
    if name == "lr":
        est: Any = LogisticRegression(max_iter=1_000)
    elif name == "rf":
        est = RandomForestClassifier(n_estimators=100, random_state=0)
    else:
        raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")
    return est.fit(frame, y), frame


def make_frame(n_rows: int, seed: int = 1) -> Any:
    """A float64 DataFrame of ``n_rows`` x 20 with the model's column names."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.standard_normal((n_rows, N_FEATURES)), columns=feature_names())


def quiet_mlflow() -> None:
    """Silence MLflow's own warnings and log lines (benchmarks only, never tiffin code)."""
    import logging

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def child_env() -> dict[str, str]:
    """The environment of every timed child process.

    Bytecode caching is switched on, into a cache of our own (``results/pycache``): this
    sandbox sets ``PYTHONDONTWRITEBYTECODE=1``, which would make every child recompile the
    editable tiffin sources (but not site-packages, compiled at install) on each start, a cost
    no installed tiffin pays. The untimed warm-up runs fill the cache for every variant alike.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        PYTHONPYCACHEPREFIX=str(RESULTS_DIR / "pycache"),
        PYTHONWARNINGS="ignore",
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    return env


def run_process(argv: Sequence[str], cwd: Path | None = None) -> float:
    """Wall time in seconds of one child process, start to exit; raises if it fails."""
    env = child_env()
    start = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return elapsed


def versions() -> dict[str, str]:
    """The versions that matter for reading the figures."""
    out = {"python": platform.python_version()}
    for dist in ("tiffin", "mlflow", "scikit-learn", "skops", "pandas", "numpy", "joblib"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "-"
    return out


def _fmt_seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.1f} us"


@dataclass
class Report:
    """Collects timings (seconds), prints a table of medians and the targets, writes JSON."""

    name: str
    title: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    derived: dict[str, float] = field(default_factory=dict)
    loadavg_at_start: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def add(self, label: str, seconds: float) -> None:
        self.samples.setdefault(label, []).append(seconds)

    def med(self, label: str) -> float:
        return median(self.samples[label])

    def ratio(self, num: str, den: str) -> float:
        """``median(num) / median(den)``, recorded as ``num / den`` (``lr: a / b`` for
        ``lr: a`` over ``lr: b``)."""
        value = self.med(num) / self.med(den)
        group, sep, rest = num.partition(": ")
        if sep and den.startswith(group + sep):
            key = f"{group}: {rest} / {den.removeprefix(group + sep)}"
        else:
            key = f"{num} / {den}"
        self.derived[key] = value
        return value

    def paired(self, num: str, den: str, how: str = "ratio") -> float:
        """Median over rounds of ``num[i] / den[i]`` (or ``num[i] - den[i]`` for ``diff``).

        Why: when variants are interleaved in short samples, the two samples of one round ran
        moments apart, under the same load from other processes; pairing them cancels most of
        that load, which the ratio of two medians taken over different moments does not.
        """
        a, b = self.samples[num], self.samples[den]
        if len(a) != len(b):
            raise ValueError(f"{num!r} and {den!r} have different numbers of samples")
        values = [x / y if how == "ratio" else x - y for x, y in zip(a, b, strict=True)]
        return median(values)

    def target(
        self, description: str, value: float, ok: Callable[[float], bool], shown: str
    ) -> bool:
        """Record one target: its measured value, how it is shown and whether it passed."""
        passed = bool(ok(value))
        self.targets.append({"target": description, "value": value, "shown": shown, "pass": passed})
        return passed

    def print_table(self, floor: str | Callable[[str], str | None] | None = None) -> None:
        """Medians of every variant, with min/max and the ratio to its floor.

        ``floor`` is the label of the floor variant, or a function giving each label's floor
        (for tables holding several models), or None for no ratio column.
        """
        print(f"\n== {self.title} ==")
        floor_of = floor if callable(floor) else (lambda _label: floor)
        width = max(len(label) for label in self.samples)
        head = f"{'variant':<{width}}  {'runs':>4}  {'median':>10}  {'min':>10}  {'max':>10}"
        print(head + ("  x floor" if floor else ""))
        for label, values in self.samples.items():
            line = (
                f"{label:<{width}}  {len(values):>4}  {_fmt_seconds(median(values)):>10}  "
                f"{_fmt_seconds(min(values)):>10}  {_fmt_seconds(max(values)):>10}"
            )
            base = floor_of(label)
            if base and base in self.samples:
                line += f"  {median(values) / self.med(base):7.2f}x"
            print(line)
        for key, value in self.derived.items():
            print(f"  {key} = {value:.3f}")
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
        print(f"  load average now: {load} (at start: {self.loadavg_at_start[0]:.2f}; 2 cores)")
        for note in self.notes:
            print(f"  note: {note}")

    def finish(self) -> int:
        """Print one PASS/FAIL line per target, write ``results/<name>.json``; return #fails."""
        for t in self.targets:
            print(f"{'PASS' if t['pass'] else 'FAIL'}  {self.name}: {t['target']}: {t['shown']}")
        RESULTS_DIR.mkdir(exist_ok=True)
        payload = {
            "name": self.name,
            "title": self.title,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "loadavg_at_start": self.loadavg_at_start,
                "loadavg_at_end": os.getloadavg(),
            },
            "versions": versions(),
            "medians_s": {label: self.med(label) for label in self.samples},
            "samples_s": self.samples,
            "derived": self.derived,
            "targets": self.targets,
            "notes": self.notes,
        }
        out = RESULTS_DIR / f"{self.name}.json"
        out.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"results: {out.relative_to(BENCH_DIR.parent)}")
        return sum(not t["pass"] for t in self.targets)
