"""The /docs page: self-contained, escaped, complete, and its curl commands work."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
from pathlib import Path
from typing import Any

import orjson
import pytest

import tiffin.pyfunc
from tiffin.format.schema import ColSpec, ParamSchema, ParamSpec, Schema, Signature, TensorSpec
from tiffin.serve.mlflow.codec import decode_json
from tiffin.serve.openapi.page import MAX_EXAMPLE_BYTES, docs_page, read_serving_example
from tiffin.serve.v2.codec import decode_infer_request

HOSTILE = '<script>alert("x")</script>'
SIGNATURE = Signature(
    inputs=Schema([ColSpec("double", "x"), ColSpec("string", HOSTILE, required=False)]),
    outputs=Schema([ColSpec("long", "label")]),
    params=ParamSchema([ParamSpec("k", "long", 5), ParamSpec("note", "string", HOSTILE)]),
)


def curl_bodies(page: str) -> list[tuple[str, Any]]:
    """The (url, JSON body) of each curl command on the page, as a shell would pass them."""
    import html

    out = []
    for block in re.findall(r"<pre><code>(.*?)</code></pre>", page, re.S):
        words = shlex.split(html.unescape(block))
        out.append((words[3], json.loads(words[words.index("-d") + 1])))
    return out


def test_the_page_loads_nothing_and_runs_no_script() -> None:
    page = docs_page({"iris": ("3", SIGNATURE)})
    assert "<script" not in page.html and HOSTILE not in page.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page.html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.html)
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    style = re.search(r"<style>(.*?)</style>", page.html, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_lists_columns_params_routes_and_the_openapi_link() -> None:
    page = docs_page(
        {"iris": ("3", SIGNATURE), "img": ("1", Signature(Schema([TensorSpec("uint8", (-1, 2))])))}
    ).html
    for text in ("optional", "required", "long", "5", "/models/iris/invocations",
                 "/v2/models/iris/infer", "/v2/models/iris/versions/3/...", 'href="/openapi.json"',
                 "tensor uint8", "[-1, 2]"):  # fmt: skip
        assert text in page, text
    assert "Params: none." in page


def test_a_model_without_a_signature_gets_no_made_up_example() -> None:
    page = docs_page({"m": ("1", None)}).html
    assert "not in the signature" in page and curl_bodies(page) == []


def test_the_curl_commands_are_accepted_by_the_decoders() -> None:
    signature = Signature(Schema([ColSpec("double", "x"), ColSpec("long", "n")]))
    page = docs_page({"m": ("1", signature)}, base_url="http://10.0.0.1:8080").html
    (mlflow_url, mlflow_body), (v2_url, v2_body) = curl_bodies(page)
    assert mlflow_url == "http://10.0.0.1:8080/invocations"
    assert v2_url == "http://10.0.0.1:8080/v2/models/m/infer"
    data, _ = decode_json(orjson.dumps(mlflow_body))
    assert list(data.columns) == ["x", "n"]
    assert decode_infer_request(orjson.dumps(v2_body), signature).data.shape == (1, 2)


def test_a_models_own_serving_example_is_shown_when_small(
    sklearn_model: Path, frame: Any, logreg: Any
) -> None:
    example = read_serving_example(sklearn_model)
    assert example is not None
    model = tiffin.pyfunc.load_model(sklearn_model)
    page = docs_page({"m": ("1", model.signature)}, examples={"m": example}).html
    _, body = curl_bodies(page)[0]
    assert body == example
    data, params = decode_json(orjson.dumps(body))
    assert model.predict(data, params).tolist() == logreg.predict(frame.head(3)).tolist()


def test_large_or_linked_serving_examples_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "serving_input_example.json").write_text(
        json.dumps({"inputs": [0] * MAX_EXAMPLE_BYTES})
    )
    assert read_serving_example(tmp_path) is None
    linked = tmp_path / "linked"
    linked.mkdir()
    (tmp_path / "small.json").write_text("{}")
    (linked / "serving_input_example.json").symlink_to(tmp_path / "small.json")
    assert read_serving_example(linked) is None
    (tmp_path / "serving_input_example.json").write_text("{not json")
    assert read_serving_example(tmp_path) is None


@pytest.mark.parametrize("name", ["a b", "x&y"])
def test_model_names_are_escaped_in_paths_and_text(name: str) -> None:
    page = docs_page({name: ("1", SIGNATURE)}).html
    assert "/v2/models/" + name.replace(" ", "%20").replace("&", "%26") in page


def test_a_model_without_a_registry_version_shows_none() -> None:
    """A path or runs:/ model has no version: not tiffin's, and no pinned routes."""
    import tiffin

    page = docs_page({"iris": (None, SIGNATURE)}).html
    assert "/v2/models/iris/infer" in page and "/versions/" not in page
    assert f"version {tiffin.__version__}" not in page and "version None" not in page
