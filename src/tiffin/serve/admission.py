"""Admission control: a bounded number of requests at work, a bounded queue, a deadline.

Without a cap, a burst makes every request slow together and memory grow with the backlog;
with a cap and no queue bound, latency grows without limit instead. So requests beyond
``max_concurrency`` wait in a FIFO queue of at most ``max_queue``, and a request arriving when
that queue is full is refused at once with 503 and ``Retry-After`` (429 is for per-client
quotas, which this is not).

The deadline covers the whole stay: queueing, predicting, encoding. When it passes, the client
gets 504 at once. Work already running in a thread cannot be interrupted in Python; it runs to
its end and keeps its slot until then, so the cap stays truthful: a model that hangs for good
eventually holds every slot, and the server answers 503 (never hangs) until it returns. Worker
processes that can be killed are the remedy for such models and are not built yet.

Example:
    >>> admission = Admission(max_concurrency=32, max_queue=256, timeout_seconds=60)
    >>> result = await admission.run(predict_coroutine_factory)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tiffin.errors import InvalidValueError
from tiffin.serve.errors import DeadlineExceededError, OverloadedError

__all__ = ["Admission"]

T = TypeVar("T")


class Admission:
    """Counts requests at work and waiting; runs each under the deadline.

    Attributes:
        max_concurrency: requests at work at once.
        max_queue: requests allowed to wait for a slot.
        timeout_seconds: the deadline of each request, from admission to answer.
    """

    def __init__(self, max_concurrency: int, max_queue: int, timeout_seconds: float):
        if max_concurrency < 1 or max_queue < 0 or timeout_seconds <= 0:
            raise InvalidValueError(
                "max_concurrency >= 1, max_queue >= 0 and timeout_seconds > 0; got "
                f"{max_concurrency}, {max_queue} and {timeout_seconds}"
            )
        self.max_concurrency = max_concurrency
        self.max_queue = max_queue
        self.timeout_seconds = timeout_seconds
        self._slots = asyncio.Semaphore(max_concurrency)
        self._waiting = 0
        self._working = 0

    @property
    def waiting(self) -> int:
        """Requests queued for a slot right now (a gauge in /metrics)."""
        return self._waiting

    @property
    def working(self) -> int:
        """Requests holding a slot right now, including ones whose client already got 504."""
        return self._working

    def has_idle_slot(self) -> bool:
        """True when a request would get a slot at once (nobody queued, a slot free)."""
        return self._working < self.max_concurrency and self._waiting == 0

    def run_now(self, work: Callable[[], T]) -> T:
        """Run short synchronous ``work`` in a free slot, on the caller's thread.

        For work known to be short (see :meth:`Scorer.can_run_inline`): no task, no thread,
        no deadline, but still counted, so ``/metrics`` and the cap stay true.

        Example:
            >>> admission.run_now(lambda: 2) if admission.has_idle_slot() else None
            ... # doctest: +SKIP
            2
        """
        self._working += 1
        try:
            return work()
        finally:
            self._working -= 1

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work()`` in a slot, under the deadline.

        Raises:
            OverloadedError: the queue is full (HTTP 503 with Retry-After).
            DeadlineExceededError: not done within ``timeout_seconds`` (HTTP 504).

        Example:
            >>> await admission.run(lambda: scorer_call())  # doctest: +SKIP
        """
        # Both counts are updated synchronously on entry, so a burst arriving in one loop
        # tick sees itself: at most max_concurrency + max_queue requests are ever held.
        if self._working + self._waiting >= self.max_concurrency + self.max_queue:
            raise OverloadedError(
                f"the server is at capacity ({self.max_concurrency} requests at work, "
                f"{self._waiting} waiting); retry after the Retry-After delay"
            )
        self._waiting += 1
        ticket = _Ticket()
        task = asyncio.ensure_future(self._in_slot(work, ticket))
        task.add_done_callback(lambda t: self._settle(t, ticket))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.timeout_seconds)
        except TimeoutError:
            # Queued: cancelling drops it. Running in a thread: the thread cannot be stopped,
            # and the slot is released only when it ends (see the module docstring).
            task.cancel()
            raise DeadlineExceededError(
                f"the request did not finish within {self.timeout_seconds:g} s"
            ) from None

    async def _in_slot(self, work: Callable[[], Awaitable[T]], ticket: _Ticket) -> T:
        await self._slots.acquire()
        ticket.admitted = True
        self._waiting -= 1
        self._working += 1
        try:
            return await work()
        finally:
            self._working -= 1
            self._slots.release()

    def _settle(self, task: asyncio.Future[Any], ticket: _Ticket) -> None:
        """Done callback: un-count a request cancelled before it got a slot; mark a late
        task's exception as seen (its client already got 504, nobody awaits it)."""
        if not ticket.admitted:
            self._waiting -= 1
        if not task.cancelled():
            task.exception()


class _Ticket:
    __slots__ = ("admitted",)

    def __init__(self) -> None:
        self.admitted = False
