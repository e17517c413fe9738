"""Real Kedro projects in temporary directories, run with the real ``kedro`` command.

Each project is a copy of ``examples/kedro-iris`` (the README's example, so the tests also keep
it working); variants edit its catalog or parameters. ``kedro`` runs as a subprocess: Kedro
configures a project process-wide (settings, package, sys.path), so one process per project
is what keeps the tests independent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tiffin.tracking import Client

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "kedro-iris"
#: what a run of the example writes; never copied, so each test starts untrained
OUTPUTS = shutil.ignore_patterns(
    "tiffin.db*", "tiffin-artifacts", "02_intermediate", "06_models", "07_model_output"
)
VENV_BIN = str(Path(sys.executable).parent)


@dataclass
class Project:
    path: Path

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.path / 'tiffin.db'}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIFFIN_")}
        env.update(
            KEDRO_DISABLE_TELEMETRY="true",
            PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            **extra,
        )
        return env

    def kedro(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [f"{VENV_BIN}/kedro", *args],
            cwd=self.path,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kedro {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def edit(self, relative: str, old: str, new: str) -> None:
        file = self.path / relative
        text = file.read_text()
        assert old in text, f"{old!r} not in {relative}"
        file.write_text(text.replace(old, new))

    def client(self) -> Client:
        return Client(self.tracking_uri)

    def runs(self) -> Sequence[object]:
        client = self.client()
        experiment = client.tracking.get_experiment_by_name("iris_demo")
        if experiment is None:
            return []
        return list(client.tracking.search_runs([experiment.experiment_id]))


def iris_features(rows: Sequence[int] = (0, 60, 70, 120, 130)) -> pd.DataFrame:
    frame = pd.read_csv(EXAMPLE / "data" / "01_raw" / "iris.csv")
    return frame.drop(columns="species").iloc[list(rows)].reset_index(drop=True)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    target = tmp_path / "iris-demo"
    shutil.copytree(EXAMPLE, target, ignore=OUTPUTS)
    return Project(target)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """One project trained once (``kedro run --pipelines training``), shared by a module."""
    target = tmp_path_factory.mktemp("trained") / "iris-demo"
    shutil.copytree(EXAMPLE, target, ignore=OUTPUTS)
    project = Project(target)
    project.kedro("run", "--pipelines", "training")
    yield project


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process-wide store is another file: datasets must use the one they are bound to."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIFFIN_TRACKING_URI", f"sqlite:///{tmp_path / 'elsewhere.db'}")


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 't.db'}"


@pytest.fixture
def client(uri: str) -> Client:
    return Client(uri)


@pytest.fixture
def run_id(client: Client) -> str:
    run_id: str = client.tracking.create_run("0", run_name="kedro").info.run_id
    return run_id
