"""What the registry accepts: version numbers, digests, run ids, tags, descriptions, principals.

Why a module: every registry method checks its arguments before it opens a transaction, so a
bad value is a SchemaError naming the field and nothing is written; names (model names, aliases)
are checked by :mod:`tiffin.store.names`, which the tracking store shares.

Example:
    >>> from tiffin.store.registry.values import digest_text
    >>> digest_text("SHA256:" + "A" * 64) == "a" * 64
    True
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tiffin.errors import SchemaError
from tiffin.store.names import bounded, entity_key
from tiffin.store.tables import MAX_DESCRIPTION_LENGTH, MAX_REGISTRY_TAG_VALUE_LENGTH

__all__ = [
    "description_text",
    "digest_text",
    "expected_version_number",
    "principal_name",
    "registry_tags",
    "run_id_text",
    "version_number",
]

_DIGEST = re.compile(r"(?:sha256:)?([0-9a-f]{64})")
_RUN_ID = re.compile(r"[0-9A-Za-z_\-]{1,32}")


def version_number(version: object) -> int:
    """A version as a positive int (MLflow clients send ``"3"``), else SchemaError.

    Example:
        >>> version_number("3")
        3
    """
    if isinstance(version, int) and not isinstance(version, bool):
        number = version
    elif isinstance(version, str) and version.isascii() and version.isdigit():
        number = int(version)
    else:
        raise SchemaError(f"a model version must be a positive integer, got {version!r}")
    if not 1 <= number < 2**31:
        raise SchemaError(f"a model version must be a positive integer, got {version!r}")
    return number


def digest_text(digest: object) -> str:
    """A manifest digest as 64 lowercase hex digits (an optional ``sha256:`` prefix is dropped).

    Example:
        >>> len(digest_text("ab" * 32))
        64
    """
    match = _DIGEST.fullmatch(digest.lower()) if isinstance(digest, str) else None
    if match is None:
        raise SchemaError(f"digest must be a sha256 hex digest (64 hex digits), got {digest!r}")
    return match.group(1)


def run_id_text(run_id: object) -> str:
    """A run id as stored with a version: up to 32 letters, digits, ``_`` or ``-``.

    Example:
        >>> run_id_text("0123456789abcdef0123456789abcdef")
        '0123456789abcdef0123456789abcdef'
    """
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise SchemaError(f"run_id must be a run id (32 hex digits), got {run_id!r}")
    return run_id


def registry_tags(tags: Mapping[str, object] | None) -> dict[str, str]:
    """Validated model/version tags: MLflow keys, values of at most 100,000 characters.

    Example:
        >>> registry_tags({"team": "ml"})
        {'team': 'ml'}
    """
    return {
        entity_key(k, "tag key"): bounded(v, f"tag {k!r} value", MAX_REGISTRY_TAG_VALUE_LENGTH)
        for k, v in (tags or {}).items()
    }


def description_text(text: str | None) -> str | None:
    """A description, or None; at most 100,000 characters.

    Example:
        >>> description_text("weekly churn model")
        'weekly churn model'
    """
    return None if text is None else bounded(text, "description", MAX_DESCRIPTION_LENGTH)


def principal_name(who: object) -> str:
    """The person recording a trust decision: a printable user name of at most 256 characters.

    Example:
        >>> principal_name("ana")
        'ana'
    """
    text = bounded(who, "principal", 256) if isinstance(who, str) else None
    if not text or not text.strip() or any(ord(c) < 32 for c in text):
        raise SchemaError(f"the person recording trust must be named (a user name), got {who!r}")
    return text


def expected_version_number(expected_version: int | str) -> int:
    """A compare-and-swap's expected version: a version number, or ``0`` for "no alias yet".

    Example:
        >>> expected_version_number("0")
        0
    """
    return 0 if expected_version in (0, "0") else version_number(expected_version)
