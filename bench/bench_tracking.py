"""Tracking and registry: log + register a model, log 10,000 metrics, search 5,000 runs.

In one process, with every library already imported, each side (tiffin, MLflow) gets its own
fresh SQLite database and artifact directory in a temporary directory, for each of the three
parts below (``sqlite:////abs/path.db`` for both, so the store type is the same):

1. **log + register** (``lr`` with a signature): the whole block ``with start_run(): info =
   sklearn.log_model(lr, name="model", signature=...); register_model(info.model_uri, "m")``.
   MLflow runs with its defaults (skops, requirement inference on: a subprocess that re-imports
   MLflow and reloads the model). One untimed warm-up each, then 5 rounds (MLflow in the first
   3), the order rotating. Its two halves are recorded too. Floors: ``skops.io.dump`` (the
   bare serialization) and ``tiffin.sklearn.save_model`` into a local directory (the model
   directory without any store).
2. **10,000 metrics in one run**, 100 keys x 100 steps, through the fluent API: one
   ``log_metric(key, value, step=step)`` per value (3 runs tiffin, 2 MLflow: MLflow's take
   ~40 s each), and in batches, one ``log_metrics({100 keys}, step=step)`` per step (5 runs
   each). Only the logging loop is timed, inside an already started run. Floor: the bare
   ``sqlite3`` module doing the same writes (history row + upsert of the latest value) with the
   same pragmas (WAL, ``synchronous=NORMAL``), one transaction per call.
3. **search_runs over 5,000 runs** of one experiment, each with 3 params, 3 metrics and 2 tags
   (the same values on both sides). Population is timed once each, as fast as each library
   allows: ``create_run`` + one ``log_batch`` per run (``MlflowClient`` / ``tiffin.Client()``).
   Then ``search_runs(filter_string="metrics.m0 > 0.5 and params.p1 = 'a'", order_by=["metrics.m1
   DESC"], max_results=5000)``: the fluent call, which returns a pandas DataFrame (the target),
   and the client call, which returns a list of runs; one untimed warm-up, then 5 interleaved
   rounds. Both sides must return the same runs in the same order (checked).

Targets: log + register MLflow / tiffin >= 10x; 10,000 metrics (per value and batched) and
search_runs: tiffin faster than MLflow (MLflow / tiffin > 1).

Usage: ``.venv/bin/python bench/bench_tracking.py``
"""

from __future__ import annotations

import contextlib
import io
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import Report, fit_model, quiet_mlflow

RUNS = 5
MLFLOW_RUNS = 3
METRIC_RUNS = 3
MLFLOW_METRIC_RUNS = 2
BATCH_RUNS = 5
SEARCH_RUNS = 5
N_KEYS = 100
N_STEPS = 100
N_SEARCH_RUNS = 5_000
FILTER = "metrics.m0 > 0.5 and params.p1 = 'a'"
ORDER_BY = ["metrics.m1 DESC"]
TIMESTAMP = 1_700_000_000_000

LOG = "log_model + register_model"
EACH = "10,000 x log_metric"
BATCH = "100 x log_metrics(100 keys)"
POPULATE = "populate 5,000 runs"
SEARCH = "search_runs -> DataFrame"
SEARCH_CLIENT = "client.search_runs -> runs"


