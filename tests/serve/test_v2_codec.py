"""The V2 codec without a server: decoding per signature kind, strict datatypes, encoding."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest

import tiffin
from tiffin.errors import SchemaError
from tiffin.format.schema import ColSpec, ParamSchema, ParamSpec, Schema, Signature, TensorSpec
from tiffin.format.types import Array, DataType
from tiffin.pyfunc.enforce import InputSchemaError
from tiffin.serve.errors import BadRequestError
from tiffin.serve.v2.codec import decode_infer_request, encode_infer_response
from tiffin.serve.v2.metadata import model_metadata, server_metadata

COLUMNS = Signature(
    inputs=Schema(
        [ColSpec("double", "x"), ColSpec("long", "n"), ColSpec("string", "s", required=False)]
    ),
    outputs=Schema([ColSpec("long", "label")]),
    params=ParamSchema([ParamSpec("k", "long", 5)]),
)


def tensor(
    name: str, datatype: str, data: list[Any], shape: list[int] | None = None
) -> dict[str, Any]:
    return {"name": name, "shape": shape or [len(data)], "datatype": datatype, "data": data}


def body(*inputs: dict[str, Any], **extra: Any) -> bytes:
    return orjson.dumps({"inputs": list(inputs), **extra})


def decode(*inputs: dict[str, Any], signature: Signature | None = COLUMNS, **extra: Any) -> Any:
    return decode_infer_request(body(*inputs, **extra), signature)


def problems_of(excinfo: pytest.ExceptionInfo[InputSchemaError]) -> dict[Any, str]:
    return {p.field: p.describe() for p in excinfo.value.problems}


def test_each_input_is_a_column_of_one_frame() -> None:
    request = decode(
        tensor("x", "FP64", [1.5, 2.0]),
        tensor("n", "INT64", [[1], [2]], shape=[2, 1]),
        tensor("s", "BYTES", ["a", "b"]),
    )
    assert list(request.data.columns) == ["x", "n", "s"]
    assert request.data["n"].tolist() == [1, 2]
    assert request.data["x"].dtype == np.float64
    assert request.params is None and request.outputs is None
    assert len(request.id) == 32  # generated when the request has none


def test_optional_columns_may_be_left_out() -> None:
    request = decode(tensor("x", "FP64", [1.0]), tensor("n", "INT32", [7]))
    assert list(request.data.columns) == ["x", "n"]
    assert request.data["n"].dtype == np.int32  # enforcement widens it to long


@pytest.mark.parametrize(
    "input_, expected",
    [
        (tensor("n", "INT64", [1.5]), "expected INT64 data, received float"),
        (tensor("n", "INT64", [True]), "expected INT64 data, received bool"),
        (tensor("n", "INT8", [300]), "300 is out of range"),
        (tensor("n", "FP64", [1.0]), "expected datatype INT64"),
        (tensor("n", "INT64", [None]), "received null"),
        (tensor("n", "INT64", [2**60 * 16.0]), "expected INT64 data, received float"),
        (tensor("x", "FP16", [1e6]), "overflows FP16"),
        (tensor("x", "FP64", [2**60]), "not exactly representable"),
        (tensor("x", "BOOL", [True]), "expected datatype FP64"),
        (tensor("x", "BF16", [1.0]), "expected datatype FP64"),
        (tensor("s", "BYTES", [1]), "strings only"),
    ],
)
def test_data_that_does_not_fit_its_datatype_or_column_is_refused(
    input_: dict[str, Any], expected: str
) -> None:
    others = [tensor(n, t, v) for n, t, v in (("x", "FP64", [1.0]), ("n", "INT64", [1]))]
    inputs = [input_, *[o for o in others if o["name"] != input_["name"]]]
    with pytest.raises(InputSchemaError) as excinfo:
        decode(*inputs)
    assert expected in problems_of(excinfo)[input_["name"]]


def test_whole_floats_are_integers_as_in_json_schema() -> None:
    request = decode(tensor("x", "FP64", [1.0]), tensor("n", "INT64", [3.0]))
    assert request.data["n"].tolist() == [3]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InputSchemaError) as excinfo:
        decode(
            tensor("x", "FP64", [1.0, 2.0], shape=[3]),
            tensor("nope", "FP64", [1.0]),
            tensor("s", "BYTES", ["a"]),
            tensor("s", "BYTES", ["b"]),
        )
    found = problems_of(excinfo)
    assert "3 values for shape [3]" in found["x"]
    assert "not in the signature" in found["nope"]
    assert "sent more than once" in found["s"]
    assert "missing (required)" in found["n"]
    assert isinstance(excinfo.value, SchemaError)


def test_inputs_of_different_lengths_are_refused() -> None:
    with pytest.raises(InputSchemaError, match="different row counts"):
        decode(tensor("x", "FP64", [1.0, 2.0]), tensor("n", "INT64", [1]))


def test_a_column_input_must_be_one_column_wide() -> None:
    with pytest.raises(InputSchemaError, match=r"shape \[n\] or \[n, 1\]"):
        decode(tensor("x", "FP64", [1.0, 2.0], shape=[1, 2]), tensor("n", "INT64", [1]))


def test_messages_never_echo_much_of_the_clients_data() -> None:
    long_value = "v" * 10_000
    with pytest.raises(InputSchemaError) as excinfo:
        decode(tensor("x", "FP64", [long_value]), tensor("n" * 5000, "INT64", [1]))
    message = str(excinfo.value)
    assert long_value[:200] not in message and "n" * 200 not in message
    assert len(message) < 1000


@pytest.mark.parametrize(
    "raw, match",
    [
        (b"{", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"inputs": []}', "non-empty list"),
        (b'{"inputs": [{"name": "x"}]}', "missing key"),
        (b'{"inputs": [], "extra": 1}', "unexpected key"),
        (b'{"inputs": [{"name": "x", "shape": [-1], "datatype": "FP64", "data": []}]}', "shape"),
        (b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": 1}]}', "data"),
        (b'{"id": 5, "inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}]}',
         "'id'"),
        (b'{"outputs": [{}], "inputs": [{"name": "x", "shape": [1], "datatype": "FP64", '
         b'"data": [1]}]}', "'outputs'"),
        (b'{"parameters": [], "inputs": [{"name": "x", "shape": [1], "datatype": "FP64", '
         b'"data": [1]}]}', "'parameters'"),
    ],
)  # fmt: skip
def test_a_body_that_is_not_a_v2_request_is_a_bad_request(raw: bytes, match: str) -> None:
    with pytest.raises(BadRequestError, match=match):
        decode_infer_request(raw, COLUMNS)


def test_deep_json_is_refused_before_it_is_walked() -> None:
    deep = b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": ' + (
        b"[" * 100 + b"1" + b"]" * 100 + b"}]}"
    )
    with pytest.raises(BadRequestError, match="nested deeper"):
        decode_infer_request(deep, COLUMNS, max_depth=64)


def test_parameters_become_params_except_the_protocols_reserved_ones() -> None:
    inputs = (tensor("x", "FP64", [1.0]), tensor("n", "INT64", [1]))
    protocol = {
        "content_type": "pd", "headers": {}, "binary_data_output": True, "priority": 1,
        "timeout": 100, "sequence_id": 7, "sequence_start": True, "sequence_end": False,
        "triton_enable_empty_final_response": True,
    }  # fmt: skip
    assert decode(*inputs, parameters={"k": 3, **protocol}).params == {"k": 3}
    assert decode(*inputs, parameters=protocol).params is None
    declared = Signature(
        COLUMNS.inputs, params=ParamSchema([ParamSpec("timeout", "long", 5)])
    )  # a param named like a protocol one keeps its default over V2
    assert decode(*inputs, signature=declared, parameters={"timeout": 9}).params is None


def test_binary_outputs_asked_for_are_answered_in_json() -> None:
    inputs = (tensor("x", "FP64", [1.0]), tensor("n", "INT64", [1]))
    outputs = [{"name": "label", "parameters": {"binary_data": True, "classification": 0}}]
    request = decode(*inputs, outputs=outputs, parameters={"binary_data_output": True})
    assert request.outputs == ("label",) and request.params is None


@pytest.mark.parametrize(
    "where, parameters, match",
    [
        ("input", {"binary_data_size": 8}, r"inputs\[0\]: the binary tensor data extension"),
        ("input", {"shared_memory_region": "r", "shared_memory_byte_size": 8},
         r"inputs\[0\]: the shared-memory extension"),
        ("output", {"classification": 2}, r"outputs\[0\]: the classification extension"),
        ("output", {"shared_memory_region": "r"}, r"outputs\[0\]: the shared-memory extension"),
    ],
)  # fmt: skip
def test_tensor_parameters_that_need_an_extension_are_a_400_naming_it(
    where: str, parameters: dict[str, Any], match: str
) -> None:
    x = tensor("x", "FP64", [1.0])
    if where == "input":
        x["parameters"] = parameters
        outputs = None
    else:
        outputs = [{"name": "label", "parameters": parameters}]
    with pytest.raises(BadRequestError, match=match):
        decode(x, tensor("n", "INT64", [1]), outputs=outputs)


def test_the_request_id_and_the_outputs_asked_for_are_kept() -> None:
    inputs = (tensor("x", "FP64", [1.0]), tensor("n", "INT64", [1]))
    request = decode(*inputs, id="req-1", outputs=[{"name": "label"}, {"name": "label"}])
    assert request.id == "req-1" and request.outputs == ("label",)
    with pytest.raises(InputSchemaError, match="not an output of this model"):
        decode(*inputs, outputs=[{"name": "nope"}])


def test_an_unnamed_tensor_takes_one_input_of_any_name_reshaped() -> None:
    sig = Signature(Schema([TensorSpec("int64", (-1, 2))]))
    request = decode(tensor("whatever", "INT32", [1, 2, 3, 4], shape=[2, 2]), signature=sig)
    assert request.data.shape == (2, 2) and request.data.dtype == np.int32
    with pytest.raises(InputSchemaError, match="expected datatype INT64"):
        decode(tensor("t", "FP32", [1.0, 2.0], shape=[1, 2]), signature=sig)
    with pytest.raises(InputSchemaError, match="exactly one input"):
        decode(tensor("a", "INT64", [1]), tensor("b", "INT64", [1]), signature=sig)


def test_named_tensors_become_a_dict_of_arrays() -> None:
    sig = Signature(
        Schema([TensorSpec("float32", (-1, 2), "img"), TensorSpec("str", (-1,), "tag")])
    )
    request = decode(
        tensor("img", "FP32", [[1.0, 2.0]], shape=[1, 2]),
        tensor("tag", "BYTES", ["a"]),
        signature=sig,
    )
    assert request.data["img"].dtype == np.float32 and request.data["img"].shape == (1, 2)
    assert request.data["tag"].dtype.kind == "U"


def test_without_a_signature_inputs_are_arrays_frames_or_dicts() -> None:
    one = decode(tensor("a", "FP64", [1, 2, 3, 4], shape=[2, 2]), signature=None)
    assert one.data.shape == (2, 2)
    frame = decode(tensor("a", "FP64", [1, 2]), tensor("b", "BOOL", [True, False]), signature=None)
    assert isinstance(frame.data, pd.DataFrame) and list(frame.data.columns) == ["a", "b"]
    mixed = decode(
        tensor("a", "FP64", [1, 2, 3, 4], shape=[2, 2]), tensor("b", "INT64", [1]), signature=None
    )
    assert set(mixed.data) == {"a", "b"}


def test_binary_columns_take_base64_and_composite_columns_one_value_per_row() -> None:
    sig = Signature(Schema([ColSpec("binary", "b"), ColSpec(Array(DataType.double), "v")]))
    request = decode(
        tensor("b", "BYTES", ["aGk=", "eW8="]),
        tensor("v", "BYTES", [[1.0, 2.0], []]),
        signature=sig,
    )
    assert request.data["b"].tolist() == [b"hi", b"yo"]
    assert request.data["v"].tolist() == [[1.0, 2.0], []]
    with pytest.raises(InputSchemaError, match="base64"):
        decode(tensor("b", "BYTES", ["%%%"]), tensor("v", "BYTES", [[]]), signature=sig)


def test_a_decoded_request_predicts_like_the_model_in_process(
    sklearn_model: Path, frame: pd.DataFrame, logreg: Any
) -> None:
    model = tiffin.pyfunc.load_model(sklearn_model)
    rows = frame.head(4)
    inputs = [tensor(c, "FP64", rows[c].tolist()) for c in rows.columns]
    request = decode(*inputs, signature=model.signature)
    assert model.predict(request.data).tolist() == logreg.predict(rows).tolist()


def outputs(result: Any, **kwargs: Any) -> list[dict[str, Any]]:
    encoded = encode_infer_response(
        result, model_name="m", model_version="2", request_id="r", **kwargs
    )
    answer = orjson.loads(encoded)
    assert (answer["model_name"], answer["model_version"], answer["id"]) == ("m", "2", "r")
    return list(answer["outputs"])


def test_arrays_are_encoded_flat_with_their_shape_and_datatype() -> None:
    assert outputs(np.arange(6, dtype=np.int32).reshape(3, 2)) == [
        {"name": "predict", "shape": [3, 2], "datatype": "INT32", "data": [0, 1, 2, 3, 4, 5]}
    ]
    assert outputs(np.array([np.nan, 1.0]))[0]["data"] == [None, 1.0]
    assert outputs(np.array(["a", "b"]))[0]["datatype"] == "BYTES"
    assert outputs(np.array([b"hi"], dtype=object))[0]["data"] == ["aGk="]
    assert outputs(3)[0]["shape"] == [1]
    when = np.array(["2024-01-02T03:04:05"], dtype="datetime64[s]")
    assert outputs(when)[0]["data"] == ["2024-01-02T03:04:05"]
    assert outputs(pd.Series([1, None], dtype="Int64"))[0]["data"] == [1.0, None]


def test_outputs_are_named_by_the_signature_a_frame_or_a_dict() -> None:
    assert outputs(np.array([1]), signature=COLUMNS)[0]["name"] == "label"
    two = Signature(COLUMNS.inputs, Schema([ColSpec("double", "a"), ColSpec("double", "b")]))
    assert [o["name"] for o in outputs(np.ones((2, 2)), signature=two)] == ["a", "b"]
    frame = pd.DataFrame({"p": [0.1], "q": [[1.0, 2.0]]})
    assert outputs(frame) == [
        {"name": "p", "shape": [1], "datatype": "FP64", "data": [0.1]},
        {"name": "q", "shape": [1, 2], "datatype": "FP64", "data": [1.0, 2.0]},
    ]
    assert [o["name"] for o in outputs({"x": [1], "y": ["a"]})] == ["x", "y"]
    mixed = outputs([{"a": 1}, dt.date(2024, 1, 2)])
    assert mixed[0]["datatype"] == "BYTES" and mixed[0]["data"] == ['{"a":1}', '"2024-01-02"']


def test_only_the_outputs_asked_for_are_returned() -> None:
    both = {"x": [1], "y": [2]}
    assert [o["name"] for o in outputs(both, outputs=["y"])] == ["y"]
    with pytest.raises(InputSchemaError, match="not an output"):
        outputs(both, outputs=["z"])


def test_metadata_describes_the_signature_as_v2_tensors() -> None:
    meta = model_metadata("m", "3", COLUMNS, "sklearn")
    assert meta["versions"] == ["3"] and meta["platform"] == "sklearn"
    assert meta["inputs"][2] == {
        "name": "s",
        "datatype": "BYTES",
        "shape": [-1],
        "parameters": {"mlflow_type": "string", "required": False},
    }
    assert meta["outputs"][0]["name"] == "label"
    assert meta["parameters"]["params"] == [
        {"name": "k", "default": 5, "shape": None, "type": "long"}
    ]
    tensors = Signature(
        Schema([TensorSpec("uint8", (-1, 28, 28))]), Schema([TensorSpec("float32", (-1, 10))])
    )
    meta = model_metadata("img", "1", tensors, "python_function")
    assert meta["inputs"] == [{"name": "input-0", "datatype": "UINT8", "shape": [-1, 28, 28]}]
    assert meta["outputs"] == [{"name": "predict", "datatype": "FP32", "shape": [-1, 10]}]
    assert model_metadata("m", "1", None, "x")["inputs"] == []
    assert server_metadata() == {"name": "tiffin", "version": tiffin.__version__, "extensions": []}


def test_unnamed_columns_take_one_matrix_matched_by_position() -> None:
    sig = Signature(Schema([ColSpec("long"), ColSpec("long")]))
    request = decode(tensor("any", "INT64", [1, 2, 3, 4], shape=[2, 2]), signature=sig)
    assert request.data.tolist() == [[1, 2], [3, 4]]
    with pytest.raises(InputSchemaError, match=r"shape \[n, 2\]"):
        decode(tensor("any", "INT64", [1, 2, 3], shape=[1, 3]), signature=sig)
    with pytest.raises(InputSchemaError, match="unnamed"):
        decode(tensor("a", "INT64", [1]), tensor("b", "INT64", [1]), signature=sig)
