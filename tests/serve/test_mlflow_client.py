"""MLflow's own scoring-server client, unchanged, against tiffin's server."""

from __future__ import annotations

from typing import Any

import pandas as pd
from mlflow.pyfunc.scoring_server.client import ScoringServerClient

from conftest import Server


def _client(server: Server) -> ScoringServerClient:
    host, port = server.url.removeprefix("http://").split(":")
    client = ScoringServerClient(host, int(port))
    client.wait_server_ready(timeout=10)
    return client


def test_mlflows_client_pings_invokes_and_reads_the_version(
    server: Server, frame: pd.DataFrame, logreg: Any
) -> None:
    client = _client(server)
    response = client.invoke(frame.head(7))
    assert response["predictions"] == logreg.predict(frame.head(7)).tolist()
    assert (
        response.get_predictions(predictions_format="ndarray").tolist() == response["predictions"]
    )
    assert client.get_version()


def test_mlflows_client_sends_params(param_server: Server) -> None:
    response = _client(param_server).invoke(pd.DataFrame({"x": [1.0, 2.0]}), params={"factor": 4.0})
    assert response["predictions"] == [4.0, 8.0]