class Stores:
    """Fresh per-part SQLite databases and artifact directories, one pair per side."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self, part: str) -> tuple[str, str]:
        """Point tiffin and MLflow at new databases under ``root/part``; return experiment ids."""
        import mlflow

        import tiffin

        base = self.root / part
        base.mkdir()
        tiffin.set_tracking_uri(f"sqlite:///{base / 'tiffin.db'}")  # artifacts beside the db
        tiffin_exp = tiffin.set_experiment("bench")
        mlflow.set_tracking_uri(f"sqlite:///{base / 'mlflow.db'}")
        mlflow_exp = mlflow.create_experiment(
            "bench", artifact_location=(base / "mlflow-artifacts").as_uri()
        )
        mlflow.set_experiment(experiment_id=mlflow_exp)
        return tiffin_exp, mlflow_exp


def rotated(variants: list[Any], i: int) -> list[Any]:
    shift = i % len(variants)
    return variants[shift:] + variants[:shift]


# 1. log_model + register_model -------------------------------------------------------------


def bench_log_register(report: Report, stores: Stores) -> None:
    """Whole log + register blocks, fresh run each, interleaved; floors write local files."""
    import mlflow
    import mlflow.models
    import mlflow.sklearn
    import skops.io

    import tiffin
    import tiffin.sklearn

    est, frame = fit_model("lr")
    y = est.predict(frame)
    tiffin_sig = tiffin.infer_signature(frame, y)
    mlflow_sig = mlflow.models.infer_signature(frame, y)
    stores.open("log_register")
    scratch = stores.root / "log_register" / "floors"
    scratch.mkdir()
    counter = 0

    def fresh() -> Path:
        nonlocal counter
        counter += 1
        out = scratch / f"out{counter}"
        out.mkdir()
        return out

    parts: dict[str, float] = {}  # the two halves of the last log + register block

    def make(lib: Any, flavor: Any, sig: Any, side: str) -> Callable[[], int]:
        def op() -> int:
            # MLflow prints "Created version ..." to stderr; drop it (same wrapper for both)
            with contextlib.redirect_stderr(io.StringIO()):
                start = time.perf_counter()
                with lib.start_run(run_name="lr"):
                    info = flavor.log_model(est, name="model", signature=sig)
                    logged = time.perf_counter()
                    version = lib.register_model(info.model_uri, "m")
                end = time.perf_counter()
            parts.update(
                {f"log_model: {side}": logged - start, f"register_model: {side}": end - logged}
            )
            return int(version.version)

        return op

    variants: list[tuple[str, Callable[[], Any]]] = [
        ("floor skops.io.dump", lambda: skops.io.dump(est, fresh() / "model.skops")),
        (
            "tiffin save_model only",
            lambda: tiffin.sklearn.save_model(est, fresh() / "model", signature=tiffin_sig),
        ),
        ("tiffin", make(tiffin, tiffin.sklearn, tiffin_sig, "tiffin")),
        ("mlflow", make(mlflow, mlflow.sklearn, mlflow_sig, "mlflow")),
    ]
    print("log + register: warming up (one untimed call each; MLflow's takes a while)...")
    versions: dict[str, list[int]] = {"tiffin": [], "mlflow": []}
    for label, op in variants:
        out = op()
        if label in versions:
            versions[label].append(out)
    for i in range(RUNS):
        for label, op in rotated(variants, i):
            if label == "mlflow" and i >= MLFLOW_RUNS:
                continue
            parts.clear()
            start = time.perf_counter()
            out = op()
            report.add(f"{LOG}: {label}", time.perf_counter() - start)
            for key, seconds in parts.items():
                report.add(key, seconds)
            if label in versions:
                versions[label].append(out)
        print(f"  round {i + 1}/{RUNS} done")
    for side, got in versions.items():
        if got != list(range(1, len(got) + 1)):
            raise AssertionError(f"{side}: registered versions {got}, expected 1..{len(got)}")
    report.notes.append(
        f"registered versions 1..{len(versions['tiffin'])} (tiffin) and "
        f"1..{len(versions['mlflow'])} (MLflow) of 'm', as expected"
    )


# 2. 10,000 metrics -------------------------------------------------------------------------

_FLOOR_SCHEMA = """
CREATE TABLE metrics (run_uuid TEXT, key TEXT, value REAL, step INTEGER, timestamp INTEGER);
CREATE TABLE latest (run_uuid TEXT, key TEXT, value REAL, step INTEGER, timestamp INTEGER,
                     PRIMARY KEY (run_uuid, key));
"""
_FLOOR_INSERT = "INSERT INTO metrics VALUES (?, ?, ?, ?, ?)"
_FLOOR_UPSERT = (
    "INSERT INTO latest VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_uuid, key) DO UPDATE SET "
    "value = excluded.value, step = excluded.step, timestamp = excluded.timestamp "
    "WHERE excluded.step >= latest.step"
)


def sqlite_floor(path: Path) -> sqlite3.Connection:
    """A bare sqlite3 connection with tiffin's pragmas and a metrics + latest-value table."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "busy_timeout = 30000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.executescript(_FLOOR_SCHEMA)
    return conn


