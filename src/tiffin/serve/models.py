"""The served models: one slot per name, admission control, batching, alias following.

This is the :class:`~tiffin.serve.runtime.Runtime` the routes talk to. A :class:`ModelSlot`
holds the scorer currently serving a name. When the name was given as ``models:/name@alias``
(or ``/latest``), the slot polls the registry; when the alias moves, the new version is loaded
in a worker thread, verified (digest, trust gate) and warmed up on its input example, and only
then swapped in with one reference assignment. Requests already running keep the scorer they
started with, so none fails during a swap; a version that fails to load or to warm up is
logged and not served, and the old one stays.

Example:
    >>> slot = ModelSlot.load("iris", "models:/iris@champion")  # doctest: +SKIP
    >>> served = ServedModels([slot], ServeOptions())  # doctest: +SKIP
    >>> await served.predict("iris", frame, None)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiffin.errors import InvalidValueError, NotFoundError
from tiffin.serve.admission import Admission
from tiffin.serve.batching import Batcher
from tiffin.serve.limits import Limits, check_rows
from tiffin.serve.metrics import Metrics
from tiffin.serve.scorer import Scorer

__all__ = ["ModelSlot", "ServeOptions", "ServedModels", "default_name", "follows_registry"]

logger = logging.getLogger("tiffin.serve")

_INLINE_CHECK_ROWS = 1000
"""Requests up to this many rows are checked on the event loop (about 20-100 us)."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class ServeOptions:
    """Everything configurable about serving, with safe defaults.

    Attributes:
        limits: body, depth, row, deadline, concurrency and queue limits.
        max_batch_rows: merge concurrent requests up to this many rows; 0 turns batching off.
        batch_wait_ms: how long the first request of a batch waits for others.
        follow_seconds: how often a ``models:/name@alias`` is checked for a new version;
            0 turns following off.
        trust: load models whose loading runs code (and the versions an alias moves to).
    """

    limits: Limits = field(default_factory=Limits)
    max_batch_rows: int = 0
    batch_wait_ms: float = 2.0
    follow_seconds: float = 5.0
    trust: bool = False


def follows_registry(model_uri: str) -> bool:
    """True for URIs whose version can change under them: an alias or ``latest``.

    Example:
        >>> follows_registry("models:/iris@champion"), follows_registry("models:/iris/3")
        (True, False)
    """
    if not model_uri.startswith("models:/"):
        return False
    rest = model_uri[len("models:/") :]
    return "@" in rest or rest.rstrip("/").endswith("/latest")


def default_name(model_uri: str) -> str:
    """The name a model is served under when none is given: the registered name, or the
    directory's name.

    Example:
        >>> default_name("models:/iris@champion"), default_name("/tmp/models/churn/")
        ('iris', 'churn')
        >>> default_name("dist/churn.tiffin")
        'churn'
    """
    if model_uri.startswith("models:/"):
        rest = model_uri[len("models:/") :]
        return re.split(r"[@/]", rest, maxsplit=1)[0]
    name = Path(model_uri.removeprefix("file://").rstrip("/")).name.removesuffix(".tiffin")
    return name if _NAME.match(name) else "model"


