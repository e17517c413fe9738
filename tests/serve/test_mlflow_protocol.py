"""MLflow's scoring protocol against a real ``tiffin models serve`` on a loopback port.

Every refused request is followed by a known-good one that must still return the right
prediction: a bad request may fail, but never the server.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np
import pandas as pd
import pytest

import tiffin
from conftest import Server

JSON = {"Content-Type": "application/json"}


def split(frame: pd.DataFrame) -> dict[str, Any]:
    return {"dataframe_split": frame.to_dict(orient="split")}


def assert_still_serves(client: httpx.Client, frame: pd.DataFrame, logreg: Any) -> None:
    rows = frame.head(4)
    response = client.post("/invocations", json=split(rows))
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": logreg.predict(rows).tolist()}


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def test_ping_and_health_answer_200_with_a_newline(client: httpx.Client) -> None:
    for path in ("/ping", "/health"):
        response = client.get(path)
        assert (response.status_code, response.text) == (200, "\n")


def test_version_of_a_model_served_from_a_path_is_tiffins(client: httpx.Client) -> None:
    response = client.get("/version")
    assert (response.status_code, response.text) == (200, tiffin.__version__)


def _json_forms(rows: pd.DataFrame) -> dict[str, Any]:
    records = rows.to_dict(orient="records")
    return {
        "dataframe_split": split(rows),
        "dataframe_records": {"dataframe_records": records},
        "instances": {"instances": records},
        "inputs": {"inputs": {c: rows[c].tolist() for c in rows.columns}},
    }


@pytest.mark.parametrize("form", ["dataframe_split", "dataframe_records", "instances", "inputs"])
def test_every_json_form_predicts_like_the_model_in_process(
    client: httpx.Client, frame: pd.DataFrame, logreg: Any, form: str
) -> None:
    rows = frame.head(7)
    response = client.post("/invocations", json=_json_forms(rows)[form])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"predictions": logreg.predict(rows).tolist()}


@pytest.mark.parametrize(
    "content_type", ["text/csv", "text/csv; charset=utf-8", "application/x-parquet",
                     "application/vnd.apache.parquet"],
)  # fmt: skip
def test_csv_and_parquet_bodies_predict(
    client: httpx.Client, frame: pd.DataFrame, logreg: Any, content_type: str
) -> None:
    rows = frame.head(9)
    if "csv" in content_type:
        body = rows.to_csv(index=False).encode()
    else:
        buffer = io.BytesIO()
        rows.to_parquet(buffer, index=False)
        body = buffer.getvalue()
    response = client.post("/invocations", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": logreg.predict(rows).tolist()}


def _missing(rows: pd.DataFrame) -> dict[str, Any]:
    return split(rows.drop(columns="f1"))


def _extra(rows: pd.DataFrame) -> dict[str, Any]:
    return split(rows.assign(surplus=1.0))


def _string_in_float(rows: pd.DataFrame) -> dict[str, Any]:
    records = rows.to_dict(orient="records")
    records[1]["f3"] = "not a number"
    return {"dataframe_records": records}


SCHEMA_CASES = {
    "missing column": (_missing, "'f1'"),
    "extra column": (_extra, "'surplus'"),
    "string in a float column": (_string_in_float, "'f3'"),
    "params for a model without params": (lambda r: {**split(r), "params": {"k": 1}}, "params"),
}
MALFORMED_CASES = {  # not a scoring request at all: MLflow's server answers BAD_REQUEST
    "two input keys": (lambda r: {**split(r), "inputs": [[1.0]]}, "exactly one"),
    "no input key": (lambda r: {"params": {}}, "exactly one"),
    "an unknown key": (lambda r: {**split(r), "extra": 1}, "exactly one"),
    "records not a list": (lambda r: {"dataframe_records": {"f0": 1}}, "dataframe_records"),
    "split with an unknown key": (
        lambda r: {"dataframe_split": {**r.to_dict(orient="split"), "dtype": 1}},
        "unexpected key",
    ),
}


@pytest.mark.parametrize("case", sorted(SCHEMA_CASES))
def test_a_request_that_does_not_fit_is_a_400_naming_the_field(
    client: httpx.Client, frame: pd.DataFrame, logreg: Any, case: str
) -> None:
    make, named = SCHEMA_CASES[case]
    response = client.post("/invocations", json=make(frame.head(3)))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert named in body["message"]
    assert_still_serves(client, frame, logreg)


@pytest.mark.parametrize("case", sorted(MALFORMED_CASES))
def test_a_body_that_is_not_a_scoring_request_is_bad_request_as_in_mlflow(
    client: httpx.Client, frame: pd.DataFrame, logreg: Any, case: str
) -> None:
    make, named = MALFORMED_CASES[case]
    response = client.post("/invocations", json=make(frame.head(3)))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "BAD_REQUEST"
    assert named in body["message"]
    assert_still_serves(client, frame, logreg)


def test_schema_errors_list_every_problem_as_data(client: httpx.Client, frame: Any) -> None:
    response = client.post("/invocations", json=split(frame.head(2).drop(columns=["f1", "f2"])))
    problems = response.json()["problems"]
    assert {p["field"] for p in problems} == {"f1", "f2"}
    assert all(p["expected"] == "double" for p in problems)


BAD_BODIES = {
    "bad JSON": (b'{"dataframe_split": {', "application/json", 400, "not valid JSON"),
    "JSON list": (b"[1, 2]", "application/json", 400, "JSON object"),
    "bad CSV": (b'f0,f1\n"1,2\n3', "text/csv", 400, "CSV"),
    "empty CSV": (b"", "text/csv", 400, "CSV"),
    "bad Parquet": (b"PAR1 not really", "application/x-parquet", 400, "Parquet"),
    "wrong content type": (b"f0=1", "application/x-www-form-urlencoded", 415, "Content-Type"),
    "wrong charset": (b"{}", "application/json; charset=latin-1", 415, "UTF-8"),
    "MLflow 1.x format": (b"{}", "application/json; format=pandas-split", 415, "format"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_a_body_that_cannot_be_decoded_is_a_4xx_with_a_json_error(
    client: httpx.Client, frame: pd.DataFrame, logreg: Any, case: str
) -> None:
    body, content_type, status, named = BAD_BODIES[case]
    response = client.post("/invocations", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert named in response.json()["message"]
    assert_still_serves(client, frame, logreg)


def test_a_missing_content_type_is_a_415(client: httpx.Client) -> None:
    response = client.post("/invocations", content=b"{}", headers={"Content-Type": ""})
    assert response.status_code == 415


def test_a_declared_oversized_body_is_refused_before_it_is_sent(server: Server) -> None:
    """Only the headers are sent: the 413 arrives without the server waiting for the body."""
    address = urlparse(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as s:
        s.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000000000\r\n\r\n")  # fmt: skip
        answer = b""
        while b"}" not in answer:  # headers and the JSON body may come in separate packets
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert b"REQUEST_LIMIT_EXCEEDED" in answer


def test_a_streamed_body_is_cut_off_at_the_limit(
    client: httpx.Client, frame: pd.DataFrame, logreg: Any
) -> None:
    def chunks() -> Iterator[bytes]:
        yield from [b" " * 10_000] * 20
        yield b"{}"  # 200,002 bytes, no Content-Length: the limit is 200,000

    response = client.post("/invocations", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert_still_serves(client, frame, logreg)


def test_get_on_invocations_is_a_405_and_unknown_paths_a_json_404(client: httpx.Client) -> None:
    response = client.get("/invocations")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert response.json()["error_code"] == "METHOD_NOT_ALLOWED"
    response = client.post("/no/such/route", json={})
    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_the_model_raising_is_a_500_with_an_error_id_and_no_traceback(
    server: Server, client: httpx.Client, frame: pd.DataFrame, logreg: Any
) -> None:
    """A real NaN (Parquet is typed) passes the schema (a double may be NaN) and
    scikit-learn's own check raises. A JSON null or empty CSV cell would be a 400: those can
    only mean a missing value."""
    rows = frame.head(2).copy()
    rows.iloc[0, 0] = np.nan
    response = client.post(
        "/invocations",
        content=rows.to_parquet(index=False),
        headers={"Content-Type": "application/vnd.apache.parquet"},
    )
    assert response.status_code == 500
    body = response.json()
    assert body["error_code"] == "INTERNAL_ERROR"
    assert "Traceback" not in response.text and "sklearn" not in response.text
    assert body["error_id"] in body["message"]
    assert_still_serves(client, frame, logreg)
    log = server.log_text()
    assert f"error_id={body['error_id']}" in log and "Traceback" in log


LONG = "Z" * 5000


@pytest.mark.parametrize(
    "content, content_type",
    [
        (b'{"dataframe_split": ' + LONG.encode(), "application/json"),
        (f'{{"dataframe_records": [{{"f0": "{LONG}"}}]}}'.encode(), "application/json"),
        (f'{{"dataframe_split": {{"columns": ["{LONG}"], "data": [[1]]}}}}'.encode(),
         "application/json"),
        (f'{{"{LONG}": 1}}'.encode(), "application/json"),
        (f"{LONG},f1\n1,2\n".encode(), "text/csv"),
        (b"{}", f"application/{LONG}"),
    ],
)  # fmt: skip
def test_no_error_echoes_more_than_200_characters_of_input(
    client: httpx.Client, content: bytes, content_type: str
) -> None:
    response = client.post("/invocations", content=content, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500
    assert "Z" * 201 not in response.text
