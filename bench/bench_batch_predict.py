"""Batch prediction over a file: ``tiffin models predict`` against two floors and MLflow.

Input: ``--rows`` (default 1,000,000) x 20 float64 features, as CSV (pyarrow's writer, about
390 MB at 1M rows) and as Parquet (one row group), generated once into
``$TMPDIR/tiffin-bench-batch/<rows>/`` and regenerated when missing. Model: ``lr`` (the
benchmarks' LogisticRegression), saved by tiffin and by MLflow with the same signature.
Every variant is a fresh process that reads the file, predicts every row and writes one
prediction per row; we time the whole process (wall) and sample the peak memory of its process
tree (psutil, every 10 ms, together with ``/usr/bin/time``'s max RSS when available):

- ``chunked floor``: a plain pyarrow loop, ``pyarrow.csv.open_csv`` (or
  ``ParquetFile.iter_batches``) with default block sizes, ``est.predict(batch.to_pandas())``
  per batch, predictions written as CSV; the estimator comes from ``joblib.load``;
- ``whole-file floor``: ``pyarrow.csv.read_csv`` (or ``pq.read_table``), one predict, the same
  write;
- ``tiffin w1`` / ``tiffin w2``: ``python -m tiffin models predict -m <dir> -i <in> -o out.csv
  --workers 1|2`` (the real CLI: trust gate, manifest check, signature enforcement);
- ``mlflow``: ``mlflow models predict -m <dir> -i in.csv -t csv -o out.json
  --env-manager local`` (CSV only: MLflow reads only JSON and CSV, and writes only JSON).

One untimed warm-up of each variant fills the page cache and the bytecode cache, then
``--rounds`` rounds run the variants in rotating order. The table shows medians, the ratios of
medians to each floor, the peak memory (the largest of the runs) and the median CPU seconds
(user + system, from ``/usr/bin/time``: less disturbed than wall time when other jobs share
the cores). Targets (from issue 4), on *paired* ratios (the median over rounds of that round's
tiffin / floor, which cancels most of the load other processes put on the machine): tiffin is
no slower than the chunked floor with either worker count, peak memory under 1 GiB, and with
both cores it approaches the whole-file floor (here: within 1.25x of it).

Usage: ``.venv/bin/python bench/bench_batch_predict.py [--rows 100000] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import (
    PYTHON,
    Report,
    child_env,
    feature_names,
    fit_model,
    make_frame,
    median,
    quiet_mlflow,
)

GIB = 1 << 30
FORMATS = ("csv", "parquet")
VARIANTS = ("chunked floor", "whole-file floor", "tiffin w1", "tiffin w2", "mlflow")


def variants(fmt: str) -> tuple[str, ...]:
    """``mlflow models predict`` reads only JSON and CSV (``-t json|csv``)."""
    return VARIANTS if fmt == "csv" else VARIANTS[:-1]


APPROACH = 1.25
TIME_BIN = "/usr/bin/time"

FLOOR = """
import sys
import joblib, numpy as np, pyarrow as pa, pyarrow.csv as pc, pyarrow.parquet as pq
mode, src, model, out = sys.argv[1:5]
est = joblib.load(model)
if mode == "chunked":
    if src.endswith(".csv"):
        batches = pc.open_csv(src)
    else:
        batches = pq.ParquetFile(src).iter_batches()
    preds = [est.predict(batch.to_pandas()) for batch in batches]
else:
    table = pc.read_csv(src) if src.endswith(".csv") else pq.read_table(src)
    preds = [est.predict(table.to_pandas())]
pc.write_csv(pa.table({"prediction": np.concatenate(preds)}), out)
"""


def data_dir(rows: int) -> Path:
    """The input files for ``rows`` rows, written once (they take a while at 1M rows)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    root = Path(tempfile.gettempdir()) / "tiffin-bench-batch" / str(rows)
    if not ((root / "in.csv").exists() and (root / "in.parquet").exists()):
        root.mkdir(parents=True, exist_ok=True)
        print(f"  generating {rows:,} x 20 rows in {root} ...", flush=True)
        table = pa.Table.from_pandas(make_frame(rows), preserve_index=False)
        pa_csv.write_csv(table, root / "in.csv.tmp")
        pq.write_table(table, root / "in.parquet.tmp")
        os.replace(root / "in.csv.tmp", root / "in.csv")
        os.replace(root / "in.parquet.tmp", root / "in.parquet")
    return root