def bench_metrics(report: Report, stores: Stores) -> None:
    """Log 100 keys x 100 steps per run: one call per value, then one call per step."""
    import mlflow

    import tiffin

    stores.open("metrics")
    floor = sqlite_floor(stores.root / "metrics" / "floor.db")
    keys = [f"metric_{k}" for k in range(N_KEYS)]
    rng = random.Random(0)
    values = [[rng.random() for _ in keys] for _ in range(N_STEPS)]
    runs = {"floor": 0}

    def each(lib: Any) -> Callable[[], float]:
        def op() -> float:
            with lib.start_run(run_name="each"):
                log = lib.log_metric
                start = time.perf_counter()
                for step, row in enumerate(values):
                    for key, value in zip(keys, row, strict=True):
                        log(key, value, step=step)
                return time.perf_counter() - start

        return op

    def batch(lib: Any) -> Callable[[], float]:
        def op() -> float:
            with lib.start_run(run_name="batch"):
                log = lib.log_metrics
                start = time.perf_counter()
                for step, row in enumerate(values):
                    log(dict(zip(keys, row, strict=True)), step=step)
                return time.perf_counter() - start

        return op

    def floor_each() -> float:
        runs["floor"] += 1
        run = f"run{runs['floor']}"
        start = time.perf_counter()
        for step, row in enumerate(values):
            for key, value in zip(keys, row, strict=True):
                stamp = int(time.time() * 1000)
                floor.execute("BEGIN IMMEDIATE")
                floor.execute(_FLOOR_INSERT, (run, key, value, step, stamp))
                floor.execute(_FLOOR_UPSERT, (run, key, value, step, stamp))
                floor.execute("COMMIT")
        return time.perf_counter() - start

    def floor_batch() -> float:
        runs["floor"] += 1
        run = f"run{runs['floor']}"
        start = time.perf_counter()
        for step, row in enumerate(values):
            stamp = int(time.time() * 1000)
            rows = [(run, key, value, step, stamp) for key, value in zip(keys, row, strict=True)]
            floor.execute("BEGIN IMMEDIATE")
            floor.executemany(_FLOOR_INSERT, rows)
            floor.executemany(_FLOOR_UPSERT, rows)
            floor.execute("COMMIT")
        return time.perf_counter() - start

    print("metrics: warming up (one untimed batched run each)...")
    for warm in (batch(tiffin), batch(mlflow), floor_batch):
        warm()
    groups: list[tuple[str, int, int, list[tuple[str, Callable[[], float]]]]] = [
        (
            EACH,
            METRIC_RUNS,
            MLFLOW_METRIC_RUNS,
            [("floor sqlite3", floor_each), ("tiffin", each(tiffin)), ("mlflow", each(mlflow))],
        ),
        (
            BATCH,
            BATCH_RUNS,
            BATCH_RUNS,
            [("floor sqlite3", floor_batch), ("tiffin", batch(tiffin)), ("mlflow", batch(mlflow))],
        ),
    ]
    for group, n_runs, n_mlflow, variants in groups:
        for i in range(n_runs):
            for label, op in rotated(variants, i):
                if label == "mlflow" and i >= n_mlflow:
                    continue
                report.add(f"{group}: {label}", op())
            print(f"  {group}: round {i + 1}/{n_runs} done")
    floor.close()


# 3. search_runs over 5,000 runs ------------------------------------------------------------


def run_values(n: int) -> list[tuple[dict[str, float], dict[str, str], dict[str, str]]]:
    """The same metrics, params and tags of ``n`` runs for both sides (half have p1 = 'a')."""
    rng = random.Random(0)
    return [
        (
            {f"m{j}": rng.random() for j in range(3)},
            {"p0": str(i % 7), "p1": "a" if i % 2 == 0 else "b", "p2": f"v{i % 13}"},
            {"team": f"t{i % 3}", "kind": "bench"},
        )
        for i in range(n)
    ]


