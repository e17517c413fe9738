"""Experiments, runs, params, metrics and tags, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tiffin.errors import AlreadyExistsError, NotFoundError, SchemaError
from tiffin.store import Metric, TrackingStore
from tiffin.store.tables import MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH


def test_a_new_store_has_the_default_experiment_0(tracking: TrackingStore) -> None:
    default = tracking.get_experiment("0")
    assert default.name == "Default"
    assert default.artifact_location == f"{tracking.artifact_root}/0"
    assert [e.experiment_id for e in tracking.list_experiments()] == ["0"]


def test_opening_the_store_twice_keeps_one_default_experiment(
    store_uri: str, tracking: TrackingStore
) -> None:
    TrackingStore(store_uri)
    assert [e.name for e in tracking.list_experiments()] == ["Default"]


def test_experiments_are_created_and_found_by_id_and_name(tracking: TrackingStore) -> None:
    exp_id = tracking.create_experiment("churn")
    assert exp_id == "1"
    assert tracking.get_experiment(exp_id).artifact_location == f"{tracking.artifact_root}/1"
    found = tracking.get_experiment_by_name("churn")
    assert found is not None and found.experiment_id == exp_id
    assert tracking.get_experiment_by_name("nope") is None
    custom = tracking.create_experiment("s3-exp", artifact_location="s3://bucket/exp")
    assert tracking.get_experiment(int(custom)).artifact_location == "s3://bucket/exp"


def test_an_experiment_name_can_be_used_once(tracking: TrackingStore) -> None:
    tracking.create_experiment("churn")
    with pytest.raises(AlreadyExistsError, match="'churn' already exists"):
        tracking.create_experiment("churn")


@pytest.mark.parametrize("bad", ["", " padded ", "tab\there", 7])
def test_bad_experiment_names_are_refused(tracking: TrackingStore, bad: object) -> None:
    with pytest.raises(SchemaError, match="experiment name"):
        tracking.create_experiment(bad)  # type: ignore[arg-type]


def test_an_unknown_experiment_is_not_found(tracking: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'42'"):
        tracking.get_experiment("42")
    with pytest.raises(NotFoundError, match="'42'"):
        tracking.create_run("42")
    with pytest.raises(SchemaError, match="digits"):
        tracking.get_experiment("abc")


def test_a_run_starts_running_with_its_artifact_uri_under_the_experiment(
    tracking: TrackingStore,
) -> None:
    exp_id = tracking.create_experiment("churn")
    run = tracking.create_run(exp_id, run_name="base", tags={"team": "ml"}, start_time=1000)
    info = run.info
    assert len(info.run_id) == 32 and info.run_uuid == info.run_id
    assert (info.experiment_id, info.run_name, info.status) == (exp_id, "base", "RUNNING")
    assert info.start_time == 1000 and info.end_time is None
    expected = f"{tracking.get_experiment(exp_id).artifact_location}/{info.run_id}/artifacts"
    assert info.artifact_uri == expected
    assert run.data.tags == {"team": "ml", "mlflow.runName": "base"}
    assert tracking.get_run(info.run_id) == run


def test_a_child_run_records_its_parent_as_mlflow_does(tracking: TrackingStore) -> None:
    parent = tracking.create_run("0").info.run_id
    child = tracking.create_run("0", parent_run_id=parent)
    assert child.data.tags["mlflow.parentRunId"] == parent
    with pytest.raises(NotFoundError):
        tracking.create_run("0", parent_run_id="f" * 32)


def test_run_status_moves_and_a_terminal_status_sets_end_time(tracking: TrackingStore) -> None:
    run_id = tracking.create_run("0").info.run_id
    info = tracking.update_run_status(run_id, "FINISHED")
    assert info.status == "FINISHED" and info.end_time is not None
    assert tracking.update_run_status(run_id, "KILLED", end_time=5).end_time == 5
    with pytest.raises(SchemaError, match="RUNNING, FINISHED, FAILED, KILLED"):
        tracking.update_run_status(run_id, "DONE")


def test_a_deleted_run_is_readable_but_refuses_logging(tracking: TrackingStore) -> None:
    run_id = tracking.create_run("0").info.run_id
    tracking.delete_run(run_id)
    assert tracking.get_run(run_id).info.lifecycle_stage == "deleted"
    with pytest.raises(SchemaError, match="deleted"):
        tracking.log_metric(run_id, "x", 1.0)
    with pytest.raises(NotFoundError, match="does not exist"):
        tracking.delete_run("0" * 32)


def test_an_unknown_run_is_not_found(tracking: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="run 'nope' does not exist"):
        tracking.get_run("nope")
    with pytest.raises(NotFoundError):
        tracking.log_param("nope", "k", "v")


def test_a_param_logged_again_with_the_same_value_is_fine_and_a_new_value_refused(
    tracking: TrackingStore,
) -> None:
    run_id = tracking.create_run("0").info.run_id
    tracking.log_param(run_id, "lr", 0.1)
    tracking.log_params(run_id, {"lr": "0.1", "depth": 4})
    with pytest.raises(SchemaError, match=r"'lr'.*already '0\.1'.*'0\.2'"):
        tracking.log_param(run_id, "lr", 0.2)
    assert tracking.get_run(run_id).data.params == {"lr": "0.1", "depth": "4"}


def test_a_failed_batch_logs_nothing(tracking: TrackingStore) -> None:
    run_id = tracking.create_run("0").info.run_id
    tracking.log_param(run_id, "lr", "0.1")
    with pytest.raises(SchemaError):
        tracking.log_batch(
            run_id, [Metric("loss", 0.5, 1, 0)], params={"lr": "0.2"}, tags={"t": "v"}
        )
    data = tracking.get_run(run_id).data
    assert "loss" not in data.metrics and "t" not in data.tags


def test_value_limits_follow_mlflow(tracking: TrackingStore) -> None:
    run_id = tracking.create_run("0").info.run_id
    tracking.log_param(run_id, "long", "x" * MAX_PARAM_VALUE_LENGTH)
    with pytest.raises(SchemaError, match="6001 characters long; the limit is 6000"):
        tracking.log_param(run_id, "longer", "x" * (MAX_PARAM_VALUE_LENGTH + 1))
    tracking.set_tag(run_id, "note", "y" * MAX_TAG_VALUE_LENGTH)
    with pytest.raises(SchemaError, match="limit is 8000"):
        tracking.set_tag(run_id, "note", "y" * (MAX_TAG_VALUE_LENGTH + 1))
    with pytest.raises(SchemaError, match="limit is 250"):
        tracking.log_metric(run_id, "k" * 251, 1.0)


@pytest.mark.parametrize("key", ["", "bad\x00key", "../up", "/abs", "semi;colon", "a/../b"])
def test_bad_keys_are_refused(tracking: TrackingStore, key: str) -> None:
    run_id = tracking.create_run("0").info.run_id
    with pytest.raises(SchemaError, match="param key"):
        tracking.log_param(run_id, key, "v")


def test_metrics_keep_full_history_and_the_latest_by_step(tracking: TrackingStore) -> None:
    run_id = tracking.create_run("0").info.run_id
    tracking.log_metric(run_id, "loss", 0.9, timestamp=10, step=0)
    tracking.log_metric(run_id, "loss", 0.5, timestamp=30, step=2)
    tracking.log_metric(run_id, "loss", 0.7, timestamp=40, step=1)  # late, but an older step
    history = tracking.get_metric_history(run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [
        (0, 0.9, 10),
        (1, 0.7, 40),
        (2, 0.5, 30),
    ]
    assert tracking.get_run(run_id).data.metrics == {"loss": 0.5}


def test_nan_and_infinities_are_kept_and_strings_refused(tracking: TrackingStore) -> None:
    run_id = tracking.create_run("0").info.run_id
    tracking.log_metrics(run_id, {"nan": math.nan, "pinf": math.inf, "ninf": -math.inf})
    tracking.log_metrics(run_id, {"np": np.float32(0.5), "int": np.int64(3)})  # type: ignore[dict-item]
    metrics = tracking.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert (metrics["pinf"], metrics["ninf"], metrics["np"], metrics["int"]) == (
        math.inf,
        -math.inf,
        0.5,
        3.0,
    )
    assert math.isnan(tracking.get_metric_history(run_id, "nan")[0].value)
    for bad in ("0.5", None, True, [1.0]):
        with pytest.raises(SchemaError, match="real number"):
            tracking.log_metric(run_id, "bad", bad)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="step must be an integer"):
        tracking.log_metric(run_id, "x", 1.0, step=1.5)  # type: ignore[arg-type]


def test_tags_overwrite_and_can_be_deleted(tracking: TrackingStore) -> None:
    run_id = tracking.create_run("0").info.run_id
    tracking.set_tag(run_id, "stage", "dev")
    tracking.set_tags(run_id, {"stage": "prod", "owner": "ml"})
    tracking.delete_tag(run_id, "owner")
    assert tracking.get_run(run_id).data.tags["stage"] == "prod"
    assert "owner" not in tracking.get_run(run_id).data.tags
    with pytest.raises(NotFoundError, match="no tag 'owner'"):
        tracking.delete_tag(run_id, "owner")


def test_the_default_artifact_root_sits_beside_the_sqlite_file(tmp_path: Path) -> None:
    store = TrackingStore(f"sqlite:///{tmp_path / 'mlruns.db'}")
    assert store.artifact_root == str(tmp_path / "tiffin-artifacts")
    assert store.get_experiment("0").artifact_location == f"{tmp_path / 'tiffin-artifacts'}/0"
