"""Several models in one server (``tiffin serve``), and the bind-safety rule of the CLI."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import Server, free_port, launch, stop, wait_ready
from tiffin.cli.main import cli

ROWS = {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.0]]}}


@pytest.fixture(scope="module")
def multi_server(
    sklearn_model: Path, param_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("multi")
    config = root / "serve.yaml"
    config.write_text(f"models:\n  scale:\n    uri: {param_model}\n")
    port = free_port()
    command = [sys.executable, "-m", "tiffin", "serve", "--model", f"lr={sklearn_model}",
               "--config", str(config), "--trust", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    log = root / "multi.log"
    process = launch(command, log)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process, log, timeout=30)
    srv = Server(url, process, log)
    yield srv
    stop(srv.process)


def test_each_model_answers_under_its_name(
    multi_server: Server, frame: pd.DataFrame, logreg: Any
) -> None:
    with multi_server.client() as client:
        split = {"dataframe_split": frame.head(4).to_dict(orient="split", index=False)}
        response = client.post("/models/lr/invocations", json=split)
        assert response.json()["predictions"] == logreg.predict(frame.head(4)).tolist()
        response = client.post("/models/scale/invocations", json={**ROWS, "params": {"factor": 2}})
        assert response.json() == {"predictions": [2.0, 4.0]}


def test_bare_invocations_is_404_naming_the_models_when_several_are_served(
    multi_server: Server,
) -> None:
    with multi_server.client() as client:
        response = client.post("/invocations", json=ROWS)
        assert response.status_code == 404
        assert "/models/{name}/invocations" in response.json()["message"]
        assert "'lr'" in response.json()["message"]
        missing = client.post("/models/nope/invocations", json=ROWS)
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_serve_needs_a_model() -> None:
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "--model NAME=URI" in result.output


def test_model_spec_must_be_name_equals_uri() -> None:
    result = CliRunner().invoke(cli, ["serve", "--model", "just-a-path"])
    assert result.exit_code == 2
    assert "expected NAME=URI" in result.output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_binding_beyond_loopback_needs_a_token_or_an_explicit_no_token(host: str) -> None:
    result = CliRunner().invoke(cli, ["models", "serve", "-m", "./nowhere", "-h", host])
    assert result.exit_code == 2
    assert "--token" in result.output and "--no-token" in result.output
