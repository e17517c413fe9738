"""Validation of every name, key and value the store accepts, with one canonical form per name.

Why one canonical form: MLflow let ``a b`` and ``a%20b`` (or a name and its Unicode look-alike)
be different models that URIs and UIs then confuse (CVE-2024-3099). Here a registered model name
is NFC-normalized and must not contain characters that mean something in a URI or path
(``% / \\ : @ ? #``), control or format characters, or leading/trailing whitespace. Such names are
*refused*, not repaired, at create and at lookup alike, so there is exactly one way to spell a
model. Names are case-sensitive, as in MLflow. Keys (params, metrics, tags) follow MLflow's rule.

Look-alikes: a model name (and an alias) must also be its own NFKC form. ``\\uff43hurn`` (a
fullwidth ``c``) beside ``churn`` looks like one model and is two; NFKC folds compatibility
characters (fullwidth and halfwidth forms, ligatures such as ``\\ufb01``, superscripts, circled
letters) into the ordinary ones. We *refuse* such a name, naming the NFKC spelling to use,
rather than folding it silently: folding would make ``\\uff43hurn`` another spelling of ``churn``,
and a name that prints differently from the model it opens is the confusion we are avoiding.
Create and lookup run the same check, so names are compared in exactly one form. NFKC does not
fold look-alikes across scripts (Cyrillic ``\\u0441`` and Latin ``c``); that needs a confusables
table and is not done.

Example:
    >>> from tiffin.store.names import model_name
    >>> model_name("churn-classifier")
    'churn-classifier'
    >>> model_name("a%20b")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tiffin.errors.SchemaError: registered model name 'a%20b' contains '%'...
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from tiffin.errors import FormatError, SchemaError
from tiffin.store.tables import (
    MAX_ALIAS_LENGTH,
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_URI_LENGTH,
)

__all__ = [
    "MODEL_NAME_FORBIDDEN",
    "alias_name",
    "bounded",
    "check_uri_segments",
    "entity_key",
    "experiment_name",
    "model_name",
    "percent_readings",
    "uri_text",
]

#: characters a registered model name may not contain: they carry meaning in URIs and paths
MODEL_NAME_FORBIDDEN = "%/\\:@?#"
_KEY = re.compile(r"[\w\-. /:]+")
_ALIAS = re.compile(r"[\w\-]+")
_RESERVED_ALIAS = re.compile(r"latest|v\d+", re.IGNORECASE)
_MAX_DECODES = 4  # as for artifact labels: '%25252e' needs three


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise SchemaError(f"{what} must be a string, got {type(value).__name__} {value!r}")
    value = unicodedata.normalize("NFC", value)
    if not value:
        raise SchemaError(f"{what} must not be empty")
    if len(value) > limit:
        raise SchemaError(f"{what} is {len(value)} characters long; the limit is {limit}")
    bad = next((ch for ch in value if _invisible(ch)), None)
    if bad is not None:
        raise SchemaError(
            f"{what} {value!r} contains the control/format character U+{ord(bad):04X}; "
            "use printable characters only"
        )
    return value


def model_name(name: object) -> str:
    """The canonical (NFC) form of a registered model name, or SchemaError saying what is wrong.

    Example:
        >>> model_name("cafe\\u0301") == "caf\\u00e9"
        True
    """
    text = _text(name, "registered model name", MAX_NAME_LENGTH)
    if text != text.strip():
        raise SchemaError(
            f"registered model name {text!r} has leading or trailing whitespace; "
            f"use {text.strip()!r}"
        )
    bad = next((ch for ch in text if ch in MODEL_NAME_FORBIDDEN), None)
    if bad is not None:
        raise SchemaError(
            f"registered model name {text!r} contains {bad!r}; names may not contain any of "
            f"{MODEL_NAME_FORBIDDEN!r} (they mean something in URIs and paths)"
        )
    if text in (".", ".."):
        raise SchemaError(f"registered model name {text!r} means a directory in paths; pick a name")
    return _nfkc(text, "registered model name")


def _nfkc(text: str, what: str) -> str:
    """``text`` if it is its own NFKC form, else SchemaError naming the form to use."""
    folded = unicodedata.normalize("NFKC", text)
    if folded != text:
        odd = next((ch for ch in text if unicodedata.normalize("NFKC", ch) != ch), text[0])
        raise SchemaError(
            f"{what} {text!r} has the look-alike character {odd!r} (U+{ord(odd):04X}), which "
            f"reads as {unicodedata.normalize('NFKC', odd)!r}; use {folded!r}"
        )
    return text


def experiment_name(name: object) -> str:
    """The canonical (NFC) form of an experiment name; ``/`` is allowed as in MLflow.

    Example:
        >>> experiment_name("/team/churn")
        '/team/churn'
    """
    text = _text(name, "experiment name", MAX_NAME_LENGTH)
    if text != text.strip():
        raise SchemaError(f"experiment name {text!r} has leading or trailing whitespace")
    return text


def entity_key(key: object, what: str = "key") -> str:
    """A param, metric or tag key: MLflow's charset, at most 250 characters, no ``..`` part.

    Example:
        >>> entity_key("model/lr", "param key")
        'model/lr'
    """
    text = _text(key, what, MAX_KEY_LENGTH)
    if not _KEY.fullmatch(text):
        raise SchemaError(
            f"{what} {text!r} may only contain letters, digits, '_', '-', '.', ' ', '/' and ':'"
        )
    if text.startswith("/") or ".." in text.split("/"):
        raise SchemaError(f"{what} {text!r} must be a relative name without '..' parts")
    return text


def alias_name(alias: object) -> str:
    """An alias: letters, digits, ``_`` and ``-``; ``latest`` and ``v<digits>`` are reserved.

    Example:
        >>> alias_name("champion")
        'champion'
    """
    text = _nfkc(_text(alias, "alias", MAX_ALIAS_LENGTH), "alias")
    if not _ALIAS.fullmatch(text):
        raise SchemaError(f"alias {text!r} may only contain letters, digits, '_' and '-'")
    if _RESERVED_ALIAS.fullmatch(text):
        raise SchemaError(
            f"alias {text!r} is reserved ('latest' and 'v<number>' already mean a version)"
        )
    return text


def bounded(value: object, what: str, limit: int) -> str:
    """``str(value)`` if at most ``limit`` characters long, else SchemaError naming the field.

    Values, unlike names, may be empty and may hold newlines and tabs.

    Example:
        >>> bounded(0.1, "param 'lr' value", 6000)
        '0.1'
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        raise SchemaError(f"{what} is {len(text)} characters long; the limit is {limit}")
    return text


