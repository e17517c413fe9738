"""Arrow columns as the plain types a signature names: dictionary-encoded columns decoded.

Parquet stores a pandas ``Categorical`` (and any column pyarrow dictionary-encoded) as a
dictionary: integer indices into a table of values. ``to_pandas`` turns that back into a
``Categorical``, which enforcement rightly refuses for a ``string`` column ("received
category"): the file's encoding is not the data's type. So a table read from Parquet has its
dictionaries decoded to their value type (strings stay strings, integers integers) before it
becomes a frame, in batch prediction and in the server's Parquet decode alike.

Example:
    >>> import pyarrow as pa
    >>> table = pa.table({"city": pa.array(["a", "b", "a"]).dictionary_encode()})
    >>> decode_dictionaries(table).schema.field("city").type
    DataType(string)
"""

from __future__ import annotations

from typing import Any

__all__ = ["decode_dictionaries"]


def decode_dictionaries(table: Any) -> Any:
    """``table`` (a ``pyarrow.Table`` or ``RecordBatch``) with every top-level dictionary
    column decoded to its value type; the same object when it has none.

    Example:
        >>> import pyarrow as pa
        >>> plain = pa.table({"x": [1.0]})
        >>> decode_dictionaries(plain) is plain
        True
    """
    import pyarrow as pa

    schema = table.schema
    if not any(pa.types.is_dictionary(field.type) for field in schema):
        return table
    columns, fields = [], []
    for field, column in zip(schema, table.columns, strict=True):
        if pa.types.is_dictionary(field.type):
            column = column.cast(field.type.value_type)
            field = field.with_type(field.type.value_type)
        columns.append(column)
        fields.append(field)
    decoded = pa.schema(fields, metadata=schema.metadata)
    return type(table).from_arrays(columns, schema=decoded)
