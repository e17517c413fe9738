"""Batching in isolation: merge and split rules, one batch per burst, failures stay local."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tiffin.errors import SchemaError
from tiffin.serve.batching import Batcher, merge_inputs, predict_batch, split_outputs
from tiffin.serve.errors import ModelError


def test_merge_frames_with_same_columns_only() -> None:
    a, b = pd.DataFrame({"x": [1.0]}), pd.DataFrame({"x": [2.0, 3.0]})
    assert merge_inputs([a, b])["x"].tolist() == [1.0, 2.0, 3.0]
    assert merge_inputs([a, pd.DataFrame({"y": [1.0]})]) is None
    assert merge_inputs([a, np.zeros((1, 1))]) is None


def test_merge_arrays_needs_same_trailing_shape_and_dtype() -> None:
    assert merge_inputs([np.zeros((1, 3)), np.zeros((2, 3))]).shape == (3, 3)
    assert merge_inputs([np.zeros((1, 3)), np.zeros((1, 4))]) is None
    assert merge_inputs([np.zeros((1, 3)), np.zeros((1, 3), dtype=np.int64)]) is None
    merged = merge_inputs([{"a": np.zeros(1)}, {"a": np.ones(2)}])
    assert merged["a"].tolist() == [0.0, 1.0, 1.0]
    assert merge_inputs([[1, 2], [3]]) is None  # plain lists: meaning unknown, never merged


def test_split_needs_one_output_row_per_input_row() -> None:
    parts = split_outputs(pd.Series([1, 2, 3]), [2, 1])
    assert parts is not None and [p.tolist() for p in parts] == [[1, 2], [3]]
    assert split_outputs(np.arange(4), [2, 1]) is None
    assert split_outputs(np.float64(1.0), [1]) is None
    parts = split_outputs({"p": np.arange(3), "q": [4, 5, 6]}, [1, 2])
    assert parts is not None and parts[1]["q"] == [5, 6]


def test_predict_batch_reports_why_it_could_not_batch() -> None:
    def total(x: Any, params: Any) -> Any:
        return np.array([x.sum()])

    parts = [np.ones((1, 2)), np.ones((2, 2))]
    assert predict_batch(total, parts, [1, 2], None) == ("unsplittable", None)
    assert predict_batch(total, [np.ones((1, 2)), [[1.0]]], [1, 1], None) == ("unmergeable", None)


def _run_burst(batcher: Batcher, inputs: list[tuple[Any, Any]]) -> list[Any]:
    async def scenario() -> list[Any]:
        try:
            return list(
                await asyncio.gather(
                    *(batcher.submit(d, p) for d, p in inputs), return_exceptions=True
                )
            )
        finally:
            await batcher.close()

    return asyncio.run(scenario())


def test_a_burst_becomes_one_predict_and_answers_are_split_back() -> None:
    calls: list[int] = []
    sizes: list[int] = []

    def double(x: Any, params: Any) -> Any:
        calls.append(len(x))
        return x["v"].to_numpy() * 2

    batcher = Batcher(double, max_rows=100, wait_seconds=0.05, on_batch=sizes.append)
    inputs = [(pd.DataFrame({"v": [float(i), float(i) + 0.5]}), None) for i in range(5)]
    answers = _run_burst(batcher, inputs)
    assert [a.tolist() for a in answers] == [[2.0 * i, 2.0 * i + 1] for i in range(5)]
    assert calls == [10] and sizes == [10]


def test_different_params_are_never_merged() -> None:
    seen: list[Any] = []

    def scale(x: Any, params: Any) -> Any:
        seen.append(params)
        return x * (params or {}).get("k", 1)

    batcher = Batcher(scale, max_rows=100, wait_seconds=0.05)
    inputs = [(np.ones(1), {"k": 2}), (np.ones(1), {"k": 3}), (np.ones(1), {"k": 2})]
    answers = _run_burst(batcher, inputs)
    assert [a.tolist() for a in answers] == [[2.0], [3.0], [2.0]]
    assert sorted(p["k"] for p in seen) == [2, 3]


def test_max_rows_caps_a_batch() -> None:
    calls: list[int] = []

    def echo(x: Any, params: Any) -> Any:
        calls.append(len(x))
        return x

    batcher = Batcher(echo, max_rows=4, wait_seconds=0.05)
    _run_burst(batcher, [(np.ones(3), None) for _ in range(3)])
    assert calls == [3, 3, 3]


def test_a_model_exception_fails_its_batch_only() -> None:
    def picky(x: Any, params: Any) -> Any:
        if (params or {}).get("explode"):
            raise ModelError("the model raised", "abc")
        return x

    batcher = Batcher(picky, max_rows=100, wait_seconds=0.05)
    inputs = [(np.ones(1), None), (np.ones(1), {"explode": True}), (np.ones(1), None)]
    answers = _run_burst(batcher, inputs)
    assert isinstance(answers[1], ModelError)
    assert [a.tolist() for a in (answers[0], answers[2])] == [[1.0], [1.0]]


def test_unsplittable_model_falls_back_to_one_request_at_a_time() -> None:
    def first_only(x: Any, params: Any) -> Any:
        return x[:1]

    batcher = Batcher(first_only, max_rows=100, wait_seconds=0.05)
    answers = _run_burst(batcher, [(np.arange(2.0), None), (np.arange(3.0), None)])
    assert [a.tolist() for a in answers] == [[0.0], [0.0]]


@pytest.mark.parametrize("exc", [SchemaError("bad"), ModelError("boom", "id")])
def test_lone_request_errors_reach_its_caller(exc: Exception) -> None:
    def fail(x: Any, params: Any) -> Any:
        raise exc

    answers = _run_burst(Batcher(fail, max_rows=10, wait_seconds=0), [(np.ones(1), None)])
    assert answers == [exc]
