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
* NaN and infinities in an answer are ``null`` in tiffin, the bare (non-JSON) tokens ``NaN`` and
  ``Infinity`` in MLflow; a malformed body with an unknown top-level key is 400 BAD_REQUEST in
  tiffin, ignored by MLflow.
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


# --- models MLflow wrote, with the column types its serving examples encode ---------------------
# MLflow's scoring function (``mlflow.pyfunc.scoring_server.invocations``, what its route calls)
# runs in this process: one model each, no server start; tiffin serves them all from one server.

_PARITY_MODELS = '''
import numpy as np
import pandas as pd
import mlflow.pyfunc


class Describe(mlflow.pyfunc.PythonModel):
    """One text per row saying exactly what the model was given, so both servers compare."""

    def predict(self, context, model_input, params=None):
        def cell(value):
            if isinstance(value, bytes):
                return "b:" + value.hex()
            if isinstance(value, (list, np.ndarray)):
                return "a:" + ",".join(str(int(v)) for v in value)
            if isinstance(value, pd.Timestamp):
                return "t:" + value.isoformat()
            if value is None or (isinstance(value, float) and np.isnan(value)):
                return "missing"
            return f"{type(value).__name__}:{value}"

        rows = model_input.to_dict(orient="records")
        return pd.DataFrame({"seen": ["|".join(cell(row[k]) for k in sorted(row)) for row in rows]})


class Shaped(mlflow.pyfunc.PythonModel):
    """Answers one kind of output, to compare how each server writes it."""

    def __init__(self, kind):
        self.kind = kind

    def predict(self, context, model_input, params=None):
        n = len(model_input)
        values = np.arange(n) + 1.5
        return {
            "numpy 1-D": values,
            "numpy 2-D": np.stack([values, values * 2], axis=1),
            "named Series": pd.Series(values, name="y"),
            "unnamed Series": pd.Series(values),
            "integer Series": pd.Series(np.arange(n), name="k"),
            "one-column DataFrame": pd.DataFrame({"y": values}),
            "multi-column DataFrame": pd.DataFrame({"y": values, "s": ["a"] * n}),
            "integer column labels": pd.DataFrame({0: values, 1: values}),
            "list": [float(v) for v in values],
            "dict": {"a": values, "b": "x"},
            "bytes and dates": pd.DataFrame(
                {"b": [b"hi"] * n, "t": pd.to_datetime(["2024-01-02"] * n)}
            ),
        }[self.kind]
'''

SHAPES = ["numpy 1-D", "numpy 2-D", "named Series", "unnamed Series", "integer Series",
          "one-column DataFrame", "multi-column DataFrame", "integer column labels", "list",
          "dict", "bytes and dates"]  # fmt: skip


def _typed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "when": pd.to_datetime(
                ["2024-01-02 03:04:05", "2024-05-06 00:00:00", "2024-07-08 09:10:11"]
            ),
            "blob": [b"\x00\x01abc", b"hello", b"\xff" * 80],  # 80 bytes: a line break inside
            "opt": [1.5, None, 3.0],
            "arr": [[1, 2], [3], [4, 5, 6]],
            "label": ["a", "b", None],
        }
    )


@pytest.fixture(scope="module")
def mlflow_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import sys

    mlflow_pyfunc = pytest.importorskip("mlflow.pyfunc")
    root = tmp_path_factory.mktemp("mlflow_models")
    source = root / "parity_models.py"
    source.write_text(_PARITY_MODELS)
    sys.path.insert(0, str(root))
    try:
        module = __import__("parity_models")
        paths = {"typed": root / "typed"}
        mlflow_pyfunc.save_model(
            str(paths["typed"]), python_model=module.Describe(),
            input_example=_typed_frame(), code_paths=[str(source)],
        )  # fmt: skip
        for i, kind in enumerate(SHAPES):
            paths[f"shape{i}"] = root / f"shape{i}"
            mlflow_pyfunc.save_model(str(paths[f"shape{i}"]), python_model=module.Shaped(kind),
                                     code_paths=[str(source)])  # fmt: skip
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("parity_models", None)
    return paths


