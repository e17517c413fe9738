"""``GET /docs``: a self-contained HTML reference for the served models, from their signatures.

The page lists each model's inputs (columns with types and optionality, or tensors with dtype
and shape), outputs, params with defaults, its routes, and curl commands that work as shown
(built from the signature, or from the model's serving input example when it is small).

It loads nothing: no script at all, no CDN, no font, one inline stylesheet. Servers run
offline, and a page without third-party JavaScript has no supply-chain or XSS surface. Every
string that comes from a model (names, types, defaults, examples) is HTML-escaped, and the
headers returned with the page (:data:`DocsPage.headers`) forbid scripts, frames and any
fetch through a Content-Security-Policy that allows only the stylesheet's hash.

Example:
    >>> from tiffin.format.schema import ColSpec, Schema, Signature
    >>> page = docs_page({"iris": ("1", Signature(Schema([ColSpec("double", "x")])))})
    >>> "<script" in page.html, page.headers["Content-Security-Policy"].startswith("default-src")
    (False, True)
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from tiffin.format.bounded import load_json
from tiffin.format.example import SERVING_EXAMPLE_FILE
from tiffin.format.schema import ColSpec, Schema, Signature, TensorSpec
from tiffin.format.types import type_repr
from tiffin.serve.openapi.document import ModelInfo, invocations_path
from tiffin.serve.openapi.examples import mlflow_example, v2_example

__all__ = ["DocsPage", "HEADERS", "MAX_EXAMPLE_BYTES", "docs_page", "read_serving_example"]

MAX_EXAMPLE_BYTES = 4096
"""A serving input example larger than this is not shown (one built from the signature is)."""

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}h1,h2,h3{line-height:1.2}table{border-collapse:collapse;margin:.5rem 0 1rem}"
    "th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}code,pre{font:13px ui-monospace,monospace;background:#f6f6f6}"
    "pre{padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}"
    ".opt{color:#666}section{border-top:1px solid #ddd;margin-top:2rem}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class DocsPage(NamedTuple):
    """The page and the headers to send it with (the CSP above; the type is text/html)."""

    html: str
    headers: dict[str, str]


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def read_serving_example(model_dir: Path) -> Any | None:
    """The model's ``serving_input_example.json`` when present and small enough to show.

    Example:
        >>> read_serving_example(Path("/nonexistent")) is None
        True
    """
    path = Path(model_dir) / SERVING_EXAMPLE_FILE
    try:
        if path.is_symlink() or path.stat().st_size > MAX_EXAMPLE_BYTES:
            return None
        return load_json(path.read_bytes(), SERVING_EXAMPLE_FILE)
    except (OSError, ValueError):
        return None


def docs_page(
    models: Mapping[str, ModelInfo],
    *,
    examples: Mapping[str, Any] | None = None,
    base_url: str = "http://127.0.0.1:5000",
) -> DocsPage:
    """The ``/docs`` page for ``models`` (name -> (version, signature)).

    Args:
        models: the served models.
        examples: a model's serving input example (an ``/invocations`` body), by name; shown
            instead of the one built from the signature.
        base_url: the server's address in the curl commands (configured, never taken from the
            request's Host header).

    Example:
        >>> "/openapi.json" in docs_page({"m": ("1", None)}).html
        True
    """
    examples = examples or {}
    sections = [
        _model_section(name, version, signature, examples.get(name), base_url, len(models))
        for name, (version, signature) in models.items()
    ]
    body = "\n".join(
        [
            "<h1>tiffin scoring server</h1>",
            "<p>Generated from the models' signatures. Machine-readable: "
            '<a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>',
            _server_routes(),
            *sections,
        ]
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>tiffin: {_e(', '.join(models))}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return DocsPage(page, dict(HEADERS))


def _server_routes() -> str:
    rows = [
        ("GET", "/ping, /health", "liveness (MLflow); 503 before the models are loaded"),
        ("GET", "/version", "the model version served"),
        ("GET", "/v2, /v2/health/live, /v2/health/ready", "V2 server metadata and health"),
        ("GET", "/metrics", "Prometheus metrics"),
        ("GET", "/openapi.json, /docs", "this reference"),
    ]
    return "<h2>Server routes</h2>" + _table(["method", "path", ""], rows)


def _table(head: list[str], rows: list[tuple[Any, ...]]) -> str:
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{header}</tr>{body}</table>"


def _schema_table(schema: Schema | None, what: str) -> str:
    if schema is None:
        return f"<p>{_e(what)}: not in the signature (passed as sent).</p>"
    rows: list[tuple[Any, ...]] = []
    for i, spec in enumerate(schema.specs):
        name = spec.name if spec.name is not None else f"#{i} (by position)"
        if isinstance(spec, TensorSpec):
            rows.append((name, f"tensor {spec.dtype}", str(list(spec.shape)), "required"))
        elif isinstance(spec, ColSpec):
            rows.append((name, type_repr(spec.type), "[-1]", _required(spec)))
    return f"<h3>{_e(what)}</h3>" + _table(["name", "type", "shape", ""], rows)


def _required(spec: ColSpec) -> str:
    return "required" if spec.required else "optional"


def _params_table(signature: Signature | None) -> str:
    params = signature.params if signature is not None else None
    if params is None:
        return "<p>Params: none.</p>"
    rows = [
        (p.name, type_repr(p.type) + ("[]" if p.shape else ""), json.dumps(p.default))
        for p in params.params
    ]
    return "<h3>Params</h3>" + _table(["name", "type", "default"], rows)


def _model_section(
    name: str,
    version: str | None,
    signature: Signature | None,
    example: Any,
    base: str,
    served: int,
) -> str:
    q = quote(name, safe="")
    invocations = invocations_path(name, served)
    routes = [
        ("POST", invocations, "predict (MLflow protocol: JSON, CSV, Parquet)"),
        ("GET", f"/v2/models/{q}", "V2 metadata (inputs, outputs, params)"),
        ("GET", f"/v2/models/{q}/ready", "V2 readiness"),
        ("POST", f"/v2/models/{q}/infer", "predict (V2 protocol)"),
    ]
    label = ""
    if version is not None:  # a path or runs:/ model has no registry version to show
        qv = quote(version, safe="")
        routes.append(("*", f"/v2/models/{q}/versions/{qv}/...", "the same, pinned to it"))
        label = f' <span class="opt">version {_e(version)}</span>'
    parts = [
        f'<section><h2 id="model-{_e(q)}">{_e(name)}{label}</h2>',
        _schema_table(signature.inputs if signature else None, "Inputs"),
        _schema_table(signature.outputs if signature else None, "Outputs"),
        _params_table(signature),
        "<h3>Routes</h3>" + _table(["method", "path", ""], routes),
    ]
    mlflow_body = example if example is not None else mlflow_example(signature)
    v2_body = v2_example(signature)
    if mlflow_body is not None:
        parts.append("<h3>MLflow request</h3>" + _curl(base + invocations, mlflow_body))
    if v2_body is not None:
        parts.append("<h3>V2 request</h3>" + _curl(f"{base}/v2/models/{q}/infer", v2_body))
    return "\n".join(parts) + "</section>"


def _curl(url: str, body: Any) -> str:
    data = json.dumps(body, ensure_ascii=False)
    command = (
        f"curl -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
        f"-d {shlex.quote(data)}"
    )
    return f"<pre><code>{_e(command)}</code></pre>"
