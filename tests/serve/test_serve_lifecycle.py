"""Starting and stopping ``tiffin models serve``: trust gate, registry versions, SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import start_tiffin, stop


def test_sigterm_drains_the_request_in_flight_then_exits_0(
    param_model: Path, tmp_path: Path
) -> None:
    server = start_tiffin(param_model, tmp_path / "log", "--trust")
    answers: list[httpx.Response] = []
    payload = {"inputs": {"x": [1.0]}, "params": {"delay": 1.0}}
    slow = threading.Thread(
        target=lambda: answers.append(httpx.post(f"{server.url}/invocations", json=payload))
    )
    slow.start()
    time.sleep(0.4)  # the request is inside predict now
    server.process.send_signal(signal.SIGTERM)
    slow.join(timeout=20)
    assert server.process.wait(timeout=20) == 0, server.log_text()
    assert answers and answers[0].status_code == 200
    assert answers[0].json() == {"predictions": [1.0]}


def test_while_draining_new_requests_are_refused_and_all_in_flight_complete(
    param_model: Path, tmp_path: Path
) -> None:
    """security.md S32/S33: uvicorn closes the listening socket and idle keep-alive connections
    at SIGTERM, so a new request cannot connect (our health routes would say 503 to one that
    did); the twenty requests in flight all finish, and the exit code is 0."""
    server = start_tiffin(param_model, tmp_path / "log", "--trust")
    payload = {"inputs": {"x": [2.0]}, "params": {"delay": 1.5}}
    answers: list[httpx.Response] = []

    def post() -> None:
        answers.append(httpx.post(f"{server.url}/invocations", json=payload, timeout=20))

    workers = [threading.Thread(target=post) for _ in range(20)]
    try:
        for worker in workers:
            worker.start()
        time.sleep(0.6)  # all twenty are in flight
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        try:
            late = httpx.get(f"{server.url}/ping", timeout=2).status_code
        except httpx.TransportError:
            late = None
        assert late in (None, 503)
        for worker in workers:
            worker.join(timeout=30)
        assert server.process.wait(timeout=30) == 0, server.log_text()
    finally:
        stop(server.process)
    assert [a.status_code for a in answers] == [200] * 20
    assert all(a.json() == {"predictions": [2.0]} for a in answers)


def test_a_model_that_needs_trust_is_refused_before_binding(
    param_model: Path, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "tiffin", "models", "serve", "-m", str(param_model),
               "--port", "1"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 6, done.stderr
    assert "trust" in done.stderr.lower()


def test_a_registered_model_reports_the_version_its_alias_names(
    sklearn_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frame: Any, logreg: Any
) -> None:
    import tiffin

    uri = f"sqlite:///{tmp_path / 'tiffin.db'}"
    monkeypatch.setenv("TIFFIN_TRACKING_URI", uri)
    tiffin.set_tracking_uri(uri)
    try:
        for _ in range(3):
            tiffin.register_model(str(sklearn_model), "churn")
        tiffin.Client().set_registered_model_alias("churn", "champion", 2)
    finally:
        tiffin.set_tracking_uri(None)
    server = start_tiffin("models:/churn@champion", tmp_path / "log")  # type: ignore[arg-type]
    try:
        assert httpx.get(f"{server.url}/version").text == "2"
        rows = frame.head(3).to_dict(orient="split")
        response = httpx.post(f"{server.url}/invocations", json={"dataframe_split": rows})
        assert response.json() == {"predictions": logreg.predict(frame.head(3)).tolist()}
    finally:
        assert stop(server.process) == 0
