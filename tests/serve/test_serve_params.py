"""Params over the wire, and a model whose own code raises, against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import Server

ROWS = {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.0]]}}


@pytest.fixture
def client(param_server: Server) -> Iterator[httpx.Client]:
    with param_server.client() as c:
        yield c


def assert_still_serves(client: httpx.Client) -> None:
    response = client.post("/invocations", json={**ROWS, "params": {"factor": 3.0}})
    assert response.json() == {"predictions": [3.0, 6.0]}


@pytest.mark.parametrize(
    "payload, expected",
    [
        (ROWS, [1.0, 2.0]),
        ({**ROWS, "params": {"factor": 2.0}}, [2.0, 4.0]),
        ({"dataframe_records": [{"x": 1.0}], "params": {"factor": 2.5}}, [2.5]),
        ({"inputs": {"x": [4.0]}, "params": {"factor": 0.5}}, [2.0]),
        ({"instances": [{"x": 1.0}], "params": {"factor": 10}}, [10.0]),
    ],
)
def test_params_reach_the_model_with_their_defaults(
    client: httpx.Client, payload: dict[str, Any], expected: list[float]
) -> None:
    response = client.post("/invocations", json=payload)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected}


@pytest.mark.parametrize(
    "params, named",
    [({"temperature": 1.0}, "temperature"), ({"factor": "big"}, "factor"), ([1], "params")],
)
def test_a_bad_param_is_a_400_naming_it(client: httpx.Client, params: Any, named: str) -> None:
    response = client.post("/invocations", json={**ROWS, "params": params})
    assert response.status_code == 400, response.text
    assert named in response.json()["message"]
    assert_still_serves(client)


def test_the_models_exception_is_a_500_without_its_message_or_traceback(
    param_server: Server, client: httpx.Client
) -> None:
    response = client.post("/invocations", json={**ROWS, "params": {"explode": True}})
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"error_code", "message", "error_id"}
    assert "RuntimeError" in body["message"]
    for leak in ("SECRET", "/srv/private", "Traceback", "scale_model.py"):
        assert leak not in response.text
    assert_still_serves(client)
    log = param_server.log_text()
    assert f"error_id={body['error_id']}" in log and "SECRET-INTERNAL-DETAIL" in log
