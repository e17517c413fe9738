"""``Piece``: one chunk of an input file, as a worker receives it.

A piece carries how to read its rows, not the rows: for CSV and JSON Lines the worker reads and
parses its own byte range, so parsing runs on every core and the reader thread holds no data.
Row offsets are not known until earlier pieces are parsed; the pipeline counts them in order.

Example:
    >>> import pyarrow as pa
    >>> piece = Piece(0, 3, lambda strict=True: pa.table({"x": [1, 2, 3]}))
    >>> piece.read().num_rows
    3
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Piece"]


@dataclass(frozen=True)
class Piece:
    """A chunk of the input in file order.

    Attributes:
        index: Its position in the file (0 first).
        size: What it adds to the progress bar when done (bytes for text, rows for Parquet).
        read: ``read(strict=True)`` returns its rows as a ``pyarrow.Table``;
            ``read(strict=False)`` returns them as a pandas DataFrame with every column's type
            inferred instead of taken from the signature (to explain a failure).
    """

    index: int
    size: int
    read: Callable[..., Any]
