"""Printing results: a rich table for people, ``--json`` for programs.

The table never cuts a value: identifiers (run IDs, digests) are never wrapped, so one can be
copied whole, and other columns fold onto more lines when the terminal is narrow. ``--json``
prints every key, values as the data has them (full digests, lists of aliases, ISO-8601 times).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

__all__ = ["emit"]


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    as_json: bool,
    title: str,
    *,
    whole: Sequence[str] = (),
) -> None:
    """Print ``rows`` as JSON (every key) or as a table of ``columns``.

    Args:
        rows: one dict per row.
        columns: the keys the table shows, in order.
        as_json: print JSON instead of the table.
        title: the table's title.
        whole: columns whose values are never wrapped or cut (IDs to copy); the others fold.

    Example:
        >>> emit([{"id": "3f2a"}], ["id"], True, "")
        [
          {
            "id": "3f2a"
          }
        ]
    """
    if as_json:
        click.echo(json.dumps(list(rows), indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        if column in whole:
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console().print(table)
