"""Artifact labels: a client-supplied artifact path is a name inside a root, never a path to open.

MLflow's artifact endpoints were broken again and again (CVE-2023-30172, -6831, CVE-2024-1560,
CVE-2026-2614, ...) because each fix added one more string check to a path that other code
re-parsed later: percent-decoded, split on backslashes, read as a URL. Here a label is checked
once against *every* reading another layer might give it (raw, each percent-decoding, NFKC
look-alikes, backslashes as separators) and only then reduced to one canonical relative POSIX
form. The store joins that form under its root and checks containment again there.

Example:
    >>> safe_relpath("model//data/./weights.bin")
    'model/data/weights.bin'
    >>> try:
    ...     safe_relpath("%2e%2e/etc/passwd")
    ... except ValueError as e:
    ...     print(type(e).__name__)
    FormatError
"""

from __future__ import annotations

import re
import unicodedata
from typing import NoReturn
from urllib.parse import unquote

from tiffin.errors import FormatError

__all__ = [
    "COMPLETE_MARKER",
    "PENDING_MARKER",
    "TMP_PREFIX",
    "parents",
    "safe_relpath",
]

#: S3 has no atomic rename, so a directory is announced by this object before its files ...
PENDING_MARKER = ".tiffin-pending"
#: ... and published by this one, written last (it lists every file and its size).
COMPLETE_MARKER = ".tiffin-complete"
#: Local writes go to ``.tmp-<uuid>`` siblings first; readers skip them.
TMP_PREFIX = ".tmp-"
_RESERVED_PREFIXES = (TMP_PREFIX, ".tiffin-")

MAX_LABEL_CHARS = 4096
_MAX_SEGMENT_BYTES = 255  # NAME_MAX on Linux and macOS; longer would fail later, less clearly
_MAX_DECODES = 4  # '%25252e' needs three; anything still changing after four is an attack
_SCHEME_OR_DRIVE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")  # 'file:', 's3:', 'C:'
_LOOKALIKE_SLASHES = "\u2215\u2044\u29f8\ufe68"  # division, fraction, big solidus, small rev.
_URI_DELIMITERS = "?#"  # a URL parser splits here (CVE-2024-8859, CVE-2024-1483)


def safe_relpath(label: str, *, allow_empty: bool = False) -> str:
    """Reduce an artifact label to a canonical relative POSIX path, or refuse it.

    Refused, with the label and the reason in a ``FormatError``: ``..`` segments (also after
    percent-decoding, NFKC folding of fullwidth dots, and with ``\\`` read as a separator),
    absolute paths (``/x``, ``\\\\server\\share``, ``C:\\x``), URLs (``file:///``, ``s3://``),
    control characters and NUL, ``?``/``#``/``::`` (URL and fsspec delimiters), segments with
    leading or trailing whitespace, names reserved for the store's own bookkeeping (``.tmp-*``,
    ``.tiffin-*``) and over-long names. Empty and ``.`` segments collapse; backslashes become
    ``/``; the result is NFC so look-alike spellings name one artifact. It never starts with
    ``/`` and is empty only when ``allow_empty`` (meaning "the root", for listing) is set.

    Args:
        label: the path a client gave, e.g. ``"model/MLmodel"``.
        allow_empty: accept labels that name the root itself (``""``, ``"."``, ``"/"`` is still
            refused as absolute).

    Returns:
        The canonical label, safe to join under a root.

    Raises:
        FormatError: the label is unsafe or ambiguous.

    Example:
        >>> safe_relpath("data\\\\train.csv")
        'data/train.csv'
    """
    if not isinstance(label, str):
        raise FormatError(f"artifact path must be a string, got {type(label).__name__}")
    if len(label) > MAX_LABEL_CHARS:
        _refuse(label, f"it is longer than {MAX_LABEL_CHARS} characters")
    _check_readings(label, label)
    parts = unicodedata.normalize("NFC", label).replace("\\", "/").split("/")
    segments = [p for p in parts if p not in ("", ".")]
    for segment in segments:
        if segment.startswith(_RESERVED_PREFIXES):
            _refuse(label, f"segment {segment!r} uses a name reserved for in-progress uploads")
        if len(segment.encode("utf-8")) > _MAX_SEGMENT_BYTES:
            _refuse(label, f"a segment is longer than {_MAX_SEGMENT_BYTES} bytes")
    rel = "/".join(segments)
    _check_readings(label, rel)  # './<fullwidth slash>x' reads as '/x' once '.' is gone
    if not rel and not allow_empty:
        _refuse(label, "it names no file (empty after removing '.' and empty segments)")
    return rel


def parents(rel: str) -> list[str]:
    """The proper ancestors of a canonical label, shortest first (``a/b/c`` -> ``a``, ``a/b``).

    Example:
        >>> parents("a/b/c")
        ['a', 'a/b']
    """
    segments = rel.split("/")[:-1] if rel else []
    return ["/".join(segments[: i + 1]) for i in range(len(segments))]


def _check_readings(label: str, text: str) -> None:
    """Check every reading of ``text`` (a label, or its canonical form) another layer may give."""
    dots = text.replace("\\", "/").split("/").count(".")
    for form in _decoded_forms(text):
        for variant in {form, unicodedata.normalize("NFKC", form)}:
            _check_variant(label, variant, dots)


def _decoded_forms(label: str) -> list[str]:
    """The label and each percent-decoding of it, until decoding stops changing it."""
    forms = [label]
    for _ in range(_MAX_DECODES):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            return forms
        forms.append(decoded)
    _refuse(label, f"it is still percent-encoded after {_MAX_DECODES} decodings")


def _check_variant(label: str, variant: str, dots: int) -> None:
    """Refuse if this reading of the label (decoded, folded) could escape or be re-parsed.

    ``dots`` counts the label's own ``.`` segments: a reading with more (``%2e``, a fullwidth
    dot) names the directory itself to a layer that decodes, e.g. a delete of the whole root.
    """
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in variant):
        _refuse(label, "it contains a control character, NUL or a lone surrogate")
    if any(c in _LOOKALIKE_SLASHES for c in variant):
        _refuse(label, "it contains a character that looks like a slash")
    if any(c in _URI_DELIMITERS for c in variant):
        _refuse(label, "it contains '?' or '#', where URL parsers cut a path")
    if "::" in variant:
        _refuse(label, "it contains '::', which fsspec reads as a chained URL")
    slashed = variant.replace("\\", "/")
    if slashed.startswith("/"):
        _refuse(label, "it is absolute (starts with '/', '\\\\' or '//')")
    if _SCHEME_OR_DRIVE.match(slashed):
        _refuse(label, "it starts with a URL scheme or a drive letter")
    segments = slashed.split("/")
    if ".." in segments:
        _refuse(label, "it has a '..' segment (after decoding and with '\\' as a separator)")
    if segments.count(".") > dots:
        _refuse(label, "it has a '.' segment once percent-decoded or NFKC-folded")
    if any(s != s.strip() for s in segments):
        _refuse(label, "a segment has leading or trailing whitespace")


def _refuse(label: str, why: str) -> NoReturn:
    shown = repr(label if len(label) <= 200 else label[:200] + "...")
    raise FormatError(
        f"artifact path {shown} is refused: {why}. Artifact paths are relative labels "
        "such as 'model/MLmodel'."
    )
