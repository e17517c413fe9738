"""tiffin.yml: defaults, project-relative stores, refusals that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiffin.integrations.kedro.config import TiffinConfig
from tiffin.integrations.kedro.errors import PipelineModelError


def test_defaults_put_the_store_in_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIFFIN_TRACKING_URI", raising=False)
    cfg = TiffinConfig.from_dict(None, Path("/p"), "pkg")
    assert (cfg.tracking_uri, cfg.experiment, cfg.long_values) == (
        "sqlite:////p/tiffin.db", "pkg", "truncate",
    )  # fmt: skip
    relative = TiffinConfig.from_dict({"tracking": {"uri": "db/runs.db"}}, Path("/p"), "pkg")
    assert relative.tracking_uri == "sqlite:////p/db/runs.db"
    monkeypatch.setenv("TIFFIN_TRACKING_URI", "postgresql://team/db")
    assert TiffinConfig.from_dict(None, Path("/p"), "pkg").tracking_uri == "postgresql://team/db"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"trackin": {}}, "trackin"),
        ({"tracking": {"experiment_name": "x"}}, "experiment_name"),
        ({"params": {"long_values": "drop"}}, "drop"),
        ({"tracking": {"disable_pipelines": "training"}}, "must be a list"),
    ],
)
def test_mistakes_are_refused_naming_them(data: dict[str, object], named: str) -> None:
    with pytest.raises(PipelineModelError, match=named):
        TiffinConfig.from_dict(data, Path("/p"), "pkg")


def test_params_flattened_and_long_values_by_strategy() -> None:
    long = "x" * 7000
    base = TiffinConfig("sqlite://", "e")
    logged, tags = base.split_params({"model": {"C": 1, "grid": {"k": [1, 2]}}, "long": long})
    assert logged["model.C"] == "1" and logged["model.grid.k"] == "[1, 2]"
    assert len(logged["long"]) == 6000 and tags == {}
    tagged = TiffinConfig("sqlite://", "e", long_values="tag").split_params({"long": long})
    assert tagged == ({}, {"long": long})
    with pytest.raises(PipelineModelError, match="'long' is 7000 characters"):
        TiffinConfig("sqlite://", "e", long_values="fail").split_params({"long": long})
    nested = TiffinConfig("sqlite://", "e", flatten=False).split_params({"m": {"C": 1}})
    assert nested == ({"m": "{'C': 1}"}, {})
