"""File formats batch prediction reads and writes, and how a path's name selects one.

The format is taken from the file name because that is what a user typed; an explicit choice
(``-t`` for the input, ``--output-format`` for the output) always wins, and a name we cannot
place is an error rather than a guess, so ``out.txt`` never silently becomes JSON.

Example:
    >>> from pathlib import Path
    >>> input_format(Path("rows.pq")), output_format(Path("preds.jsonl"))
    ('parquet', 'jsonl')
"""

from __future__ import annotations

import re
from pathlib import Path

from tiffin.errors import FormatError

__all__ = [
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "STREAMED_INPUTS",
    "input_format",
    "output_format",
    "sniff_input_format",
    "suffix_for",
]

#: formats ``-i`` accepts; ``json`` is MLflow's request body (one of the four forms), read whole
INPUT_FORMATS = ("csv", "json", "jsonl", "parquet")
#: the input formats read in chunks with bounded memory
STREAMED_INPUTS = ("csv", "jsonl", "parquet")
#: formats ``-o`` writes; ``json`` is MLflow's ``{"predictions": [...]}``
OUTPUT_FORMATS = ("csv", "json", "jsonl", "parquet")

_SUFFIXES = {
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def _from_suffix(path: Path, given: str | None, allowed: tuple[str, ...], flag: str) -> str:
    if given:
        if given not in allowed:
            raise FormatError(f"unknown format {given!r}; expected one of {list(allowed)}")
        return given
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None or found not in allowed:
        raise FormatError(
            f"cannot tell the format of {path.name!r} from its extension; "
            f"pass {flag} {'|'.join(allowed)}"
        )
    return found


def input_format(path: Path, given: str | None = None) -> str:
    """The input format: ``given`` if set, else from the extension.

    Raises:
        FormatError: the extension is not one of ``.csv``, ``.json``, ``.jsonl``/``.ndjson``,
            ``.parquet``/``.pq``, and no format was given.

    Example:
        >>> input_format(Path("x.ndjson"))
        'jsonl'
    """
    return _from_suffix(path, given, INPUT_FORMATS, "-t")


def output_format(path: Path | None, given: str | None = None) -> str:
    """The output format: ``given`` if set, else from the extension; JSON for stdout.

    Raises:
        FormatError: the extension is unknown and no format was given.

    Example:
        >>> output_format(None), output_format(Path("p.csv")), output_format(Path("p"), "csv")
        ('json', 'csv', 'csv')
    """
    if path is None:
        return given or "json"
    return _from_suffix(path, given, OUTPUT_FORMATS, "--output-format")


_RECORD_BREAK = re.compile(rb"}\s*\n\s*{")  # JSON Lines: two objects with no ',' between


def sniff_input_format(head: bytes) -> str:
    """The input format of data that has no name (standard input), from its first bytes.

    Parquet starts with ``PAR1``; a ``{`` or ``[`` starts JSON, which is JSON Lines when two
    objects follow each other on separate lines with no comma between; anything else is CSV.
    ``-t`` still wins when given.

    Example:
        >>> sniff_input_format(b'{"a": 1}\\n{"a": 2}\\n'), sniff_input_format(b"a,b\\n1,2\\n")
        ('jsonl', 'csv')
    """
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip()
    if text.startswith(b"{"):
        return "jsonl" if _RECORD_BREAK.search(text) else "json"
    if text.startswith(b"["):
        return "json"
    return "csv"


def suffix_for(fmt: str) -> str:
    """The file suffix :func:`input_format` reads as ``fmt``.

    Example:
        >>> suffix_for("jsonl")
        '.jsonl'
    """
    return next(suffix for suffix, name in _SUFFIXES.items() if name == fmt)
