"""The V2 routes in-process, over a small runtime wrapping real scorers of saved models."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from tiffin.errors import NotFoundError
from tiffin.serve.errors import ModelError, RequestError
from tiffin.serve.limits import Limits
from tiffin.serve.scorer import Scorer
from tiffin.serve.v2.routes import v2_routes


class FakeRuntime:
    """The Runtime protocol over loaded scorers, with switches for the failure cases."""

    def __init__(self, scorers: dict[str, Scorer]):
        self.scorers = scorers
        self.is_ready = True
        self.fail: Exception | None = None
        self.calls: list[tuple[str, Any, Mapping[str, Any] | None]] = []

    def names(self) -> list[str]:
        return list(self.scorers)

    def scorer(self, name: str) -> Scorer:
        if name not in self.scorers:
            raise NotFoundError(f"no model named {name[:60]!r} is served here")
        return self.scorers[name]

    def ready(self) -> bool:
        return self.is_ready

    async def predict(self, name: str, data: Any, params: Mapping[str, Any] | None) -> Any:
        if self.fail is not None:
            raise self.fail
        self.calls.append((name, data, params))
        return self.scorer(name).predict(data, params)


class Overloaded(RequestError):
    error_code = "TEMPORARILY_UNAVAILABLE"
    status_code = 503

    def __init__(self, message: str):
        super().__init__(message)
        self.headers = {"Retry-After": "2"}


class AppClient:
    """Requests to an ASGI app in-process (httpx's ASGI transport), one event loop each."""

    def __init__(self, app: Starlette):
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.request(method, path, **kwargs)

        return asyncio.run(send())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


@pytest.fixture(scope="module")
def scorers(sklearn_model: Path, param_model: Path) -> dict[str, Scorer]:
    return {
        "logreg": Scorer.load(sklearn_model),
        "scale": Scorer.load(param_model, trust=True),
    }


@pytest.fixture
def runtime(scorers: dict[str, Scorer]) -> FakeRuntime:
    return FakeRuntime(scorers)


@pytest.fixture
def errors() -> list[str]:
    return []


@pytest.fixture
def client(runtime: FakeRuntime, errors: list[str]) -> AppClient:
    def count(request: Request, code: str) -> None:
        errors.append(code)

    routes = v2_routes(runtime, Limits(max_body_bytes=100_000), on_error=count)
    return AppClient(Starlette(routes=routes))


def columns(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"name": c, "shape": [len(rows)], "datatype": "FP64", "data": rows[c].tolist()}
        for c in rows.columns
    ]


def assert_v2_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == body["message"] and body["error_code"] == code
    return body


def test_server_metadata_and_health(client: AppClient, runtime: FakeRuntime) -> None:
    assert client.get("/v2").json()["name"] == "tiffin"
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    runtime.is_ready = False
    assert_v2_error(client.get("/v2/health/ready"), 503, "TEMPORARILY_UNAVAILABLE")
    assert_v2_error(client.get("/v2/models/logreg/ready"), 503, "TEMPORARILY_UNAVAILABLE")
    assert client.get("/v2/health/live").status_code == 200


def test_model_metadata_comes_from_the_signature(client: AppClient, frame: pd.DataFrame) -> None:
    meta = client.get("/v2/models/logreg").json()
    assert meta["name"] == "logreg" and meta["platform"] == "sklearn"
    assert [t["name"] for t in meta["inputs"]] == list(frame.columns)
    assert {t["datatype"] for t in meta["inputs"]} == {"FP64"}
    assert meta["outputs"] == [{"name": "predict", "datatype": "INT64", "shape": [-1]}]
    assert "versions" not in meta  # served from a path: no registry version (not tiffin's)
    assert client.get("/v2/models/logreg/ready").json() == {"name": "logreg", "ready": True}
    params = client.get("/v2/models/scale").json()["parameters"]["params"]
    assert {p["name"]: p["default"] for p in params} == {
        "factor": 1.0,
        "explode": False,
        "delay": 0.0,
    }


