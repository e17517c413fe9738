"""Adaptive batching: concurrent requests for one model merged into one ``predict`` call.

A scikit-learn ``predict`` costs about the same for 1 row as for 100 (most of it is input
checking), so under load the server gathers requests that arrive together, predicts once and
splits the answer back. Each request is checked against the signature on its own *before* it
joins a batch (:meth:`PyFuncModel.prepare`), so a request with bad rows fails alone with 400 and
never reaches the model; a model exception fails the batch it was in (500), nothing else.

Only requests with equal params are merged (params change what predict does), and only inputs
that can be put end to end: data frames with the same columns, arrays with the same trailing
shape, dicts of such arrays. Anything else, or a model whose output does not have one row per
input row, is predicted request by request, which is always correct.

The collector waits at most ``wait_seconds`` after the first request of a batch, and not at all
once ``max_rows`` rows are in; while a batch is predicting, the next one fills, so batches grow
with load and a lone request pays at most the wait.

Example:
    >>> batcher = Batcher(scorer_predict, max_rows=256, wait_seconds=0.002)  # doctest: +SKIP
    >>> await batcher.submit(prepared_frame, None)  # doctest: +SKIP
    array([0, 1])
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from tiffin.serve.limits import count_rows

__all__ = ["Batcher", "merge_inputs", "split_outputs"]

logger = logging.getLogger("tiffin.serve")

Predict = Callable[[Any, dict[str, Any] | None], Any]


@dataclass
class _Pending:
    data: Any
    params: dict[str, Any] | None
    key: bytes
    rows: int
    future: asyncio.Future[Any] = field(repr=False)


def _params_key(params: dict[str, Any] | None) -> bytes:
    if not params:
        return b""
    try:
        return orjson.dumps(params, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    except (orjson.JSONEncodeError, TypeError):
        return repr(sorted(params.items())).encode()


def merge_inputs(parts: Sequence[Any]) -> Any | None:
    """Put checked inputs end to end, or ``None`` when they cannot be merged exactly.

    Example:
        >>> import numpy as np
        >>> merge_inputs([np.zeros((1, 2)), np.ones((2, 2))]).shape
        (3, 2)
        >>> merge_inputs([np.zeros((1, 2)), [[1.0, 2.0]]]) is None
        True
    """
    import numpy as np
    import pandas as pd

    first = parts[0]
    if isinstance(first, pd.DataFrame):
        columns = list(first.columns)
        if all(isinstance(p, pd.DataFrame) and list(p.columns) == columns for p in parts):
            return pd.concat(parts, ignore_index=True)
        return None
    if isinstance(first, np.ndarray) and first.ndim >= 1:
        if all(
            isinstance(p, np.ndarray) and p.shape[1:] == first.shape[1:] and p.dtype == first.dtype
            for p in parts
        ):
            return np.concatenate(parts)
        return None
    if isinstance(first, dict) and first:
        keys = list(first)
        if all(isinstance(p, dict) and list(p) == keys for p in parts):
            merged = {k: merge_inputs([p[k] for p in parts]) for k in keys}
            if all(v is not None for v in merged.values()):
                return merged
    return None


def split_outputs(result: Any, sizes: Sequence[int]) -> list[Any] | None:
    """Cut a batch's predictions back into one answer per request, or ``None`` if the output
    does not have exactly one row per input row.

    Example:
        >>> import numpy as np
        >>> [p.tolist() for p in split_outputs(np.arange(3), [1, 2])]
        [[0], [1, 2]]
    """
    import numpy as np
    import pandas as pd

    total = sum(sizes)
    bounds = np.cumsum([0, *sizes]).tolist()
    pairs = list(itertools.pairwise(bounds))
    if isinstance(result, pd.DataFrame | pd.Series):
        if len(result) != total:
            return None
        return [result.iloc[a:b] for a, b in pairs]
    if isinstance(result, np.ndarray | list):
        if result is None or getattr(result, "ndim", 1) == 0 or len(result) != total:
            return None
        return [result[a:b] for a, b in pairs]
    if isinstance(result, dict) and result:
        columns = {k: split_outputs(v, sizes) for k, v in result.items()}
        if any(v is None for v in columns.values()):
            return None
        return [{k: v[i] for k, v in columns.items() if v is not None} for i in range(len(sizes))]
    return None


def predict_batch(
    predict: Predict, parts: Sequence[Any], sizes: Sequence[int], params: dict[str, Any] | None
) -> tuple[str, list[Any] | None]:
    """Merge, predict once, split: the CPU part of a batch, run in one worker-thread hop.

    Returns ``("ok", answers)`` with one answer per part, ``("unmergeable", None)`` when the
    inputs cannot be put end to end (these requests are then predicted one by one), or
    ``("unsplittable", None)`` when the output does not have one row per input row (the model
    is then never batched again).

    Example:
        >>> import numpy as np
        >>> predict_batch(lambda x, p: x * 2, [np.ones(1), np.ones(2)], [1, 2], None)
        ('ok', [array([2.]), array([2., 2.])])
    """
    merged = merge_inputs(parts)
    if merged is None:
        return "unmergeable", None
    answers = split_outputs(predict(merged, params), sizes)
    return ("ok", answers) if answers is not None else ("unsplittable", None)


class Batcher:
    """Collects checked inputs for one model and predicts them in merged batches.

    Args:
        predict: ``predict(checked_input, checked_params)``, run in a worker thread; its
            exceptions (tiffin's :class:`ModelError`) go to every request of that batch.
        max_rows: a batch stops growing at this many rows; a larger request runs alone.
        wait_seconds: how long the first request of a batch waits for company.
        on_batch: called with each batch's row count (the ``tiffin_batch_rows`` histogram).
        others_coming: how many requests are on their way to this batcher (decoded, not yet
            submitted); a batch waits for company only while this is above zero, so a lone
            request never pays ``wait_seconds``.
    """

    def __init__(
        self,
        predict: Predict,
        *,
        max_rows: int,
        wait_seconds: float,
        on_batch: Callable[[int], None] | None = None,
        others_coming: Callable[[], int] | None = None,
    ):
        self._predict = predict
        self._others_coming = others_coming
        self.max_rows = max_rows
        self.wait_seconds = wait_seconds
        self._on_batch = on_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._carry: _Pending | None = None
        self._task: asyncio.Task[None] | None = None
        self._mergeable = True
        self.awaiting = 0
        """Requests submitted and not yet answered."""

    async def submit(
        self, data: Any, params: dict[str, Any] | None, rows: int | None = None
    ) -> Any:
        """Queue one checked request and wait for its own slice of the batch's predictions.

        ``rows`` is the request's row count when the caller has it (counted otherwise).

        Example:
            >>> await batcher.submit(frame, None)  # doctest: +SKIP
        """
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._collect_forever(), name="tiffin-batcher")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        rows = count_rows(data) if rows is None else rows
        pending = _Pending(data, params, _params_key(params), rows, future)
        self._queue.put_nowait(pending)
        self.awaiting += 1
        try:
            return await future
        except asyncio.CancelledError:
            future.cancel()  # the deadline passed: the collector skips it if not yet run
            raise
        finally:
            self.awaiting -= 1

    async def close(self) -> None:
        """Stop the collector (requests still queued are cancelled)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            self._queue.get_nowait().future.cancel()

    async def _collect_forever(self) -> None:
        while True:
            batch = await self._collect()
            groups: dict[bytes, list[_Pending]] = {}
            for pending in batch:
                if not pending.future.done():
                    groups.setdefault(pending.key, []).append(pending)
            for group in groups.values():
                await self._run(group)

    async def _collect(self) -> list[_Pending]:
        loop = asyncio.get_running_loop()
        first = self._carry or await self._queue.get()
        self._carry = None
        batch, rows = [first], first.rows
        deadline = loop.time() + self.wait_seconds
        while rows < self.max_rows:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - loop.time()
                if remaining <= 0 or (self._others_coming and self._others_coming() <= 0):
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            if rows + item.rows > self.max_rows:
                self._carry = item
                break
            batch.append(item)
            rows += item.rows
        return batch

    async def _run(self, group: list[_Pending]) -> None:
        from starlette.concurrency import run_in_threadpool

        parts = [p.data for p in group]
        params = group[0].params
        answers: list[Any] | None = None
        try:
            if len(group) > 1 and self._mergeable:
                sizes = [p.rows for p in group]
                outcome, answers = await run_in_threadpool(
                    predict_batch, self._predict, parts, sizes, params
                )
                if outcome == "unsplittable":
                    logger.warning("the model's output does not have one row per input row; "
                                   "predicting request by request from now on")  # fmt: skip
                    self._mergeable = False
        except Exception as e:  # the model raised (ModelError): fail this batch only
            for pending in group:
                if not pending.future.done():
                    pending.future.set_exception(e)
            return
        if answers is None:
            for pending in group:
                await self._run_alone(pending)
            return
        if self._on_batch is not None:
            self._on_batch(sum(p.rows for p in group))
        for pending, answer in zip(group, answers, strict=True):
            if not pending.future.done():
                pending.future.set_result(answer)

    async def _run_alone(self, pending: _Pending) -> None:
        from starlette.concurrency import run_in_threadpool

        if pending.future.done():
            return
        try:
            answer = await run_in_threadpool(self._predict, pending.data, pending.params)
        except Exception as e:
            if not pending.future.done():
                pending.future.set_exception(e)
            return
        if self._on_batch is not None:
            self._on_batch(pending.rows)
        if not pending.future.done():
            pending.future.set_result(answer)
