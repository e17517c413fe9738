"""Quickstart: train a scikit-learn model, save it with a signature, load it back, predict.

Run it with ``make demo``. It writes the model under ``demo-output/`` (removed first), so it can
be run again and again.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import tiffin
import tiffin.pyfunc
import tiffin.sklearn
from tiffin.errors import SchemaError

OUT = Path("demo-output")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    iris = load_iris(as_frame=True)
    X: pd.DataFrame = iris.data
    X.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    model = LogisticRegression(max_iter=500).fit(X, iris.target)

    signature = tiffin.infer_signature(X, model.predict(X))
    t0 = time.perf_counter()
    tiffin.sklearn.save_model(model, OUT / "iris", signature=signature, input_example=X.head(3))
    print(f"saved to {OUT / 'iris'} in {time.perf_counter() - t0:.3f} s (skops, no pickle)")

    loaded = tiffin.pyfunc.load_model(OUT / "iris")
    print("signature inputs:", loaded.signature.inputs if loaded.signature else None)
    sample = X.sample(5, random_state=0)
    print("predictions:", loaded.predict(sample).tolist())
    print("expected:   ", iris.target[sample.index].tolist())

    bad = sample.assign(petal_width=["wide"] * 5)
    try:
        loaded.predict(bad)
    except SchemaError as e:
        print("a bad input is refused clearly:\n ", str(e).replace("\n", "\n  "))


if __name__ == "__main__":
    main()
