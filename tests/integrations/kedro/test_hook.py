"""The hook on real ``kedro run``s: refusals before training, runners, failures, reuse, config."""

from __future__ import annotations

import pytest

from conftest import Project
from tiffin.integrations.kedro.model_logging import MODEL_URI_TAG


def test_unpersisted_artifact_is_refused_at_registration_naming_it(project: Project) -> None:
    project.edit(
        "conf/base/catalog.yml",
        "scaler:\n  type: pickle.PickleDataset\n  filepath: data/06_models/scaler.pkl\n",
        "",
    )
    result = project.kedro("run", "--pipelines", "training", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "PipelineModelError" in output and "'scaler'" in output
    assert "MemoryDataset" in output
    assert "Running node" not in output  # refused before anything trained
    assert not (project.path / "data" / "06_models").exists()
    assert project.runs() == []


@pytest.mark.parametrize("runner", ["ThreadRunner", "ParallelRunner"])
def test_threads_and_processes_log_everything_into_one_run(project: Project, runner: str) -> None:
    project.kedro("run", "--pipelines", "training", "--runner", runner)
    (run,) = project.runs()
    assert run.info.status == "FINISHED"
    assert run.data.tags["kedro.runner"] == runner
    assert 0.9 < run.data.metrics["metrics.accuracy"] <= 1.0  # MetricsDataset, prefix = entry
    assert run.data.params["model_options.C"] == "1.0"
    assert MODEL_URI_TAG in run.data.tags


def test_failing_node_marks_the_run_failed_and_logs_no_model(project: Project) -> None:
    project.edit("conf/base/parameters.yml", "C: 1.0", "C: -1.0")  # sklearn refuses C <= 0
    result = project.kedro("run", "--pipelines", "training", check=False)
    assert result.returncode != 0
    (run,) = project.runs()
    assert run.info.status == "FAILED"
    assert MODEL_URI_TAG not in run.data.tags
    assert project.client().registry.search_registered_models() == []


def test_run_started_by_an_orchestrator_is_reused_and_left_open(project: Project) -> None:
    client = project.client()
    experiment_id = client.tracking.create_experiment("orchestrated")
    outer = client.tracking.create_run(experiment_id, run_name="airflow task")
    project.kedro("run", "--pipelines", "training", TIFFIN_RUN_ID=outer.info.run_id)
    run = client.tracking.get_run(outer.info.run_id)
    assert run.info.status == "RUNNING"  # the orchestrator ends it, not the hook
    assert run.data.params["model_options.C"] == "1.0"
    assert run.data.tags[MODEL_URI_TAG] == f"runs:/{outer.info.run_id}/model"
    assert project.runs() == []  # no second run in the project's experiment


def test_unknown_orchestrator_run_is_a_clear_error(project: Project) -> None:
    result = project.kedro("run", "--pipelines", "training", check=False, TIFFIN_RUN_ID="nope")
    assert result.returncode != 0
    assert "nope" in result.stdout + result.stderr


def test_init_writes_config_and_disabled_pipelines_log_nothing(project: Project) -> None:
    project.kedro("tiffin", "init")
    config = project.path / "conf" / "base" / "tiffin.yml"
    assert "experiment: iris_demo" in config.read_text()
    again = project.kedro("tiffin", "init", check=False)
    assert again.returncode != 0 and "--force" in again.stderr
    project.edit("conf/base/tiffin.yml", "disable_pipelines: []", "disable_pipelines: [training]")
    project.kedro("run", "--pipelines", "training")
    assert project.runs() == []
    assert (project.path / "data" / "06_models" / "scaler.pkl").exists()  # the run itself ran


def test_config_typo_is_refused_naming_the_key(project: Project) -> None:
    (project.path / "conf" / "base" / "tiffin.yml").write_text(
        "tracking:\n  disabled_pipelines: [training]\n"
    )
    result = project.kedro("run", "--pipelines", "training", check=False)
    assert result.returncode != 0
    assert "disabled_pipelines" in result.stdout + result.stderr


@pytest.mark.parametrize("uri_setting", ["runs.db", "sqlite:///{path}/other.db"])
def test_tracking_uri_from_config(project: Project, uri_setting: str) -> None:
    (project.path / "conf" / "base" / "tiffin.yml").write_text(
        "tracking:\n  uri: " + uri_setting.format(path=project.path) + "\n"
    )
    project.kedro("run", "--pipelines", "training")
    assert not (project.path / "tiffin.db").exists()
    name = "runs.db" if uri_setting == "runs.db" else "other.db"
    assert (project.path / name).exists()


def test_training_run_logs_which_model_it_logged_registered_and_aliased(
    project: Project,
) -> None:
    result = project.kedro("run", "--pipelines", "training", COLUMNS="1000")  # no rich wrapping
    (run,) = project.runs()
    output = result.stdout + result.stderr
    assert (
        f"tiffin: logged the pipeline model runs:/{run.info.run_id}/model; registered iris "  # type: ignore[attr-defined]
        "version 1; alias champion -> version 1 (models:/iris/1)"
    ) in output
