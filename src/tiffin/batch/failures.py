"""Turn a chunk's failure into a :class:`~tiffin.errors.SchemaError` that names rows in the file.

A worker does not know where its piece starts in the file (text ranges are cut by bytes), so a
failure travels back as data (:class:`Failure`) and the main thread, which counts rows in
order, explains it: enforcement is run again on the failed rows, numbered as in the file, so
the message says ``rows [100003]``, not a chunk-local 3. When text did not parse as the
signature's type (``double`` holding ``oops``), the cells that are not numbers are found and
named, which a per-column enforcement message alone would not do.

Example:
    >>> import pandas as pd
    >>> from tiffin.format.schema import ColSpec, Schema
    >>> frame = pd.DataFrame({"x": ["1.5", "oops"]})
    >>> err = explain(Failure(ValueError("conversion"), frame), 10, "in.csv",
    ...               Schema([ColSpec("double", "x")]))
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    in.csv, rows 10 to 11 (counted from 0, header excluded): input does not match the model \
signature (1 problem):
    - column 'x' at rows [11]: expected double, received str ('oops')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tiffin.errors import SchemaError
from tiffin.format.schema import ColSpec, Schema
from tiffin.format.types import DataType
from tiffin.pyfunc.enforce import InputSchemaError, Problem, refuse_wire_nulls, rows_detail, show

__all__ = ["Failure", "explain"]

_NUMERIC = {DataType.integer, DataType.long, DataType.float, DataType.double}
_MESSAGE_CHARS = 300


@dataclass
class Failure:
    """A piece that failed to parse or to pass enforcement.

    Attributes:
        error: What was raised (pyarrow's ``ArrowInvalid`` or a ``SchemaError``).
        frame: The piece's rows as a DataFrame (types inferred when parsing as the signature's
            types failed), or ``None`` when even that failed.
        from_text: The piece came from CSV or JSON Lines, where the server's rule for missing
            values applies (:func:`tiffin.pyfunc.enforce.wire_nulls.refuse_wire_nulls`).
    """

    error: Exception
    frame: Any
    from_text: bool = False


def _unparsed_cells(frame: Any, inputs: Schema) -> list[Problem]:
    """Numeric signature columns that hold text which is not a number: which rows, what text."""
    import pandas as pd

    problems = []
    for spec in inputs.specs:
        if not (isinstance(spec, ColSpec) and isinstance(spec.type, DataType)):
            continue
        if spec.type not in _NUMERIC or spec.name not in frame:
            continue
        column = frame[spec.name]
        if pd.api.types.is_numeric_dtype(column.dtype):
            continue
        bad = column.notna() & pd.to_numeric(column, errors="coerce").isna()
        if bad.any():
            labels = list(column.index[bad][:5])
            sample = ", ".join(show(v, 30) for v in column[bad][:3])
            at = rows_detail(labels, int(bad.sum()))
            problems.append(Problem(spec.name, spec.type.value, "str", sample, "column", at))
    return problems


def explain(failure: Failure, first_row: int, name: str, inputs: Schema | None) -> SchemaError:
    """The error to raise for ``failure``, whose piece starts at row ``first_row`` of ``name``.

    Example:
        >>> explain(Failure(ValueError("bad"), None), 5, "in.csv", None).args[0]
        'in.csv, in the rows from row 5 (counted from 0, header excluded): bad'
    """
    import pandas as pd

    from tiffin.pyfunc.enforce import enforce_input

    frame, error = failure.frame, failure.error
    text = ""
    if frame is None:
        where = f"{name}, in the rows from row {first_row:,}"
    else:
        where = f"{name}, rows {first_row:,} to {first_row + max(len(frame) - 1, 0):,}"
        frame.index = pd.RangeIndex(first_row, first_row + len(frame))
        if inputs is not None and not inputs.is_tensor:
            cells = _unparsed_cells(frame, inputs)
            if cells:
                text = str(InputSchemaError(cells))
        if inputs is not None and not text:
            try:
                if failure.from_text:
                    refuse_wire_nulls(frame, inputs)
                enforce_input(frame, inputs)
            except SchemaError as e:
                text = str(e)
    if not text:
        text = str(error)
        if not isinstance(error, SchemaError) and len(text) > _MESSAGE_CHARS:
            text = text[:_MESSAGE_CHARS] + "..."
    new = SchemaError(f"{where} (counted from 0, header excluded): {text}")
    new.__cause__ = error
    return new
