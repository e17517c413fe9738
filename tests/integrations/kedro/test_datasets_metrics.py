"""Metric datasets on a real SQLite store: explicit runs, steps, shapes, and the catalog."""

from __future__ import annotations

import math
import pickle

import pytest
from kedro.io import DataCatalog, DatasetError

from tiffin.integrations.kedro.datasets_metrics import (
    MetricDataset,
    MetricHistoryDataset,
    MetricsDataset,
)
from tiffin.tracking import Client

MISSING_RUN = "0123456789abcdef0123456789abcdef"


pytestmark = pytest.mark.usefixtures("elsewhere")


def _steps(client: Client, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in client.tracking.get_metric_history(run_id, key)]


def test_append_adds_a_step_and_overwrite_reuses_the_last(
    uri: str, run_id: str, client: Client
) -> None:
    append = MetricDataset(key="acc", save_args={"mode": "append"})
    append.bind_run(uri, run_id)
    append.save(0.5)
    append.save(0.7)
    assert append.load() == 0.7
    overwrite = MetricDataset(key="acc", run_id=run_id, tracking_uri=uri)
    overwrite.save(0.8)
    assert _steps(client, run_id, "acc") == [(0, 0.5), (1, 0.7), (1, 0.8)]
    assert overwrite.load() == 0.8
    at_zero = MetricDataset(key="acc", run_id=run_id, tracking_uri=uri, load_args={"step": 0})
    assert at_zero.load() == 0.5
    explicit = MetricDataset(key="acc", run_id=run_id, tracking_uri=uri, save_args={"step": 9})
    explicit.save(1)
    assert _steps(client, run_id, "acc")[-1] == (9, 1.0)


def test_a_new_metric_starts_at_step_zero_and_nan_is_kept(
    uri: str, run_id: str, client: Client
) -> None:
    ds = MetricDataset(key="loss", run_id=run_id, tracking_uri=uri)
    assert not ds.exists()
    ds.save(float("nan"))
    assert ds.exists()
    assert math.isnan(ds.load())
    assert [m.step for m in client.tracking.get_metric_history(run_id, "loss")] == [0]


def test_catalog_types_long_and_short_with_the_entry_name_as_key(
    uri: str, run_id: str, client: Client
) -> None:
    catalog = DataCatalog.from_config(
        {
            "accuracy": {"type": "tiffin.integrations.kedro.MetricDataset"},
            "recall": {"type": "tiffin.kedro.MetricDataset", "save_args": {"mode": "append"}},
        }
    )
    for name in ("accuracy", "recall"):
        ds = catalog.get(name)
        assert isinstance(ds, MetricDataset)
        ds.set_default_name(name)
        ds.bind_run(uri, run_id)
        catalog.save(name, 0.9)
        assert catalog.load(name) == 0.9
    assert client.tracking.get_run(run_id).data.metrics == {"accuracy": 0.9, "recall": 0.9}


def test_without_a_key_or_a_run_the_error_says_what_to_set(uri: str, run_id: str) -> None:
    nameless = MetricDataset(run_id=run_id, tracking_uri=uri)
    with pytest.raises(DatasetError, match="set key"):
        nameless.save(1.0)
    with pytest.raises(DatasetError, match="set prefix"):
        MetricsDataset(run_id=run_id, tracking_uri=uri).save({"a": 1.0})
    with pytest.raises(DatasetError, match="no run to log into"):
        MetricDataset(key="a").save(1.0)


def test_a_missing_run_is_named(uri: str) -> None:
    for ds in (
        MetricDataset(key="a", run_id=MISSING_RUN, tracking_uri=uri),
        MetricHistoryDataset(key="a", run_id=MISSING_RUN, tracking_uri=uri),
        MetricsDataset(prefix="p", run_id=MISSING_RUN, tracking_uri=uri),
    ):
        with pytest.raises(DatasetError, match=MISSING_RUN):
            ds.load()
        assert not ds.exists()
    with pytest.raises(DatasetError, match=MISSING_RUN):
        MetricDataset(key="a", run_id=MISSING_RUN, tracking_uri=uri).save(1.0)


def test_bad_values_and_arguments_are_refused_with_the_key(uri: str, run_id: str) -> None:
    with pytest.raises(DatasetError, match="metric 'acc' value must be a real number"):
        MetricDataset(key="acc", run_id=run_id, tracking_uri=uri).save("high")  # type: ignore[arg-type]
    with pytest.raises(DatasetError, match="unknown keys \\['steps'\\]"):
        MetricDataset(key="acc", save_args={"steps": 1})
    with pytest.raises(DatasetError, match="mode must be one of"):
        MetricHistoryDataset(key="acc", load_args={"mode": "table"})
    with pytest.raises(DatasetError, match="no value of metric 'absent'"):
        MetricDataset(key="absent", run_id=run_id, tracking_uri=uri).load()


