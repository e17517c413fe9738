"""Admission control in isolation: the cap, the queue bound (503) and the deadline (504)."""

from __future__ import annotations

import asyncio

import pytest

from tiffin.serve.admission import Admission
from tiffin.serve.errors import DeadlineExceededError, OverloadedError


def test_requests_beyond_cap_and_queue_are_refused_with_retry_after() -> None:
    async def scenario() -> list[object]:
        admission = Admission(max_concurrency=1, max_queue=1, timeout_seconds=5)
        release = asyncio.Event()

        async def work() -> str:
            await release.wait()
            return "done"

        first = asyncio.ensure_future(admission.run(work))  # takes the slot
        await asyncio.sleep(0)
        second = asyncio.ensure_future(admission.run(work))  # waits in the queue
        await asyncio.sleep(0)
        assert (admission.working, admission.waiting) == (1, 1)
        with pytest.raises(OverloadedError) as refused:
            await admission.run(work)
        assert refused.value.status_code == 503
        assert refused.value.headers == {"Retry-After": "1"}
        release.set()
        return list(await asyncio.gather(first, second))

    assert asyncio.run(scenario()) == ["done", "done"]


def test_deadline_answers_504_and_slot_is_held_until_the_work_ends() -> None:
    async def scenario() -> None:
        admission = Admission(max_concurrency=1, max_queue=0, timeout_seconds=0.05)
        finished = asyncio.Event()

        async def slow() -> None:
            await asyncio.sleep(0.2)
            finished.set()

        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(DeadlineExceededError, match="0.05 s"):
            await admission.run(slow)
        assert loop.time() - start < 0.15
        await asyncio.sleep(0.01)  # the cancellation reaches the abandoned coroutine
        # The cancelled coroutine gave its slot back; a fresh request gets in.
        assert await admission.run(lambda: asyncio.sleep(0, result="ok")) == "ok"

    asyncio.run(scenario())


def test_queued_request_past_its_deadline_never_runs() -> None:
    async def scenario() -> list[str]:
        admission = Admission(max_concurrency=1, max_queue=5, timeout_seconds=0.1)
        ran: list[str] = []

        async def hold() -> None:
            await asyncio.sleep(0.3)
            ran.append("hold")

        async def queued() -> None:
            ran.append("queued")

        holder = asyncio.ensure_future(admission.run(hold))
        await asyncio.sleep(0)
        with pytest.raises(DeadlineExceededError):
            await admission.run(queued)
        with pytest.raises(DeadlineExceededError):
            await holder
        await asyncio.sleep(0.3)
        return ran

    assert "queued" not in asyncio.run(scenario())


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        Admission(max_concurrency=0, max_queue=1, timeout_seconds=1)
