"""search_runs: MLflow's filter subset and order-by, compiled to SQL, same on both databases."""

from __future__ import annotations

import math

import pytest

from tiffin.errors import SchemaError
from tiffin.store import TrackingStore
from tiffin.store.tracking.filter import Comparison, parse_filter, parse_order_by

RUNS = {
    # name: (start_time, status, params, metrics, tags)
    "alpha": (1, "FINISHED", {"opt": "adam", "lr": "0.1"}, {"acc": 0.91}, {"team": "ml"}),
    "beta": (2, "FINISHED", {"opt": "sgd", "lr": "0.01"}, {"acc": 0.75}, {"team": "ML Ops"}),
    "Alpine": (3, "FAILED", {"opt": "adam"}, {"acc": math.nan}, {"team name": "x"}),
    "gamma": (4, "RUNNING", {"opt": "Adam_2"}, {}, {"team": "m%l"}),
}


@pytest.fixture
def searchable(tracking: TrackingStore) -> tuple[TrackingStore, str]:
    exp = tracking.create_experiment("search")
    for name, (start, status, params, metrics, tags) in RUNS.items():
        run_id = tracking.create_run(exp, run_name=name, start_time=start, tags=tags).info.run_id
        tracking.log_params(run_id, params)
        tracking.log_metrics(run_id, metrics, timestamp=100)
        if status != "RUNNING":
            tracking.update_run_status(run_id, status, end_time=10 + start)
    deleted = tracking.create_run(exp, run_name="deleted-alpha").info.run_id
    tracking.log_metric(deleted, "acc", 0.99)
    tracking.delete_run(deleted)
    return tracking, exp


def _names(
    store: tuple[TrackingStore, str], filter_string: str = "", order_by: list[str] | None = None
) -> list[str]:
    tracking, exp = store
    return [r.info.run_name for r in tracking.search_runs([exp], filter_string, order_by)]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("", ["gamma", "Alpine", "beta", "alpha"]),
        ("metrics.acc > 0.8", ["alpha"]),
        ("metrics.acc >= 0.75 and metrics.acc < 0.91", ["beta"]),
        ("metrics.acc != 0.91", ["Alpine", "beta"]),
        ("metrics.acc = 0.75", ["beta"]),
        ("params.opt = 'adam'", ["Alpine", "alpha"]),
        ("params.opt != 'adam'", ["gamma", "beta"]),
        ("params.opt LIKE 'adam%'", ["Alpine", "alpha"]),
        ("params.opt ILIKE 'adam%'", ["gamma", "Alpine", "alpha"]),
        ("params.opt LIKE 'Adam\\_%'", ["gamma"]),
        ("params.lr = '0.1' and tags.team = 'ml'", ["alpha"]),
        ("tags.team LIKE 'm\\%%'", ["gamma"]),
        ("tags.`team name` = 'x'", ["Alpine"]),
        ("tags.\"team name\" = 'x'", ["Alpine"]),
        ("tags.mlflow.runName = 'beta'", ["beta"]),
        ("attributes.status = 'FINISHED'", ["beta", "alpha"]),
        ("status != 'FINISHED'", ["gamma", "Alpine"]),
        ("run_name LIKE 'Al%'", ["Alpine"]),
        ("run_name ILIKE 'al%'", ["Alpine", "alpha"]),
        ("attributes.run_name IN ('beta', 'gamma')", ["gamma", "beta"]),
        ("run_name NOT IN ('beta', 'gamma')", ["Alpine", "alpha"]),
        ("attributes.start_time >= 2 AND start_time < 4", ["Alpine", "beta"]),
        ("end_time > 12", ["Alpine"]),
        ("params.missing = 'x'", []),
        ("params.opt = 'adam' OR_ELSE", None),
    ],
)
def test_filters_select_the_matching_active_runs(
    searchable: tuple[TrackingStore, str], filter_string: str, expected: list[str] | None
) -> None:
    if expected is None:
        with pytest.raises(SchemaError):
            _names(searchable, filter_string)
        return
    assert _names(searchable, filter_string) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["metrics.acc DESC"], ["alpha", "beta", "gamma", "Alpine"]),
        (["metrics.acc"], ["beta", "alpha", "gamma", "Alpine"]),
        (["start_time"], ["alpha", "beta", "Alpine", "gamma"]),
        (["attributes.start_time DESC"], ["gamma", "Alpine", "beta", "alpha"]),
        (["params.opt ASC", "start_time DESC"], ["gamma", "Alpine", "alpha", "beta"]),
        (["params.lr DESC"], ["alpha", "beta", "gamma", "Alpine"]),
        (["tags.`team name`"], ["Alpine", "gamma", "beta", "alpha"]),
        (["run_name"], ["Alpine", "alpha", "beta", "gamma"]),
    ],
)
def test_order_by_sorts_in_sql_with_missing_and_nan_last(
    searchable: tuple[TrackingStore, str], order_by: list[str], expected: list[str]
) -> None:
    assert _names(searchable, "", order_by) == expected


