"""Schemathesis against a real server's own ``/openapi.json``: bounded, no 5xx, answers as
documented.

Two models are served together (a scikit-learn model and a PythonModel with params), so the
document has the multi-model MLflow routes and V2 routes with params. Every operation gets a
fixed number of generated requests, valid ones (which must be accepted) and invalid ones (which
must be refused with a documented 4xx); every answer is checked against the document.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from conftest import Server, free_port, launch, save_source_model, stop, wait_ready

# A well-behaved model with params: whatever valid input it gets, it answers (the conftest
# param model raises and sleeps on purpose, which would make a 500 the right answer).
_SCALE = """
import numpy as np
import tiffin.pyfunc

class Scale(tiffin.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        params = params or {}
        with np.errstate(all="ignore"):
            return model_input["x"].to_numpy() * float(params.get("factor", 1.0))
"""


@pytest.fixture(scope="module")
def scale_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("schemathesis_model")
    return save_source_model(root, "well_behaved", _SCALE, {"factor": 1.0}, ["pandas"])


@pytest.fixture(scope="module")
def two_model_server(
    sklearn_model: Path, scale_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("log") / "schemathesis.log"
    port = free_port()
    command = [sys.executable, "-m", "tiffin", "serve", "--model", f"lr={sklearn_model}",
               "--model", f"scale={scale_model}", "--trust", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    process = launch(command, log)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process, log, timeout=30)
    srv = Server(url, process, log)
    yield srv
    stop(srv.process)


# extreme generated floats overflow inside the models' own arithmetic; that is not our concern
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_documented_answers_and_never_a_5xx(
    two_model_server: Server, mode: Any
) -> None:
    schema = schemathesis.openapi.from_url(f"{two_model_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert {"/models/lr/invocations", "/v2/models/scale/infer", "/metrics"} <= paths
    if mode is GenerationMode.NEGATIVE:  # a GET without parameters has no invalid form
        operations = [op for op in operations if op.method.upper() == "POST"]
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=8, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def check(case: Any) -> None:
            response = case.call_and_validate()
            statuses.append(response.status_code)

        check()
    assert statuses and max(statuses) < 500
    if mode is GenerationMode.POSITIVE:
        assert 200 in statuses
    else:
        assert any(400 <= s < 500 for s in statuses)
