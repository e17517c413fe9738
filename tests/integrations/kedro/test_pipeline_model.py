"""Saving and loading pipeline models in-process: several inputs/outputs, params, threads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kedro_nodes as kn
import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node
from kedro_datasets.pandas import CSVDataset
from kedro_datasets.pickle import PickleDataset

import tiffin.pyfunc
from tiffin.errors import SchemaError
from tiffin.integrations.kedro.errors import PipelineModelError
from tiffin.integrations.kedro.pipeline_model import save_pipeline_model

INFERENCE = Pipeline(
    [
        node(kn.offset, ["left_in", "weights", "params:shift"], "shifted", name="offset"),
        node(kn.add, {"left": "shifted", "right": "right_in"}, "sum", name="add"),
        node(kn.named, "sum", {"total": "total", "rows": "rows"}, name="named"),
    ]
)


def left() -> pd.DataFrame:
    return pd.DataFrame({"a": [1.0, 2.0, 3.0]})


def right() -> pd.DataFrame:
    return pd.DataFrame({"b": [10.0, 20.0, 30.0]})


@pytest.fixture
def catalog(tmp_path: Path) -> DataCatalog:
    catalog = DataCatalog(
        {
            "weights": PickleDataset(filepath=str(tmp_path / "runs" / "weights.pkl")),
            "left_in": CSVDataset(filepath=str(tmp_path / "left.csv")),
            "right_in": CSVDataset(filepath=str(tmp_path / "right.csv")),
            "params:shift": MemoryDataset(0.5),
        }
    )
    catalog.save("weights", {"a": 2.0})
    catalog.save("left_in", left())
    catalog.save("right_in", right())
    return catalog


def test_several_inputs_and_outputs_dict_in_dict_out(catalog: DataCatalog, tmp_path: Path) -> None:
    path = tmp_path / "model"
    save_pipeline_model(
        path, INFERENCE, catalog, ["left_in", "right_in"], output_names=["total", "rows"]
    )
    spec = yaml.safe_load((path / "pipeline.yml").read_text())
    assert spec["inputs"] == ["left_in", "right_in"] and spec["params"] == {"shift": 0.5}
    assert spec["artifacts"]["weights"]["filepath"] == "artifacts/weights/weights.pkl"
    assert (path / "code" / "kedro_nodes.py").is_file()  # a project module, not installed
    model = tiffin.pyfunc.load_model(path, trust=True)
    out = model.predict({"left_in": left(), "right_in": right()})
    assert out["rows"] == 3
    assert out["total"]["total"].tolist() == [12.5, 24.5, 36.5]
    shifted = model.predict({"left_in": left(), "right_in": right()}, params={"shift": 0.0})
    assert shifted["total"]["total"].tolist() == [12.0, 24.0, 36.0]
    with pytest.raises(SchemaError, match=r"missing \['right_in'\]"):
        model.predict({"left_in": left()})
    with pytest.raises(SchemaError, match="several inputs"):
        model.predict(left())
    with pytest.raises(SchemaError, match="unknown params"):
        model._impl.predict({"left_in": left(), "right_in": right()}, params={"shfit": 1})


def test_concurrent_predicts_with_different_params_do_not_mix(
    catalog: DataCatalog, tmp_path: Path
) -> None:
    path = tmp_path / "model"
    save_pipeline_model(path, INFERENCE, catalog, ["left_in", "right_in"], output_names=["total"])
    model = tiffin.pyfunc.load_model(path, trust=True)
    inputs = {"left_in": left(), "right_in": right()}

    def call(shift: float) -> tuple[float, float]:
        result = model.predict(inputs, params={"shift": shift})
        return shift, float(result["total"].iloc[0])

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(call, [float(i) for i in range(200)]))
    assert all(total == 12.0 + shift for shift, total in results)
    assert model._impl.params == {"shift": 0.5}  # defaults untouched by the calls


def test_artifacts_are_loaded_once_and_shared_not_copied(
    catalog: DataCatalog, tmp_path: Path
) -> None:
    path = tmp_path / "model"
    save_pipeline_model(path, INFERENCE, catalog, ["left_in", "right_in"], output_names=["total"])
    impl = tiffin.pyfunc.load_model(path, trust=True)._impl
    weights = impl.artifacts["weights"]
    seen = []
    original = impl.graph._steps[0].func
    impl.graph._steps[0].func = lambda f, w, s: seen.append(w) or original(f, w, s)
    impl.predict({"left_in": left(), "right_in": right()})
    impl.predict({"left_in": left(), "right_in": right()})
    # loaded once; each call gets a new dict of the same values (a write stays in the call)
    assert seen[0] == weights == seen[1] and seen[0] is not weights
    assert all(seen[i]["a"] is weights["a"] for i in (0, 1))


def test_refusals_name_the_dataset_or_param(catalog: DataCatalog, tmp_path: Path) -> None:
    catalog["params:shift"] = MemoryDataset(object())
    with pytest.raises(PipelineModelError, match="params:shift.*plain data"):
        save_pipeline_model(tmp_path / "m1", INFERENCE, catalog, ["left_in", "right_in"])
    catalog["params:shift"] = MemoryDataset(0.5)
    catalog["weights"] = MemoryDataset({"a": 2.0})
    with pytest.raises(PipelineModelError, match="'weights'.*only in memory"):
        save_pipeline_model(tmp_path / "m2", INFERENCE, catalog, ["left_in", "right_in"])
    assert not (tmp_path / "m1").exists() and not (tmp_path / "m2").exists()


def test_artifact_paths_must_stay_inside_the_model(catalog: DataCatalog, tmp_path: Path) -> None:
    path = tmp_path / "model"
    save_pipeline_model(path, INFERENCE, catalog, ["left_in", "right_in"], output_names=["total"])
    from tiffin.integrations.kedro.artifacts import load_artifacts

    with pytest.raises(PipelineModelError, match="inside the model"):
        load_artifacts(path, {"weights": {"type": "pickle.PickleDataset", "filepath": "../x.pkl"}})


def _texts() -> pd.DataFrame:
    return pd.DataFrame({"text": ["Hello", "WORLD"]})


def test_a_node_assigning_into_its_input_changes_neither_the_caller_nor_the_example(
    tmp_path: Path,
) -> None:
    inference = Pipeline([node(kn.lower_in_place, "texts", "lowered", name="lower")])
    catalog = DataCatalog({"texts": CSVDataset(filepath=str(tmp_path / "texts.csv"))})
    catalog.save("texts", _texts())
    path = tmp_path / "model"
    save_pipeline_model(path, inference, catalog, ["texts"])
    example = json.loads((path / "input_example.json").read_text())
    assert example["data"] == [["Hello"], ["WORLD"]]  # the sample, as loaded, not as lowered
    model = tiffin.pyfunc.load_model(path, trust=True)
    for predict in (model.predict, model._impl.predict):
        caller = _texts()
        out = predict(caller)
        assert out["text"].tolist() == ["hello", "world"] and out["length"].tolist() == [5, 5]
        pd.testing.assert_frame_equal(caller, _texts())


def test_a_node_writing_into_an_array_input_leaves_the_callers_array(tmp_path: Path) -> None:
    from tiffin.integrations.kedro.graph import InferenceGraph
    from tiffin.integrations.kedro.pipeline_model import PipelinePredictor

    graph = InferenceGraph.from_pipeline(
        Pipeline([node(kn.double_in_place, "x", "y", name="double")])
    )
    predictor = PipelinePredictor(graph, {}, {}, ["x"], ["y"])
    caller = np.array([1.0, 2.0])
    assert predictor.predict(caller).tolist() == [2.0, 4.0]
    assert caller.tolist() == [1.0, 2.0]
    several = PipelinePredictor(
        InferenceGraph.from_pipeline(
            Pipeline([node(kn.add, {"left": "l", "right": "r"}, "s", name="add")])
        ),
        {},
        {},
        ["l", "r"],
        ["s"],
    )
    inputs = {"l": pd.DataFrame({"a": [1.0]}), "r": pd.DataFrame({"b": [2.0]})}
    several.predict(inputs)
    assert list(inputs) == ["l", "r"]


def test_a_node_writing_into_an_artifact_or_a_param_does_not_change_later_calls(
    tmp_path: Path,
) -> None:
    inference = Pipeline(
        [node(kn.weigh_in_place, ["frame", "table", "params:labels"], "out", name="weigh")]
    )
    catalog = DataCatalog(
        {
            "frame": MemoryDataset(),
            "table": CSVDataset(filepath=str(tmp_path / "table.csv")),
            "params:labels": MemoryDataset(["a"]),
        }
    )
    catalog.save("table", pd.DataFrame({"w": [2.0]}))
    path = tmp_path / "model"
    save_pipeline_model(path, inference, catalog, ["frame"], input_example=left())
    impl = tiffin.pyfunc.load_model(path, trust=True)._impl
    labels = ["x", "y"]
    for _ in range(3):
        out = impl.predict(left())
        assert out["out"].tolist() == [20.0, 40.0, 60.0] and out["n"].tolist() == [2] * 3
        out = impl.predict(left(), params={"labels": labels})
        assert out["n"].tolist() == [3] * 3
    assert labels == ["x", "y"]  # the caller's param value, untouched
    assert impl.artifacts["table"]["w"].tolist() == [2.0] and impl.params == {"labels": ["a"]}


def test_an_in_place_write_into_an_array_artifact_fails_instead_of_drifting(
    tmp_path: Path,
) -> None:
    from tiffin.integrations.kedro.graph import InferenceGraph
    from tiffin.integrations.kedro.pipeline_model import PipelinePredictor

    graph = InferenceGraph.from_pipeline(
        Pipeline([node(kn.scale_array_artifact, ["x", "weights"], "y", name="scale")])
    )
    weights = np.array([1.0])
    predictor = PipelinePredictor(graph, {"weights": weights}, {}, ["x"], ["y"])
    with pytest.raises(ValueError, match="read-only"):
        predictor.predict(left())
    assert weights.tolist() == [1.0] and weights.flags.writeable
