"""The serving benchmark (issue 4): MLflow's scoring server, tiffin's, and two floors.

Same run, same model: ``lr`` from ``_common`` (LogisticRegression on 2,000 x 20 float64 columns
``f0..f19``), saved by tiffin (``tiffin.sklearn.save_model``, skops) and by MLflow
(``mlflow.sklearn.save_model``, its default serialization), and pickled for the floors.

Servers, each its own process with ONE worker, bound to 127.0.0.1 on a free port:

- ``mlflow``: ``mlflow models serve -m DIR --env-manager local -p PORT -w 1`` (a CLI process
  that starts one uvicorn worker process);
- ``tiffin``: ``tiffin models serve -m DIR -p PORT`` (its defaults, access log included);
- ``tiffin+batching``: the same with ``--max-batch-rows 256 --batch-wait-ms 2``, when the CLI
  has those flags (``tiffin models serve --help`` is checked; otherwise the row reads n/a);
- ``pandas floor`` and ``numpy floor`` (``serve_floor.py``): a minimal Starlette + orjson
  endpoint that parses ``dataframe_split`` and calls ``model.predict`` on
  ``pd.DataFrame(data, columns=columns)`` or on ``np.asarray(data, dtype=np.float64)``, inline
  on the event loop, no access log. They are the least work a Python endpoint does for the
  same request; tiffin adds signature enforcement, error mapping and logging on top.

Every server gets the same request bytes: ``application/json`` ``{"dataframe_split":
{"columns": [...], "data": [...]}}`` with 1 or 100 rows. The load comes from this process
(``serve_load.py``): asyncio over raw sockets, N keep-alive connections for concurrency N, each
sending the precomputed request back to back. The machine has 2 cores shared by client and
server, so the client must be cheap: a general HTTP client (httpx) spends more CPU per request
than the numpy floor's server does. The client's CPU per request and the server's CPU use are
printed, so one can see which side is the bottleneck (a single-worker server cannot use more
than about one core: the GIL).

Each cell (server x rows x concurrency 1, 8, 64) is a warm-up (1 s) and a measuring window
(``--seconds``, 5 s). Within each (rows, concurrency) the servers run one after another in an
order that rotates from cell to cell, all started up front, so that a tiffin cell and its floor
ran moments apart under the same background load; ``--rounds N`` runs every cell N times (the
order still rotating) and pools the N windows. The first good answer of every cell is checked
against the in-process ``predict``. Startup is the time from ``Popen`` to the first 200 on
``/ping`` (the median of ``--startup-runs`` starts, after one untimed start that fills the
bytecode cache); idle memory is the RSS summed over the server's process tree after startup and
one request.

How to read the table: ``req/s`` counts requests completed with 200 in the window; ``p50`` and
``p99`` are their latencies in ms, measured by the client (queueing included: at concurrency 64
a latency is roughly 64 / req/s); ``fail`` counts non-200 answers and connection errors during
the whole cell. The second table gives CPU time per request of the client and of the server
(its whole process tree) and the server's CPU use in % of one core: a server near 100% is the
bottleneck, and the client's share shows how much of the second core the load itself takes.
Compare servers within one run; the absolute figures move with the machine's load (printed).

Usage:
    .venv/bin/python bench/serve.py                 # about 5 minutes
    .venv/bin/python bench/serve.py --quick         # smoke test, about a minute
    .venv/bin/python bench/serve.py --rounds 2      # steadier on a busy machine, ~8 minutes
    .venv/bin/python bench/serve.py --servers tiffin,"pandas floor" --seconds 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    BENCH_DIR,
    PYTHON,
    RESULTS_DIR,
    Report,
    child_env,
    fit_model,
    make_frame,
    quiet_mlflow,
)
from _common import median as _median
from serve_load import CellResult, get_status, post_request, read_response, run_cell

HOST = "127.0.0.1"
BIN = Path(PYTHON).parent
MLFLOW, TIFFIN, BATCHING = "mlflow", "tiffin", "tiffin+batching"
PANDAS_FLOOR, NUMPY_FLOOR = "pandas floor", "numpy floor"
SERVERS = (MLFLOW, TIFFIN, BATCHING, PANDAS_FLOOR, NUMPY_FLOOR)
BATCH_FLAGS = ("--max-batch-rows", "256", "--batch-wait-ms", "2")
ROWS = (1, 100)
CONCURRENCY = (1, 8, 64)
READY_TIMEOUT_S = 120.0
MB = 1024 * 1024


class ServerError(RuntimeError):
    """A server did not start, or answered its first request wrongly."""


@dataclass
class Server:
    """One server of the benchmark: how to start it and what was measured about it."""

    name: str
    argv: list[str]  # with "{port}" where the port goes
    available: bool = True
    why_not: str = ""
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    log: Path | None = None
    startup_s: list[float] = field(default_factory=list)
    idle: dict[str, float] = field(default_factory=dict)
    loaded: dict[str, float] = field(default_factory=dict)

    def command(self, port: int) -> list[str]:
        return [a.replace("{port}", str(port)) for a in self.argv]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def log_tail(path: Path | None, chars: int = 3000) -> str:
    if path is None or not path.exists():
        return ""
    return path.read_text(errors="replace")[-chars:]


def server_env() -> dict[str, str]:
    """``child_env()`` with the venv's bin first on PATH, as an activated venv has it
    (``mlflow models serve`` starts its worker as a bare ``uvicorn`` command)."""
    env = child_env()
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    return env


def start(server: Server, cwd: Path) -> float:
    """Start ``server`` on a fresh port; return seconds from Popen to the first 200 on /ping."""
    assert server.log is not None
    server.port = free_port()
    with server.log.open("ab") as log:
        log.write(f"\n### {' '.join(server.command(server.port))}\n".encode())
        log.flush()
        t0 = time.perf_counter()
        try:
            server.proc = subprocess.Popen(
                server.command(server.port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=server_env(),
                cwd=cwd,
            )
        except OSError as e:
            raise ServerError(f"{server.name} could not be started: {e}") from e
    while True:
        if get_status(HOST, server.port, "/ping") == 200:
            return time.perf_counter() - t0
        if server.proc.poll() is not None:
            raise ServerError(
                f"{server.name} exited with {server.proc.returncode} before it was ready:\n"
                + log_tail(server.log)
            )
        if time.perf_counter() - t0 > READY_TIMEOUT_S:
            stop(server)
            raise ServerError(f"{server.name} not ready after {READY_TIMEOUT_S:.0f} s")
        time.sleep(0.01)


def stop(server: Server) -> None:
    """SIGTERM the server and, by pid, every child it started; kill what is left after 15 s."""
    import psutil

    proc = server.proc
    if proc is None:
        return
    server.proc = None
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    alive = [c for c in children if c.is_running()]
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _gone, alive = psutil.wait_procs(alive, timeout=5)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()


def tree_memory(pid: int) -> dict[str, float]:
    """RSS and USS (MB) summed over the process and all its children, and how many there are."""
    import psutil

    root = psutil.Process(pid)
    rss = uss = 0.0
    procs = [root, *root.children(recursive=True)]
    for p in procs:
        info = p.memory_full_info()
        rss += info.rss / MB
        uss += info.uss / MB
    return {"rss_mb": rss, "uss_mb": uss, "processes": len(procs)}


async def _request_once(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(request)
        status, body, _ = await read_response(reader)
        return status, body
    finally:
        writer.close()


def check_predictions(body: bytes | None, expected: list[Any]) -> str | None:
    """None when ``body`` holds ``{"predictions": expected}``; else what is wrong."""
    import orjson

    if body is None:
        return "no successful answer"
    try:
        got = orjson.loads(body).get("predictions")
    except (orjson.JSONDecodeError, AttributeError):
        return f"not a JSON object: {body[:100]!r}"
    if got != expected:
        return f"predictions differ from in-process predict: {body[:100]!r}"
    return None


@dataclass
class Workload:
    """The request bodies and the expected predictions, by rows per request."""

    bodies: dict[int, bytes]
    expected: dict[int, list[Any]]

    def request(self, port: int, rows: int) -> bytes:
        return post_request(HOST, port, "/invocations", self.bodies[rows])


def prepare(root: Path) -> tuple[dict[str, Path], Workload]:
    """Fit lr, save it for tiffin, MLflow and the floors; build the requests."""
    import mlflow.models
    import mlflow.sklearn
    import orjson

    import tiffin
    import tiffin.sklearn

    quiet_mlflow()
    est, frame = fit_model("lr")
    example = frame.head(3)
    y = est.predict(frame)
    paths = {"tiffin": root / "tiffin-model", "mlflow": root / "mlflow-model"}
    tiffin.sklearn.save_model(
        est, paths["tiffin"], signature=tiffin.infer_signature(frame, y), input_example=example
    )
    # pip_requirements only skips MLflow's slow requirement inference; serving with
    # --env-manager local never reads them.
    mlflow.sklearn.save_model(
        est,
        str(paths["mlflow"]),
        signature=mlflow.models.infer_signature(frame, y),
        input_example=example,
        pip_requirements=["scikit-learn"],
    )
    paths["pickle"] = root / "model.pkl"
    paths["pickle"].write_bytes(pickle.dumps(est))
    bodies, expected = {}, {}
    for rows in ROWS:
        df = make_frame(rows, seed=rows)
        split = {"columns": list(df.columns), "data": df.to_numpy().tolist()}
        bodies[rows] = orjson.dumps({"dataframe_split": split})
        expected[rows] = est.predict(df).tolist()
    return paths, Workload(bodies, expected)


def batching_flags_missing() -> str:
    """Empty when ``tiffin models serve`` takes the batching flags; else why not."""
    help_text = subprocess.run(
        [str(BIN / "tiffin"), "models", "serve", "--help"],
        capture_output=True,
        text=True,
        env=child_env(),
    ).stdout
    missing = [f for f in BATCH_FLAGS[::2] if f not in help_text]
    return f"flags not available: {', '.join(missing)}" if missing else ""


def make_servers(paths: dict[str, Path], names: Sequence[str]) -> list[Server]:
    tiffin = [str(BIN / "tiffin"), "models", "serve", "-m", str(paths["tiffin"]), "-p", "{port}"]
    floor = [PYTHON, str(BENCH_DIR / "serve_floor.py"), "--model", str(paths["pickle"])]
    argv = {
        MLFLOW: [str(BIN / "mlflow"), "models", "serve", "-m", str(paths["mlflow"]),
                 "--env-manager", "local", "-h", HOST, "-p", "{port}", "-w", "1"],
        TIFFIN: tiffin,
        BATCHING: [*tiffin, *BATCH_FLAGS],
        PANDAS_FLOOR: [*floor, "--kind", "pandas", "--port", "{port}"],
        NUMPY_FLOOR: [*floor, "--kind", "numpy", "--port", "{port}"],
    }  # fmt: skip
    servers = [Server(name, argv[name]) for name in SERVERS if name in names]
    for server in servers:
        if server.name == BATCHING and (why := batching_flags_missing()):
            server.available, server.why_not = False, why
    return servers


def bring_up(server: Server, workload: Workload, cwd: Path, runs: int, warm: bool) -> None:
    """Start ``server`` (1 untimed + ``runs`` timed starts), keep the last one running, check
    its first answers and record its idle memory."""
    server.log = cwd / f"{server.name.replace(' ', '-').replace('+', '-')}.log"
    for i in range(runs + (1 if warm else 0)):
        seconds = start(server, cwd)
        if i or not warm:
            server.startup_s.append(seconds)
        if i < runs - (0 if warm else 1):
            stop(server)
    assert server.proc is not None
    for rows in ROWS:
        status, body = asyncio.run(_request_once(server.port, workload.request(server.port, rows)))
        problem = (
            f"HTTP {status}" if status != 200 else check_predictions(body, workload.expected[rows])
        )
        if problem:
            raise ServerError(f"{server.name}, {rows} rows: {problem}\n{log_tail(server.log)}")
    time.sleep(0.5)
    server.idle = tree_memory(server.proc.pid)
    startup = ", ".join(f"{s:.2f}" for s in server.startup_s)
    print(
        f"  {server.name}: ready in {startup} s; idle RSS {server.idle['rss_mb']:.0f} MB "
        f"in {server.idle['processes']:.0f} process(es)",
        flush=True,
    )


def measure(
    server: Server, workload: Workload, rows: int, c: int, args: argparse.Namespace
) -> CellResult:
    """One cell: warm-up, window, check of the first good answer; prints one line."""
    assert server.proc is not None
    r = run_cell(
        HOST,
        server.port,
        workload.request(server.port, rows),
        concurrency=c,
        warmup=args.warmup,
        seconds=args.seconds,
        server_pids=[server.proc.pid],
    )
    problem = check_predictions(r.first_ok_body, workload.expected[rows])
    if problem:
        r.note_failure(f"first answer: {problem}")
    errors = f"  errors: {r.errors}" if r.errors else ""
    print(
        f"  {server.name:<16} {rows:>3} row(s) c={c:<3} "
        f"{r.rps:8.0f} req/s  p50 {fmt(r.p50_ms, 2, ''):>7} ms  "
        f"p99 {fmt(r.p99_ms, 1, ''):>7} ms  fail {r.failures}{errors}",
        flush=True,
    )
    return r


def fmt(value: float, digits: int = 1, sep: str = ",") -> str:
    """``value`` with ``digits`` decimals (and thousands separators), ``-`` for NaN."""
    return "-" if math.isnan(value) else f"{value:{sep}.{digits}f}"


def print_tables(
    servers: Sequence[Server],
    results: dict[tuple[str, int, int], CellResult],
    rows_list: Sequence[int],
    conc_list: Sequence[int],
) -> None:
    print("\n== serving, lr, application/json dataframe_split (one worker each) ==")
    head = f"{'server':<16} {'rows':>4} |"
    sub = f"{'':<16} {'':>4} |"
    for c in conc_list:
        head += f" {'c=' + str(c):<30}|"
        sub += f" {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'fail':>4} |"
    print(head)
    print(sub)
    for server in servers:
        for rows in rows_list:
            line = f"{server.name:<16} {rows:>4} |"
            if not server.available:
                print(f"{line} n/a ({server.why_not})")
                continue
            for c in conc_list:
                r = results.get((server.name, rows, c))
                if r is None:
                    line += f" {'-':>8} {'-':>7} {'-':>7} {'-':>4} |"
                    continue
                p50, p99 = fmt(r.p50_ms, 2, ""), fmt(r.p99_ms, 1, "")
                line += f" {fmt(r.rps, 0):>8} {p50:>7} {p99:>7} {r.failures:>4} |"
            print(line)

    print(
        "\n-- CPU time per request (us), client / server, and the server's CPU use in % of one"
        " core, over the window --"
    )
    print(f"{'server':<16} {'rows':>4} |" + "".join(f" {'c=' + str(c):>22} |" for c in conc_list))
    for server in servers:
        if not server.available:
            continue
        for rows in rows_list:
            line = f"{server.name:<16} {rows:>4} |"
            for c in conc_list:
                r = results.get((server.name, rows, c))
                if r is None:
                    line += f" {'-':>22} |"
                    continue
                srv = math.nan if r.server_us_per_request is None else r.server_us_per_request
                pct = math.nan if r.server_cpu_pct is None else r.server_cpu_pct
                cell = f"{fmt(r.client_us_per_request, 0)} / {fmt(srv, 0)} {fmt(pct, 0):>4}%"
                line += f" {cell:>22} |"
            print(line)

    print("\n-- startup to ready (Popen -> first 200 on /ping) and memory --")
    print(
        f"{'server':<16} {'startup median':>14} {'runs (s)':<22} {'idle RSS':>9} "
        f"{'idle USS':>9} {'procs':>5} {'RSS after load':>14}"
    )
    for server in servers:
        if not server.available:
            print(f"{server.name:<16} n/a ({server.why_not})")
            continue
        runs = ", ".join(f"{s:.2f}" for s in server.startup_s)
        after = server.loaded.get("rss_mb", math.nan)
        print(
            f"{server.name:<16} {_median(server.startup_s):>12.2f} s {runs:<22} "
            f"{server.idle['rss_mb']:>6.0f} MB {server.idle['uss_mb']:>6.0f} MB "
            f"{server.idle['processes']:>5.0f} {fmt(after, 0):>11} MB"
        )


def add_targets(
    report: Report, servers: dict[str, Server], results: dict[tuple[str, int, int], CellResult]
) -> None:
    """The issue's targets, for every one whose cells were measured."""
    tif64, pan64 = results.get((TIFFIN, 1, 64)), results.get((PANDAS_FLOOR, 1, 64))
    if tif64 and pan64:
        ratio = tif64.rps / pan64.rps
        report.derived["c=64, 1 row: tiffin / pandas floor req/s"] = ratio
        report.target(
            "c=64, 1 row: tiffin req/s >= pandas floor req/s, no failed request",
            ratio,
            lambda v: v >= 1.0 and tif64.failures == 0,
            f"{tif64.rps:.0f} vs {pan64.rps:.0f} req/s = {ratio:.2f}x, {tif64.failures} failed",
        )
    tif1, pan1 = results.get((TIFFIN, 1, 1)), results.get((PANDAS_FLOOR, 1, 1))
    if tif1 and pan1:
        ratio = tif1.p50_ms / pan1.p50_ms
        report.derived["c=1, 1 row: tiffin / pandas floor p50"] = ratio
        report.target(
            "c=1, 1 row: tiffin p50 <= 1.2x pandas floor p50",
            ratio,
            lambda v: v <= 1.2,
            f"{tif1.p50_ms:.2f} vs {pan1.p50_ms:.2f} ms = {ratio:.2f}x",
        )
    num64 = results.get((NUMPY_FLOOR, 1, 64))
    batching = servers.get(BATCHING)
    if batching is not None and num64:
        bat64 = results.get((BATCHING, 1, 64))
        if bat64 is None:
            report.target(
                "c=64, 1 row, batching on: tiffin req/s >= 0.5x numpy floor req/s",
                math.nan,
                lambda v: False,
                f"n/a ({batching.why_not or 'not measured'})",
            )
        else:
            ratio = bat64.rps / num64.rps
            report.derived["c=64, 1 row: tiffin+batching / numpy floor req/s"] = ratio
            report.target(
                "c=64, 1 row, batching on: tiffin req/s >= 0.5x numpy floor req/s",
                ratio,
                lambda v: v >= 0.5 and bat64.failures == 0,
                f"{bat64.rps:.0f} vs {num64.rps:.0f} req/s = {ratio:.2f}x, {bat64.failures} failed",
            )
    tiffin = servers.get(TIFFIN)
    if tiffin is not None and tiffin.startup_s:
        ready = _median(tiffin.startup_s)
        report.target("tiffin startup to ready < 2 s", ready, lambda v: v < 2.0, f"{ready:.2f} s")
        rss = tiffin.idle["rss_mb"]
        report.target("tiffin idle RSS < 250 MB", rss, lambda v: v < 250, f"{rss:.0f} MB")
    mlflow = servers.get(MLFLOW)
    if mlflow is not None and tiffin is not None and mlflow.startup_s and tiffin.startup_s:
        report.derived["startup: mlflow / tiffin"] = _median(mlflow.startup_s) / _median(
            tiffin.startup_s
        )
        report.derived["idle RSS: mlflow / tiffin"] = mlflow.idle["rss_mb"] / tiffin.idle["rss_mb"]
    for rows in ROWS:
        for c in CONCURRENCY:
            t, m = results.get((TIFFIN, rows, c)), results.get((MLFLOW, rows, c))
            if t and m and m.rps:
                report.derived[f"{rows} row(s), c={c}: tiffin / mlflow req/s"] = t.rps / m.rps
    # Server CPU per request moves less with other jobs' load than req/s does.
    for name in (TIFFIN, BATCHING):
        t, p = results.get((name, 1, 64)), results.get((PANDAS_FLOOR, 1, 64))
        if t and p and t.server_us_per_request and p.server_us_per_request:
            report.derived[f"c=64, 1 row: {name} / pandas floor server CPU per request"] = (
                t.server_us_per_request / p.server_us_per_request
            )


