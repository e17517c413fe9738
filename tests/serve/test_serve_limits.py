"""Deadlines, overload, row and depth limits, bearer tokens and metrics on a real server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import Server, start_tiffin, stop

ROWS = {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.0]]}}


@pytest.fixture(scope="module")
def tight_server(param_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("log") / "tight.log"
    srv = start_tiffin(
        param_model, log, "--trust", "--timeout", "0.5", "--max-concurrency", "1",
        "--max-queue", "1", "--max-rows", "5", "--max-json-depth", "8", "--token", "s3cret",
    )  # fmt: skip
    yield srv
    stop(srv.process)


@pytest.fixture
def client(tight_server: Server) -> Iterator[httpx.Client]:
    with tight_server.client(headers={"Authorization": "Bearer s3cret"}) as c:
        yield c


def assert_still_serves(client: httpx.Client) -> None:
    response = client.post("/invocations", json={**ROWS, "params": {"factor": 3.0}})
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": [3.0, 6.0]}


def test_past_the_deadline_is_504_at_the_deadline(client: httpx.Client) -> None:
    start = time.perf_counter()
    response = client.post("/invocations", json={**ROWS, "params": {"delay": 1.5}})
    elapsed = time.perf_counter() - start
    assert response.status_code == 504
    assert response.json()["error_code"] == "DEADLINE_EXCEEDED"
    assert elapsed < 1.4
    time.sleep(1.2)  # the abandoned predict finishes and gives its slot back
    assert_still_serves(client)


def test_beyond_concurrency_and_queue_is_503_with_retry_after(client: httpx.Client) -> None:
    slow = {**ROWS, "params": {"delay": 0.3}}
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda _: client.post("/invocations", json=slow), range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert 503 in statuses and 200 in statuses and set(statuses) <= {200, 503, 504}
    refused = next(r for r in responses if r.status_code == 503)
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    time.sleep(0.5)
    assert_still_serves(client)


def test_too_many_rows_is_413(client: httpx.Client) -> None:
    rows = {"dataframe_split": {"columns": ["x"], "data": [[1.0]] * 6}}
    response = client.post("/invocations", json=rows)
    assert response.status_code == 413
    assert response.json()["message"].startswith("the request has 6 rows")
    assert_still_serves(client)


def test_too_deep_json_is_400(client: httpx.Client) -> None:
    body = b'{"inputs": ' + b"[" * 20 + b"1.0" + b"]" * 20 + b"}"
    response = client.post("/invocations", content=body,
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 400
    assert "nested deeper than 8" in response.json()["message"]
    assert_still_serves(client)


@pytest.mark.parametrize(
    "headers, message",
    [
        ({}, "requires 'Authorization: Bearer"),
        ({"Authorization": "Bearer wrong"}, "not valid"),
        ({"Authorization": "Basic czNjcmV0"}, "not valid"),
    ],
)
def test_token_is_required_except_on_health(
    tight_server: Server, headers: dict[str, str], message: str
) -> None:
    with tight_server.client(headers=headers) as anonymous:
        for path in ("/ping", "/health"):
            assert anonymous.get(path).status_code == 200
        for method, path in (("POST", "/invocations"), ("GET", "/metrics"),
                             ("GET", "/version")):  # fmt: skip
            response = anonymous.request(method, path, json=ROWS)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"] == "Bearer"
            assert message in response.json()["message"]
        v2 = anonymous.post("/v2/models/model/infer", json={"inputs": []})
        assert v2.status_code == 401 and message in v2.json()["error"]  # what V2 clients read


def test_metrics_count_requests_errors_and_load_time(client: httpx.Client) -> None:
    client.post("/invocations", json={**ROWS, "params": {"nope": 1}})
    assert_still_serves(client)
    text = client.get("/metrics").text
    assert 'tiffin_requests_total{model="model",protocol="mlflow",status="200"}' in text
    assert 'tiffin_errors_total{error_code="BAD_REQUEST",model="model"}' in text
    assert 'tiffin_model_load_seconds{model="model",version=""}' in text  # a path: none
    assert "tiffin_request_duration_seconds_bucket" in text


def test_unknown_model_names_never_become_metric_labels(client: httpx.Client) -> None:
    assert client.post("/models/made-up-name/invocations", json=ROWS).status_code == 404
    assert "made-up-name" not in client.get("/metrics").text