def uri_text(value: object, what: str) -> str:
    """A location or source string: non-empty, printable, at most 2048 characters.

    The store records it as a label; resolving it under a root and checking it there is the job
    of whoever opens it (the artifact store, the server), never of the client that sent it.

    Example:
        >>> uri_text("s3://bucket/models/1", "source")
        's3://bucket/models/1'
    """
    return _text(value, what, MAX_URI_LENGTH)


def percent_readings(text: str) -> list[str]:
    """``text`` and each percent-decoding of it, until decoding stops changing it.

    Example:
        >>> percent_readings("a%252e")
        ['a%252e', 'a%2e', 'a.']
    """
    forms = [text]
    for _ in range(_MAX_DECODES):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            return forms
        forms.append(decoded)
    raise FormatError(f"{text[:200]!r}: still percent-encoded after {_MAX_DECODES} decodings")


def check_uri_segments(uri: str, what: str = "URI") -> str:
    """Refuse a URI or path with a ``..`` or ``.`` segment in any reading; return it unchanged.

    Raw, after each percent-decoding (``%2e%2e``, ``%252e``) and with ``\\`` as a separator
    (``..\\x``): a layer that decodes or splits differently must not see a segment that climbs
    out of where the URI points, nor one that names the directory itself.

    Raises:
        FormatError: naming the URI and the segment.

    Example:
        >>> check_uri_segments("s3://bucket/models/1")
        's3://bucket/models/1'
        >>> check_uri_segments("runs:/0123/%2e%2e/x")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        tiffin.errors.FormatError: ...
    """
    for reading in percent_readings(uri):
        bad = next((s for s in re.split(r"[/\\]", reading) if s in (".", "..")), None)
        if bad is not None:
            raise FormatError(
                f"{what} {uri[:200]!r} is refused: it has a {bad!r} path segment (after "
                "percent-decoding and with '\\' as a separator); give the path without "
                "'.' or '..' parts"
            )
    return uri
