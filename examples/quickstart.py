"""Quickstart: train, save, log, register, alias, and load back by alias; then predict.

Run it with ``make demo``. Everything goes under ``demo-output/`` (removed first): the model
directory, the embedded SQLite tracking store and the run artifacts.
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
    OUT.mkdir()
    tiffin.set_tracking_uri(OUT / "tiffin.db")  # the embedded SQLite store
    iris = load_iris(as_frame=True)
    X: pd.DataFrame = iris.data
    X.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    model = LogisticRegression(max_iter=500).fit(X, iris.target)
    signature = tiffin.infer_signature(X, model.predict(X))

    t0 = time.perf_counter()
    tiffin.sklearn.save_model(model, OUT / "iris", signature=signature, input_example=X.head(3))
    print(f"saved to {OUT / 'iris'} in {time.perf_counter() - t0:.3f} s (skops, no pickle)")

    with tiffin.start_run(run_name="quickstart") as run:
        tiffin.log_params({"max_iter": 500})
        tiffin.log_metric("train_accuracy", float(model.score(X, iris.target)))
        info = tiffin.sklearn.log_model(
            model, name="model", registered_model_name="iris", signature=signature
        )
    print(
        f"logged in run {run.info.run_id}, registered iris version {info.registered_model_version}"
    )
    tiffin.Client().set_registered_model_alias("iris", "champion", info.registered_model_version)

    loaded = tiffin.pyfunc.load_model("models:/iris@champion")  # verified against the registry
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
