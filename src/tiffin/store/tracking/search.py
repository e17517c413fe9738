"""Compile parsed run filters and order-by keys into one SQL query (nothing filtered in Python).

Why in SQL: a search over many runs must not load them all. Every value is a bound parameter.
Metric filters and sorts use ``latest_metrics`` (the highest step, then timestamp, per key).

Semantics worth knowing (the same on SQLite and PostgreSQL):

* ``LIKE`` is case-sensitive and ``ILIKE`` is not; ``%`` and ``_`` are wildcards and ``\\``
  escapes them. SQLite's own ``LIKE`` ignores case, so there ``LIKE`` becomes ``GLOB``.
* A NaN metric matches only ``!=``; NaN and missing values sort last in either direction.
* Text sorts by code point (``"B" < "a"``): SQLite's BINARY collation, ``COLLATE "C"`` on
  PostgreSQL, whatever the database's locale.
* A run without the param/tag/metric a clause names does not match that clause.

Example:
    >>> from tiffin.store.tracking.filter import parse_filter
    >>> from tiffin.store.tracking.search import search_statement
    >>> stmt = search_statement(["1"], parse_filter("metrics.acc > 0.9"), [], 10, "sqlite")
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, and_, case, exists, not_, null, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from tiffin.store.statements import like
from tiffin.store.tables import latest_metrics, params, runs, tags
from tiffin.store.tracking.filter import ATTRIBUTES, Comparison, OrderKey

__all__ = ["search_statement"]

_COLUMNS = {
    "artifact_uri": runs.c.artifact_uri,
    "end_time": runs.c.end_time,
    "run_id": runs.c.run_uuid,
    "run_name": runs.c.name,
    "start_time": runs.c.start_time,
    "status": runs.c.status,
}
_NUMBER: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _text_match(column: Any, c: Comparison, dialect: str) -> ColumnElement[bool]:
    if c.op in ("LIKE", "ILIKE"):
        return like(column, str(c.value), dialect, ignore_case=c.op == "ILIKE")
    if c.op == "IN":
        return column.in_(c.value)  # type: ignore[no-any-return]
    if c.op == "NOT IN":
        return column.not_in(c.value)  # type: ignore[no-any-return]
    return _NUMBER[c.op](column, c.value)


def _clause(c: Comparison, dialect: str) -> ColumnElement[bool]:
    if c.kind == "attribute":
        column = _COLUMNS[c.key]
        if isinstance(c.value, float):
            return _NUMBER[c.op](column, c.value)
        return _text_match(column, c, dialect)
    if c.kind == "metric":
        m = latest_metrics.alias()
        value = _NUMBER[c.op](m.c.value, c.value)
        matches = or_(m.c.is_nan, value) if c.op == "!=" else and_(not_(m.c.is_nan), value)
        return exists().where(m.c.run_uuid == runs.c.run_uuid, m.c.key == c.key, matches)
    table = (params if c.kind == "param" else tags).alias()
    return exists().where(
        table.c.run_uuid == runs.c.run_uuid,
        table.c.key == c.key,
        _text_match(table.c.value, c, dialect),
    )


def _order(
    keys: Sequence[OrderKey], source: FromClause, dialect: str
) -> tuple[FromClause, list[Any]]:
    orders: list[Any] = []
    for key in keys:
        if key.kind == "attribute":
            expr: Any = _COLUMNS[key.key]
            if dialect == "postgresql" and ATTRIBUTES[key.key] == "string":
                expr = expr.collate("C")
        else:
            table = {"metric": latest_metrics, "param": params, "tag": tags}[key.kind].alias()
            on = and_(table.c.run_uuid == runs.c.run_uuid, table.c.key == key.key)
            source = source.outerjoin(table, on)
            expr = table.c.value
            if key.kind == "metric":
                expr = case((table.c.is_nan, null()), else_=table.c.value)
            elif dialect == "postgresql":
                expr = expr.collate("C")
        orders.append((expr.asc() if key.ascending else expr.desc()).nulls_last())
    orders += [runs.c.start_time.desc(), runs.c.run_uuid.asc()]  # MLflow's default, then stable
    return source, orders


def search_statement(
    experiment_ids: Sequence[str],
    filters: Sequence[Comparison],
    order_by: Sequence[OrderKey],
    max_results: int,
    dialect: str,
) -> Select[Any]:
    """The SELECT over ``runs`` that a ``search_runs`` call means, active runs only.

    Example:
        >>> from tiffin.store.tracking.filter import parse_order_by
        >>> stmt = search_statement(["0"], [], [parse_order_by("metrics.acc DESC")], 5, "sqlite")
    """
    source, orders = _order(order_by, runs, dialect)
    ids = [int(i) for i in experiment_ids]
    return (
        select(runs)
        .select_from(source)
        .where(
            runs.c.experiment_id.in_(ids),
            runs.c.lifecycle_stage == "active",
            *(_clause(c, dialect) for c in filters),
        )
        .order_by(*orders)
        .limit(max_results)
    )
