"""``tiffin models pack`` / ``unpack``, and every ``-m`` command taking a ``.tiffin`` file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import tiffin
import tiffin.sklearn
from servers import free_port, launch, stop, wait_ready
from tiffin.format.manifest import MANIFEST_FILE


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A private cache for the loads these commands do."""
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiffin", *args], capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip


@pytest.fixture
def model(tmp_path: Path, logreg: Any, frame: pd.DataFrame) -> Path:
    path = tmp_path / "model"
    tiffin.sklearn.save_model(logreg, path, input_example=frame.head(2))
    return path


def _tree(root: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in root.rglob("*")
    }


def test_pack_then_unpack_round_trips_and_repacks_identically(
    model: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    archive = tmp_path / "model.tiffin"
    packed = _run(env, "models", "pack", "-m", str(model), "-o", str(archive))
    assert packed.returncode == 0, packed.stderr
    assert "files" in packed.stdout and "manifest" in packed.stdout
    again = _run(env, "models", "pack", "-m", str(model), "-o", str(archive))
    assert again.returncode == 1 and "already exists" in again.stderr
    second = tmp_path / "second.tiffin"
    assert _run(env, "models", "pack", "-m", str(model), "-o", str(second)).returncode == 0
    assert archive.read_bytes() == second.read_bytes()
    out = tmp_path / "out"
    unpacked = _run(env, "models", "unpack", "-i", str(archive), "-o", str(out))
    assert unpacked.returncode == 0, unpacked.stderr
    assert "match manifest" in unpacked.stdout
    assert _tree(out) == _tree(model)
    repacked = _run(env, "models", "pack", "-m", str(archive), "-o", str(second), "--overwrite")
    assert repacked.returncode == 0, repacked.stderr
    assert archive.read_bytes() == second.read_bytes()


def test_pack_refuses_a_model_without_a_manifest_unless_told(
    model: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    (model / MANIFEST_FILE).unlink()
    archive = tmp_path / "model.tiffin"
    refused = _run(env, "models", "pack", "-m", str(model), "-o", str(archive))
    assert refused.returncode == 5 and "--add-manifest" in refused.stderr
    assert "Traceback" not in refused.stderr and not archive.exists()
    added = _run(env, "models", "pack", "-m", str(model), "-o", str(archive), "--add-manifest")
    assert added.returncode == 0, added.stderr
    assert not (model / MANIFEST_FILE).exists()
    assert _run(env, "models", "verify", "-m", str(archive)).returncode == 0


def test_pack_refuses_a_tampered_model(model: Path, tmp_path: Path, env: dict[str, str]) -> None:
    (model / "model.skops").write_bytes(b"tampered")
    refused = _run(env, "models", "pack", "-m", str(model), "-o", str(tmp_path / "m.tiffin"))
    assert refused.returncode == 5 and "model.skops" in refused.stderr


def test_pack_takes_a_runs_uri(
    tmp_path: Path, logreg: Any, frame: pd.DataFrame, env: dict[str, str]
) -> None:
    tiffin.set_tracking_uri(tmp_path / "t.db")
    try:
        with tiffin.start_run():
            info = tiffin.sklearn.log_model(
                logreg, name="model", pip_requirements=["x"], input_example=frame.head(2)
            )
    finally:
        tiffin.set_tracking_uri(None)
    store_env = {**env, "TIFFIN_TRACKING_URI": f"sqlite:///{tmp_path / 't.db'}"}
    archive = tmp_path / "run.tiffin"
    packed = _run(store_env, "models", "pack", "-m", info.model_uri, "-o", str(archive))
    assert packed.returncode == 0, packed.stderr
    assert _run(env, "models", "verify", "-m", str(archive)).returncode == 0


def test_unpack_refuses_a_hostile_archive_naming_the_member_and_leaves_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    archive = tmp_path / "evil.tiffin"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("MLmodel", b"flavors: {}\n")
        link = zipfile.ZipInfo("data/link")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, b"/etc/passwd")
    out = tmp_path / "out"
    refused = _run(env, "models", "unpack", "-i", str(archive), "-o", str(out))
    assert refused.returncode == 1
    assert (
        refused.stderr.startswith("error: member 'data/link'") and "symbolic link" in refused.stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.tiffin"]


def test_unpack_limits_are_options(model: Path, tmp_path: Path, env: dict[str, str]) -> None:
    archive = tmp_path / "model.tiffin"
    assert _run(env, "models", "pack", "-m", str(model), "-o", str(archive)).returncode == 0
    out = tmp_path / "out"
    refused = _run(env, "models", "unpack", "-i", str(archive), "-o", str(out),
                   "--max-members", "2")  # fmt: skip
    assert refused.returncode == 1 and "max_members" in refused.stderr and not out.exists()
    refused = _run(env, "models", "unpack", "-i", str(archive), "-o", str(out),
                   "--max-bytes", "100")  # fmt: skip
    assert refused.returncode == 1 and "max_bytes" in refused.stderr and not out.exists()


def test_predict_inspect_and_verify_take_the_file(
    model: Path, tmp_path: Path, env: dict[str, str], logreg: Any, frame: pd.DataFrame
) -> None:
    archive = tmp_path / "model.tiffin"
    assert _run(env, "models", "pack", "-m", str(model), "-o", str(archive)).returncode == 0
    src, out = tmp_path / "in.csv", tmp_path / "out.json"
    frame.head(5).to_csv(src, index=False)
    done = _run(env, "models", "predict", "-m", str(archive), "-i", str(src), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["predictions"] == logreg.predict(frame.head(5)).tolist()
    verified = _run(env, "models", "verify", "-m", str(archive))
    assert verified.returncode == 0 and "files match manifest" in verified.stdout
    info = json.loads(_run(env, "models", "inspect", "-m", str(archive), "--json").stdout)
    assert info["manifest"] == "ok" and "model.skops" in info["files"]


def test_concurrent_processes_loading_one_file_share_one_cache_entry(
    model: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    archive = tmp_path / "model.tiffin"
    assert _run(env, "models", "pack", "-m", str(model), "-o", str(archive)).returncode == 0
    procs = [
        subprocess.Popen([sys.executable, "-m", "tiffin", "models", "verify", "-m", str(archive)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(6)
    ]  # fmt: skip
    results = [(p.communicate(timeout=120)[1], p.returncode) for p in procs]
    assert all(code == 0 for _, code in results), results
    entries = list((tmp_path / "cache" / "tiffin" / "unpacked").iterdir())
    assert len(entries) == 1 and _tree(entries[0]) == _tree(model)


def test_serve_answers_from_the_file(
    model: Path,
    tmp_path: Path,
    env: dict[str, str],
    logreg: Any,
    frame: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = tmp_path / "model.tiffin"
    assert _run(env, "models", "pack", "-m", str(model), "-o", str(archive)).returncode == 0
    monkeypatch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])  # launch passes os.environ on
    port, log = free_port(), tmp_path / "serve.log"
    command = [sys.executable, "-m", "tiffin", "models", "serve", "-m", str(archive),
               "--port", str(port), "--log-level", "warning"]  # fmt: skip
    process = launch(command, log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process, log, timeout=30)
        body = {"dataframe_split": frame.head(3).to_dict(orient="split", index=False)}
        answer = httpx.post(f"{url}/invocations", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"] == logreg.predict(frame.head(3)).tolist()
    finally:
        stop(process)


def test_serve_refuses_a_packed_pickle_without_trust(
    tmp_path: Path, logreg: Any, env: dict[str, str]
) -> None:
    path = tmp_path / "pickled"
    tiffin.sklearn.save_model(logreg, path, serialization_format="cloudpickle")
    archive = tmp_path / "pickled.tiffin"
    assert _run(env, "models", "pack", "-m", str(path), "-o", str(archive)).returncode == 0
    refused = _run(env, "models", "serve", "-m", str(archive), "--port", str(free_port()))
    assert refused.returncode == 6 and "trust" in refused.stderr
