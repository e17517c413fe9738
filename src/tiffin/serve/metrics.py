"""Prometheus metrics for ``GET /metrics``: requests, latency, batch sizes, errors, load time.

Each app has its own :class:`prometheus_client.CollectorRegistry`, so two servers in one
process (tests) never share counters. Label values come only from the server's own vocabulary
(the names of served models, fixed protocol and error-code strings), never from the request:
a client sending made-up model names cannot grow the number of series without bound.

Example:
    >>> metrics = Metrics()
    >>> metrics.observe_request("iris", "mlflow", 200, 0.002)
    >>> b"tiffin_requests_total" in metrics.render()
    True
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536)


class Metrics:
    """The server's metric families, registered in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "tiffin_requests", "Requests answered, by model, protocol and HTTP status.",
            ["model", "protocol", "status"], registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "tiffin_request_duration_seconds", "Time from request to response.",
            ["model", "protocol"], buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.batch_rows = Histogram(
            "tiffin_batch_rows", "Rows per predict call (one request, or a merged batch).",
            ["model"], buckets=_ROW_BUCKETS, registry=r,
        )  # fmt: skip
        self.errors = Counter(
            "tiffin_errors", "Error responses, by model and error_code.",
            ["model", "error_code"], registry=r,
        )  # fmt: skip
        self.load_seconds = Gauge(
            "tiffin_model_load_seconds", "How long loading the served version took.",
            ["model", "version"], registry=r,
        )  # fmt: skip
        self.swaps = Counter(
            "tiffin_model_swaps", "New versions swapped in after an alias moved.",
            ["model"], registry=r,
        )  # fmt: skip
        self.queue_depth = Gauge("tiffin_queue_depth", "Requests waiting for a slot.", registry=r)
        self.in_flight = Gauge("tiffin_requests_in_flight", "Requests holding a slot.", registry=r)

    def observe_request(self, model: str, protocol: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency.

        Example:
            >>> Metrics().observe_request("iris", "v2", 400, 0.001)
        """
        self.requests.labels(model, protocol, str(status)).inc()
        self.latency.labels(model, protocol).observe(seconds)

    def observe_batch(self, model: str) -> Callable[[int], None]:
        """A callback for the batcher that records each predict call's row count.

        Example:
            >>> Metrics().observe_batch("iris")(32)
        """
        histogram = self.batch_rows.labels(model)
        return histogram.observe

    def track_admission(self, waiting: Callable[[], int], working: Callable[[], int]) -> None:
        """Read queue depth and in-flight count from the admission controller at scrape time.

        Example:
            >>> Metrics().track_admission(lambda: 0, lambda: 1)
        """
        self.queue_depth.set_function(waiting)
        self.in_flight.set_function(working)

    def render(self) -> bytes:
        """The text exposition format, for ``GET /metrics``.

        Example:
            >>> Metrics().render().startswith(b"# HELP")
            True
        """
        return generate_latest(self.registry)
