"""Node functions: fits are training-only; preprocess and encode run in both pipelines."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import LabelEncoder, StandardScaler

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def split_columns(iris: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return iris[FEATURES], iris["species"]


def preprocess(features: pd.DataFrame) -> pd.DataFrame:
    """Keep the model's columns, in order, as floats (what serving callers send may vary)."""
    return features[FEATURES].astype("float64")


def fit_scaler(clean_features: pd.DataFrame) -> StandardScaler:
    return StandardScaler().fit(clean_features.to_numpy())


def fit_label_encoder(labels: pd.Series) -> LabelEncoder:
    return LabelEncoder().fit(labels)


def encode(scaler: StandardScaler, clean_features: pd.DataFrame) -> np.ndarray:
    return scaler.transform(clean_features.to_numpy())


def train_model(
    encoded: np.ndarray, labels: pd.Series, label_encoder: LabelEncoder, options: dict[str, Any]
) -> LogisticRegression:
    return LogisticRegression(**options).fit(encoded, label_encoder.transform(labels))


def evaluate(
    classifier: LogisticRegression,
    encoded: np.ndarray,
    labels: pd.Series,
    label_encoder: LabelEncoder,
) -> dict[str, float]:
    accuracy = float((classifier.predict(encoded) == label_encoder.transform(labels)).mean())
    return {"accuracy": accuracy}


def predict(classifier: LogisticRegression, encoded: np.ndarray, threshold: float) -> np.ndarray:
    """The most likely class, or -1 when its probability is below ``threshold``."""
    proba = classifier.predict_proba(encoded)
    return np.where(proba.max(axis=1) >= threshold, proba.argmax(axis=1), -1)


def decode(label_encoder: LabelEncoder, predictions: np.ndarray) -> pd.DataFrame:
    classes = label_encoder.classes_
    return pd.DataFrame({"label": [classes[i] if i >= 0 else "unsure" for i in predictions]})