def test_logging_disabled_writes_no_metric(uri: str, run_id: str, client: Client) -> None:
    datasets = (
        MetricDataset(key="a"),
        MetricHistoryDataset(key="b"),
        MetricsDataset(prefix="c"),
    )
    for ds in datasets:
        ds.bind_run(uri, run_id)
        ds.set_logging(False)
    datasets[0].save(1.0)
    datasets[1].save([1.0, 2.0])
    datasets[2].save({"x": 1.0})
    assert client.tracking.get_run(run_id).data.metrics == {}


def test_history_round_trips_in_every_shape(uri: str, run_id: str, client: Client) -> None:
    as_list = MetricHistoryDataset(key="loss", run_id=run_id, tracking_uri=uri)
    as_list.save([0.9, 0.5, 0.3])
    assert as_list.load() == [0.9, 0.5, 0.3]
    as_dict = MetricHistoryDataset(
        key="lr", run_id=run_id, tracking_uri=uri, load_args={"mode": "dict"}
    )
    as_dict.save({0: 0.1, "5": 0.01})  # steps from JSON or YAML may be strings
    assert as_dict.load() == {0: 0.1, 5: 0.01}
    history = MetricHistoryDataset(
        key="f1", run_id=run_id, tracking_uri=uri, load_args={"mode": "history"}
    )
    history.save([{"step": 1, "value": 0.4, "timestamp": 1000}, {"step": 2, "value": 0.6}])
    loaded = history.load()
    assert [(p["step"], p["value"]) for p in loaded] == [(1, 0.4), (2, 0.6)]
    assert loaded[0]["timestamp"] == 1000
    assert _steps(client, run_id, "loss") == [(0, 0.9), (1, 0.5), (2, 0.3)]


def test_history_refuses_a_shape_that_does_not_match_its_mode(uri: str, run_id: str) -> None:
    ds = MetricHistoryDataset(
        key="loss", run_id=run_id, tracking_uri=uri, save_args={"mode": "dict"}
    )
    with pytest.raises(DatasetError, match="save_args.mode is 'dict'"):
        ds.save([0.1, 0.2])
    with pytest.raises(DatasetError, match="no 'step' or 'value'"):
        MetricHistoryDataset(key="x", run_id=run_id, tracking_uri=uri).save([{"value": 1.0}])
    with pytest.raises(DatasetError, match="expected a list of values"):
        MetricHistoryDataset(key="x", run_id=run_id, tracking_uri=uri).save(0.5)


def test_metrics_dataset_logs_under_the_prefix_and_loads_without_it(
    uri: str, run_id: str, client: Client
) -> None:
    ds = MetricsDataset(prefix="eval")
    ds.bind_run(uri, run_id)
    ds.save(
        {
            "f1": 0.8,
            "auc": {"value": 0.9, "step": 2},
            "loss": [{"value": 0.5, "step": 0}, {"value": 0.2, "step": 1}],
        }
    )
    client.tracking.log_metric(run_id, "other", 1.0)
    assert ds.load() == {"auc": 0.9, "f1": 0.8, "loss": 0.2}
    assert sorted(client.tracking.get_run(run_id).data.metrics) == [
        "eval.auc",
        "eval.f1",
        "eval.loss",
        "other",
    ]
    everything = MetricsDataset(prefix="", run_id=run_id, tracking_uri=uri)
    assert everything.load()["other"] == 1.0
    with pytest.raises(DatasetError, match="metric 'f1': expected a number"):
        ds.save({"f1": [0.1]})


def test_metric_datasets_pickle_after_binding_a_run(uri: str, run_id: str) -> None:
    datasets = (
        MetricDataset(save_args={"mode": "append"}),
        MetricHistoryDataset(key="h"),
        MetricsDataset(prefix="p"),
    )
    for ds in datasets:
        ds.set_default_name("m")
        ds.bind_run(uri, run_id)
    copies = [pickle.loads(pickle.dumps(ds)) for ds in datasets]
    copies[0].save(0.25)
    copies[1].save([1.0])
    copies[2].save({"x": 2.0})
    assert (datasets[0].load(), datasets[1].load(), datasets[2].load()) == (
        0.25,
        [1.0],
        {"x": 2.0},
    )
