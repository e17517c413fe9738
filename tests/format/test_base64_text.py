"""The one base64 decoder every JSON path shares (MLflow writes ``base64.encodebytes`` text)."""

from __future__ import annotations

import base64

import pytest

from tiffin.errors import SchemaError
from tiffin.format.base64_text import Base64Error, decode_base64, decode_base64_values


def test_mlflows_encodebytes_text_with_line_breaks_decodes() -> None:
    raw = bytes(range(256))
    assert decode_base64(base64.encodebytes(raw).decode("ascii")) == raw
    assert decode_base64(base64.b64encode(raw)) == raw


@pytest.mark.parametrize("text", ["hello!", "aGk", "aGk=x", "a b=", "aGk=\t"])
def test_anything_but_base64_and_line_breaks_is_refused(text: str) -> None:
    with pytest.raises(SchemaError, match="is not base64 text") as caught:
        decode_base64(text)
    assert repr(text) in str(caught.value)


def test_values_keep_missing_and_bytes_and_name_the_first_bad_one() -> None:
    assert decode_base64_values([None, float("nan"), b"raw", "aGk="]) == [None, None, b"raw", b"hi"]
    with pytest.raises(Base64Error) as info:
        decode_base64_values(["aGk=", 3])
    assert (info.value.position, info.value.value) == (1, 3)
