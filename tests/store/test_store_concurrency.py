"""Concurrency and integrity under load (security.md 6.3: I4, I5, I7, I8, I11, I12)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import inspect

from tiffin.errors import ConflictError, SchemaError
from tiffin.store import RegistryStore, TrackingStore, engine_for
from tiffin.store.migrate import head_revision

WORKER = Path(__file__).with_name("race_worker.py")


def _race(args: list[list[str]], timeout: float = 120) -> list[Any]:
    """Start one process per argument list, release them together, return their JSON output."""
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), *a],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in args
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.communicate(timeout=timeout)[1]
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        finished = [(proc.communicate(timeout=timeout), proc.returncode) for proc in procs]
        for (_, err), code in finished:
            assert code == 0, err
        return [json.loads(out) for (out, _), _ in finished]
    finally:
        for proc in procs:  # pipes closed here too, or a failed run leaks them into later tests
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


def _threads(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` on ``count`` threads released together by a barrier."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            value = work(i)
        except BaseException as e:
            with lock:
                errors.append(e)
        else:
            with lock:
                results.append(value)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


def test_eight_processes_creating_400_versions_get_exactly_1_to_400(store_uri: str) -> None:
    RegistryStore(store_uri).create_registered_model("m")
    results = _race([["versions", store_uri, "m", "50"] for _ in range(8)])
    versions = [v for per_process in results for v in per_process]
    assert len(versions) == 400
    assert sorted(versions) == list(range(1, 401))
    stored = RegistryStore(store_uri).search_model_versions("m")
    assert [v.version for v in stored] == list(range(1, 401))


def test_four_processes_migrating_a_fresh_store_at_once_all_succeed(store_uri: str) -> None:
    results = _race([["migrate", store_uri] for _ in range(4)])
    assert results == [head_revision()] * 4
    tables = set(inspect(engine_for(store_uri)).get_table_names())
    assert {"alembic_version", "runs", "model_versions", "aliases"} <= tables


def test_sixteen_threads_logging_metrics_to_sqlite_never_see_database_locked(
    tmp_path: Path,
) -> None:
    store = TrackingStore(f"sqlite:///{tmp_path / 'busy.db'}")
    run_id = store.create_run("0").info.run_id

    def log(i: int) -> None:
        for step in range(25):
            store.log_metric(run_id, f"m{i % 4}", float(step), step=step)

    _, errors = _threads(16, log)
    assert errors == []
    assert sum(len(store.get_metric_history(run_id, f"m{k}")) for k in range(4)) == 400
    assert store.get_run(run_id).data.metrics == {f"m{k}": 24.0 for k in range(4)}


def test_two_clients_moving_an_alias_with_compare_and_swap_exactly_one_wins(
    registry: RegistryStore,
) -> None:
    registry.create_registered_model("m")
    for _ in range(4):
        registry.create_model_version("m", "s3://b/m")
    for round_ in range(10):
        current = 1 + round_ % 2
        registry.set_registered_model_alias("m", "prod", current)
        targets = [3, 4]

        def move(i: int, expected: int = current, targets: list[int] = targets) -> Any:
            return registry.set_registered_model_alias(
                "m", "prod", targets[i], expected_version=expected
            )

        results, errors = _threads(2, move)
        assert len(results) == 1, errors
        assert len(errors) == 1 and isinstance(errors[0], ConflictError)
        assert errors[0].error_code == "RESOURCE_CONFLICT"
        winner = results[0].version
        assert registry.get_model_version_by_alias("m", "prod").version == winner


def test_concurrent_retries_with_one_idempotency_key_make_one_version(
    registry: RegistryStore,
) -> None:
    registry.create_registered_model("m")
    results, errors = _threads(
        6, lambda i: registry.create_model_version("m", "s3://b/m", idempotency_key="job-1")
    )
    assert errors == []
    assert {v.version for v in results} == {1}
    assert [v.version for v in registry.search_model_versions("m")] == [1]


def test_concurrent_param_logging_with_different_values_keeps_exactly_one(
    tracking: TrackingStore,
) -> None:
    run_id = tracking.create_run("0").info.run_id
    workers = 4
    results, errors = _threads(workers, lambda i: tracking.log_param(run_id, "lr", str(i)))
    assert len(results) == 1 and len(errors) == workers - 1
    assert all(isinstance(e, SchemaError) for e in errors), errors
    assert tracking.get_run(run_id).data.params["lr"] in {str(i) for i in range(workers)}
