"""The same requests to ``tiffin models serve`` and ``mlflow models serve`` (MLflow 3.17.2).

Successful requests must give equal predictions. Where the two servers differ, the difference is
pinned below (``DIFFERENCES``) so this list stays true:

* Strictness (tiffin enforces the signature the same way as in-process predict; MLflow first
  ``astype``-casts columns, lossily): a numeric string (``"1.5"``) or a boolean in a double column,
  an extra column, an extra top-level key next to the input key, and ``params`` sent to a model
  without params are 400 in tiffin and silently accepted by MLflow.
* A bare 2-D ``inputs`` list for a model with named columns is matched by position in tiffin
  (200); MLflow answers 400.
* ``application/x-parquet`` is accepted by tiffin besides ``application/vnd.apache.parquet``;
  MLflow answers 415.
* A model's own exception (here scikit-learn refusing a NaN that the schema allows) is 500 with an
  ``error_id`` and no stack trace in tiffin; MLflow answers 400 BAD_REQUEST with the full stack
  trace in the body.
* ``null`` in a required double column: both 400, but tiffin names the column (schema error,
  INVALID_PARAMETER_VALUE) where MLflow reports an evaluation error (BAD_REQUEST + stack trace).
* Error bodies: tiffin's are always JSON ``{"error_code", "message"}`` (+ ``problems`` for
  schema errors, ``error_id`` for 500), messages never echo more than 200 characters of input;
  MLflow adds ``sqlstate``/``error_class``/``stack_trace``, echoes the whole input frame, and
  answers 415 in text/plain and 404/405 as ``{"detail": ...}``.
* ``/version``: tiffin answers the registry version (``models:/``) or tiffin's version, as
  text/plain; MLflow answers its own version with a JSON content type.
* Response bytes: orjson's compact ``{"predictions":[1,1]}`` vs ``{"predictions": [1, 1]}``;
  equal as JSON.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from conftest import VENV_BIN, Server, free_port, launch, stop, wait_ready

JSON = "application/json"


@pytest.fixture(scope="module")
def mlflow_server(sklearn_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    executable = Path(VENV_BIN) / "mlflow"
    if not executable.exists():
        pytest.skip(f"mlflow is not installed in {VENV_BIN}; parity needs MLflow 3.17.2")
    port, log = free_port(), tmp_path_factory.mktemp("mlflow") / "mlflow.log"
    command = [str(executable), "models", "serve", "-m", str(sklearn_model),
               "--env-manager", "local", "-p", str(port), "-h", "127.0.0.1"]  # fmt: skip
    process = launch(command, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log, timeout=60)
    except RuntimeError as e:
        stop(process)
        pytest.skip(f"mlflow models serve did not start: {str(e)[-500:]}")
    yield url
    if stop(process) not in (0, -15):
        subprocess.run(["kill", "-9", str(process.pid)], check=False)


def _parquet(rows: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    rows.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _json(payload: Any) -> tuple[str, bytes]:
    import orjson

    return JSON, orjson.dumps(payload)


def successes(rows: pd.DataFrame) -> dict[str, tuple[str, bytes]]:
    records = rows.to_dict(orient="records")
    with_int = [dict(r) for r in records]
    with_int[0]["f0"] = 1
    return {
        "dataframe_split": _json({"dataframe_split": rows.to_dict(orient="split")}),
        "dataframe_records": _json({"dataframe_records": records}),
        "instances": _json({"instances": records}),
        "inputs": _json({"inputs": {c: rows[c].tolist() for c in rows.columns}}),
        "int in a double column": _json({"dataframe_records": with_int}),
        "csv": ("text/csv", rows.to_csv(index=False).encode()),
        "parquet": ("application/vnd.apache.parquet", _parquet(rows)),
    }


def post(url: str, content_type: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{url}/invocations", content=body,
                      headers={"Content-Type": content_type}, timeout=30)  # fmt: skip


def test_successful_requests_predict_the_same(
    server: Server, mlflow_server: str, frame: pd.DataFrame
) -> None:
    for name, (content_type, body) in successes(frame.head(11)).items():
        ours, theirs = post(server.url, content_type, body), post(mlflow_server, content_type, body)
        assert (ours.status_code, theirs.status_code) == (200, 200), (name, ours.text, theirs.text)
        assert ours.json() == theirs.json(), name


def differences(rows: pd.DataFrame) -> dict[str, tuple[tuple[str, bytes], int, int]]:
    first = rows.to_dict(orient="records")[0]
    split = rows.to_dict(orient="split")
    return {
        "numeric string": (_json({"dataframe_records": [{**first, "f0": "1.5"}]}), 400, 200),
        "boolean in a double column": (
            _json({"dataframe_records": [{**first, "f0": True}]}),
            400,
            200,
        ),
        "extra column": (
            _json({"dataframe_split": rows.assign(extra=1.0).to_dict("split")}),
            400,
            200,
        ),
        "extra top-level key": (_json({"dataframe_split": split, "foo": 1}), 400, 200),
        "params without a params schema": (
            _json({"dataframe_split": split, "params": {"k": 1}}),
            400,
            200,
        ),
        "2-D inputs list": (_json({"inputs": rows.to_numpy().tolist()}), 200, 400),
        "x-parquet": (("application/x-parquet", _parquet(rows)), 200, 415),
        "empty CSV cell in a required column": (
            ("text/csv", b"f0,f1,f2,f3,f4\n,1,1,1,1\n"),
            400,
            400,
        ),
        "missing column": (
            _json({"dataframe_split": rows.drop(columns="f1").to_dict("split")}),
            400,
            400,
        ),
        "null in a double column": (
            _json({"dataframe_records": [{**first, "f0": None}]}),
            400,
            400,
        ),
    }


def test_the_listed_differences_hold(
    server: Server, mlflow_server: str, frame: pd.DataFrame
) -> None:
    for name, ((content_type, body), ours, theirs) in differences(frame.head(2)).items():
        got = (post(server.url, content_type, body).status_code,
               post(mlflow_server, content_type, body).status_code)  # fmt: skip
        assert got == (ours, theirs), name
