"""Adaptive batching on a real server: merged predicts, equal answers, failures stay alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from conftest import Server, start_tiffin, stop


@pytest.fixture(scope="module")
def batching_server(
    sklearn_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("log") / "batching.log"
    srv = start_tiffin(sklearn_model, log, "--max-batch-rows", "512", "--batch-wait-ms", "50")
    yield srv
    stop(srv.process)


@pytest.fixture(scope="module")
def batching_param_server(
    param_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("log") / "batching-params.log"
    srv = start_tiffin(param_model, log, "--trust", "--max-batch-rows", "512",
                       "--batch-wait-ms", "50")  # fmt: skip
    yield srv
    stop(srv.process)


def _split(frame: pd.DataFrame) -> dict[str, Any]:
    return {"dataframe_split": frame.to_dict(orient="split", index=False)}


def _batch_count(server: Server) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    match = re.search(r"^tiffin_batch_rows_count\{[^}]*\} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def _post_all(server: Server, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    with server.client() as client, ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(lambda b: client.post("/invocations", json=b), bodies))


def test_concurrent_requests_are_merged_and_answers_match_local_predict(
    batching_server: Server, frame: pd.DataFrame, logreg: Any
) -> None:
    chunks = [frame.iloc[i : i + 1 + i % 3] for i in range(0, 48, 3)]
    before = _batch_count(batching_server)
    responses = _post_all(batching_server, [_split(c) for c in chunks])
    calls = _batch_count(batching_server) - before
    for chunk, response in zip(chunks, responses, strict=True):
        assert response.status_code == 200, response.text
        assert response.json()["predictions"] == logreg.predict(chunk).tolist()
    assert 1 <= calls < len(chunks), f"{len(chunks)} requests took {calls} predict calls"


def test_a_request_with_bad_rows_fails_alone(batching_server: Server, frame: pd.DataFrame) -> None:
    good = [_split(frame.iloc[i : i + 2]) for i in range(0, 12, 2)]
    bad = frame.iloc[:2].astype(object)
    bad.loc[bad.index[0], "f1"] = "abc"
    responses = _post_all(batching_server, [*good[:3], _split(bad), *good[3:]])
    statuses = [r.status_code for r in responses]
    assert statuses == [200, 200, 200, 400, 200, 200, 200]
    assert "f1" in responses[3].json()["message"]


def test_a_model_exception_fails_only_its_batch(batching_param_server: Server) -> None:
    rows = {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.0]]}}
    bodies = [
        {**rows, "params": {"factor": 2.0}},
        {**rows, "params": {"explode": True}},
        {**rows, "params": {"factor": 2.0}},
        {**rows, "params": {"factor": 3.0}},
    ]
    responses = _post_all(batching_param_server, bodies)
    assert [r.status_code for r in responses] == [200, 500, 200, 200]
    assert responses[1].json()["error_code"] == "INTERNAL_ERROR"
    assert "SECRET" not in responses[1].text
    assert [r.json()["predictions"] for r in (responses[0], responses[3])] == [
        [2.0, 4.0],
        [3.0, 6.0],
    ]