def test_unknown_models_and_versions_are_json_404s(client: AppClient, errors: list[str]) -> None:
    assert_v2_error(client.get("/v2/models/nope"), 404, "RESOURCE_DOES_NOT_EXIST")
    body = assert_v2_error(
        client.post("/v2/models/logreg/versions/999/infer", json={"inputs": []}),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    assert "version '999' is not served" in body["message"]
    assert errors == ["RESOURCE_DOES_NOT_EXIST"] * 2


def test_infer_predicts_like_the_model_in_process(
    client: AppClient, frame: pd.DataFrame, logreg: Any
) -> None:
    rows = frame.head(5)
    response = client.post("/v2/models/logreg/infer", json={"id": "r-1", "inputs": columns(rows)})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["id"] == "r-1" and answer["model_name"] == "logreg"
    assert answer["outputs"] == [
        {
            "name": "predict",
            "shape": [5],
            "datatype": "INT64",
            "data": logreg.predict(rows).tolist(),
        }
    ]
    assert "model_version" not in answer  # optional in V2; a path has no registry version


def test_a_registered_version_is_reported_and_pinnable(
    client: AppClient, runtime: FakeRuntime, frame: pd.DataFrame
) -> None:
    runtime.scorers["churn"] = dataclasses.replace(runtime.scorers["logreg"], registered_version=3)
    meta = client.get("/v2/models/churn").json()
    assert meta["versions"] == ["3"]
    assert client.get("/v2/models/churn/versions/3").json() == meta
    request = {"inputs": columns(frame.head(2))}
    answer = client.post("/v2/models/churn/versions/3/infer", json=request).json()
    assert answer["model_version"] == "3"
    body = assert_v2_error(
        client.get("/v2/models/churn/versions/2"), 404, "RESOURCE_DOES_NOT_EXIST"
    )
    assert "(version 3 is)" in body["message"]


def test_a_path_model_has_no_version_to_pin(client: AppClient) -> None:
    import tiffin

    body = assert_v2_error(
        client.get(f"/v2/models/logreg/versions/{tiffin.__version__}"),
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    assert "without a registry version" in body["message"]


def test_a_large_body_is_decoded_off_the_event_loop_and_predicts(
    client: AppClient, frame: pd.DataFrame, logreg: Any
) -> None:
    rows = pd.concat([frame] * 5, ignore_index=True)  # 600 rows, about 60 kB of JSON
    response = client.post("/v2/models/logreg/infer", json={"inputs": columns(rows)})
    assert response.status_code == 200, response.text
    assert response.json()["outputs"][0]["data"] == logreg.predict(rows).tolist()


def test_parameters_reach_the_model_as_params(client: AppClient, runtime: FakeRuntime) -> None:
    request = {
        "inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1.0, 2.0]}],
        "parameters": {"factor": 3.0, "content_type": "pd"},
    }
    response = client.post("/v2/models/scale/infer", json=request)
    assert response.status_code == 200, response.text
    assert response.json()["outputs"][0]["data"] == [3.0, 6.0]
    assert runtime.calls[-1][2] == {"factor": 3.0}


def test_client_faults_are_400s_with_both_error_keys_and_the_problems(
    client: AppClient, frame: pd.DataFrame, errors: list[str]
) -> None:
    inputs = columns(frame.head(1))
    inputs[0] = {**inputs[0], "datatype": "INT64"}
    body = assert_v2_error(
        client.post("/v2/models/logreg/infer", json={"inputs": inputs}),
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert body["problems"][0]["field"] == "f0"
    bad_json = client.post(
        "/v2/models/logreg/infer", content=b"{", headers={"content-type": "application/json"}
    )
    assert_v2_error(bad_json, 400, "BAD_REQUEST")
    params = {"inputs": columns(frame.head(1)), "parameters": {"factor": 2.0}}
    assert_v2_error(
        client.post("/v2/models/logreg/infer", json=params), 400, "INVALID_PARAMETER_VALUE"
    )
    assert errors == ["INVALID_PARAMETER_VALUE", "BAD_REQUEST", "INVALID_PARAMETER_VALUE"]


@pytest.mark.parametrize("content_type", ["text/csv", "application/json; charset=latin-1"])
def test_only_json_is_accepted(client: AppClient, content_type: str) -> None:
    response = client.post(
        "/v2/models/logreg/infer", content=b"{}", headers={"content-type": content_type}
    )
    assert_v2_error(response, 415, "BAD_REQUEST")


def test_a_body_without_a_content_type_is_read_as_json(
    client: AppClient, frame: pd.DataFrame
) -> None:
    import orjson

    raw = orjson.dumps({"inputs": columns(frame.head(1))})
    response = client.post("/v2/models/logreg/infer", content=raw, headers={"content-type": ""})
    assert response.status_code == 200, response.text


def test_a_body_over_the_limit_is_a_413(client: AppClient) -> None:
    data = [0.5] * 30_000
    request = {"inputs": [{"name": "f0", "shape": [len(data)], "datatype": "FP64", "data": data}]}
    assert_v2_error(
        client.post("/v2/models/logreg/infer", json=request), 413, "REQUEST_LIMIT_EXCEEDED"
    )


def test_the_body_rules_of_invocations_hold_here_too(client: AppClient) -> None:
    """Same reader and parser as /invocations: repeated keys and compressed bodies refused."""
    repeated = b'{"inputs": [], "inputs": [{"name": "f0", "shape": [1], "datatype": "FP64", ' \
        b'"data": [0.5]}]}'  # fmt: skip
    body = assert_v2_error(client.post("/v2/models/logreg/infer", content=repeated,
                                       headers={"content-type": "application/json"}),
                           400, "BAD_REQUEST")  # fmt: skip
    assert "repeats a key" in body["message"]
    body = assert_v2_error(client.post("/v2/models/logreg/infer", content=b"\x1f\x8b",
                                       headers={"content-type": "application/json",
                                                "content-encoding": "gzip"}),
                           415, "BAD_REQUEST")  # fmt: skip
    assert "Content-Encoding 'gzip'" in body["message"]


def test_model_and_server_failures_are_500s_with_an_error_id(
    client: AppClient, runtime: FakeRuntime, frame: pd.DataFrame, caplog: Any
) -> None:
    request = {"inputs": columns(frame.head(1))}
    runtime.fail = ModelError("the model raised ValueError", "abc123")
    body = assert_v2_error(
        client.post("/v2/models/logreg/infer", json=request), 500, "INTERNAL_ERROR"
    )
    assert body["error_id"] == "abc123"
    runtime.fail = RuntimeError("SECRET /srv/path")
    body = assert_v2_error(
        client.post("/v2/models/logreg/infer", json=request), 500, "INTERNAL_ERROR"
    )
    assert "SECRET" not in str(body) and body["error_id"] in caplog.text


def test_an_errors_headers_are_sent(
    client: AppClient, runtime: FakeRuntime, frame: pd.DataFrame
) -> None:
    runtime.fail = Overloaded("all busy")
    response = client.post("/v2/models/logreg/infer", json={"inputs": columns(frame.head(1))})
    assert_v2_error(response, 503, "TEMPORARILY_UNAVAILABLE")
    assert response.headers["retry-after"] == "2"


def test_requested_outputs_are_checked_against_the_prediction(
    client: AppClient, frame: pd.DataFrame
) -> None:
    request: dict[str, Any] = {"inputs": columns(frame.head(2)), "outputs": [{"name": "predict"}]}
    response = client.post("/v2/models/logreg/infer", json=request)
    assert [o["name"] for o in response.json()["outputs"]] == ["predict"]
    request["outputs"] = [{"name": "proba"}]
    assert_v2_error(
        client.post("/v2/models/logreg/infer", json=request), 400, "INVALID_PARAMETER_VALUE"
    )


def test_wrong_methods_are_refused(client: AppClient) -> None:
    assert client.get("/v2/models/logreg/infer").status_code == 405
    assert client.post("/v2/models/logreg").status_code == 405


# --- a V2 client nobody here wrote: tritonclient (http) against real servers ------------------


def triton_inputs(http: Any, rows: pd.DataFrame) -> list[Any]:
    """One FP64 input per column, as JSON data (binary tensors are not implemented)."""
    inputs = []
    for name in rows.columns:
        tensor = http.InferInput(name, [len(rows)], "FP64")
        tensor.set_data_from_numpy(rows[name].to_numpy(), binary_data=False)
        inputs.append(tensor)
    return inputs


def test_tritonclients_default_infer_predicts(
    server: Any, frame: pd.DataFrame, logreg: Any
) -> None:
    """Its default infer() asks for binary outputs (a protocol parameter, not the model's)."""
    import tritonclient.http as http

    client = http.InferenceServerClient(server.url.removeprefix("http://"))
    assert client.is_server_live() and client.is_model_ready("logreg")
    meta = client.get_model_metadata("logreg")
    assert [t["name"] for t in meta["inputs"]] == list(frame.columns)
    rows = frame.head(7)
    result = client.infer("logreg", triton_inputs(http, rows))
    assert result.as_numpy("predict").tolist() == logreg.predict(rows).tolist()
    scheduled = client.infer(
        "logreg",
        triton_inputs(http, rows),
        outputs=[http.InferRequestedOutput("predict")],
        priority=2,
        timeout=5_000_000,
        sequence_id=3,
        request_id="r-9",
    )
    assert scheduled.as_numpy("predict").tolist() == logreg.predict(rows).tolist()
    assert scheduled.get_response()["id"] == "r-9"


def test_tritonclient_reads_every_v2_error(
    server: Any, param_server: Any, frame: pd.DataFrame
) -> None:
    """Errors decode as InferenceServerException with the server's message and status."""
    import tritonclient.http as http
    from tritonclient.utils import InferenceServerException

    client = http.InferenceServerClient(server.url.removeprefix("http://"))
    unknown_routes = {
        "model config": lambda: client.get_model_config("logreg"),
        "statistics": lambda: client.get_inference_statistics("logreg"),
        "repository index": client.get_model_repository_index,
        "load": lambda: client.load_model("logreg"),
        "unknown model": lambda: client.get_model_metadata("nope"),
    }
    for what, call in unknown_routes.items():
        with pytest.raises(InferenceServerException) as raised:
            call()
        assert raised.value.status() == "404", what
        assert raised.value.message(), what
    binary = http.InferInput("f0", [1], "FP64")
    binary.set_data_from_numpy(frame["f0"].head(1).to_numpy())  # binary_data=True by default
    with pytest.raises(InferenceServerException, match="binary tensor data extension") as raised:
        client.infer("logreg", [binary, *triton_inputs(http, frame.head(1)[frame.columns[1:]])])
    assert raised.value.status() == "400"
    wrong = frame.head(2).rename(columns={"f0": "zz"})
    with pytest.raises(InferenceServerException, match="zz") as raised:
        client.infer("logreg", triton_inputs(http, wrong))
    assert raised.value.status() == "400"

    scale = http.InferenceServerClient(param_server.url.removeprefix("http://"))
    x = triton_inputs(http, pd.DataFrame({"x": [1.0, 2.0]}))
    assert scale.infer("model", x, parameters={"factor": 3.0}).as_numpy("predict").tolist() == [
        3.0,
        6.0,
    ]
    with pytest.raises(InferenceServerException, match="error_id") as raised:
        scale.infer("model", x, parameters={"explode": True})
    assert raised.value.status() == "500" and "SECRET" not in raised.value.message()
