"""Column schemas: matching a DataFrame's columns to the signature and converting each one.

The hot path is a frame that already matches: the same column names in the same order with the
exact dtypes. That is decided from ``df.columns.equals`` and one ``df.dtypes`` call (about 20 us
for 20 columns; per-column ``df[name]`` access would cost 10 us *each*) against a plan cached per
schema, and the caller's frame is returned as is, without a copy. Otherwise only the columns that
need work are touched, and the result is built with ``take`` and ``isetitem``, which do not copy
untouched columns.

Example:
    >>> import pandas as pd
    >>> from tiffin.format.schema import ColSpec, Schema
    >>> schema = Schema([ColSpec("double", "x")])
    >>> df = pd.DataFrame({"x": [1.0]})
    >>> enforce_columns(df, schema) is df
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tiffin.format.schema import ColSpec, Schema
from tiffin.format.types import AnyType, DataType, ValueType, type_repr
from tiffin.pyfunc.enforce.columns import NUMPY_TARGETS, Outcome, convert_column
from tiffin.pyfunc.enforce.inputs import to_frame
from tiffin.pyfunc.enforce.problems import InputSchemaError, Problem, rows_detail
from tiffin.pyfunc.enforce.values import MAX_ISSUES, Issue, check_value, is_missing

__all__ = ["ColumnPlan", "column_plan", "convert_cells", "enforce_columns"]


@dataclass(frozen=True)
class ColumnPlan:
    """What a column schema needs, computed once per schema object."""

    schema: Schema
    specs: tuple[ColSpec, ...]
    names: tuple[str | int, ...] | None
    index: Any
    object_index: Any
    """The same labels as plain objects: comparing an index with one of another dtype takes
    pandas' slow path (~30 us), and frames decoded by the server carry object labels."""
    targets: tuple[np.dtype[Any] | None, ...]
    fast_dtypes: list[np.dtype[Any] | None] | None
    composite: bool


_PLANS: dict[int, ColumnPlan] = {}


def column_plan(schema: Schema) -> ColumnPlan:
    """The cached plan for ``schema``, keyed by identity: schemas are immutable and few.

    Building the plan (names, target dtypes, a pandas Index to compare columns with) costs more
    than the fast path itself, so it is done once per schema object.

    Example:
        >>> from tiffin.format.schema import ColSpec, Schema
        >>> schema = Schema([ColSpec("long", "n")])
        >>> column_plan(schema) is column_plan(schema)
        True
    """
    plan = _PLANS.get(id(schema))
    if plan is not None and plan.schema is schema:
        return plan
    specs = tuple(s for s in schema.specs if isinstance(s, ColSpec))
    names = tuple(s.name for s in specs if s.name is not None) if schema.has_names else None
    targets = tuple(
        NUMPY_TARGETS.get(s.type) if isinstance(s.type, DataType) else None for s in specs
    )
    plan = ColumnPlan(
        schema=schema,
        specs=specs,
        names=names,
        index=pd.Index(names) if names is not None else None,
        object_index=pd.Index(names, dtype=object) if names is not None else None,
        targets=targets,
        # not `None in targets`: numpy says np.dtype("float64") == None (dtype(None) is float64)
        fast_dtypes=list(targets) if all(t is not None for t in targets) else None,
        composite=any(not isinstance(s.type, DataType) for s in specs),
    )
    if len(_PLANS) >= 256:
        _PLANS.clear()
    _PLANS[id(schema)] = plan
    return plan


def enforce_columns(data: Any, schema: Schema) -> Any:
    """Check and convert ``data`` for a column schema; return a DataFrame in schema order.

    Raises:
        InputSchemaError: with every problem found.

    Example:
        >>> from tiffin.format.schema import ColSpec, Schema
        >>> enforce_columns([[1, "a"]], Schema([ColSpec("long", "n"), ColSpec("string", "s")]))
           n  s
        0  1  a
    """
    plan = column_plan(schema)
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        frame = to_frame(data, plan.names, len(plan.specs), plan.composite)
    dtypes = frame.dtypes.tolist()
    if plan.names is None:
        if frame.shape[1] == len(plan.specs) and dtypes == plan.fast_dtypes:
            return frame
        return _unnamed(frame, plan, dtypes)
    columns = frame.columns
    same = columns.equals(plan.object_index if columns.dtype == object else plan.index)
    if same and dtypes == plan.fast_dtypes:
        return frame
    labels = list(plan.names) if same else frame.columns.tolist()
    return _named(frame, plan, labels, dtypes)


