"""Quickstart: train, save, log, evaluate, register, alias, load by alias, predict; then serve.

Run it with ``make demo``. Everything goes under ``demo-output/`` (removed first): the model
directory, the embedded SQLite tracking store and the run artifacts, a second registered
version (a challenger) and ``rows.csv``/``holdout.csv``: what the README's shell block runs on,
from ``demo-output/``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

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
    X_train, X_test, y_train, y_test = train_test_split(
        X, iris.target, test_size=0.3, random_state=0, stratify=iris.target
    )
    model = LogisticRegression(max_iter=500).fit(X_train, y_train)
    signature = tiffin.infer_signature(X, model.predict(X))

    t0 = time.perf_counter()
    tiffin.sklearn.save_model(model, OUT / "iris", signature=signature, input_example=X.head(3))
    print(f"saved to {OUT / 'iris'} in {time.perf_counter() - t0:.3f} s (skops, no pickle)")

    with tiffin.start_run(run_name="quickstart") as run:
        tiffin.log_params({"max_iter": 500})
        info = tiffin.sklearn.log_model(model, name="model", signature=signature)
        # held-out metrics and plots, logged into the run; below f1 0.9 this raises
        # ValidationError and the model is never registered (a CI gate in one call)
        result = tiffin.evaluate(
            info.model_uri,
            X_test.assign(species=y_test),
            targets="species",
            validation_thresholds={"f1": 0.9},
            output_dir=OUT / "evaluation",
        )
    print("held-out evaluation:", {k: round(v, 3) for k, v in result.metrics.items()})
    print("plots:", ", ".join(sorted(p.name for p in result.artifacts.values())))
    version = tiffin.register_model(info.model_uri, "iris")
    print(f"logged in run {run.info.run_id}, registered iris version {version.version}")
    tiffin.Client().set_registered_model_alias("iris", "champion", version.version)
    challenger = register_challenger(X_train, y_train, X_test.head(3))
    print(f"registered iris version {challenger} (a challenger; champion stays at 1)")
    write_shell_inputs(X_test, y_test)

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

    serve_and_ask("models:/iris@champion", sample)


def register_challenger(X_train: pd.DataFrame, y_train: pd.Series, example: pd.DataFrame) -> int:
    """Version 2 of ``iris``: the README's ``alias set iris champion 2`` moves the alias to it."""
    stronger = LogisticRegression(max_iter=500, C=10.0).fit(X_train, y_train)
    with tiffin.start_run(run_name="challenger"):
        tiffin.log_params({"max_iter": 500, "C": 10.0})
        tiffin.log_metric("accuracy", stronger.score(X_train, y_train))
        info = tiffin.sklearn.log_model(  # the signature is inferred from the example
            stronger, name="model", registered_model_name="iris", input_example=example
        )
    assert info.registered_model_version is not None
    return info.registered_model_version


def write_shell_inputs(X_test: pd.DataFrame, y_test: pd.Series) -> None:
    """The files the README's shell block reads: rows to predict, labelled rows to evaluate."""
    X_test.head(10).to_csv(OUT / "rows.csv", index=False)
    X_test.assign(species=y_test).to_csv(OUT / "holdout.csv", index=False)
    print(f"wrote {OUT / 'rows.csv'} and {OUT / 'holdout.csv'} (the README's shell block)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_and_ask(model_uri: str, sample: pd.DataFrame) -> None:
    """Start ``tiffin models serve`` on the registered model, send one request, stop it."""
    port = _free_port()
    env = {**os.environ, "TIFFIN_TRACKING_URI": str((OUT / "tiffin.db").absolute())}
    command = [sys.executable, "-m", "tiffin", "models", "serve", "-m", model_uri,
               "--port", str(port), "--log-level", "warning"]  # fmt: skip
    print("$", " ".join(command[2:]))
    server = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        body = {"dataframe_split": sample.to_dict(orient="split", index=False)}
        request = urllib.request.Request(
            f"{url}/invocations",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            print(f"POST {url}/invocations ->", response.read().decode())
        with urllib.request.urlopen(f"{url}/version", timeout=10) as response:
            print("served version:", response.read().decode())
    finally:
        server.send_signal(signal.SIGTERM)
        print("server stopped, exit code", server.wait(timeout=30))


if __name__ == "__main__":
    main()
