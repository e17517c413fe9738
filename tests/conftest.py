"""Shared fixtures: small fitted models and frames, built once per session."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

FEATURES = [f"f{i}" for i in range(5)]


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(120, len(FEATURES))), columns=FEATURES)


@pytest.fixture(scope="session")
def target(frame: pd.DataFrame) -> Any:
    return (frame["f0"] + frame["f1"] > 0).astype("int64").to_numpy()


@pytest.fixture(scope="session")
def logreg(frame: pd.DataFrame, target: Any) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(frame, target)


@pytest.fixture(scope="session")
def forest(frame: pd.DataFrame, target: Any) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(frame, target)
