"""The serve modules without a server: import cost, Content-Type rules, error bodies, limits."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from tiffin.errors import SchemaError
from tiffin.serve.errors import (
    MAX_MESSAGE_CHARS,
    ModelError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    error_body,
    http_status,
)
from tiffin.serve.limits import DRAIN_BYTES, read_limited
from tiffin.serve.mlflow.codec import decode_csv, decoder_for, encode_response


def test_import_tiffin_and_its_cli_load_no_web_framework() -> None:
    code = (
        "import sys, tiffin, tiffin.serve, tiffin.cli.main; "
        "print(sorted({'starlette', 'uvicorn', 'httpx'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "header", [None, "", "text/plain", "application/json; charset=utf-16", "text/csv; sep=;"]
)
def test_unsupported_content_types_are_refused(header: str | None) -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        decoder_for(header)


def test_content_type_matching_ignores_case_and_quotes() -> None:
    assert decoder_for('Text/CSV; Charset="UTF-8"') is decode_csv


def test_error_bodies_are_bounded_and_carry_the_error_id() -> None:
    assert len(error_body(SchemaError("x" * 10_000))["message"]) == MAX_MESSAGE_CHARS
    assert error_body(ModelError("boom", "abc"))["error_id"] == "abc"
    assert [http_status(e) for e in (SchemaError(), PayloadTooLargeError(), KeyError())] == [
        400,
        413,
        500,
    ]


def test_numeric_arrays_are_encoded_without_a_detour_through_lists() -> None:
    assert encode_response(np.arange(3)) == b'{"predictions":[0,1,2]}'
    assert encode_response(np.array([b"a"], dtype=object)) == b'{"predictions":["YQ==\\n"]}'


def test_a_streamed_body_is_refused_at_the_first_chunk_over_the_limit() -> None:
    seen: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(100):
            seen.append(i)
            yield b"x" * 10

    with pytest.raises(PayloadTooLargeError):
        asyncio.run(read_limited({}, chunks(), 25))
    assert seen == [0, 1, 2]
    seen.clear()
    with pytest.raises(PayloadTooLargeError):
        asyncio.run(read_limited({"content-length": str(DRAIN_BYTES + 1)}, chunks(), 25))
    assert seen == []  # far over: refused on the declared length alone, no chunk read
    with pytest.raises(PayloadTooLargeError):
        asyncio.run(read_limited({"content-length": "26"}, chunks(), 25))
    assert len(seen) == 100  # a little over: read and discarded, so the client can read the 413


_BINARY_MODEL = """
import tiffin.pyfunc


class Lengths(tiffin.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input["blob"].map(len).to_numpy()
"""


def test_warm_up_predicts_its_own_example_with_a_binary_column(tmp_path: Path) -> None:
    """The example stores base64 text; warm-up (before an alias swap) must read it as bytes."""
    import pandas as pd

    from tiffin.serve.scorer import Scorer

    (tmp_path / "lengths.py").write_text(_BINARY_MODEL)
    sys.path.insert(0, str(tmp_path))
    try:
        import tiffin.pyfunc

        model = __import__("lengths").Lengths()
        path = tmp_path / "model"
        example = pd.DataFrame({"blob": [b"\x00\x01abc", b"hi"]})
        tiffin.pyfunc.save_model(path, python_model=model, input_example=example,
                                 code_paths=[tmp_path / "lengths.py"])  # fmt: skip
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("lengths", None)
    scorer = Scorer.load(path, trust=True)
    assert scorer.warm_up() is True


def test_bare_nan_tokens_are_json_only_where_mlflow_reads_them() -> None:
    from tiffin.serve.errors import BadRequestError
    from tiffin.serve.limits import load_json

    body = b'{"inputs": [NaN, Infinity, -Infinity, "NaN"]}'
    values = load_json(body, 64, allow_nan=True)["inputs"]
    assert np.isnan(values[0]) and values[1:3] == [float("inf"), float("-inf")]
    assert values[3] == "NaN"
    with pytest.raises(BadRequestError, match="not valid JSON"):
        load_json(body, 64)  # V2 and every other route: JSON as RFC 8259 has it
    with pytest.raises(BadRequestError, match="nested"):
        load_json(b"[" * 5000 + b"NaN" + b"]" * 5000, 64, allow_nan=True)


def test_parquet_bodies_read_dictionary_strings_as_their_values() -> None:
    """pandas Categorical / pyarrow dictionary columns are strings on /invocations, as in batch."""
    import io

    import pandas as pd

    from tiffin.serve.mlflow.codec import decode_parquet

    buffer = io.BytesIO()
    frame = pd.DataFrame({"city": pd.Categorical(["a", "b", "a"]), "n": [1.0, 2.0, 3.0]})
    frame.to_parquet(buffer, index=False)
    decoded, _ = decode_parquet(buffer.getvalue())
    assert not isinstance(decoded["city"].dtype, pd.CategoricalDtype)
    assert decoded["city"].tolist() == ["a", "b", "a"]
