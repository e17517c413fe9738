"""Alias hot-swap under load: the alias moves twice, the client never sees an error."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import tiffin
import tiffin.sklearn
from conftest import start_tiffin, stop


def _register(root: Path, name: str, model: Any, frame: pd.DataFrame) -> int:
    path = root / name
    tiffin.sklearn.save_model(model, path, input_example=frame.head(2))
    return int(tiffin.register_model(str(path), "churn").version)


def test_alias_moves_are_followed_without_a_failed_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame, target: Any
) -> None:
    db = tmp_path / "registry.db"
    monkeypatch.setenv("TIFFIN_TRACKING_URI", str(db))
    tiffin.set_tracking_uri(db)
    flipped = LogisticRegression().fit(frame, 1 - target)
    models = {1: LogisticRegression().fit(frame, target), 2: flipped, 3: flipped}
    for version, model in models.items():
        assert _register(tmp_path, f"v{version}", model, frame) == version
    client_api = tiffin.Client(str(db))
    client_api.set_registered_model_alias("churn", "champion", 1)

    server = start_tiffin(
        "models:/churn@champion", tmp_path / "follow.log", "--follow-seconds", "0.3",
        "--log-level", "info",
    )  # type: ignore[arg-type]  # fmt: skip
    sample = frame.head(5)
    body = {"dataframe_split": sample.to_dict(orient="split", index=False)}
    expected = {v: m.predict(sample).tolist() for v, m in models.items()}
    seen: list[tuple[int, str, Any]] = []
    stop_flag = threading.Event()

    def keep_asking() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            while not stop_flag.is_set():
                r = c.post("/invocations", json=body)
                v = c.get("/version").text
                seen.append((r.status_code, v, r.json().get("predictions")))

    worker = threading.Thread(target=keep_asking)
    worker.start()
    try:
        assert httpx.get(f"{server.url}/version").text == "1"
        assert httpx.get(f"{server.url}/v2/models/churn").json()["versions"] == ["1"]
        for version in (2, 3):
            client_api.set_registered_model_alias("churn", "champion", version)
            deadline = time.monotonic() + 10
            while httpx.get(f"{server.url}/version").text != str(version):
                assert time.monotonic() < deadline, f"version {version} not served within 10 s"
                time.sleep(0.05)
        deadline = time.monotonic() + 10  # and the asking client has been answered by it too
        while not any(v == "3" for _, v, _ in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop_flag.set()
        worker.join()
        stop(server.process)
    assert seen and all(status == 200 for status, _, _ in seen)
    assert all(pred in expected.values() for _, _, pred in seen)
    assert {v for _, v, _ in seen} >= {"1", "3"}
    assert "now serving version 3" in server.log_text()
    assert "loaded models:/churn@champion as 'churn' (version 1) in" in server.log_text()
    assert "alembic" not in server.log_text()  # the registry's migrations say nothing at INFO


def test_a_version_that_fails_to_load_is_not_swapped_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame, logreg: Any
) -> None:
    db = tmp_path / "registry.db"
    monkeypatch.setenv("TIFFIN_TRACKING_URI", str(db))
    tiffin.set_tracking_uri(db)
    assert _register(tmp_path, "good", logreg, frame) == 1
    assert _register(tmp_path, "tampered", logreg, frame) == 2
    (tmp_path / "tampered" / "MLmodel").write_text(
        (tmp_path / "tampered" / "MLmodel").read_text() + "\n# changed after registering\n"
    )
    api = tiffin.Client(str(db))
    api.set_registered_model_alias("churn", "champion", 1)
    server = start_tiffin(
        "models:/churn@champion", tmp_path / "follow.log", "--follow-seconds", "0.2"
    )  # type: ignore[arg-type]
    try:
        api.set_registered_model_alias("churn", "champion", 2)
        deadline = time.monotonic() + 10
        while "not switching versions" not in server.log_text():
            assert time.monotonic() < deadline, server.log_text()
            time.sleep(0.1)
        assert httpx.get(f"{server.url}/version").text == "1"
        assert httpx.get(f"{server.url}/v2/models/churn").json()["versions"] == ["1"]
        body = {"dataframe_split": frame.head(3).to_dict(orient="split", index=False)}
        response = httpx.post(f"{server.url}/invocations", json=body)
        assert response.json()["predictions"] == logreg.predict(frame.head(3)).tolist()
    finally:
        stop(server.process)
