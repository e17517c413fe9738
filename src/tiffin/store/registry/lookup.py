"""Finding registered models, versions and aliases, and saying what exists when one is missing.

Why a module: every registry operation starts with a lookup, and a miss must answer the next
question the user has ("model 'm' has no version 5; versions: 1-4, 6"), not just "not found".
Entities are built here too, in a fixed number of queries however many versions or tags exist.

Example:
    >>> from tiffin.store.registry.lookup import versions_text
    >>> versions_text([1, 2, 3, 4, 6])
    '1-4, 6'
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Row

from tiffin.errors import NotFoundError
from tiffin.store.entities import ModelVersion, RegisteredModel, TrustRecord
from tiffin.store.statements import chunks, like
from tiffin.store.tables import (
    aliases,
    model_version_tags,
    model_version_trust,
    model_versions,
    registered_model_tags,
    registered_models,
)

__all__ = [
    "alias_version",
    "model_entities",
    "model_row",
    "model_rows",
    "trust_events",
    "version_entities",
    "version_row",
    "version_rows",
    "versions_text",
]


def versions_text(numbers: Sequence[int]) -> str:
    """Version numbers as compact ranges, for messages.

    Example:
        >>> versions_text([1, 2, 5])
        '1-2, 5'
    """
    parts: list[str] = []
    ordered = sorted(numbers)
    start = prev = ordered[0] if ordered else 0
    for n in [*ordered[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts) if ordered else "none"


def _no_model(conn: Connection, name: str) -> NotFoundError:
    count = conn.execute(select(func.count()).select_from(registered_models)).scalar_one()
    if count == 0:
        return NotFoundError(f"registered model {name!r} does not exist; no models are registered")
    names = list(conn.execute(select(registered_models.c.name).limit(1000)).scalars())
    if count <= 10:
        return NotFoundError(
            f"registered model {name!r} does not exist; registered models: {sorted(names)}"
        )
    folded = [n for n in names if n.casefold() == name.casefold()]
    close = folded + difflib.get_close_matches(name, names, n=3)
    hint = f"; did you mean {sorted(set(close))}?" if close else ""
    return NotFoundError(
        f"registered model {name!r} does not exist ({count} models are registered){hint}"
    )


def model_row(conn: Connection, name: str, lock: bool = False) -> Row[Any]:
    """The ``registered_models`` row, locked for update if asked, or a NotFoundError.

    ``lock`` takes the row lock on PostgreSQL (``SELECT ... FOR UPDATE``); on SQLite the write
    transaction already holds the database lock, so it changes nothing there.

    Example:
        >>> model_row(conn, "churn", lock=True).next_version  # doctest: +SKIP
        7
    """
    stmt = select(registered_models).where(registered_models.c.name == name)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise _no_model(conn, name)
    return row


def version_row(conn: Connection, name: str, version: int) -> Row[Any]:
    """The ``model_versions`` row, or NotFoundError listing the versions that do exist.

    Example:
        >>> version_row(conn, "churn", 5)  # doctest: +SKIP
        Traceback (most recent call last):
        tiffin.errors.NotFoundError: model 'churn' has no version 5; versions: 1-4, 6
    """
    row = conn.execute(
        select(model_versions).where(
            model_versions.c.name == name, model_versions.c.version == version
        )
    ).first()
    if row is not None:
        return row
    model_row(conn, name)  # an unknown model is reported as such
    existing = conn.execute(
        select(model_versions.c.version).where(model_versions.c.name == name)
    ).scalars()
    known = versions_text(list(existing))
    raise NotFoundError(f"model {name!r} has no version {version}; versions: {known}")


def model_rows(conn: Connection, name_like: str | None, limit: int) -> list[Row[Any]]:
    """Up to ``limit`` ``registered_models`` rows by name, those matching a LIKE pattern if given.

    The pattern has one meaning on every database (see :func:`tiffin.store.statements.like`).

    Example:
        >>> [r.name for r in model_rows(conn, "churn%", 10)]  # doctest: +SKIP
        ['churn', 'churn-v2']
    """
    stmt = select(registered_models).order_by(registered_models.c.name).limit(limit)
    if name_like is not None:
        stmt = stmt.where(like(registered_models.c.name, name_like, conn.dialect.name))
    return list(conn.execute(stmt).all())


def version_rows(conn: Connection, name: str) -> list[Row[Any]]:
    """Every ``model_versions`` row of a model, oldest first; NotFoundError for an unknown model.

    Example:
        >>> [r.version for r in version_rows(conn, "churn")]  # doctest: +SKIP
        [1, 2, 3, 4, 6]
    """
    model_row(conn, name)
    stmt = (
        select(model_versions)
        .where(model_versions.c.name == name)
        .order_by(model_versions.c.version)
    )
    return list(conn.execute(stmt).all())


def alias_version(conn: Connection, name: str, alias: str) -> int:
    """The version an alias points to, or NotFoundError listing the model's aliases.

    Example:
        >>> alias_version(conn, "churn", "prod")  # doctest: +SKIP
        3
    """
    rows = conn.execute(
        select(aliases.c.alias, aliases.c.version)
        .where(aliases.c.name == name)
        .order_by(aliases.c.alias)
    ).all()
    for row in rows:
        if row.alias == alias:
            return int(row.version)
    model_row(conn, name)
    known = ", ".join(f"{r.alias} -> {r.version}" for r in rows) or "none"
    raise NotFoundError(f"model {name!r} has no alias {alias!r}; aliases: {known}")


def _pairs(conn: Connection, table: Any, names: Sequence[str], *columns: Any) -> list[Row[Any]]:
    found: list[Row[Any]] = []
    for chunk in chunks(sorted(set(names))):
        found += conn.execute(select(table.c.name, *columns).where(table.c.name.in_(chunk))).all()
    return found


def version_entities(conn: Connection, rows: Sequence[Row[Any]]) -> list[ModelVersion]:
    """``ModelVersion`` entities (with tags and aliases) for ``model_versions`` rows.

    Example:
        >>> version_entities(conn, [version_row(conn, "churn", 1)])  # doctest: +SKIP
    """
    names = [row.name for row in rows]
    tags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    t = model_version_tags.c
    for r in _pairs(conn, model_version_tags, names, t.version, t.key, t.value):
        tags[(r.name, r.version)][r.key] = r.value
    pointed: dict[tuple[str, int], list[str]] = defaultdict(list)
    for r in _pairs(conn, aliases, names, aliases.c.alias, aliases.c.version):
        pointed[(r.name, r.version)].append(r.alias)
    last: dict[tuple[str, int], TrustRecord] = {}
    for event in trust_events(conn, names):  # oldest first: the last one is in force
        last[(event.name, event.version)] = TrustRecord.from_row(event)
    return [
        ModelVersion.from_row(
            row,
            tags=tags[(row.name, row.version)],
            aliases=tuple(sorted(pointed[(row.name, row.version)])),
            trust=_in_force(last.get((row.name, row.version)), row.digest),
        )
        for row in rows
    ]


def trust_events(conn: Connection, names: Sequence[str], version: int | None = None) -> list[Any]:
    """The trust decisions on the named models' versions (one version's, given one), oldest
    first.

    Example:
        >>> [e.action for e in trust_events(conn, ["churn"], 3)]  # doctest: +SKIP
        ['trust', 'untrust']
    """
    t = model_version_trust.c
    found: list[Any] = []
    for chunk in chunks(sorted(set(names))):
        query = select(model_version_trust).where(t.name.in_(chunk))
        if version is not None:
            query = query.where(t.version == version)
        found += conn.execute(query.order_by(t.event_id)).all()
    return sorted(found, key=lambda r: r.event_id)


def _in_force(record: TrustRecord | None, digest: str | None) -> TrustRecord | None:
    """The decision stands only as a ``trust`` for the digest the version still records."""
    if record is None or record.action != "trust" or digest is None or record.digest != digest:
        return None
    return record


def _latest_rows(conn: Connection, names: Sequence[str]) -> list[Row[Any]]:
    found: list[Row[Any]] = []
    mv = model_versions.c
    for chunk in chunks(sorted(set(names))):
        top = (
            select(mv.name, func.max(mv.version).label("v"))
            .where(mv.name.in_(chunk))
            .group_by(mv.name)
            .subquery()
        )
        on = (mv.name == top.c.name) & (mv.version == top.c.v)
        found += conn.execute(select(model_versions).join(top, on)).all()
    return found


def model_entities(conn: Connection, rows: Sequence[Row[Any]]) -> list[RegisteredModel]:
    """``RegisteredModel`` entities (tags, aliases, latest version) for ``registered_models`` rows.

    Example:
        >>> model_entities(conn, [model_row(conn, "churn")])  # doctest: +SKIP
    """
    names = [row.name for row in rows]
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    t = registered_model_tags.c
    for r in _pairs(conn, registered_model_tags, names, t.key, t.value):
        tags[r.name][r.key] = r.value
    pointers: dict[str, dict[str, int]] = defaultdict(dict)
    for r in _pairs(conn, aliases, names, aliases.c.alias, aliases.c.version):
        pointers[r.name][r.alias] = r.version
    latest = {v.name: v for v in version_entities(conn, _latest_rows(conn, names))}
    return [
        RegisteredModel.from_row(
            row,
            tags=tags[row.name],
            aliases=dict(sorted(pointers[row.name].items())),
            latest_versions=(latest[row.name],) if row.name in latest else (),
        )
        for row in rows
    ]