def bench_search(report: Report, stores: Stores) -> None:
    """Populate both stores with the same 5,000 runs, then time filtered, ordered searches."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    import tiffin
    from tiffin.store.entities import Metric as TiffinMetric

    tiffin_exp, mlflow_exp = stores.open("search")
    data = run_values(N_SEARCH_RUNS)
    tiffin_client = tiffin.Client()
    mlflow_client = MlflowClient()

    def populate_tiffin() -> None:
        for i, (metrics, params, tags) in enumerate(data):
            run = tiffin_client.create_run(tiffin_exp, run_name=f"r{i}")
            logged = [TiffinMetric(k, v, TIMESTAMP, 0) for k, v in metrics.items()]
            tiffin_client.log_batch(run.info.run_id, logged, params, tags)

    def populate_mlflow() -> None:
        for i, (metrics, params, tags) in enumerate(data):
            run = mlflow_client.create_run(mlflow_exp, run_name=f"r{i}")
            mlflow_client.log_batch(
                run.info.run_id,
                metrics=[Metric(k, v, TIMESTAMP, 0) for k, v in metrics.items()],
                params=[Param(k, v) for k, v in params.items()],
                tags=[RunTag(k, v) for k, v in tags.items()],
            )

    for label, populate in (("tiffin", populate_tiffin), ("mlflow", populate_mlflow)):
        print(f"search: populating {N_SEARCH_RUNS:,} runs with {label}...")
        start = time.perf_counter()
        populate()
        report.add(f"{POPULATE}: {label}", time.perf_counter() - start)

    kwargs: dict[str, Any] = {
        "filter_string": FILTER,
        "order_by": ORDER_BY,
        "max_results": N_SEARCH_RUNS,
    }
    variants: list[tuple[str, Callable[[], Any]]] = [
        (f"{SEARCH}: tiffin", lambda: tiffin.search_runs(experiment_ids=[tiffin_exp], **kwargs)),
        (f"{SEARCH}: mlflow", lambda: mlflow.search_runs(experiment_ids=[mlflow_exp], **kwargs)),
        (f"{SEARCH_CLIENT}: tiffin", lambda: tiffin_client.search_runs([tiffin_exp], **kwargs)),
        (f"{SEARCH_CLIENT}: mlflow", lambda: mlflow_client.search_runs([mlflow_exp], **kwargs)),
    ]
    print("search: warming up (one untimed call each)...")
    found = {label: op() for label, op in variants}
    expected = sorted(
        (m["m1"] for m, p, _ in data if m["m0"] > 0.5 and p["p1"] == "a"), reverse=True
    )
    for label, out in found.items():
        got = (
            list(out["metrics.m1"])
            if hasattr(out, "columns")
            else [r.data.metrics["m1"] for r in out]
        )
        if got != expected:
            raise AssertionError(f"{label}: {len(got)} runs, expected {len(expected)} in order")
    report.notes.append(
        f"search_runs: every variant returned the same {len(expected):,} of {N_SEARCH_RUNS:,} "
        f"runs in the same order ({FILTER!r}, order_by {ORDER_BY})"
    )
    for i in range(SEARCH_RUNS):
        for label, op in rotated(variants, i):
            start = time.perf_counter()
            op()
            report.add(label, time.perf_counter() - start)
        print(f"  search: round {i + 1}/{SEARCH_RUNS} done")


# main --------------------------------------------------------------------------------------


def floor_of(label: str) -> str | None:
    group = label.partition(": ")[0]
    return {
        LOG: f"{LOG}: floor skops.io.dump",
        EACH: f"{EACH}: floor sqlite3",
        BATCH: f"{BATCH}: floor sqlite3",
    }.get(group)


def main() -> int:
    """Run the three parts, each on fresh stores; report medians, ratios and targets."""
    quiet_mlflow()
    import mlflow  # noqa: F401  (its import sets its loggers back to INFO: silence them again)

    quiet_mlflow()
    report = Report("bench_tracking", "tracking and registry on SQLite, in-process (wall time)")
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-tracking-") as tmp:
        stores = Stores(Path(tmp))
        bench_log_register(report, stores)
        bench_metrics(report, stores)
        bench_search(report, stores)

    log_x = report.ratio(f"{LOG}: mlflow", f"{LOG}: tiffin")
    report.ratio("log_model: mlflow", "log_model: tiffin")
    report.ratio("register_model: mlflow", "register_model: tiffin")
    report.ratio(f"{LOG}: tiffin", f"{LOG}: tiffin save_model only")
    each_x = report.ratio(f"{EACH}: mlflow", f"{EACH}: tiffin")
    report.ratio(f"{EACH}: tiffin", f"{EACH}: floor sqlite3")
    batch_x = report.ratio(f"{BATCH}: mlflow", f"{BATCH}: tiffin")
    report.ratio(f"{BATCH}: tiffin", f"{BATCH}: floor sqlite3")
    report.ratio(f"{POPULATE}: mlflow", f"{POPULATE}: tiffin")
    search_x = report.ratio(f"{SEARCH}: mlflow", f"{SEARCH}: tiffin")
    report.ratio(f"{SEARCH_CLIENT}: mlflow", f"{SEARCH_CLIENT}: tiffin")

    def both(group: str) -> str:
        return f"{report.med(group + ': mlflow'):.3f} s vs {report.med(group + ': tiffin'):.3f} s"

    report.target(
        f"{LOG} (lr): MLflow / tiffin >= 10x",
        log_x,
        lambda v: v >= 10,
        f"{log_x:.1f}x ({both(LOG)})",
    )
    report.target(
        f"{EACH} (100 keys x 100 steps): MLflow / tiffin > 1",
        each_x,
        lambda v: v > 1,
        f"{each_x:.2f}x ({both(EACH)})",
    )
    report.target(
        f"{BATCH}: MLflow / tiffin > 1", batch_x, lambda v: v > 1, f"{batch_x:.2f}x ({both(BATCH)})"
    )
    report.target(
        f"search_runs over {N_SEARCH_RUNS:,} runs: MLflow / tiffin > 1",
        search_x,
        lambda v: v > 1,
        f"{search_x:.2f}x ({both(SEARCH)})",
    )
    report.print_table(floor=floor_of)
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
