"""The issue's scenario on a real Kedro project: train, log, register, load, serve, MLflow."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

import tiffin.pyfunc
from conftest import EXAMPLE, OUTPUTS, VENV_BIN, Project, iris_features
from servers import free_port, launch, stop, wait_ready
from tiffin.errors import UntrustedModelError
from tiffin.store.model_uris import resolve_model_uri


def champion_dir(project: Project) -> Path:
    return resolve_model_uri("models:/iris@champion", project.tracking_uri).path


def test_training_run_logs_params_and_registers_the_pipeline_model(trained: Project) -> None:
    (run,) = trained.runs()
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "training"
    assert run.data.params["model_options.C"] == "1.0"
    assert run.data.params["model_options.max_iter"] == "500"
    assert "threshold" not in run.data.params  # only training reads params here
    assert run.data.tags["kedro.command"] == "kedro run --pipelines=training"
    version = trained.client().registry.get_model_version_by_alias("iris", "champion")
    assert version.run_id == run.info.run_id
    assert run.data.tags["tiffin.kedro.model_uri"] == f"runs:/{run.info.run_id}/model"


def test_logged_model_is_data_with_code_and_pinned_requirements(trained: Project) -> None:
    model_dir = champion_dir(trained)
    spec = yaml.safe_load((model_dir / "pipeline.yml").read_text())
    assert [n["func"] for n in spec["nodes"]] == [
        "iris_demo.nodes:preprocess",
        "iris_demo.nodes:encode",
        "iris_demo.nodes:predict",
        "iris_demo.nodes:decode",
    ]
    assert spec["inputs"] == ["features"] and spec["outputs"] == ["predicted_labels"]
    assert spec["params"] == {"threshold": 0.5}
    assert sorted(spec["artifacts"]) == ["classifier", "label_encoder", "scaler"]
    # the versioned classifier ships one file, the version this run wrote
    assert list((model_dir / "artifacts" / "classifier").iterdir()) == [
        model_dir / "artifacts" / "classifier" / "classifier.pkl"
    ]
    assert (model_dir / "code" / "iris_demo" / "nodes.py").is_file()
    assert not list(model_dir.rglob("__pycache__"))
    requirements = (model_dir / "requirements.txt").read_text().splitlines()
    assert any(r.startswith("kedro==1.") for r in requirements)
    assert any(r.startswith("kedro-datasets[pickle-pickledataset]==") for r in requirements)
    assert any(r.startswith("scikit-learn==") for r in requirements)
    assert not any(r.startswith("iris") for r in requirements)  # shipped in code/, not pinned
    mlmodel = yaml.safe_load((model_dir / "MLmodel").read_text())
    signature = mlmodel["signature"]
    assert [c["name"] for c in json.loads(signature["inputs"])] == [
        "sepal_length", "sepal_width", "petal_length", "petal_width",
    ]  # fmt: skip
    assert json.loads(signature["outputs"]) == [
        {"type": "string", "name": "label", "required": True}
    ]
    assert json.loads(signature["params"]) == [
        {"name": "threshold", "default": 0.5, "shape": None, "type": "double"}
    ]


def test_registered_model_predicts_and_the_threshold_changes_labels(trained: Project) -> None:
    tiffin.set_tracking_uri(trained.tracking_uri)
    try:
        model = tiffin.pyfunc.load_model("models:/iris@champion")
    finally:
        tiffin.set_tracking_uri(None)
    frame = iris_features()
    default = model.predict(frame)["label"].tolist()
    strict = model.predict(frame, params={"threshold": 0.9})["label"].tolist()
    assert default[:2] == ["setosa", "versicolor"] and "unsure" not in default
    assert "unsure" in strict and strict != default
    assert model.predict(frame)["label"].tolist() == default  # the call left no state behind
    with pytest.raises(tiffin.errors.SchemaError, match="thresh"):
        model.predict(frame, params={"thresh": 0.9})


def test_pipeline_model_needs_trust_outside_the_registry(trained: Project) -> None:
    with pytest.raises(UntrustedModelError, match="Kedro pipeline model"):
        tiffin.pyfunc.load_model(champion_dir(trained))
    model = tiffin.pyfunc.load_model(champion_dir(trained), trust=True)
    assert model.predict(iris_features((0,)))["label"].tolist() == ["setosa"]


def test_scoring_server_answers_dataframe_split_with_params(
    trained: Project, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    command = [f"{VENV_BIN}/tiffin", "models", "serve", "-m", "models:/iris@champion",
               "--port", str(port)]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIFFIN_TRACKING_URI", trained.tracking_uri)
        server = launch(command, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server, log, timeout=60)
        frame = iris_features()
        body = {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}
        plain = httpx.post(f"{url}/invocations", json=body, timeout=30)
        strict = httpx.post(
            f"{url}/invocations", json={**body, "params": {"threshold": 0.9}}, timeout=30
        )
        bad = httpx.post(f"{url}/invocations", json={**body, "params": {"x": 1}}, timeout=30)
    finally:
        stop(server)
    assert plain.status_code == 200, plain.text
    labels = [row["label"] for row in plain.json()["predictions"]]
    strict_labels = [row["label"] for row in strict.json()["predictions"]]
    assert "unsure" not in labels and "unsure" in strict_labels
    assert bad.status_code == 400 and "x" in bad.text


def test_same_model_loads_in_mlflow(trained: Project) -> None:
    """MLflow puts code/ on sys.path and calls our loader (a fresh process: no project on
    sys.path, so the functions can only come from the model's code/)."""
    script = f"""
import io, json, sys, warnings
warnings.simplefilter("ignore")
import mlflow.pyfunc, pandas as pd
model = mlflow.pyfunc.load_model({str(champion_dir(trained))!r})
frame = pd.read_json(io.StringIO(sys.stdin.read()), orient="split")
print(json.dumps([model.predict(frame)["label"].tolist(),
                  model.predict(frame, params={{"threshold": 0.9}})["label"].tolist()]))
"""
    frame = iris_features()
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=frame.to_json(orient="split", index=False),
        capture_output=True, text=True, timeout=120, cwd="/",
        env=trained.env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    plain, strict = json.loads(result.stdout.strip().splitlines()[-1])
    assert "unsure" not in plain and "unsure" in strict


def test_inspect_shows_the_pipeline_model(trained: Project) -> None:
    result = subprocess.run(
        [f"{VENV_BIN}/tiffin", "models", "inspect", "-m", str(champion_dir(trained))],
        capture_output=True, text=True, timeout=60, env=trained.env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "kedro_pipeline" in result.stdout and "threshold" in result.stdout


def test_modelify_produces_what_the_hook_produced(trained: Project) -> None:
    out = trained.kedro(
        "tiffin", "modelify", "--pipeline", "inference", "--input-name", "features",
        "--name", "again",
    )  # fmt: skip
    assert "logged runs:/" in out.stdout
    uri = out.stdout.split("logged ", 1)[1].split()[0]
    again = resolve_model_uri(uri, trained.tracking_uri).path
    original = champion_dir(trained)
    for name in ("pipeline.yml", "requirements.txt"):
        assert (again / name).read_text() == (original / name).read_text(), name
    assert (
        yaml.safe_load((again / "MLmodel").read_text())["signature"]
        == yaml.safe_load((original / "MLmodel").read_text())["signature"]
    )


def test_kedro_tiffin_serve_serves_the_last_logged_pipeline_model(
    trained: Project, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "kedro-serve.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(trained.path)
        patch.setenv("KEDRO_DISABLE_TELEMETRY", "true")
        server = launch([f"{VENV_BIN}/kedro", "tiffin", "serve", "--port", str(port)], log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server, log, timeout=60)
        body = {"dataframe_split": json.loads(iris_features((0,)).to_json(orient="split"))}
        answer = httpx.post(f"{url}/invocations", json=body, timeout=30)
    finally:
        stop(server)
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == [{"label": "setosa"}]
    newest = trained.runs()[0]  # modelify's run when that test ran first
    assert f"serving {newest.data.tags['tiffin.kedro.model_uri']}" in log.read_text()


def test_registry_dataset_reads_the_store_the_hook_gives_it(
    trained: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiffin.integrations.kedro import ModelRegistryDataset

    monkeypatch.setenv("TIFFIN_TRACKING_URI", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    dataset = ModelRegistryDataset(model_name="iris", alias="champion")
    dataset.use_store(trained.tracking_uri)  # what the hook does before the first node
    model = dataset.load()
    assert model.predict(iris_features((0,)))["label"].tolist() == ["setosa"]


def _telemetry_env(home: Path) -> dict[str, str]:
    """A user's shell: no opt-out variable, no CI marker, a home of its own."""
    from kedro_telemetry.plugin import KNOWN_CI_ENV_VAR_KEYS

    env = Project(home).env()
    for key in ("KEDRO_DISABLE_TELEMETRY", "DO_NOT_TRACK", "CI", *KNOWN_CI_ENV_VAR_KEYS):
        env.pop(key, None)
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    return env


def test_running_and_serving_the_example_leave_its_git_status_clean(tmp_path: Path) -> None:
    """kedro-telemetry writes a project id into a pyproject.toml without its consent file."""
    repo = tmp_path / "iris-demo"
    shutil.copytree(EXAMPLE, repo, ignore=OUTPUTS)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "example"], cwd=repo, check=True)
    env = _telemetry_env(tmp_path / "home")
    run = subprocess.run(
        [f"{VENV_BIN}/kedro", "run", "--pipelines", "training"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [f"{VENV_BIN}/kedro", "tiffin", "serve", "--port", str(port)],
            cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_ready(f"http://127.0.0.1:{port}", server, log, timeout=60)
    finally:
        stop(server)
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
    )
    assert status.stdout == "", status.stdout + (repo / "pyproject.toml").read_text()


def test_a_runs_uri_pipeline_model_in_the_catalog_says_how_to_trust_it(trained: Project) -> None:
    from kedro.io import DatasetError

    from tiffin.integrations.kedro.datasets_models import ModelTrackingDataset

    tag = "tiffin.kedro.model_uri"
    runs_uri = next(r.data.tags[tag] for r in trained.runs() if tag in r.data.tags)  # type: ignore[attr-defined]
    assert runs_uri.startswith("runs:/")
    load_args = {"model_uri": runs_uri}
    entry = ModelTrackingDataset(
        "tiffin.pyfunc", tracking_uri=trained.tracking_uri, load_args=load_args
    )
    with pytest.raises(DatasetError) as caught:
        entry.load()
    assert isinstance(caught.value.__cause__, UntrustedModelError)
    message = str(caught.value)
    assert "Kedro pipeline model" in message
    assert "In the catalog, trust this entry's model with `load_args: {trust: true}`" in message
    trusted = ModelTrackingDataset(
        "tiffin.pyfunc", tracking_uri=trained.tracking_uri, load_args={**load_args, "trust": True}
    )
    assert trusted.load().predict(iris_features((0,)))["label"].tolist() == ["setosa"]
