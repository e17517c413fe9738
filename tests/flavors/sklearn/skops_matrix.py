"""The scikit-learn models every skops test runs over, shared by the skops test modules."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression, TweedieRegressor
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

X, Y = make_classification(200, 6, n_informative=4, random_state=0)
WEIGHTS = np.arange(1.0, 7.0)
FRAME = pd.DataFrame(X[:, :2], columns=["a", "b"]).assign(
    colour=np.where(X[:, 2] > 0, "red", "blue")
)


def base_models() -> dict[str, tuple[Any, Any]]:
    """name -> (unfitted estimator, X); all fitted on Y (Y + 1 for the Tweedie regressor)."""
    onehot = ColumnTransformer(
        [("num", StandardScaler(), ["a", "b"]), ("cat", OneHotEncoder(), ["colour"])]
    )
    by_dtype = ColumnTransformer(
        [("num", StandardScaler(), make_column_selector(dtype_include="number"))]
    )
    vote = [("lr", LogisticRegression()), ("dt", DecisionTreeClassifier(max_depth=3))]
    return {
        "logistic": (LogisticRegression(), X),
        "forest-100": (RandomForestClassifier(100, random_state=0), X),
        "forest-regressor": (RandomForestRegressor(10, random_state=0), X),
        "gradient-boosting": (GradientBoostingClassifier(n_estimators=20, random_state=0), X),
        "gradient-boosting-reg": (GradientBoostingRegressor(n_estimators=5), FRAME[["a", "b"]]),
        "hist-gradient-boosting": (HistGradientBoostingClassifier(max_iter=20), X),
        "scaled-logistic": (Pipeline([("s", StandardScaler()), ("m", LogisticRegression())]), X),
        "column-onehot": (Pipeline([("ct", onehot), ("m", LogisticRegression())]), FRAME),
        "column-selector": (Pipeline([("ct", by_dtype), ("m", LogisticRegression())]), FRAME),
        "voting": (VotingClassifier(vote), X),
        "tweedie": (TweedieRegressor(power=1.5, link="log"), X),
        "knn-brute": (KNeighborsClassifier(algorithm="brute"), X),
        "knn-kd-tree": (KNeighborsClassifier(algorithm="kd_tree", leaf_size=5), X),
        "knn-ball-tree-weighted": (
            KNeighborsClassifier(
                algorithm="ball_tree", metric="minkowski", p=3, metric_params={"w": WEIGHTS}
            ),
            X,
        ),
        "knn-ball-tree-mahalanobis": (
            KNeighborsClassifier(
                algorithm="ball_tree", metric="mahalanobis", metric_params={"VI": np.eye(6)}
            ),
            X,
        ),
    }


Schema = dict[str, Any]
Members = dict[str, bytes]


def rewrite(src: Path, dst: Path, edit: Callable[[Schema, Members], None]) -> Path:
    """Copy a skops zip, letting ``edit`` change the schema and the members in place."""
    with zipfile.ZipFile(src) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    schema = json.loads(members.pop("schema.json"))
    edit(schema, members)
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("schema.json", json.dumps(schema))
        for name, raw in members.items():
            zf.writestr(name, raw)
    return dst
