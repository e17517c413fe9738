"""Real servers on loopback ports: ``python -m tiffin models serve`` as a subprocess.

The start/stop helpers live in ``tests/servers.py`` (shared with other directories) and are
re-exported here for the tests that import them from ``conftest``.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import tiffin.pyfunc
import tiffin.sklearn
from servers import VENV_BIN, Server, free_port, launch, stop, wait_ready  # noqa: F401 (re-exported)
from tiffin.format.infer import infer_signature


def start_tiffin(model: Path, log: Path, *extra: str) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "tiffin", "models", "serve", "-m", str(model),
               "--port", str(port), "--log-level", "warning", *extra]  # fmt: skip
    process = launch(command, log)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process, log, timeout=30)
    return Server(url, process, log)


@pytest.fixture(scope="session")
def sklearn_model(tmp_path_factory: pytest.TempPathFactory, logreg: Any, frame: Any) -> Path:
    path = tmp_path_factory.mktemp("serve") / "logreg"
    tiffin.sklearn.save_model(logreg, path, input_example=frame.head(3))
    return path


_PARAM_MODEL = """
import time

import numpy as np
import tiffin.pyfunc

class Scale(tiffin.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        params = params or {}
        time.sleep(params.get("delay", 0.0))
        if params.get("explode"):
            raise RuntimeError("SECRET-INTERNAL-DETAIL /srv/private/path")
        return model_input["x"].to_numpy() * params.get("factor", 1.0)
"""


def save_source_model(
    root: Path, module: str, source: str, params: dict[str, Any], requirements: list[str]
) -> Path:
    """Save ``Scale`` from ``source`` (written as ``module.py``) as a PythonModel taking a
    column ``x`` and ``params``, with the module shipped as its code path."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    sys.path.insert(0, str(root))
    try:
        scale = __import__(module).Scale
        example = pd.DataFrame({"x": [1.0, 2.0]})
        sig = infer_signature(example, np.array([1.0, 2.0]), params)
        path = root / "model"
        tiffin.pyfunc.save_model(
            path, python_model=scale(), code_paths=[root / f"{module}.py"],
            signature=sig, pip_requirements=requirements,
        )  # fmt: skip
    finally:
        sys.path.remove(str(root))
        sys.modules.pop(module, None)
    return path


@pytest.fixture(scope="session")
def param_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PythonModel with params (factor, explode, delay): scales ``x``, raises, or sleeps."""
    root = tmp_path_factory.mktemp("serve_params")
    params = {"factor": 1.0, "explode": False, "delay": 0.0}
    return save_source_model(root, "scale_model", _PARAM_MODEL, params, ["pandas"])


@pytest.fixture(scope="module")
def server(sklearn_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("log") / "tiffin.log"
    srv = start_tiffin(sklearn_model, log, "--max-body-bytes", "200000")
    yield srv
    stop(srv.process)


@pytest.fixture(scope="module")
def param_server(param_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("log") / "params.log"
    srv = start_tiffin(param_model, log, "--trust")
    yield srv
    stop(srv.process)
