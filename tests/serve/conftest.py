"""Real servers on loopback ports: ``python -m tiffin models serve`` as a subprocess.

Each server writes its log to a file (a pipe nobody reads would fill and stall it) and is
stopped with SIGTERM at the end, which is itself what a deployment does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

import tiffin.pyfunc
import tiffin.sklearn
from tiffin.format.infer import infer_signature

VENV_BIN = str(Path(sys.executable).parent)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    with open(log, "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server not ready after {timeout} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


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
