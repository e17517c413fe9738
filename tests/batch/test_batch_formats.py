"""Formats from file names, and explicit choices that win."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiffin.batch.formats import input_format, output_format
from tiffin.errors import FormatError


def test_formats_from_extensions() -> None:
    assert [input_format(Path(f"x.{e}")) for e in ("csv", "PQ", "ndjson", "json")] == [
        "csv",
        "parquet",
        "jsonl",
        "json",
    ]
    assert output_format(None) == "json" and output_format(None, "csv") == "csv"
    assert output_format(Path("x.parquet")) == "parquet"


def test_an_explicit_format_wins_and_unknown_names_are_errors() -> None:
    assert input_format(Path("rows.txt"), "csv") == "csv"
    with pytest.raises(FormatError, match="-t"):
        input_format(Path("rows.txt"))
    with pytest.raises(FormatError, match="--output-format"):
        output_format(Path("out.txt"))
    with pytest.raises(FormatError, match="unknown format"):
        output_format(Path("out.csv"), "xml")
