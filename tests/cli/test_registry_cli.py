"""The registry and runs CLI against a real SQLite store: tables, --json, exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import tiffin
import tiffin.sklearn


@pytest.fixture
def store(tmp_path: Path, logreg: Any, frame: pd.DataFrame) -> dict[str, str]:
    tiffin.set_tracking_uri(tmp_path / "t.db")
    try:
        with tiffin.start_run(run_name="cli-run") as run:
            tiffin.log_metric("acc", 0.95)
            info = tiffin.sklearn.log_model(
                logreg, name="model", pip_requirements=["x"], input_example=frame.head(2)
            )
    finally:
        tiffin.set_tracking_uri(None)
    return {
        "uri": f"sqlite:///{tmp_path / 't.db'}",
        "run": run.info.run_id,
        "model": info.model_uri,
    }


def _run(
    store: dict[str, str], *args: str, columns: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIFFIN_TRACKING_URI": store["uri"]}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-m", "tiffin", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_register_alias_and_list(store: dict[str, str]) -> None:
    assert _run(store, "db", "upgrade").returncode == 0
    reg = _run(store, "models", "register", "-m", store["model"], "-n", "churn", "--json")
    assert reg.returncode == 0, reg.stderr
    assert json.loads(reg.stdout)[0]["version"] == 1
    assert _run(store, "models", "alias", "set", "churn", "champion", "1").returncode == 0
    stale = _run(
        store, "models", "alias", "set", "churn", "champion", "1", "--expected-version", "7"
    )
    assert stale.returncode == 7 and "error:" in stale.stderr
    listed = json.loads(_run(store, "models", "list", "--json").stdout)
    assert listed[0]["name"] == "churn" and listed[0]["aliases"] == {"champion": 1}
    versions = json.loads(_run(store, "models", "versions", "churn", "--json").stdout)
    assert versions[0]["aliases"] == ["champion"]  # a list of names, as MLflow's ModelVersion
    assert versions[0]["source"].endswith("/model")
    assert re.fullmatch(r"[0-9a-f]{64}", versions[0]["digest"])  # whole, not cut to 16
    assert json.loads(reg.stdout)[0]["digest"] == versions[0]["digest"]
    table = _run(store, "models", "versions", "churn", columns=80).stdout
    assert store["run"] in table  # the run ID whole, on one line, at 80 columns
    assert "churn" in _run(store, "models", "list").stdout  # the rich table
    assert _run(store, "models", "alias", "delete", "churn", "champion").returncode == 0
    missing = _run(store, "models", "versions", "nope")
    assert missing.returncode == 3 and "nope" in missing.stderr


def test_runs_list_and_show(store: dict[str, str]) -> None:
    listed = json.loads(
        _run(store, "runs", "list", "--filter", "metrics.acc > 0.9", "--json").stdout
    )
    assert [r["run_id"] for r in listed] == [store["run"]]
    shown = json.loads(_run(store, "runs", "show", store["run"], "--json").stdout)
    assert shown[0]["metrics.acc"] == 0.95
    assert _run(store, "runs", "show", "0" * 32).returncode == 3


def test_runs_list_covers_every_experiment_by_default(store: dict[str, str]) -> None:
    """A run in a named experiment (set_experiment) once left the default listing empty."""
    tiffin.set_tracking_uri(Path(store["uri"].removeprefix("sqlite:///")))
    try:
        tiffin.set_experiment("churn")
        with tiffin.start_run(run_name="in-churn") as other:
            tiffin.log_metric("acc", 0.5)
    finally:
        tiffin.set_tracking_uri(None)
    listed = json.loads(_run(store, "runs", "list", "--json").stdout)
    assert {r["run_id"] for r in listed} == {store["run"], other.info.run_id}
    table = _run(store, "runs", "list", columns=80).stdout
    assert "all 2 experiment(s)" in table
    only = json.loads(_run(store, "runs", "list", "--experiment-id", "0", "--json").stdout)
    assert [r["run_id"] for r in only] == [store["run"]]
    assert "experiment(s) 0" in _run(store, "runs", "list", "--experiment-id", "0").stdout


def test_runs_list_shows_iso_times_and_whole_run_ids_at_80_columns(
    store: dict[str, str],
) -> None:
    listed = json.loads(_run(store, "runs", "list", "--json").stdout)
    start = listed[0]["start_time"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", start), start
    moment = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - moment).total_seconds()) < 600
    table = _run(store, "runs", "list", columns=80).stdout
    assert store["run"] in table, table  # whole, on one line, copyable
    assert max(len(line) for line in table.splitlines()) <= 80
    shown = json.loads(_run(store, "runs", "show", store["run"], "--json").stdout)
    assert shown[0]["start_time"] == start