def _no_nan(value: Any) -> Any:
    """``value`` with every NaN replaced by None, so the JSON stays strict."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring window per cell")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up per cell (s)")
    parser.add_argument("--startup-runs", type=int, default=3, help="timed starts per server")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every cell this many times (rotating the order) and pool the results",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 1.5 s windows, 1-row requests at c=1 and c=64, one timed start",
    )
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated subset of: {', '.join(SERVERS)}",
    )
    args = parser.parse_args(argv)
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = sorted(set(args.servers) - set(SERVERS))
    if unknown:
        parser.error(f"unknown server(s) {unknown}; expected some of {list(SERVERS)}")
    if args.quick:
        args.seconds, args.warmup, args.startup_runs = min(args.seconds, 1.5), 0.5, 1
    return args


def main(argv: list[str]) -> int:
    """Start every server, run every cell, print the tables and targets, write the JSON."""
    args = parse_args(argv)
    rows_list = (1,) if args.quick else ROWS
    conc_list = (1, 64) if args.quick else CONCURRENCY
    report = Report("serve", "serving lr over HTTP, one worker each")
    print(f"load average at start: {', '.join(f'{v:.2f}' for v in os.getloadavg())} (2 cores)")
    results: dict[tuple[str, int, int], CellResult] = {}
    with tempfile.TemporaryDirectory(prefix="tiffin-bench-serve-") as tmp:
        root = Path(tmp)
        paths, workload = prepare(root)
        servers = make_servers(paths, args.servers)
        running = [s for s in servers if s.available]
        try:
            print("starting servers", flush=True)
            for server in running:
                bring_up(server, workload, root, args.startup_runs, warm=not args.quick)
                for seconds in server.startup_s:
                    report.add(f"startup: {server.name}", seconds)
            cell = 0
            for round_ in range(args.rounds if running else 0):
                for rows in rows_list:
                    for c in conc_list:
                        shift = cell % len(running)
                        for server in running[shift:] + running[:shift]:
                            r = measure(server, workload, rows, c, args)
                            if round_ and (server.name, rows, c) in results:
                                results[(server.name, rows, c)].merge(r)
                            else:
                                results[(server.name, rows, c)] = r
                            time.sleep(0.3)
                        cell += 1
            for server in running:
                if server.proc is not None and server.proc.poll() is None:
                    server.loaded = tree_memory(server.proc.pid)
        except ServerError as e:
            print(f"ERROR: {e}", file=sys.stderr)
            return 2
        finally:
            for server in running:
                stop(server)

    print_tables(servers, results, rows_list, conc_list)
    add_targets(report, {s.name: s for s in servers}, results)
    for key, value in report.derived.items():
        print(f"  {key} = {value:.2f}")
    print(f"  load average now: {', '.join(f'{v:.2f}' for v in os.getloadavg())} (2 cores)")
    report.notes.append(
        "client: asyncio over raw sockets in the benchmark process; servers: one worker each"
    )
    report.finish()
    out = RESULTS_DIR / "serve.json"
    payload = json.loads(out.read_text())
    payload["settings"] = {
        "seconds": args.seconds,
        "warmup": args.warmup,
        "startup_runs": args.startup_runs,
        "quick": args.quick,
        "rounds": args.rounds,
    }
    payload["servers"] = {
        s.name: {
            "argv": s.argv,
            "available": s.available,
            "why_not": s.why_not,
            "startup_s": s.startup_s,
            "idle": s.idle,
            "after_load": s.loaded,
        }
        for s in servers
    }
    payload["cells"] = [
        {"server": name, "rows": rows, **r.as_dict()} for (name, rows, _c), r in results.items()
    ]
    out.write_text(json.dumps(_no_nan(payload), indent=2, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
