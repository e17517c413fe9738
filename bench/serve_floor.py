"""The floors of ``bench/serve.py``: the least a Starlette + orjson endpoint can do per request.

Run as its own process, one uvicorn worker, like every server in the benchmark::

    python bench/serve_floor.py --kind pandas --model model.pkl --port 5001

``POST /invocations`` takes MLflow's ``dataframe_split`` JSON (the same request bytes every
server gets), parses it with orjson and calls the estimator's ``predict``:

- ``pandas``: ``pd.DataFrame(data, columns=columns)``, then ``model.predict``; scikit-learn then
  checks the frame's feature names, which with the DataFrame build is most of the cost;
- ``numpy``: ``np.asarray(data, dtype=np.float64)``, then ``model.predict``.

The answer is ``{"predictions": [...]}`` from ``orjson.dumps`` (numpy arrays directly). There is
no validation, no error mapping and no logging: uvicorn's access log is off. ``predict`` runs
inline in the ``async`` handler, on the event loop: for a sub-millisecond call that is what a
minimal fast endpoint does (a thread-pool hop costs about as much as the numpy predict itself).
``GET /ping`` answers 200 so the benchmark can time startup the same way for every server.

The model is the fitted estimator pickled by the benchmark (plain ``pickle``: the floor does not
pay for any safe loading either).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["build_app", "main"]


def build_app(kind: str, model: Any) -> Any:
    """The Starlette app of one floor: ``kind`` is ``pandas`` or ``numpy``."""
    import numpy as np
    import orjson
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    to_input: Callable[[dict[str, Any]], Any]
    if kind == "pandas":
        import pandas as pd

        def to_input(split: dict[str, Any]) -> Any:
            return pd.DataFrame(split["data"], columns=split["columns"])

    elif kind == "numpy":

        def to_input(split: dict[str, Any]) -> Any:
            return np.asarray(split["data"], dtype=np.float64)

    else:
        raise ValueError(f"unknown floor {kind!r}; expected pandas or numpy")

    predict = model.predict
    option = orjson.OPT_SERIALIZE_NUMPY

    async def invocations(request: Request) -> Response:
        split = orjson.loads(await request.body())["dataframe_split"]
        body = orjson.dumps({"predictions": predict(to_input(split))}, option=option)
        return Response(body, media_type="application/json")

    async def ping(request: Request) -> Response:
        return Response("\n", media_type="application/json")

    return Starlette(
        routes=[
            Route("/ping", ping, methods=["GET"]),
            Route("/invocations", invocations, methods=["POST"]),
        ]
    )


def main(argv: list[str]) -> int:
    """Load the pickled estimator and serve the chosen floor until killed."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=["pandas", "numpy"], required=True)
    parser.add_argument("--model", required=True, help="the pickled fitted estimator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # The model was fitted on named columns; a bare array makes scikit-learn warn on every call.
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    with open(args.model, "rb") as f:
        model = pickle.load(f)
    app = build_app(args.kind, model)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
