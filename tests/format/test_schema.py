"""Signatures written by either side parse on the other, and to_dict() is equal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from tiffin.errors import FormatError
from tiffin.format.schema import ColSpec, ParamSchema, ParamSpec, Schema, Signature, TensorSpec
from tiffin.format.types import AnyType, Array, DataType, Map, Object, Property


def _mlflow_signatures() -> list[Any]:
    from mlflow.models.signature import ModelSignature
    from mlflow.types import schema as s

    cols = s.Schema(
        [s.ColSpec(t, f"c_{t}") for t in s.DataType.__members__]
        + [
            s.ColSpec("long", "opt", required=False),
            s.ColSpec(s.Array("string"), "arr"),
            s.ColSpec(s.Object([s.Property("n", "long"), s.Property("o", "string", False)]), "obj"),
            s.ColSpec(s.Map("double"), "map"),
            s.ColSpec(s.AnyType(), "any"),
            s.ColSpec(s.Array(s.Array(s.Object([s.Property("z", s.Map("long"))]))), "deep"),
        ]
    )
    tensors = s.Schema(
        [
            s.TensorSpec(np.dtype("float32"), (-1, 3), "t"),
            s.TensorSpec(np.dtype("str"), (-1,), "u"),
            s.TensorSpec(np.dtype("object"), (-1,), "o"),
            s.TensorSpec(np.dtype("uint8"), (-1, 2, 2), "img"),
        ]
    )
    params = s.ParamSchema(
        [
            s.ParamSpec("k", "long", 5),
            s.ParamSpec("names", "string", ["a", "b"], (-1,)),
            s.ParamSpec("when", "datetime", dt.datetime(2024, 1, 2)),
            s.ParamSpec(
                "o",
                s.Object([s.Property("b", "long"), s.Property("a", "string")]),
                {"a": "x", "b": 1},
            ),
            s.ParamSpec("f", "float", 1.5),
            s.ParamSpec("flag", "boolean", False),
            s.ParamSpec("none", "double", None),
        ]
    )
    unnamed = s.Schema([s.ColSpec("double")])
    return [
        ModelSignature(cols, tensors, params),
        ModelSignature(unnamed, None),
        ModelSignature(tensors, s.Schema([s.TensorSpec(np.dtype("int64"), (-1,))])),
    ]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_mlflow_signatures_round_trip_through_tiffin(index: int) -> None:
    from mlflow.models.signature import ModelSignature

    theirs = _mlflow_signatures()[index]
    ours = Signature.from_dict(theirs.to_dict())
    assert ours.to_dict() == theirs.to_dict()
    assert ModelSignature.from_dict(ours.to_dict()) == theirs


def test_tiffin_signature_parses_in_mlflow() -> None:
    from mlflow.models.signature import ModelSignature

    ours = Signature(
        inputs=Schema(
            [
                ColSpec(DataType.double, "x"),
                ColSpec("string", "s", required=False),
                ColSpec(Array(DataType.long), "a"),
                ColSpec(Object((Property("p", DataType.boolean),)), "o"),
                ColSpec(Map(DataType.string), "m"),
                ColSpec(AnyType(), "any"),
            ]
        ),
        outputs=Schema([TensorSpec("float64", (-1, 2))]),
        params=ParamSchema([ParamSpec("k", DataType.long, 3), ParamSpec("t", "double", 0.5)]),
    )
    assert ModelSignature.from_dict(ours.to_dict()).to_dict() == ours.to_dict()


def test_legacy_spellings_are_read_and_current_ones_written() -> None:
    sig = Signature.from_dict(
        {
            "inputs": '[{"type": "double", "name": "x", "optional": true}]',
            "params": '[{"name": "k", "default": 1, "shape": null, "dtype": "long"}]',
        }
    )
    assert sig.to_dict()["inputs"] == '[{"type": "double", "name": "x", "required": false}]'
    assert '"type": "long"' in str(sig.to_dict()["params"])


@pytest.mark.parametrize(
    "make",
    [
        lambda: Schema([]),
        lambda: Schema([ColSpec("double", "a"), ColSpec("double")]),
        lambda: Schema([ColSpec("double", "a"), TensorSpec("float32", (-1,), "t")]),
        lambda: Schema([ColSpec("double", "a"), ColSpec("long", "a")]),
        lambda: ParamSpec("p", "binary", b""),
        lambda: ParamSpec("p", "long", "five"),
        lambda: ParamSpec("p", "long", [1], (2,)),
        lambda: TensorSpec("<U5", (-1,)),
    ],
    ids=[
        "empty",
        "named-and-unnamed",
        "mixed-specs",
        "duplicate-names",
        "binary-param",
        "bad-default",
        "bad-shape",
        "sized-string",
    ],
)
def test_invalid_schemas_are_format_errors(make: Any) -> None:
    with pytest.raises(FormatError):
        make()
