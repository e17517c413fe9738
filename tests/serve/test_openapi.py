"""The OpenAPI document from signatures: valid OpenAPI 3.1, exact schemas, accepted examples.

Exact means both ways: an example valid under the document predicts, and the document refuses
what the server refuses. The last test lets schemathesis generate requests (a bounded number,
positive and negative) against the V2 routes of three real models and checks every answer.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.generation.modes import GenerationMode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import tiffin.pyfunc
import tiffin.sklearn
from tiffin.errors import NotFoundError
from tiffin.format.schema import ColSpec, ParamSchema, ParamSpec, Schema, Signature, TensorSpec
from tiffin.format.types import Array, DataType, Object, Property
from tiffin.pyfunc.model import PyFuncModel
from tiffin.serve.mlflow.codec import decode_csv, decode_json
from tiffin.serve.openapi.document import openapi_document
from tiffin.serve.openapi.examples import mlflow_example, v2_example
from tiffin.serve.scorer import Scorer
from tiffin.serve.v2.codec import decode_infer_request
from tiffin.serve.v2.routes import v2_routes

TYPED = Signature(
    inputs=Schema(
        [
            ColSpec("double", "x"),
            ColSpec("integer", "n", required=False),
            ColSpec("string", "city"),
            ColSpec("boolean", "flag"),
            ColSpec("datetime", "when"),
        ]
    ),
    outputs=Schema([ColSpec("double", "score")]),
    params=ParamSchema(
        [ParamSpec("factor", "double", 1.0), ParamSpec("tags", "string", ["a"], (-1,))]
    ),
)
TENSOR = Signature(Schema([TensorSpec("float32", (-1, 4))]), Schema([TensorSpec("float32", (-1,))]))

_ROWS_MODEL = """
import numpy as np
import tiffin.pyfunc

