"""SQL building blocks both stores share: portable upserts, chunked IN lists, LIKE, the clock.

Why here: SQLite and PostgreSQL both have ``INSERT ... ON CONFLICT``, but SQLAlchemy spells it
through each dialect's own ``insert``; choosing the right one in one place keeps the stores free
of dialect branches. Upserts let concurrent writers on PostgreSQL meet at the primary key instead
of failing on it.

Example:
    >>> from tiffin.store.statements import chunks
    >>> list(chunks([1, 2, 3], 2))
    [[1, 2], [3]]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["IN_CHUNK", "chunks", "insert_missing", "like", "now_ms", "upsert"]

#: ids per ``IN (...)`` list: well under SQLite's bound-parameter limit
IN_CHUNK = 500

T = TypeVar("T")


def now_ms() -> int:
    """Milliseconds since the epoch, the unit of every timestamp in the store (as in MLflow).

    Example:
        >>> now_ms() > 1_600_000_000_000
        True
    """
    return time.time_ns() // 1_000_000


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, for IN lists that stay under parameter limits.

    Example:
        >>> list(chunks("abc", 2))
        [['a', 'b'], ['c']]
    """
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _insert(conn: Connection, table: Table) -> Any:
    return _insert_for(conn.dialect.name, table)


def _insert_for(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_missing(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str] | None = None,
) -> None:
    """Insert ``rows``, silently skipping those whose ``keys`` (or any unique key) exist.

    Example:
        >>> insert_missing(conn, params, [{"run_uuid": r, "key": "lr", "value": "0.1"}],
        ...                ["run_uuid", "key"])  # doctest: +SKIP
    """
    if rows:
        targets = None if keys is None else list(keys)
        conn.execute(_insert(conn, table).on_conflict_do_nothing(index_elements=targets), rows)


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    where: Callable[[Any], ColumnElement[bool]] | None = None,
) -> None:
    """Insert ``rows`` or, where ``keys`` exist, overwrite the other columns (if ``where`` holds).

    ``where`` receives the incoming row's columns (``excluded``) and returns the condition under
    which the stored row is replaced, e.g. "only if the new metric's step is not older".

    Example:
        >>> upsert(conn, tags, [{"run_uuid": r, "key": "k", "value": "v"}],
        ...        ["run_uuid", "key"])  # doctest: +SKIP
    """
    if not rows:
        return
    conn.execute(_upsert_statement(conn.dialect.name, table, tuple(keys), where), rows)


_UPSERTS: dict[tuple[str, Table, tuple[str, ...], Any], Any] = {}


def _upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], where: Callable[[Any], Any] | None
) -> Any:
    """The statement has no per-row values, so it is built once per (dialect, table, keys,
    condition): rebuilding it (``excluded`` copies the table's columns) was half of the cost of
    a ``log_metric``. ``where`` must be a module-level function, not a fresh lambda."""
    cache_key = (dialect, table, keys, where)
    stmt = _UPSERTS.get(cache_key)
    if stmt is None:
        base = _insert_for(dialect, table)
        update = {c.name: base.excluded[c.name] for c in table.columns if c.name not in keys}
        condition = None if where is None else where(base.excluded)
        stmt = base.on_conflict_do_update(index_elements=list(keys), set_=update, where=condition)
        _UPSERTS[cache_key] = stmt
    return stmt


def _glob(pattern: str) -> str:
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            literal = next(chars, "\\")
            out.append(f"[{literal}]" if literal in "*?[" else literal)
        elif ch in "%_":
            out.append("*" if ch == "%" else "?")
        else:
            out.append(f"[{ch}]" if ch in "*?[" else ch)
    return "".join(out)


def like(column: Any, pattern: str, dialect: str, ignore_case: bool = False) -> ColumnElement[bool]:
    """``column LIKE pattern`` with one meaning on every database .

    ``LIKE`` is case-sensitive and ``ILIKE`` is not; ``%`` and ``_`` are wildcards and ``\\``
    escapes them. SQLite's own ``LIKE`` ignores case, so there ``LIKE`` becomes ``GLOB``.

    Example:
        >>> from tiffin.store.tables import runs
        >>> print(like(runs.c.name, "a%", "sqlite"))
        runs.name GLOB :name_1
    """
    if ignore_case:
        return column.ilike(pattern, escape="\\")  # type: ignore[no-any-return]
    if dialect == "sqlite":
        return column.op("GLOB", is_comparison=True)(_glob(pattern))  # type: ignore[no-any-return]
    return column.like(pattern, escape="\\")  # type: ignore[no-any-return]
