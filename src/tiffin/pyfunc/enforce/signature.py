"""The two entry points of schema enforcement: a model's input, and its params.

:func:`enforce_input` sends column schemas to :mod:`tiffin.pyfunc.enforce.frames` and tensor
schemas to :mod:`tiffin.pyfunc.enforce.tensors`; :func:`enforce_params` checks inference params
with the cell rules of :mod:`tiffin.pyfunc.enforce.values`. Both raise one
:class:`~tiffin.pyfunc.enforce.problems.InputSchemaError` listing every problem.

Example:
    >>> import pandas as pd
    >>> from tiffin.format.schema import ColSpec, Schema
    >>> schema = Schema([ColSpec("long", "age"), ColSpec("string", "city")])
    >>> enforce_input({"age": 31, "city": "Pune"}, schema).dtypes.tolist()
    [dtype('int64'), <StringDtype(na_value=nan)>]
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from tiffin.format.schema import ParamSchema, ParamSpec, Schema
from tiffin.format.types import type_repr
from tiffin.pyfunc.enforce.frames import enforce_columns
from tiffin.pyfunc.enforce.problems import InputSchemaError, Problem, show
from tiffin.pyfunc.enforce.tensors import enforce_tensors
from tiffin.pyfunc.enforce.values import Issue, check_item, check_value, is_missing

__all__ = ["enforce_input", "enforce_params"]


def enforce_input(data: Any, schema: Schema) -> Any:
    """Check ``data`` against ``schema`` and convert it for the model.

    Args:
        data: A DataFrame, Series, dict, list of dicts, list, numpy array or scalar (column
            schemas); a numpy array, list, dict of arrays or DataFrame (tensor schemas).
        schema: The model signature's inputs.

    Returns:
        A DataFrame with the schema's columns in schema order for column schemas (the caller's
        own frame, uncopied, when it already matches); an ndarray for an unnamed tensor schema
        and a ``dict[str, ndarray]`` for a named one.

    Raises:
        InputSchemaError: listing every problem found.

    Example:
        >>> from tiffin.format.schema import ColSpec, Schema
        >>> schema = Schema([ColSpec("double", "x")])
        >>> enforce_input({"x": [1, 2]}, schema)["x"].tolist()
        [1.0, 2.0]
        >>> enforce_input({"x": ["a"]}, schema)
        Traceback (most recent call last):
        ...
        tiffin.pyfunc.enforce.problems.InputSchemaError: input does not match the model \
signature (1 problem):
        - column 'x': expected double, received str (holds strings: row 0 holds 'a' (str))
    """
    if schema.is_tensor:
        return enforce_tensors(data, schema)
    return enforce_columns(data, schema)


def enforce_params(params: Mapping[str, Any] | None, schema: ParamSchema | None) -> dict[str, Any]:
    """Check inference params and fill in defaults; every declared param is in the result.

    Unknown params are refused (MLflow drops them with a warning, so a typo silently means "use
    the default"). ``None`` for a param means "not given": its default is used. Values are
    converted to Python builtins (``datetime`` params to :mod:`datetime` objects).

    Example:
        >>> from tiffin.format.schema import ParamSchema, ParamSpec
        >>> schema = ParamSchema([ParamSpec("k", "long", 5), ParamSpec("t", "double", 0.5)])
        >>> enforce_params({"t": 1}, schema)
        {'k': 5, 't': 1.0}
        >>> enforce_params({"k": 1.5}, schema)
        Traceback (most recent call last):
        ...
        tiffin.pyfunc.enforce.problems.InputSchemaError: params do not match the model \
signature (1 problem):
        - param 'k': expected long, received float (1.5)
    """
    if schema is None:
        if params is None or (isinstance(params, Mapping) and not params):
            return {}
        _check_is_mapping(params)
        detail = f"this model takes no params; got {show(list(params), 200)}"
        raise InputSchemaError([Problem(None, detail=detail, kind="params")], what="params")
    params = {} if params is None else params
    _check_is_mapping(params)
    known = {spec.name: spec for spec in schema.params}
    names = ", ".join(sorted(known)[:10])
    detail = f"not in the signature (known: {names})" if names else "not in the signature"
    problems = [Problem(k, detail=detail, kind="param") for k in params if k not in known]
    out: dict[str, Any] = {}
    for spec in schema.params:
        value = params.get(spec.name)
        if value is None:
            out[spec.name] = _default(spec)
        else:
            out[spec.name] = _param_value(value, spec, problems)
    if problems:
        raise InputSchemaError(problems, what="params")
    return out


def _check_is_mapping(params: Any) -> None:
    if not isinstance(params, Mapping):
        problem = Problem(None, "a dict of name -> value", type(params).__name__, kind="params")
        raise InputSchemaError([problem], what="params")


def _param_value(value: Any, spec: ParamSpec, problems: list[Problem]) -> Any:
    issues: list[Issue] = []
    if spec.shape is None:
        converted = check_value(value, spec.type, "", issues)
    elif isinstance(value, list | tuple | np.ndarray) and np.ndim(value) == 1:
        items = value.tolist() if isinstance(value, np.ndarray) else list(value)
        converted = [check_item(v, spec.type, f"item {i}", issues) for i, v in enumerate(items)]
    else:
        expected = f"a list of {type_repr(spec.type)} (shape [-1])"
        issues.append(Issue("", expected, type(value).__name__, ""))
        converted = None
    problems += [
        Problem(spec.name, i.expected, i.received, i.detail, "param", i.at) for i in issues
    ]
    return converted


def _default(spec: ParamSpec) -> Any:
    """The default as the model should see it: a fresh copy, datetime strings parsed."""
    if spec.default is None:
        return None
    issues: list[Issue] = []
    if spec.shape is None:
        value = check_value(spec.default, spec.type, "", issues)
    else:
        value = [
            None if is_missing(v) else check_value(v, spec.type, "", issues) for v in spec.default
        ]
    return copy.deepcopy(spec.default) if issues else value
