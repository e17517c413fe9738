"""``tiffin models serve`` (one model) and ``tiffin serve`` (several): uvicorn, one worker.

Every model is loaded (through the trust gate) before the port is bound, so a refused or broken
model fails the command with tiffin's usual one-line error and exit code instead of a server
that answers 500. Starlette, uvicorn and prometheus-client are imported only here, inside the
commands, so the rest of the CLI starts without them.

The server binds 127.0.0.1 unless told otherwise, and refuses to bind any other interface
without ``--token`` (or ``TIFFIN_SERVE_TOKEN``) unless ``--no-token`` says so explicitly: a
model server open to the network without authentication is how ShellTorch happened.

On SIGTERM uvicorn stops accepting connections and waits for requests in flight (at most
``GRACEFUL_SECONDS``), then the command exits 0: a drained shutdown is a normal end.

Example:
    $ tiffin models serve -m models:/churn@champion --port 5000
    $ tiffin serve --model churn=models:/churn@champion --model iris=./iris --max-batch-rows 256
    $ curl -s localhost:5000/invocations -H 'Content-Type: application/json' \\
        -d '{"dataframe_split": {"columns": ["x"], "data": [[1.0]]}}'
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

__all__ = ["GRACEFUL_SECONDS", "TOKEN_ENV", "multi_serve_command", "serve_command"]

GRACEFUL_SECONDS = 30
"""How long a SIGTERM waits for requests in flight before closing them."""
TOKEN_ENV = "TIFFIN_SERVE_TOKEN"


def _draining_server(config: Any, served: Any) -> Any:
    """uvicorn's server, telling the served models at the first signal, so that health routes
    answer 503 while requests in flight drain and load balancers stop sending new ones."""
    import uvicorn

    class DrainingServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            served.draining = True
            super().handle_exit(sig, frame)

    return DrainingServer(config)


def _drained(signum: int, frame: FrameType | None) -> None:
    """SIGTERM after uvicorn has already drained: nothing left to do, exit normally.

    uvicorn re-raises the signal it caught once shutdown is complete, so that the process ends
    the way the signal says; with this handler in place that re-raise is a no-op and the
    command returns, giving exit code 0.
    """


_SERVER_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("-h", "--host", default="127.0.0.1", show_default=True,
                 help="Interface to bind; anything but loopback needs --token or --no-token."),
    click.option("-p", "--port", default=5000, show_default=True, type=click.IntRange(0, 65535)),
    click.option("--trust", is_flag=True,
                 help="Allow models that run code when loaded (pickles, code/)."),
    click.option("--token", envvar=TOKEN_ENV, default=None,
                 help="Require 'Authorization: Bearer TOKEN' on every route but health "
                      "(env TIFFIN_SERVE_TOKEN)."),
    click.option("--no-token", "no_token", is_flag=True,
                 help="Allow binding a non-loopback interface without a token."),
    click.option("--max-batch-rows", type=click.IntRange(min=0), default=0, show_default=True,
                 help="Merge concurrent requests into one predict of up to this many rows; "
                      "0 = off."),
    click.option("--batch-wait-ms", type=click.FloatRange(min=0), default=2.0,
                 show_default=True, help="How long a request waits for others to batch with."),
    click.option("--follow-seconds", type=click.FloatRange(min=0), default=5.0,
                 show_default=True,
                 help="How often models:/name@alias is checked for a new version; 0 = never."),
    click.option("--max-body-bytes", type=click.IntRange(min=1), default=64 * 1024 * 1024,
                 show_default=True, help="Largest request body (413 beyond it)."),
    click.option("--max-rows", type=click.IntRange(min=1), default=100_000, show_default=True,
                 help="Most rows in one request (413 beyond it)."),
    click.option("--max-json-depth", type=click.IntRange(min=2), default=64, show_default=True,
                 help="Deepest JSON nesting accepted (400 beyond it)."),
    click.option("--timeout", "timeout_seconds", type=click.FloatRange(min=0.001),
                 default=60.0, show_default=True,
                 help="Seconds before a request is answered 504."),
    click.option("--max-concurrency", type=click.IntRange(min=1), default=32,
                 show_default=True, help="Requests at work at once."),
    click.option("--max-queue", type=click.IntRange(min=0), default=256, show_default=True,
                 help="Requests waiting for a slot; beyond it 503 with Retry-After."),
    click.option("--access-log", is_flag=True,
                 help="Log one line per request (off: it costs ~0.5 ms a request; "
                      "/metrics has the counts)."),
    click.option("--log-level", default="info", show_default=True,
                 type=click.Choice(["critical", "error", "warning", "info", "debug"])),
]  # fmt: skip


def _server_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_SERVER_OPTIONS):
        command = option(command)
    return command


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _run(models: list[tuple[str, str]], **opts: Any) -> None:
    """Load every model, build the app, run uvicorn until SIGTERM."""
    import logging

    import uvicorn

    from tiffin.serve.app import build_app, check_token
    from tiffin.serve.limits import Limits
    from tiffin.serve.models import ModelSlot, ServedModels, ServeOptions

    host, token = opts["host"], opts["token"]
    if token is None and os.environ.get(TOKEN_ENV) is not None:
        token = os.environ[TOKEN_ENV]  # click drops an empty variable: an unset secret
    try:
        token = check_token(token)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="'--token' / TIFFIN_SERVE_TOKEN") from None
    if not _is_loopback(host) and not token and not opts["no_token"]:
        raise click.UsageError(
            f"binding {host} exposes the models to the network: pass --token (or set "
            "TIFFIN_SERVE_TOKEN) to require a bearer token, or --no-token to serve without one"
        )
    logging.basicConfig(level=opts["log_level"].upper(),
                        format="%(levelname)s:  %(name)s %(message)s")  # fmt: skip
    slots = []
    for name, uri in models:
        slot = ModelSlot.load(name, uri, trust=opts["trust"])
        version = slot.scorer.model_version()
        registered = f" (version {version})" if version is not None else ""
        click.echo(f"loaded {uri} as {name!r}{registered} in "
                   f"{slot.scorer.load_seconds:.2f} s", err=True)  # fmt: skip
        slots.append(slot)
    limits = Limits(
        max_body_bytes=opts["max_body_bytes"],
        max_json_depth=opts["max_json_depth"],
        max_rows=opts["max_rows"],
        timeout_seconds=opts["timeout_seconds"],
        max_concurrency=opts["max_concurrency"],
        max_queue=opts["max_queue"],
    )
    options = ServeOptions(
        limits=limits,
        max_batch_rows=opts["max_batch_rows"],
        batch_wait_ms=opts["batch_wait_ms"],
        follow_seconds=opts["follow_seconds"],
        trust=opts["trust"],
    )
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{opts['port']}"
    served = ServedModels(slots, options)
    app = build_app(served, token=token, base_url=base_url)
    signal.signal(signal.SIGTERM, _drained)
    config = uvicorn.Config(
        app,
        host=host,
        port=opts["port"],
        log_level=opts["log_level"],
        access_log=opts["access_log"],
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    sock = _listen(host, opts["port"])
    click.echo(f"serving on {base_url} (Ctrl-C or SIGTERM to stop)", err=True)
    _draining_server(config, served).run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a busy port or a bad address is an ``OSError``
    (one line, exit 1) rather than uvicorn's log lines and its exit code 3."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise OSError(e.errno, f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    except OverflowError as e:  # pragma: no cover - click's IntRange refuses such ports
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {e}") from None
    sock.set_inheritable(True)
    return sock


@click.command("serve")
@click.option("-m", "--model-uri", required=True,
              help="Model directory, .tiffin file, file://, runs:/ or models:/ URI.")  # fmt: skip
@click.option("--name", default=None,
              help="Name for V2 routes and metrics (default: the model's name).")  # fmt: skip
@_server_options
def serve_command(model_uri: str, name: str | None, **opts: Any) -> None:
    """Serve one model: MLflow's /invocations, V2 /v2/models/NAME/infer, /openapi.json."""
    from tiffin.serve.models import default_name

    _run([(name or default_name(model_uri), model_uri)], **opts)