def _named(frame: Any, plan: ColumnPlan, labels: list[Any], dtypes: list[Any]) -> Any:
    positions: dict[Any, list[int]] = {}
    for i, label in enumerate(labels):
        positions.setdefault(label, []).append(i)
    problems: list[Problem] = []
    taken: list[int] = []
    changes: dict[int, Any] = {}
    for spec, name, dst in zip(plan.specs, plan.names or (), plan.targets, strict=True):
        where = positions.get(name, [])
        if len(where) != 1:
            if not where and spec.required:
                problems.append(Problem(name, type_repr(spec.type), "", "missing (required)"))
            continue
        pos = where[0]
        if not _same_numpy(dtypes[pos], dst):
            values, found = _convert(frame, pos, spec, name, by_label=True)
            problems += found
            if values is not None:
                changes[len(taken)] = values
        taken.append(pos)
    problems += _label_problems(
        positions, plan.names or (), isinstance(frame.columns, pd.RangeIndex)
    )
    if problems:
        raise InputSchemaError(problems)
    return _assemble(frame, taken, changes)


def _same_numpy(dtype: Any, dst: np.dtype[Any] | None) -> bool:
    return dst is not None and type(dtype) is type(dst) and bool(dtype == dst)


def _label_problems(
    positions: dict[Any, list[int]], names: tuple[str | int, ...], unnamed: bool
) -> list[Problem]:
    known = set(names)
    hint = "; the input's columns are unnamed (0..n-1): name them" if unnamed else ""
    problems = [
        Problem(label, detail=f"appears {len(where)} times")
        if label in known
        else Problem(label, detail=f"not in the signature (extra){hint}")
        for label, where in positions.items()
        if label not in known or len(where) > 1
    ]
    return problems


def _unnamed(frame: Any, plan: ColumnPlan, dtypes: list[Any]) -> Any:
    count, width = len(plan.specs), frame.shape[1]
    problems: list[Problem] = []
    if width != count:
        detail = "unnamed signature columns are matched by position, so the counts must be equal"
        expected, received = f"{count} column(s)", f"{width} column(s)"
        problems.append(Problem(None, expected, received, detail, kind="input"))
    changes: dict[int, Any] = {}
    for i, (spec, dst) in enumerate(zip(plan.specs[:width], plan.targets, strict=False)):
        if not _same_numpy(dtypes[i], dst):
            values, found = _convert(frame, i, spec, i, by_label=False)
            problems += found
            if values is not None:
                changes[i] = values
    if problems:
        raise InputSchemaError(problems)
    return _assemble(frame, list(range(count)), changes)


def _convert(frame: Any, pos: int, spec: ColSpec, field: str | int, by_label: bool) -> Outcome:
    col = frame[field] if by_label else frame.iloc[:, pos]
    if isinstance(spec.type, DataType):
        return convert_column(col, spec.type, field, spec.required)
    return convert_cells(col, spec.type, field, spec.required)


def _assemble(frame: Any, taken: list[int], changes: dict[int, Any]) -> Any:
    if taken == list(range(frame.shape[1])):
        if not changes:
            return frame
        out = frame.copy(deep=False)
    else:
        out = frame.take(taken, axis=1)
    for i, values in changes.items():
        # isetitem copies a bare array; a Series on the same index is taken as is (pandas 3)
        big = isinstance(values, np.ndarray) and len(values) > 10_000
        out.isetitem(i, pd.Series(values, index=out.index, copy=False) if big else values)
    return out


def convert_cells(col: Any, vtype: ValueType, field: str | int, required: bool) -> Outcome:
    """Validate every cell of an array/object/map column (the only per-cell loop).

    Example:
        >>> import pandas as pd
        >>> from tiffin.format.types import Array
        >>> _, [p] = convert_cells(pd.Series([["a"], [1]]), Array(DataType.string), "t", True)
        >>> p.describe()
        "column 't' at row 1, item 0: expected string, received int (1)"
    """
    if isinstance(vtype, AnyType):
        return None, []
    issues: list[Issue] = []
    missing: list[Any] = []
    out = np.empty(len(col), dtype=object)
    for i, (label, cell) in enumerate(zip(col.index, col.tolist(), strict=True)):
        if is_missing(cell):
            missing.append(label)
        elif len(issues) < MAX_ISSUES:
            out[i] = check_value(cell, vtype, f"row {label}", issues)
    problems = [Problem(field, i.expected, i.received, i.detail, at=i.at) for i in issues]
    if missing and required:
        rows = rows_detail(missing, len(missing))
        detail = f"required but has {len(missing)} missing value(s) ({rows})"
        problems.append(Problem(field, type_repr(vtype), "", detail))
    return (None, problems) if problems else (out, [])
