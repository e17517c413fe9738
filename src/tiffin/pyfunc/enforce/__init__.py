"""Schema enforcement: check a model's input and params against its signature, strictly.

MLflow's enforcement converts what it can and warns about the rest; tiffin's refuses anything
lossy or ambiguous, and reports **every** problem in one :class:`InputSchemaError` (a
:class:`~tiffin.errors.SchemaError`) whose ``problems`` are data a server can return. The rules:

* columns (:mod:`tiffin.pyfunc.enforce.columns`): exact dtypes pass untouched; only widenings
  that keep every value are done; missing values are a problem in required columns only;
* input shapes (:mod:`tiffin.pyfunc.enforce.inputs`): unnamed data is matched by position only
  when its width equals the signature's;
* names (:mod:`tiffin.pyfunc.enforce.frames`): missing required columns *and extra columns* are
  problems (MLflow drops extras with a warning); output columns are in schema order;
* cells and params (:mod:`tiffin.pyfunc.enforce.values`): one rule set for Python values;
* tensors (:mod:`tiffin.pyfunc.enforce.tensors`): shape with ``-1`` wildcards, exact dtype or a
  widening within one kind;
* missing values decoded from JSON, CSV or JSON Lines (:mod:`tiffin.pyfunc.enforce.wire_nulls`):
  the one rule the server and batch prediction share;
* the problem records and the error that carries them (:mod:`tiffin.pyfunc.enforce.problems`).

This package is the one door: :mod:`tiffin.pyfunc.model` (in-process predict),
:mod:`tiffin.serve` and :mod:`tiffin.batch` import enforcement from here, so the server and
in-process predict visibly apply the same rules. Names are imported on first use (PEP 562):
``from tiffin.pyfunc.enforce import Problem`` does not import pandas.

Example:
    >>> from tiffin.format.schema import ColSpec, Schema
    >>> from tiffin.pyfunc.enforce import enforce_input
    >>> schema = Schema([ColSpec("long", "age"), ColSpec("string", "city")])
    >>> enforce_input({"age": 31, "city": "Pune"}, schema).dtypes.tolist()
    [dtype('int64'), <StringDtype(na_value=nan)>]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffin._lazy import lazy_names

if TYPE_CHECKING:
    from tiffin.pyfunc.enforce.frames import ColumnPlan, column_plan
    from tiffin.pyfunc.enforce.inputs import to_frame
    from tiffin.pyfunc.enforce.problems import (
        MAX_LISTED,
        InputSchemaError,
        Problem,
        held_at,
        rows_detail,
        show,
    )
    from tiffin.pyfunc.enforce.signature import enforce_input, enforce_params
    from tiffin.pyfunc.enforce.values import is_missing
    from tiffin.pyfunc.enforce.wire_nulls import null_problem, refuse_wire_nulls, required_floats

__all__ = [
    "ColumnPlan",
    "InputSchemaError",
    "MAX_LISTED",
    "Problem",
    "column_plan",
    "enforce_input",
    "enforce_params",
    "held_at",
    "is_missing",
    "null_problem",
    "refuse_wire_nulls",
    "required_floats",
    "rows_detail",
    "show",
    "to_frame",
]

_WHERE = {
    "ColumnPlan": "frames",
    "InputSchemaError": "problems",
    "MAX_LISTED": "problems",
    "Problem": "problems",
    "column_plan": "frames",
    "enforce_input": "signature",
    "enforce_params": "signature",
    "held_at": "problems",
    "is_missing": "values",
    "null_problem": "wire_nulls",
    "refuse_wire_nulls": "wire_nulls",
    "required_floats": "wire_nulls",
    "rows_detail": "problems",
    "show": "problems",
    "to_frame": "inputs",
}


__getattr__ = lazy_names(__name__, _WHERE, relative=True)
