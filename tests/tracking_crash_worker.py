"""Child process for the kill -9 test: logs and registers models until it is killed."""

from __future__ import annotations

import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

import tiffin
import tiffin.sklearn


def main() -> None:
    tiffin.set_tracking_uri(sys.argv[1])
    rng = np.random.default_rng(int(sys.argv[2]))
    X = rng.normal(size=(60, 4))
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    i = 0
    while True:
        if i == 1:  # imports and caches are warm: from here on kills hit the steady loop
            print("ready", flush=True)
        with tiffin.start_run():
            tiffin.sklearn.log_model(
                model,
                name=f"m{i}",
                registered_model_name="crash",
                pip_requirements=["x"],
                input_example=X[:2],
            )
        i += 1


if __name__ == "__main__":
    main()
