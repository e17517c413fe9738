"""A progress bar on stderr for a person at a terminal, and nothing for a pipe or a log file.

A bar's control characters are noise in a log and break tools that read stderr, so it is shown
only when the stream is a terminal. It advances in the input's own unit: bytes for text files
(their size is known before any row is parsed), rows for Parquet (the footer says how many).

Example:
    >>> import io
    >>> with batch_progress(100, "bytes", stream=io.StringIO()) as advance:
    ...     advance(60, 1_000)
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

__all__ = ["Advance", "batch_progress", "wants_progress"]

Advance = Callable[[int, int], None]
"""``advance(units_done, rows_done)``: one chunk has been written."""


def wants_progress(stream: IO[str] | None = None) -> bool:
    """Whether to draw a bar on ``stream`` (stderr by default): only when it is a terminal.

    Example:
        >>> import io
        >>> wants_progress(io.StringIO())
        False
    """
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _noop(units: int, rows: int) -> None:
    return None


@contextlib.contextmanager
def batch_progress(
    total: int, unit: str, stream: IO[str] | None = None, show: bool | None = None
) -> Iterator[Advance]:
    """Yield an ``advance(units, rows)`` callback, drawing a rich bar only on a terminal.

    Args:
        total: The input's size in ``unit``.
        unit: ``bytes`` or ``rows``.
        stream: Where to draw (stderr by default).
        show: Force the bar on or off; ``None`` decides by :func:`wants_progress`.

    Example:
        >>> import io
        >>> with batch_progress(10, "rows", stream=io.StringIO()) as advance:
        ...     advance(10, 10)
    """
    stream = sys.stderr if stream is None else stream
    if not (wants_progress(stream) if show is None else show):
        yield _noop
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    size: Any = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    columns = (
        TextColumn("predicting"),
        BarColumn(),
        size,
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    console = Console(file=stream, force_terminal=True if show else None)
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("predict", total=max(total, 1), rows=0)
        rows_done = 0

        def advance(units: int, rows: int) -> None:
            nonlocal rows_done
            rows_done += rows
            bar.update(task, advance=units, rows=rows_done)

        yield advance
        bar.update(task, completed=max(total, 1))