class ModelSlot:
    """The scorer serving one name, replaced in one step when its alias moves."""

    def __init__(self, name: str, scorer: Scorer, *, trust: bool = False):
        if not _NAME.match(name):
            raise InvalidValueError(
                f"model name {name[:40]!r}: use letters, digits, '.', '_' or '-' (at most 128)"
            )
        self.name = name
        self.scorer = scorer
        self.trust = trust
        self.batcher: Batcher | None = None
        self._follower: asyncio.Task[None] | None = None

    @classmethod
    def load(cls, name: str, model_uri: str, *, trust: bool = False) -> ModelSlot:
        """Load ``model_uri`` through the trust gate and serve it as ``name``.

        Example:
            >>> ModelSlot.load("iris", "./model").scorer.model_version()  # doctest: +SKIP
            '0.1.0'
        """
        return cls(name, Scorer.load(model_uri, trust=trust), trust=trust)

    async def predict(self, data: Any, params: Mapping[str, Any] | None, rows: int) -> Any:
        """Predict with the current scorer, through the batcher when batching is on.

        Checking a request against the signature is tiffin's own code and bounded by its
        size, so small requests are checked on the event loop; the model itself runs in a
        worker thread (one hop per batch when batching).
        """
        from starlette.concurrency import run_in_threadpool

        scorer = self.scorer
        if self.batcher is None:
            return await run_in_threadpool(scorer.predict, data, params)
        if rows <= _INLINE_CHECK_ROWS:
            checked, checked_params = scorer.prepare(data, params)
        else:
            checked, checked_params = await run_in_threadpool(scorer.prepare, data, params)
        return await self.batcher.submit(checked, checked_params, rows)

    def start_batching(
        self, options: ServeOptions, metrics: Metrics, others_coming: Callable[[], int]
    ) -> None:
        """Put a batcher in front of this slot (the batch runs on whichever scorer is current)."""
        if options.max_batch_rows > 0:
            self.batcher = Batcher(
                lambda data, params: self.scorer.predict_prepared(data, params),
                max_rows=options.max_batch_rows,
                wait_seconds=options.batch_wait_ms / 1000,
                on_batch=metrics.observe_batch(self.name),
                others_coming=others_coming,
            )

    def start_following(self, every_seconds: float, metrics: Metrics) -> None:
        """Poll the registry for the alias's version every ``every_seconds`` (if it has one)."""
        if every_seconds > 0 and follows_registry(self.scorer.model_uri):
            self._follower = asyncio.create_task(
                self._follow(every_seconds, metrics), name=f"tiffin-follow-{self.name}"
            )

    async def stop(self) -> None:
        """Stop following and batching."""
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        if self.batcher is not None:
            await self.batcher.close()

    async def check_for_new_version(self, metrics: Metrics) -> bool:
        """Look the alias up once; load, warm up and swap in a new version if it moved.

        Returns:
            True when a new version was swapped in.

        Example:
            >>> await slot.check_for_new_version(metrics)  # doctest: +SKIP
            True
        """
        from starlette.concurrency import run_in_threadpool

        from tiffin.serve.scorer import pin_registered_version

        current = self.scorer
        _, version = await run_in_threadpool(pin_registered_version, current.model_uri)
        if version == current.registered_version:
            return False
        logger.info("%s: %s now names version %s; loading it", self.name,
                    current.model_uri, version)  # fmt: skip
        fresh = await run_in_threadpool(Scorer.load, current.model_uri, trust=self.trust)
        await run_in_threadpool(fresh.warm_up)
        self.scorer = fresh
        metrics.swaps.labels(self.name).inc()
        metrics.load_seconds.labels(self.name, fresh.model_version() or "").set(fresh.load_seconds)
        logger.info("%s: now serving version %s (loaded in %.2f s)", self.name,
                    fresh.model_version(), fresh.load_seconds)  # fmt: skip
        return True

    async def _follow(self, every_seconds: float, metrics: Metrics) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.check_for_new_version(metrics)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # keep serving the version we have; say why in the log
                logger.error("%s: not switching versions: %s: %s", self.name,
                             type(e).__name__, str(e)[:300])  # fmt: skip


class ServedModels:
    """The :class:`~tiffin.serve.runtime.Runtime` of a running server.

    Args:
        slots: the models, in the order given (the first answers ``/invocations`` when it is
            the only one).
        options: limits, batching and following.
        metrics: where request, batch and swap figures go.
    """

    def __init__(
        self, slots: list[ModelSlot], options: ServeOptions, metrics: Metrics | None = None
    ):
        names = [s.name for s in slots]
        if not slots or len(set(names)) != len(names):
            raise InvalidValueError(
                f"serve at least one model, each under its own name; got {names}"
            )
        self.slots = {s.name: s for s in slots}
        self.options = options
        self.metrics = metrics or Metrics()
        self.admission = Admission(
            options.limits.max_concurrency,
            options.limits.max_queue,
            options.limits.timeout_seconds,
        )
        self.metrics.track_admission(lambda: self.admission.waiting,
                                     lambda: self.admission.working)  # fmt: skip
        for slot in slots:
            self.metrics.load_seconds.labels(slot.name, slot.scorer.model_version() or "").set(
                slot.scorer.load_seconds
            )
        self.draining = False
        self.in_progress = 0
        """Requests inside :meth:`predict` (admitted or queued), over all models."""

    def names(self) -> list[str]:
        return list(self.slots)

    def scorer(self, name: str) -> Scorer:
        return self._slot(name).scorer

    def ready(self) -> bool:
        return not self.draining and all(s.scorer.health() for s in self.slots.values())

    async def predict(self, name: str, data: Any, params: Mapping[str, Any] | None) -> Any:
        slot = self._slot(name)
        rows = check_rows(data, self.options.limits.max_rows)
        scorer = slot.scorer
        if rows == 0:  # columns and params are still checked; the model is not asked
            scorer.prepare(data, params)
            return []
        if (
            slot.batcher is None
            and scorer.can_run_inline(rows, params)
            and self.admission.has_idle_slot()
        ):
            return self.admission.run_now(lambda: scorer.predict(data, params))
        self.in_progress += 1
        try:
            return await self.admission.run(lambda: slot.predict(data, params, rows))
        finally:
            self.in_progress -= 1

    def _others_coming(self) -> int:
        """Requests in :meth:`predict` not yet waiting on a batch: company worth waiting for."""
        awaiting = sum(s.batcher.awaiting for s in self.slots.values() if s.batcher)
        return self.in_progress - awaiting

    async def start(self) -> None:
        """Start batchers and alias followers (inside the server's event loop)."""
        for slot in self.slots.values():
            slot.start_batching(self.options, self.metrics, self._others_coming)
            slot.start_following(self.options.follow_seconds, self.metrics)

    async def stop(self) -> None:
        """Stop them again, at shutdown."""
        for slot in self.slots.values():
            await slot.stop()

    def _slot(self, name: str) -> ModelSlot:
        slot = self.slots.get(name)
        if slot is None:
            raise NotFoundError(
                f"no model named {name[:60]!r} is served here; served: {self.names()[:20]}"
            )
        return slot
