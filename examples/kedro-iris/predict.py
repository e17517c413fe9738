"""Load the pipeline model the training run registered, and predict with two thresholds.

Run from this directory after ``kedro run --pipelines training`` (the store is ./tiffin.db).
"""

from __future__ import annotations

import pandas as pd

import tiffin
import tiffin.pyfunc

tiffin.set_tracking_uri("tiffin.db")
model = tiffin.pyfunc.load_model("models:/iris@champion")  # trusted: the registry digest matches
rows = pd.read_csv("data/01_raw/iris.csv").drop(columns="species").iloc[[0, 60, 70, 120]]
labels = model.predict(rows)["label"].to_numpy()
strict = model.predict(rows, params={"threshold": 0.9})["label"].to_numpy()
print(rows.assign(label=labels, label_at_0_9=strict).to_string())
