"""``tiffin models serve``: serve one model over MLflow's scoring protocol with uvicorn.

The model is loaded (through the trust gate) before the port is bound, so a refused or broken
model fails the command with tiffin's usual one-line error and exit code instead of a server
that answers 500. Starlette and uvicorn are imported only here, inside the command, so the rest
of the CLI starts without them.

On SIGTERM uvicorn stops accepting connections and waits for requests in flight (at most
``GRACEFUL_SECONDS``), then the command exits 0: a drained shutdown is a normal end.

Example:
    $ tiffin models serve -m models:/churn@champion --port 5000
    $ curl -s localhost:5000/invocations -H 'Content-Type: application/json' \\
        -d '{"dataframe_split": {"columns": ["x"], "data": [[1.0]]}}'
"""

from __future__ import annotations

import signal
from types import FrameType

import click

__all__ = ["GRACEFUL_SECONDS", "serve_command"]

GRACEFUL_SECONDS = 30
"""How long a SIGTERM waits for requests in flight before closing them."""


def _drained(signum: int, frame: FrameType | None) -> None:
    """SIGTERM after uvicorn has already drained: nothing left to do, exit normally.

    uvicorn re-raises the signal it caught once shutdown is complete, so that the process ends
    the way the signal says; with this handler in place that re-raise is a no-op and
    ``serve_command`` returns, giving exit code 0.
    """


@click.command("serve")
@click.option("-m", "--model-uri", required=True, help="Path, runs:/ or models:/ URI.")
@click.option("-h", "--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; 0.0.0.0 exposes the model to the network.")  # fmt: skip
@click.option("-p", "--port", default=5000, show_default=True, type=int)
@click.option("--trust", is_flag=True,
              help="Allow models that run code when loaded (pickles, code/).")  # fmt: skip
@click.option("--max-body-bytes", type=click.IntRange(min=1), default=None,
              help="Largest request body accepted (413 beyond it). Default 64 MiB.")  # fmt: skip
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))  # fmt: skip
def serve_command(
    model_uri: str,
    host: str,
    port: int,
    trust: bool,
    max_body_bytes: int | None,
    log_level: str,
) -> None:
    """Serve a model: POST /invocations, GET /ping, /health, /version (MLflow's protocol)."""
    import logging

    import uvicorn

    from tiffin.serve.app import build_app
    from tiffin.serve.limits import DEFAULT_MAX_BODY_BYTES
    from tiffin.serve.scorer import Scorer

    logging.basicConfig(level=log_level.upper(), format="%(levelname)s:  %(name)s %(message)s")
    scorer = Scorer.load(model_uri, trust=trust)
    click.echo(f"loaded {model_uri} in {scorer.load_seconds:.2f} s", err=True)
    app = build_app(scorer, max_body_bytes=max_body_bytes or DEFAULT_MAX_BODY_BYTES)
    signal.signal(signal.SIGTERM, _drained)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