def save_models(root: Path) -> tuple[Any, Path, Path, Path]:
    """Fit lr; save it with tiffin, with MLflow and as a joblib file (for the floors)."""
    import joblib
    import mlflow.models
    import mlflow.sklearn

    import tiffin
    import tiffin.sklearn

    est, frame = fit_model("lr")
    y = est.predict(frame)
    tiffin.sklearn.save_model(est, root / "tiffin", signature=tiffin.infer_signature(frame, y))
    mlflow.sklearn.save_model(
        est,
        str(root / "mlflow"),
        signature=mlflow.models.infer_signature(frame, y),
        pip_requirements=["scikit-learn", "skops"],
    )
    joblib.dump(est, root / "lr.joblib")
    (root / "floor.py").write_text(FLOOR)
    return est, root / "tiffin", root / "mlflow", root / "lr.joblib"


def command(variant: str, fmt: str, data: Path, work: Path) -> tuple[list[str], Path]:
    """The argv of one variant and the output it writes."""
    src = data / f"in.{fmt}"
    out = work / ("out.json" if variant == "mlflow" else "out.csv")
    if variant.endswith("floor"):
        mode = variant.split()[0].removesuffix("-file")
        argv = [PYTHON, str(work / "floor.py"), mode, str(src), str(work / "lr.joblib"), str(out)]
    elif variant.startswith("tiffin"):
        workers = variant.removeprefix("tiffin w")
        argv = [PYTHON, "-m", "tiffin", "models", "predict", "-m", str(work / "tiffin")]
        argv += ["-i", str(src), "-o", str(out), "--workers", workers]
    else:
        mlflow_bin = str(Path(PYTHON).parent / "mlflow")
        argv = [mlflow_bin, "models", "predict", "-m", str(work / "mlflow"), "-i", str(src)]
        argv += ["-t", fmt, "-o", str(out), "--env-manager", "local"]
    return argv, out


def _tree_rss(proc: Any) -> int:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(argv: list[str]) -> tuple[float, int, float]:
    """Wall seconds, peak bytes of the process tree and CPU seconds (user + system, NaN
    without ``/usr/bin/time``) of one run; raises if it fails."""
    import psutil

    timed = os.path.exists(TIME_BIN)
    stats = Path(tempfile.mkstemp(prefix="tiffin-bench-time-")[1])
    full = [TIME_BIN, "-f", "%M %U %S", "-o", str(stats), *argv] if timed else argv
    peak, done = 0, threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(
        full, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    watched = psutil.Process(proc.pid)

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, _tree_rss(watched))
            except psutil.Error:
                return
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:6]} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    cpu = float("nan")
    if timed:
        last = stats.read_text().strip().splitlines()[-1].split()
        peak, cpu = max(peak, int(last[0]) * 1024), float(last[1]) + float(last[2])
    stats.unlink(missing_ok=True)
    return elapsed, peak, cpu


def check_outputs(est: Any, fmt: str, data: Path, work: Path) -> None:
    """tiffin's predictions (after a warm-up run) equal the estimator's on the whole file."""
    import numpy as np
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    src = data / f"in.{fmt}"
    table = pa_csv.read_csv(src) if fmt == "csv" else pq.read_table(src)
    expected = est.predict(table.select(feature_names()).to_pandas())
    got = pa_csv.read_csv(work / "out.csv").column("prediction").to_numpy()
    assert np.array_equal(got, expected), f"{fmt}: tiffin's predictions differ from the floor's"


