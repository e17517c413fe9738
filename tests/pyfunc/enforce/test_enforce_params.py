"""Inference params: types, list shapes, defaults, and unknown names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from tiffin.format.schema import ParamSchema, ParamSpec
from tiffin.format.types import DataType, Object, Property
from tiffin.pyfunc.enforce import InputSchemaError, enforce_params

SCHEMA = ParamSchema(
    [
        ParamSpec("k", "long", 5),
        ParamSpec("temperature", "double", 0.5),
        ParamSpec("greedy", "boolean", False),
        ParamSpec("stop", "string", ["\n"], (-1,)),
        ParamSpec("when", "datetime", "2024-01-01T10:00:00"),
        ParamSpec("opts", Object((Property("n", DataType.long),)), {"n": 1}),
    ]
)


def problems(params: Any, schema: ParamSchema | None = SCHEMA) -> list[str]:
    with pytest.raises(InputSchemaError) as info:
        enforce_params(params, schema)
    return [p.describe() for p in info.value.problems]


def test_missing_params_get_their_defaults() -> None:
    assert enforce_params(None, SCHEMA) == {
        "k": 5,
        "temperature": 0.5,
        "greedy": False,
        "stop": ["\n"],
        "when": dt.datetime(2024, 1, 1, 10, 0),
        "opts": {"n": 1},
    }


def test_none_means_use_the_default() -> None:
    assert enforce_params({"k": None}, SCHEMA)["k"] == 5


def test_defaults_are_fresh_copies() -> None:
    enforce_params({}, SCHEMA)["stop"].append("x")
    assert enforce_params({}, SCHEMA)["stop"] == ["\n"]


def test_allowed_conversions_return_builtins() -> None:
    out = enforce_params({"k": np.int64(3), "temperature": 1, "greedy": np.bool_(True)}, SCHEMA)
    assert (out["k"], out["temperature"], out["greedy"]) == (3, 1.0, True)
    assert type(out["k"]) is int and type(out["temperature"]) is float
    assert type(out["greedy"]) is bool


def test_wrong_types_are_all_reported_together() -> None:
    assert problems({"k": 1.5, "temperature": "hot", "greedy": 1}) == [
        "param 'k': expected long, received float (1.5)",
        "param 'temperature': expected double, received str ('hot')",
        "param 'greedy': expected boolean, received int (1)",
    ]


def test_bool_is_not_an_int() -> None:
    assert problems({"k": True}) == ["param 'k': expected long, received bool (True)"]


def test_unknown_params_are_refused() -> None:
    assert problems({"topk": 3}) == [
        "param 'topk': not in the signature (known: greedy, k, opts, stop, temperature, when)"
    ]


def test_list_params_need_a_list_and_check_each_item() -> None:
    assert enforce_params({"stop": ("a", "b")}, SCHEMA)["stop"] == ["a", "b"]
    assert problems({"stop": "a"}) == [
        "param 'stop': expected a list of string (shape [-1]), received str"
    ]
    assert problems({"stop": ["a", 1]}) == [
        "param 'stop' at item 1: expected string, received int (1)"
    ]


def test_datetime_params_parse_iso_strings() -> None:
    assert enforce_params({"when": "2024-05-06"}, SCHEMA)["when"] == dt.date(2024, 5, 6)
    assert "not an ISO 8601" in problems({"when": "soon"})[0]


def test_object_params_are_checked_like_object_columns() -> None:
    assert enforce_params({"opts": {"n": 2}}, SCHEMA)["opts"] == {"n": 2}
    assert problems({"opts": {"n": "2", "m": 1}}) == [
        "param 'opts' at property 'm': not in the schema (unknown property)",
        "param 'opts' at property 'n': expected long, received str ('2')",
    ]


def test_params_must_be_a_dict() -> None:
    assert problems([1]) == ["params: expected a dict of name -> value, received list"]


def test_a_model_without_params_refuses_them() -> None:
    assert enforce_params(None, None) == {}
    assert enforce_params({}, None) == {}
    assert problems({"k": 1}, None) == ["params: this model takes no params; got ['k']"]
