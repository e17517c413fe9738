"""pipeline_ml_factory: refusals at registration, and finding pairings however runs are built."""

from __future__ import annotations

from collections.abc import Iterator

import kedro_nodes as kn
import pytest
from kedro.pipeline import Pipeline, node

from tiffin.integrations.kedro import pairing
from tiffin.integrations.kedro.errors import PipelineModelError
from tiffin.integrations.kedro.pairing import pairings_in, pipeline_ml_factory

TRAINING = Pipeline(
    [
        node(kn.split, "raw", ["left", "right"], name="fit_split"),
        node(kn.named, "left", {"total": "weights", "rows": "n_rows"}, name="fit_weights"),
    ]
)
INFERENCE = Pipeline(
    [node(kn.offset, ["features", "weights", "params:shift"], "prediction", name="predict")]
)


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    yield
    pairing._PAIRINGS.clear()
    pairing.set_registration_catalog(None)


def test_returns_training_unchanged_and_the_hook_finds_it_after_pipeline_algebra() -> None:
    training = pipeline_ml_factory(TRAINING, INFERENCE, "features")
    assert training is TRAINING
    (spec,) = pairings_in(Pipeline([]) + training)
    assert spec.artifact_names() == ["weights"] and spec.param_names() == ["params:shift"]
    assert spec.output_names == ["prediction"]
    assert pairings_in(training.filter(node_names=["fit_split", "fit_weights"])) == [spec]
    assert pairings_in(training + INFERENCE) == [spec]  # a run containing more still logs
    assert pairings_in(training.only_nodes("fit_split")) == []  # partial training: no model


def test_free_inference_input_is_refused_naming_it() -> None:
    inference = Pipeline([node(kn.add, ["features", "stopwords"], "out", name="x")])
    with pytest.raises(PipelineModelError, match=r"\['stopwords'\].*neither produced nor read"):
        pipeline_ml_factory(TRAINING, inference, "features")


def test_unknown_input_and_output_names_list_the_choices() -> None:
    with pytest.raises(PipelineModelError, match=r"\['feats'\].*free inputs are"):
        pipeline_ml_factory(TRAINING, INFERENCE, "feats")
    with pytest.raises(PipelineModelError, match=r"\['nope'\].*produces \['prediction'\]"):
        pipeline_ml_factory(TRAINING, INFERENCE, "features", output_name="nope")


def test_unpersisted_artifact_is_refused_when_the_catalog_is_known() -> None:
    pairing.set_registration_catalog(lambda name: name != "weights")
    with pytest.raises(PipelineModelError, match=r"\['weights'\].*only in memory"):
        pipeline_ml_factory(TRAINING, INFERENCE, "features")
    assert pairing._PAIRINGS == {}


def test_lambda_in_inference_is_refused_before_training() -> None:
    inference = Pipeline([node(lambda f, w: f, ["features", "weights"], "out", name="lam")])
    with pytest.raises(PipelineModelError, match="'lam'.*lambda"):
        pipeline_ml_factory(TRAINING, inference, "features")


def test_kedro_mlflow_spelling_is_accepted_and_typos_are_not() -> None:
    pipeline_ml_factory(TRAINING, INFERENCE, "features", log_model_kwargs={"artifact_path": "pipe"})
    assert pairings_in(TRAINING)[0].name == "pipe"
    with pytest.raises(PipelineModelError, match="registerd_model_name"):
        pipeline_ml_factory(
            TRAINING, INFERENCE, "features", log_model_kwargs={"registerd_model_name": "x"}
        )
    with pytest.raises(PipelineModelError, match="needs registered_model_name"):
        pipeline_ml_factory(TRAINING, INFERENCE, "features", alias="champion")


def test_unknown_log_model_kwargs_list_the_accepted_keys_and_say_what_replaces_mlflows() -> None:
    accepted = (
        "['extra_pip_requirements', 'input_example', 'metadata', 'name', 'pip_requirements', "
        "'registered_model_name', 'signature']"
    )
    with pytest.raises(PipelineModelError) as caught:
        pipeline_ml_factory(
            TRAINING, INFERENCE, "features", log_model_kwargs={"conda_env": {"python": "3.11"}}
        )
    assert str(caught.value) == (
        f"log_model_kwargs: unknown keys ['conda_env']; accepted keys: {accepted} (conda_env: "
        "a pipeline model's environment is requirements.txt: give pip_requirements or "
        "extra_pip_requirements)"
    )
    with pytest.raises(PipelineModelError, match=r"\['nmae'\]; accepted keys: \[.*'name'"):
        pipeline_ml_factory(TRAINING, INFERENCE, "features", log_model_kwargs={"nmae": "x"})
