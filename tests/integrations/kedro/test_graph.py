"""The inference graph as data: what it records, refuses, and how it runs."""

from __future__ import annotations

import kedro_nodes as kn
import pandas as pd
import pytest
from kedro.pipeline import Pipeline, node

from tiffin.integrations.kedro.errors import PipelineModelError
from tiffin.integrations.kedro.graph import InferenceGraph, function_path


def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1.0, 2.0], "b": [10.0, 20.0]})


def test_records_paths_inputs_outputs_and_round_trips_through_plain_data() -> None:
    pipeline = Pipeline(
        [
            node(kn.split, "raw@pandas", ["left", "right"], name="split"),
            node(kn.add, {"left": "left", "right": "right"}, "sum", name="add"),
            node(kn.scale, ["sum", "params:factor"], "scaled", name="scale"),
        ]
    )
    graph = InferenceGraph.from_pipeline(pipeline)
    data = graph.to_list()
    assert data[0] == {
        "name": "split",
        "func": "kedro_nodes:split",
        "inputs": "raw@pandas",
        "outputs": ["left", "right"],
    }
    assert data[1]["inputs"] == {"left": "left", "right": "right"}
    again = InferenceGraph.from_list(data)
    assert again.free_inputs() == ["raw", "params:factor"]
    assert again.terminal_outputs() == ["scaled"]
    out = again.run({"raw": frame(), "params:factor": 3.0})
    assert out["scaled"].to_dict("list") == {"sum": [33.0, 66.0]}


def test_dict_outputs_and_objects_are_passed_without_copies() -> None:
    graph = InferenceGraph.from_pipeline(
        Pipeline([node(kn.named, "raw", {"total": "total", "rows": "rows"}, name="named")])
    )
    raw = frame()
    out = graph.run({"raw": raw}, ["total", "rows"])
    assert out["rows"] == 2 and out["total"]["total"].tolist() == [11.0, 22.0]
    same = InferenceGraph.from_pipeline(Pipeline([node(kn.scale, ["raw", "k"], "out")]))
    assert same.run({"raw": raw, "k": 1}, ["out"])["out"] is not raw  # new frame from the node
    identity = InferenceGraph.from_list(
        [{"name": "id", "func": "builtins:id", "inputs": ["raw"], "outputs": "ident"}]
    )
    assert identity.run({"raw": raw})["ident"] == id(raw)


@pytest.mark.parametrize(
    ("func", "why"),
    [
        (lambda x: x, "lambda"),
        (kn.make_local(), "inside another function"),
        (kn.partial_scale, "functools.partial"),
        (kn.Holder().method, "bound method"),
    ],
)
def test_functions_that_cannot_be_imported_back_are_refused(func: object, why: str) -> None:
    with pytest.raises(PipelineModelError, match=why):
        function_path(func, "n")  # type: ignore[arg-type]


def test_a_function_missing_at_load_names_the_node_and_the_path() -> None:
    graph = InferenceGraph.from_list(
        [{"name": "gone", "func": "no_such_module:f", "inputs": "x", "outputs": "y"}]
    )
    with pytest.raises(PipelineModelError, match=r"'gone'.*no_such_module:f.*code/"):
        graph.compile()


def test_a_node_returning_the_wrong_number_of_outputs_is_named() -> None:
    graph = InferenceGraph.from_list(
        [{"name": "bad", "func": "builtins:str", "inputs": "x", "outputs": ["a", "b"]}]
    )
    with pytest.raises(PipelineModelError, match="'bad'.*2 outputs"):
        graph.run({"x": 1})


def test_a_keyerror_inside_a_node_is_the_nodes_own_not_a_missing_input() -> None:
    graph = InferenceGraph.from_pipeline(
        Pipeline([node(kn.pick_column, ["raw", "params:column"], "picked", name="pick")])
    )
    with pytest.raises(KeyError, match="typo") as caught:
        graph.run({"raw": frame(), "params:column": "typo"})
    assert not isinstance(caught.value, PipelineModelError)
    with pytest.raises(PipelineModelError, match="node 'pick': no value for input 'raw'"):
        graph.run({"params:column": "a"})