def _parse_model(value: str) -> tuple[str, str]:
    name, sep, uri = value.partition("=")
    if not sep or not name or not uri:
        raise click.BadParameter(f"expected NAME=URI, got {value[:80]!r}", param_hint="--model")
    return name, uri


def _read_config(path: Path) -> list[tuple[str, str]]:
    """``models:`` in a YAML file: a mapping of name to URI (or to ``{uri: ...}``)."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise click.BadParameter(f"{path}: {str(e)[:200]}", param_hint="--config") from None
    models = document.get("models") if isinstance(document, dict) else None
    if not isinstance(models, dict) or not models:
        raise click.BadParameter(f"{path}: expected a 'models:' mapping of name to URI",
                                 param_hint="--config")  # fmt: skip
    pairs = []
    for name, entry in models.items():
        uri = entry.get("uri") if isinstance(entry, dict) else entry
        if not isinstance(uri, str):
            raise click.BadParameter(f"{path}: models.{name}: expected a URI string",
                                     param_hint="--config")  # fmt: skip
        pairs.append((str(name), uri))
    return pairs


@click.command("serve")
@click.option("--model", "model_specs", multiple=True, metavar="NAME=URI",
              help="A model to serve under NAME; repeat for several.")  # fmt: skip
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path),
              help="YAML file with 'models: {NAME: URI, ...}'.")  # fmt: skip
@_server_options
def multi_serve_command(
    model_specs: tuple[str, ...], config_path: Path | None, **opts: Any
) -> None:
    """Serve several models from one server: POST /models/NAME/invocations and V2 routes."""
    models = [_parse_model(spec) for spec in model_specs]
    if config_path is not None:
        models += _read_config(config_path)
    if not models:
        raise click.UsageError("give at least one --model NAME=URI or a --config file")
    _run(models, **opts)