def print_table(report: Report, peaks: dict[str, list[int]], cpus: dict[str, list[float]]) -> None:
    """Median wall time, min/max, the two floor ratios, peak memory and CPU of every variant."""
    print(f"\n== {report.title} ==")
    head = f"{'variant':<26}  {'runs':>4}  {'median':>8}  {'min':>8}  {'max':>8}"
    print(head + f"  {'x chunked':>9}  {'x whole':>8}  {'peak GiB':>8}  {'CPU s':>6}")
    for label, values in report.samples.items():
        fmt = label.partition(": ")[0]
        chunked = report.med(f"{fmt}: chunked floor")
        whole = report.med(f"{fmt}: whole-file floor")
        med = report.med(label)
        print(
            f"{label:<26}  {len(values):>4}  {med:>7.2f}s  {min(values):>7.2f}s  "
            f"{max(values):>7.2f}s  {med / chunked:>8.2f}x  {med / whole:>7.2f}x  "
            f"{max(peaks[label]) / GIB:>8.2f}  {median(cpus[label]):>6.2f}"
        )
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"  load average now: {load} (at start: {report.loadavg_at_start[0]:.2f}; 2 cores)")
    for note in report.notes:
        print(f"  note: {note}")


def add_targets(report: Report, peaks: dict[str, list[int]], rows: int) -> None:
    for fmt in FORMATS:
        chunked, whole = f"{fmt}: chunked floor", f"{fmt}: whole-file floor"
        for workers in ("w1", "w2"):
            label = f"{fmt}: tiffin {workers}"
            ratio = report.paired(label, chunked)
            report.derived[f"{label} / chunked floor (paired)"] = ratio
            report.target(
                f"{fmt}, {rows:,} rows: tiffin {workers} <= chunked floor",
                ratio,
                lambda v: v <= 1.0,
                f"{ratio:.2f}x paired (medians {report.med(label):.2f} s vs "
                f"{report.med(chunked):.2f} s)",
            )
            peak = max(peaks[label]) / GIB
            report.derived[f"{label} peak GiB"] = peak
            report.target(
                f"{fmt}: tiffin {workers} peak memory < 1 GiB",
                peak,
                lambda v: v < 1.0,
                f"{peak:.2f} GiB",
            )
        label = f"{fmt}: tiffin w2"
        ratio = report.paired(label, whole)
        report.derived[f"{label} / whole-file floor (paired)"] = ratio
        report.target(
            f"{fmt}: tiffin w2 within {APPROACH}x of the whole-file floor",
            ratio,
            lambda v: v <= APPROACH,
            f"{ratio:.2f}x paired (medians {report.med(label):.2f} s vs {report.med(whole):.2f} s)",
        )
        for name in variants(fmt):
            report.derived[f"{fmt}: {name} peak GiB"] = max(peaks[f"{fmt}: {name}"]) / GIB


def main() -> int:
    """Generate the inputs, run every variant on CSV and Parquet, print the table and targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    quiet_mlflow()
    data = data_dir(args.rows)
    title = f"batch predict, {args.rows:,} rows x 20, lr (whole process: wall time, peak memory)"
    report = Report("bench_batch_predict", title)
    peaks: dict[str, list[int]] = {}
    cpus: dict[str, list[float]] = {}
    work = Path(tempfile.mkdtemp(prefix="tiffin-bench-batch-"))
    try:
        est, *_ = save_models(work)
        for fmt in FORMATS:
            names = variants(fmt)
            for variant in names:  # warm-up: page cache, bytecode cache, first imports
                measure(command(variant, fmt, data, work)[0])
                if variant == "tiffin w2":
                    check_outputs(est, fmt, data, work)
            print(f"  {fmt}: warm-up done, outputs checked", flush=True)
            for i in range(args.rounds):
                order = names[i % len(names) :] + names[: i % len(names)]
                for variant in order:
                    seconds, peak, cpu = measure(command(variant, fmt, data, work)[0])
                    label = f"{fmt}: {variant}"
                    report.add(label, seconds)
                    peaks.setdefault(label, []).append(peak)
                    cpus.setdefault(label, []).append(cpu)
                print(f"  {fmt}: round {i + 1} done", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.samples = {
        f"{f}: {v}": report.samples[f"{f}: {v}"] for f in FORMATS for v in variants(f)
    }
    report.notes.append(f"input files in {data} (kept for the next run)")
    report.notes.append("mlflow writes JSON (its only output); every other variant writes CSV")
    add_targets(report, peaks, args.rows)
    print_table(report, peaks, cpus)
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
