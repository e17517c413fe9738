"""Where a request's CPU work runs: on the event loop when it is small, else in a thread.

A worker-thread hop costs about as much as decoding a few rows of JSON, so small bodies and
small answers are handled on the loop; anything larger goes to a thread so the loop keeps
answering ``/ping`` and accepting requests. Both protocols use the same bounds.

Example:
    >>> data = await run_sized(len(body) <= INLINE_BYTES, decode, body)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

__all__ = ["INLINE_BYTES", "INLINE_ROWS", "run_sized"]

T = TypeVar("T")

INLINE_BYTES = 16 * 1024
"""Bodies up to this size are decoded on the event loop (under ~0.5 ms)."""
INLINE_ROWS = 512
"""Answers up to this many rows are encoded on the event loop."""


async def run_sized(inline: bool, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on the loop when ``inline``, else in a worker thread.

    Example:
        >>> await run_sized(True, sum, [1, 2])  # doctest: +SKIP
        3
    """
    if inline:
        return fn(*args, **kwargs)
    return await run_in_threadpool(partial(fn, *args, **kwargs))
