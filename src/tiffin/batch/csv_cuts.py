"""Where a CSV file may be cut into ranges: at a newline outside every quoted value.

pandas writes free text with newlines inside quotes (``"line one\\nline two"``), so the first
newline after an offset is not always a row's end. Whether an offset is inside a quoted value
depends on every quote before it (RFC 4180: a quote opens or closes a value, and an escaped
``""`` counts twice, so only the parity matters), which no local look can tell. So the cuts
are found by one pass over the file, front to back, counting quotes with ``bytes.count`` (C
speed, a few GB/s): :class:`CsvCuts` keeps the parity between calls, and a cut is the first
newline at or after the target where the parity is even. The pass runs in the main thread while
the workers parse the earlier ranges.

Each cut also says whether its range holds any quote: a range without one cannot have a newline
inside a value and is parsed with pyarrow's faster default (``newlines_in_values=False``).

Example:
    >>> import io
    >>> data = b'a,b\\n1,"x\\ny"\\n2,z\\n'
    >>> cuts = CsvCuts(io.BytesIO(data), 4, len(data), "in.csv")
    >>> cuts.next_cut(5)  # the newline at 8 is inside quotes; the row ends at 11
    (12, True)
    >>> cuts.next_cut(13)
    (16, False)
"""

from __future__ import annotations

from typing import IO

from tiffin.errors import SchemaError

__all__ = ["CsvCuts", "MAX_QUOTED_BYTES", "complete_rows", "header_end"]

MAX_QUOTED_BYTES = 64 << 20
"""A quoted value running on past this many bytes is taken for an unbalanced quote."""
_SCAN = 1 << 20


class CsvCuts:
    """The row boundaries of a CSV file after ``start``, found in order (see the module doc).

    Args:
        f: The file, opened in binary mode; only this object seeks it.
        start: Where the data rows begin (after the header), outside any quote.
        size: The file size.
        name: The file name, for errors.
    """

    def __init__(self, f: IO[bytes], start: int, size: int, name: str) -> None:
        self._f, self._pos, self._size, self._name = f, start, size, name

    def next_cut(self, target: int) -> tuple[int, bool]:
        """The offset just past the first row-ending newline at or after ``target`` (``size``
        when there is none), and whether the range from the previous cut holds a quote.

        Raises:
            SchemaError: a quoted value runs on for more than :data:`MAX_QUOTED_BYTES`.
        """
        f, pos, inside, quoted = self._f, self._pos, False, False
        f.seek(pos)
        while pos < target:  # count the quotes up to the target, in blocks
            block = f.read(min(_SCAN, target - pos))
            if not block:
                break
            count = block.count(b'"')
            quoted, inside = quoted or count > 0, inside ^ bool(count & 1)
            pos += len(block)
        limit = target + MAX_QUOTED_BYTES
        while pos < self._size:
            block = f.read(_SCAN)
            if not block:
                break
            at = 0
            while (newline := block.find(b"\n", at)) >= 0:
                count = block.count(b'"', at, newline)
                quoted, inside = quoted or count > 0, inside ^ bool(count & 1)
                if not inside:
                    self._pos = pos + newline + 1
                    return self._pos, quoted
                at = newline + 1
            count = block.count(b'"', at)
            quoted, inside = quoted or count > 0, inside ^ bool(count & 1)
            pos += len(block)
            if inside and pos > limit:
                raise SchemaError(
                    f"{self._name}: a quoted value runs on for more than "
                    f"{MAX_QUOTED_BYTES:,} bytes after byte {target:,}; is a quote unbalanced?"
                )
        self._pos = self._size
        return self._size, quoted


def complete_rows(sample: bytes, whole: bool) -> bytes:
    """The rows of a CSV file's start that end in it: up to its last newline outside quotes
    (all of it when it is the whole file).

    Example:
        >>> complete_rows(b'a\\n"b\\nc', whole=False)
        b'a\\n'
    """
    if whole:
        return sample if sample.endswith(b"\n") or not sample else sample + b"\n"
    end, inside, at = 0, False, 0
    while (newline := sample.find(b"\n", at)) >= 0:
        inside ^= bool(sample.count(b'"', at, newline) & 1)
        if not inside:
            end = newline + 1
        at = newline + 1
    return sample[:end]


def header_end(sample: bytes) -> int:
    """The offset just past the header row (the first newline outside quotes), or -1.

    Example:
        >>> header_end(b'"a\\nb",c\\n1,2\\n')
        8
    """
    inside, at = False, 0
    while (newline := sample.find(b"\n", at)) >= 0:
        inside ^= bool(sample.count(b'"', at, newline) & 1)
        if not inside:
            return newline + 1
        at = newline + 1
    return -1