@pytest.fixture(scope="module")
def typed_server(mlflow_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[Server]:  # fmt: skip
    import sys

    root = tmp_path_factory.mktemp("typed_server")
    models = [arg for name, path in mlflow_models.items() for arg in ("--model", f"{name}={path}")]
    port, log = free_port(), root / "tiffin.log"
    command = [sys.executable, "-m", "tiffin", "serve", *models, "--trust", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    process = launch(command, log)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process, log, timeout=60)
    yield Server(url, process, log)
    stop(process)


def mlflow_answer(path: Path, body: bytes) -> tuple[int, Any]:
    """MLflow's own scoring of ``body`` (its route's function, in this process)."""
    import json

    import mlflow.pyfunc
    from mlflow.pyfunc import scoring_server

    model = mlflow.pyfunc.load_model(str(path))
    schema = model.metadata.get_input_schema()
    answer = scoring_server.invocations(body, JSON, model, schema)
    return answer.status, json.loads(answer.response)


def tiffin_answer(server: Server, name: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{server.url}/models/{name}/invocations", content=body,
                      headers={"Content-Type": JSON}, timeout=30)  # fmt: skip


def test_mlflows_serving_example_with_datetime_binary_optional_array_columns_predicts_the_same(
    typed_server: Server, mlflow_models: dict[str, Path]
) -> None:
    body = (mlflow_models["typed"] / "serving_input_example.json").read_bytes()
    assert b"NaN" in body and b"\\n" in body  # a bare NaN token, base64 with line breaks
    status, theirs = mlflow_answer(mlflow_models["typed"], body)
    ours = tiffin_answer(typed_server, "typed", body)
    assert (ours.status_code, status) == (200, 200), ours.text
    assert ours.json() == theirs
    seen = [row["seen"] for row in ours.json()["predictions"]]
    assert seen[0] == "a:1,2|b:0001616263|str:a|float:1.5|t:2024-01-02T03:04:05"
    assert seen[2].split("|")[1] == "b:" + "ff" * 80


@pytest.mark.parametrize("form", ["dataframe_records", "dataframe_split"])
def test_base64_binary_values_are_decoded_in_every_dataframe_form(
    typed_server: Server, mlflow_models: dict[str, Path], form: str
) -> None:
    import base64
    import json

    frame = _typed_frame().head(2)
    rows = frame.assign(when=frame["when"].astype(str), opt=[1.5, 2.5],
                        blob=[base64.b64encode(b).decode() for b in frame["blob"]])  # fmt: skip
    orient = "records" if form == "dataframe_records" else "split"
    body = json.dumps({form: rows.to_dict(orient=orient)}).encode()
    status, theirs = mlflow_answer(mlflow_models["typed"], body)
    ours = tiffin_answer(typed_server, "typed", body)
    assert (ours.status_code, status) == (200, 200), ours.text
    assert ours.json() == theirs


def test_text_that_is_not_base64_in_a_binary_column_is_a_400_naming_the_row(
    typed_server: Server,
) -> None:
    import json

    row = {"when": "2024-01-02", "blob": "aGk=", "opt": 1.0, "arr": [1], "label": "a"}
    rows = [row, {**row, "blob": "not base64!"}]
    response = tiffin_answer(
        typed_server, "typed", json.dumps({"dataframe_records": rows}).encode()
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "column 'blob'" in body["message"]
    assert "row 1 holds 'not base64!' (str)" in body["message"]


@pytest.mark.parametrize("index", range(len(SHAPES)), ids=SHAPES)
def test_outputs_are_written_in_mlflows_json_shapes(
    typed_server: Server, mlflow_models: dict[str, Path], index: int
) -> None:
    body = b'{"inputs": [[1.0], [2.0]]}'
    status, theirs = mlflow_answer(mlflow_models[f"shape{index}"], body)
    ours = tiffin_answer(typed_server, f"shape{index}", body)
    assert (ours.status_code, status) == (200, 200), ours.text
    assert ours.json() == theirs