class Rows(tiffin.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return np.arange(len(model_input), dtype="float64") * (params or {}).get("factor", 1.0)
"""


@pytest.fixture(scope="module")
def typed_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PythonModel with typed columns (one optional) and params; predicts 0, 1, 2..."""
    root = tmp_path_factory.mktemp("typed")
    (root / "rows_model.py").write_text(textwrap.dedent(_ROWS_MODEL))
    sys.path.insert(0, str(root))
    try:
        import rows_model  # type: ignore[import-not-found]

        tiffin.pyfunc.save_model(
            root / "model", python_model=rows_model.Rows(), code_paths=[root / "rows_model.py"],
            signature=TYPED, pip_requirements=["numpy"],
        )  # fmt: skip
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("rows_model", None)
    return root / "model"


@pytest.fixture(scope="module")
def tensor_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.linear_model import LinearRegression

    x = np.random.default_rng(0).normal(size=(20, 4)).astype("float32")
    path = tmp_path_factory.mktemp("tensor") / "model"
    tiffin.sklearn.save_model(LinearRegression().fit(x, x[:, 0]), path, input_example=x[:2])
    return path


@pytest.fixture(scope="module")
def scorers(sklearn_model: Path, typed_model: Path, tensor_model: Path) -> dict[str, Scorer]:
    return {
        "logreg": Scorer.load(sklearn_model),
        # as served from models:/ (a registry version, so versioned routes too)
        "typed": dataclasses.replace(Scorer.load(typed_model, trust=True), registered_version=2),
        "tensor": Scorer.load(tensor_model),
    }


def document(scorers: Mapping[str, Scorer], **kwargs: Any) -> dict[str, Any]:
    models = {name: (s.model_version(), s.model.signature) for name, s in scorers.items()}
    return openapi_document(models, **kwargs)


def component(doc: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["components"]["schemas"][name]
    return schema


@pytest.mark.parametrize(
    "signature",
    [
        TYPED,
        TENSOR,
        None,
        Signature(Schema([ColSpec("long"), ColSpec("long")])),
        Signature(Schema([TensorSpec("int64", (-1,), "a"), TensorSpec("str", (-1, 2), "b")])),
        Signature(Schema([ColSpec(Object((Property("k", Array(DataType.binary)),)), 0)])),
    ],
)
@pytest.mark.parametrize("bearer_auth", [False, True])
def test_the_document_is_valid_openapi_3_1(signature: Signature | None, bearer_auth: bool) -> None:
    doc = openapi_document({"m": ("1", signature)}, bearer_auth=bearer_auth)
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert ("401" in doc["paths"]["/invocations"]["post"]["responses"]) is bearer_auth
    assert doc["paths"]["/ping"]["get"].get("security", []) == []


def test_one_model_is_at_invocations_and_several_under_models() -> None:
    one = openapi_document({"iris": ("3", TYPED)})["paths"]
    assert "/invocations" in one and "/v2/models/iris/versions/3/infer" in one
    several = openapi_document({"iris": ("3", TYPED), "churn": ("1", None)})["paths"]
    assert "/invocations" not in several
    assert {"/models/iris/invocations", "/models/churn/invocations"} <= set(several)
    assert "/metrics" not in openapi_document({"iris": ("3", None)}, metrics=False)["paths"]


def test_columns_are_typed_and_optional_ones_nullable_and_not_required() -> None:
    doc = openapi_document({"typed": ("1", TYPED)})
    forms = {f["title"]: f for f in component(doc, "typed.InvocationsRequest")["oneOf"]}
    record = forms["dataframe_records"]["properties"]["dataframe_records"]["items"]
    assert record["required"] == ["x", "city", "flag", "when"]
    assert record["additionalProperties"] is False
    assert record["properties"]["n"]["anyOf"][1] == {"type": "null"}
    assert record["properties"]["n"]["anyOf"][0]["maximum"] == 2**31 - 1
    assert re.fullmatch(record["properties"]["when"]["pattern"], "2024-02-28T13:14:15")
    split = forms["dataframe_split"]["properties"]["dataframe_split"]
    assert split["properties"]["columns"] == {"const": ["x", "n", "city", "flag", "when"]}
    params = forms["inputs"]["properties"]["params"]
    assert params["properties"]["factor"]["default"] == 1.0
    assert params["properties"]["tags"]["anyOf"][0] == {
        "type": "array",
        "items": {"type": "string"},
    }


def test_tensor_shapes_are_nested_arrays_with_fixed_lengths() -> None:
    doc = openapi_document({"t": ("1", TENSOR)})
    inputs = component(doc, "t.InvocationsRequest")["oneOf"][1]["properties"]["inputs"]
    assert inputs["minItems"] == 1 and "maxItems" not in inputs
    assert (inputs["items"]["minItems"], inputs["items"]["maxItems"]) == (4, 4)
    assert inputs["items"]["items"]["exclusiveMaximum"] == pytest.approx(3.4028235677973366e38)
    v2 = component(doc, "t.V2InferRequest")["properties"]["inputs"]["prefixItems"][0]
    assert v2["properties"]["shape"] == {"const": [1, 4]}
    assert v2["properties"]["datatype"] == {"const": "FP32"}


def _predicts(model: PyFuncModel, data: Any, params: dict[str, Any] | None) -> None:
    result = model.predict(data, params)
    assert len(result) == 1


@pytest.mark.parametrize("name", ["logreg", "typed", "tensor"])
def test_the_examples_are_valid_under_the_document_and_predict(
    scorers: dict[str, Scorer], name: str
) -> None:
    doc = document(scorers)
    model = scorers[name].model
    request = mlflow_example(model.signature)
    jsonschema.validate(request, component(doc, f"{name}.InvocationsRequest"))
    _predicts(model, *decode_json(__import__("orjson").dumps(request)))
    v2 = v2_example(model.signature)
    jsonschema.validate(v2, component(doc, f"{name}.V2InferRequest"))
    decoded = decode_infer_request(__import__("orjson").dumps(v2), model.signature)
    _predicts(model, decoded.data, decoded.params)


def test_what_the_document_refuses_the_server_refuses(scorers: dict[str, Scorer]) -> None:
    doc = document({"typed": scorers["typed"]})
    schema = component(doc, "typed.InvocationsRequest")
    row = {"x": 1.5, "city": "Pune", "flag": True, "when": "2024-01-02T03:04:05"}
    model = scorers["typed"].model
    _predicts(model, *decode_json(orjson_dumps({"dataframe_records": [row]})))
    for bad in (
        {**row, "extra": 1},
        {k: v for k, v in row.items() if k != "city"},
        {**row, "n": 2**40},
        {**row, "flag": 1},
        {**row, "city": None},
    ):
        request = {"dataframe_records": [bad]}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(request, schema)
        with pytest.raises(ValueError):
            model.predict(*decode_json(orjson_dumps(request)))


def orjson_dumps(value: Any) -> bytes:
    import orjson

    return orjson.dumps(value)


def test_a_csv_body_matching_the_pattern_predicts(scorers: dict[str, Scorer]) -> None:
    doc = document(scorers)
    content = doc["paths"]["/models/typed/invocations"]["post"]["requestBody"]["content"]
    pattern = content["text/csv"]["schema"]["pattern"]
    body = "x,n,city,flag,when\n-3.25,7,Pune_,True,2024-01-02T03:04:05\n"
    assert re.fullmatch(pattern, body)
    _predicts(scorers["typed"].model, *decode_csv(body.encode()))
    assert (
        "text/csv"
        not in doc["paths"]["/models/tensor/invocations"]["post"]["requestBody"]["content"]
    )


class Served:
    """The Runtime protocol over loaded scorers."""

    def __init__(self, scorers: dict[str, Scorer]):
        self.scorers = scorers

    def names(self) -> list[str]:
        return list(self.scorers)

    def scorer(self, name: str) -> Scorer:
        if name not in self.scorers:
            raise NotFoundError(f"no model named {name[:60]!r}")
        return self.scorers[name]

    def ready(self) -> bool:
        return True

    async def predict(self, name: str, data: Any, params: Mapping[str, Any] | None) -> Any:
        return self.scorer(name).predict(data, params)


@pytest.fixture(scope="module")
def v2_schema(scorers: dict[str, Scorer]) -> Any:
    doc = document(scorers)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(doc)

    app = Starlette(routes=[*v2_routes(Served(scorers)), Route("/openapi.json", openapi)])
    return schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/v2")


# extreme generated floats overflow inside the models' own arithmetic; that is not our concern
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_fault_in_the_v2_routes(v2_schema: Any, mode: Any) -> None:
    operations = [result.ok() for result in v2_schema.get_all_operations()]
    assert len(operations) == 3 + 3 * 3 + 3  # server routes, 3 per model, 3 more when versioned
    if mode is GenerationMode.NEGATIVE:  # a GET without parameters has no invalid form
        operations = [op for op in operations if op.method.upper() == "POST"]
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=10, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def check(case: Any) -> None:
            case.call_and_validate()

        check()


def test_frames_from_the_examples_have_the_schema_columns(scorers: dict[str, Scorer]) -> None:
    data, _ = decode_json(orjson_dumps(mlflow_example(TYPED)))
    assert isinstance(data, pd.DataFrame) and list(data.columns) == [
        "x",
        "n",
        "city",
        "flag",
        "when",
    ]


def test_a_model_without_a_registry_version_has_no_versioned_routes() -> None:
    doc = openapi_document({"iris": (None, TYPED)})
    validate(doc)
    assert "/v2/models/iris/infer" in doc["paths"]
    assert not [p for p in doc["paths"] if "/versions/" in p]
    assert "version None" not in doc["info"]["description"]
