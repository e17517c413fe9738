"""Module-level node functions for the in-process tests (a pipeline model imports them back)."""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd


def scale(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
    return frame * factor


def add(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"sum": left.iloc[:, 0].to_numpy() + right.iloc[:, 0].to_numpy()})


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return frame[["a"]], frame[["b"]]


def named(frame: pd.DataFrame) -> dict[str, Any]:
    return {"total": frame.sum(axis=1).to_frame("total"), "rows": len(frame)}


def offset(frame: pd.DataFrame, weights: dict[str, float], shift: float) -> pd.DataFrame:
    return frame.mul(pd.Series(weights)) + shift


def make_local() -> Any:
    def inner(x: Any) -> Any:
        return x

    return inner


partial_scale = functools.partial(scale, factor=2.0)


class Holder:
    def method(self, x: Any) -> Any:
        return x


def lower_in_place(data: pd.DataFrame) -> pd.DataFrame:
    """The common pandas pattern of a node that owns its input: assign into it."""
    data.loc[:, "text"] = data["text"].str.lower()
    data["length"] = data["text"].str.len()
    return data


def double_in_place(values: Any) -> Any:
    values *= 2
    return values


def weigh_in_place(frame: pd.DataFrame, table: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Writes into every shared value it gets: the artifact table and the param list."""
    table.loc[:, "w"] = table["w"] * 10
    labels.append("seen")
    return pd.DataFrame({"out": frame["a"].to_numpy() * table["w"].iloc[0], "n": len(labels)})


def scale_array_artifact(frame: pd.DataFrame, weights: Any) -> pd.DataFrame:
    weights += 1.0
    return frame * float(weights[0])


def pick_column(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column]