def test_search_returns_whole_runs_and_honours_max_results(
    searchable: tuple[TrackingStore, str],
) -> None:
    tracking, exp = searchable
    runs = tracking.search_runs(exp, "params.opt = 'adam'", ["start_time"], max_results=1)
    assert len(runs) == 1
    assert runs[0].data.params == {"opt": "adam", "lr": "0.1"}
    assert runs[0].data.metrics == {"acc": 0.91}
    with pytest.raises(SchemaError, match="max_results"):
        tracking.search_runs([exp], max_results=0)


def test_search_spans_several_experiments(tracking: TrackingStore) -> None:
    a, b = tracking.create_experiment("a"), tracking.create_experiment("b")
    tracking.create_run(a, run_name="in-a")
    tracking.create_run(b, run_name="in-b")
    assert {r.info.run_name for r in tracking.search_runs([a, b])} == {"in-a", "in-b"}
    assert [r.info.run_name for r in tracking.search_runs([b])] == ["in-b"]


def test_filter_values_are_bound_not_spliced(searchable: tuple[TrackingStore, str]) -> None:
    assert _names(searchable, "params.opt = 'x'' OR ''1''=''1'") == []
    with pytest.raises(SchemaError, match="unexpected character ';'"):
        _names(searchable, "tags.team = 'ml'; DROP TABLE runs; --'")
    assert len(_names(searchable)) == 4


@pytest.mark.parametrize(
    ("filter_string", "says"),
    [
        ("metrics.acc >", "position 13"),
        ("metrics.acc = 'high'", "is a number"),
        ("params.opt = 1", "quote the value"),
        ("params.opt > 'a'", "is text"),
        ("foo.bar = 'x'", "unknown prefix 'foo'"),
        ("colour = 'red'", "unknown attribute 'colour'"),
        ("params.a = 'b' or params.c = 'd'", "OR is not supported"),
        ("params.a = 'b' params.c = 'd'", "expected AND"),
        ("params.a = 'unterminated", "unterminated string"),
        ("params.a IN 'b'", "needs a list"),
        ("metrics.a ~ 1", "unexpected character '~'"),
    ],
)
def test_a_bad_filter_says_where_it_failed(filter_string: str, says: str) -> None:
    with pytest.raises(SchemaError, match=says) as info:
        parse_filter(filter_string)
    assert repr(filter_string) in str(info.value)


def test_bad_order_by_entries_are_refused() -> None:
    for bad in ["", "metrics.acc SIDEWAYS", "nonsense", "params.x DESC extra"]:
        with pytest.raises(SchemaError):
            parse_order_by(bad)


def test_the_parser_produces_plain_data() -> None:
    assert parse_filter("metrics.`my acc` >= 1e-3 and run_id IN ('a', \"b\")") == [
        Comparison("metric", "my acc", ">=", 0.001),
        Comparison("attribute", "run_id", "IN", ("a", "b")),
    ]
