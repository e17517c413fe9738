"""Binary values as JSON carries them: base64 text, decoded the one way every JSON path shares.

JSON has no bytes, so MLflow writes a ``binary`` value as ``base64.encodebytes`` text (standard
alphabet, a line break every 76 characters and one at the end) in input examples, serving
examples and ``/invocations`` bodies, and decodes it again wherever a signature says the column
is ``binary``. tiffin decodes it here, for the in-process input example, the MLflow JSON and CSV
codecs and V2 ``BYTES`` data for ``binary`` columns alike.

Unlike ``base64.decodebytes``, which skips any character outside the alphabet (so ``"hello!"``
quietly decodes to three bytes), only line breaks are skipped: anything else that is not base64
is refused, naming the first bad value and where it is.

Example:
    >>> decode_base64("aGVsbG8=\\n")
    b'hello'
    >>> decode_base64_values(["aGk=", None, b"raw"])
    [b'hi', None, b'raw']
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable
from typing import Any

from tiffin.errors import SchemaError

__all__ = ["Base64Error", "decode_base64", "decode_base64_values"]

_LINE_BREAKS = str.maketrans("", "", "\r\n")


class Base64Error(ValueError):
    """A value meant as base64 text is not; ``position`` and ``value`` say which one.

    Example:
        >>> try:
        ...     decode_base64_values(["aGk=", "not base64!"])
        ... except Base64Error as e:
        ...     e.position, e.value
        (1, 'not base64!')
    """

    def __init__(self, position: int, value: Any, reason: str):
        self.position = position
        self.value = value
        self.reason = reason
        super().__init__(f"value {position} is not base64 text ({reason})")


def decode_base64(text: str | bytes) -> bytes:
    """Decode one base64 value (standard alphabet, padding required, line breaks allowed).

    Raises:
        SchemaError: not base64 text (the message shows the start of the value).

    Example:
        >>> decode_base64("AAFhYmM=")
        b'\\x00\\x01abc'
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    try:
        return _decode(text)
    except (binascii.Error, ValueError) as e:
        raise SchemaError(f"{text[:40]!r} is not base64 text ({str(e) or 'not base64'})") from None


def _decode(text: str) -> bytes:
    """The decoding itself; binascii.Error (a ValueError) says why the text is not base64."""
    return base64.b64decode(text.translate(_LINE_BREAKS), validate=True)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in {"NAType", "NaTType"}


def decode_base64_values(values: Iterable[Any]) -> list[Any]:
    """Decode every text value; missing values (None, NaN, NA) stay None, bytes stay as they are.

    Raises:
        Base64Error: the first value that is neither missing, bytes nor base64 text.

    Example:
        >>> decode_base64_values([float("nan"), "AA=="])
        [None, b'\\x00']
    """
    out: list[Any] = []
    for i, value in enumerate(values):
        if _is_missing(value):
            out.append(None)
        elif isinstance(value, bytes | bytearray):
            out.append(bytes(value))
        elif isinstance(value, str):
            try:
                out.append(_decode(value))
            except ValueError as e:
                raise Base64Error(i, value, str(e) or "not base64") from None
        else:
            raise Base64Error(i, value, f"a {type(value).__name__}, not text")
    return out
