"""The registry as trust root (issue 20): registering code-executing content is an explicit,
recorded decision, and loads by ``models:/`` trust only versions that carry it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import tiffin
import tiffin.pyfunc
import tiffin.sklearn
from tiffin.errors import IntegrityError, UntrustedModelError
from tiffin.store import RegistryStore


@pytest.fixture(autouse=True)
def store(store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)
    tiffin.set_tracking_uri(store_uri)
    yield store_uri
    tiffin.set_tracking_uri(None)


@pytest.fixture()
def pickled(tmp_path: Path, logreg: Any, frame: pd.DataFrame) -> Path:
    path = tmp_path / "pickled"
    tiffin.sklearn.save_model(
        logreg, path, serialization_format="cloudpickle", input_example=frame.head(2)
    )
    return path


@pytest.fixture()
def skops_model(tmp_path: Path, logreg: Any, frame: pd.DataFrame) -> Path:
    path = tmp_path / "skops"
    tiffin.sklearn.save_model(logreg, path, input_example=frame.head(2))
    return path


def _cli(store: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIFFIN_TRACKING_URI": store}
    return subprocess.run(
        [sys.executable, "-m", "tiffin", *args], capture_output=True, text=True, timeout=120,
        env=env,
    )  # fmt: skip


def test_registering_a_pickle_without_trust_is_refused_and_consumes_nothing(
    pickled: Path, store: str
) -> None:
    with pytest.raises(UntrustedModelError, match=r"(?s)refusing to register .*model\.pkl") as err:
        tiffin.register_model(str(pickled), "churn")
    assert "trust=True" in str(err.value)
    registry = RegistryStore(store)
    assert registry.search_registered_models() == []  # nothing recorded, not even the name
    trusted = tiffin.register_model(str(pickled), "churn", trust=True)
    assert trusted.version == 1  # no version number was used by the refusal
    assert trusted.trust is not None and trusted.trust.digest == trusted.digest
    assert trusted.trust.principal == tiffin.tracking.current_user()


def test_a_trusted_version_loads_by_alias_until_trust_is_withdrawn(
    pickled: Path, frame: pd.DataFrame, logreg: Any
) -> None:
    version = tiffin.register_model(str(pickled), "churn", trust=True)
    client = tiffin.Client()
    client.set_registered_model_alias("churn", "champion", version.version)
    model = tiffin.pyfunc.load_model("models:/churn@champion")
    assert model.trusted and np.array_equal(model.predict(frame), logreg.predict(frame))
    client.trust_model_version("churn", version.version, False)
    with pytest.raises(UntrustedModelError, match="tiffin models trust churn 1"):
        tiffin.pyfunc.load_model("models:/churn@champion")
    client.trust_model_version("churn", version.version)
    assert tiffin.pyfunc.load_model("models:/churn@champion").trusted
    history = client.get_model_version_trust_history("churn", 1)
    assert [e.action for e in history] == ["trust", "untrust", "trust"]


def test_a_version_without_a_trust_record_is_refused_and_says_how(
    pickled: Path, store: str
) -> None:
    """As a version registered before trust was recorded: a digest alone is not trust."""
    version = tiffin.register_model(str(pickled), "churn", trust=True)
    engine = sa.create_engine(store)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM model_version_trust"))
    engine.dispose()
    with pytest.raises(UntrustedModelError, match="carries no trust decision") as err:
        tiffin.pyfunc.load_model(f"models:/churn/{version.version}")
    assert f"tiffin models trust churn {version.version}" in str(err.value)


def test_a_trusted_version_whose_files_changed_is_refused_by_the_digest(pickled: Path) -> None:
    version = tiffin.register_model(str(pickled), "churn", trust=True)
    with open(pickled / "requirements.txt", "a") as f:
        f.write("\nevil==1\n")
    with pytest.raises(IntegrityError, match="requirements.txt"):
        tiffin.pyfunc.load_model(f"models:/churn/{version.version}")


def test_data_only_models_register_as_before_and_trusting_them_is_a_no_op(
    skops_model: Path, store: str
) -> None:
    version = tiffin.register_model(str(skops_model), "clean")
    assert version.trust is None
    assert tiffin.pyfunc.load_model(f"models:/clean/{version.version}").predict is not None
    said = _cli(store, "models", "trust", "clean", str(version.version))
    assert said.returncode == 0 and "nothing to trust" in said.stdout
    assert tiffin.Client().get_model_version_trust_history("clean", 1) == []


def test_log_model_records_the_authors_trust(logreg: Any, frame: pd.DataFrame) -> None:
    with tiffin.start_run():
        info = tiffin.sklearn.log_model(
            logreg, name="m", registered_model_name="authored", serialization_format="cloudpickle",
            input_example=frame.head(2),
        )  # fmt: skip
    mv = tiffin.Client().get_model_version("authored", info.registered_model_version)
    assert mv.trust is not None and mv.trust.digest == info.digest


def test_cli_register_trust_untrust_versions_history_and_inspect(pickled: Path, store: str) -> None:
    refused = _cli(store, "models", "register", "-m", str(pickled), "-n", "churn")
    assert refused.returncode != 0 and "model.pkl" in refused.stderr
    assert "--trust" in refused.stderr and "Traceback" not in refused.stderr
    done = _cli(store, "models", "register", "-m", str(pickled), "-n", "churn", "--trust", "--json")
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)[0]
    assert row["version"] == 1 and row["trust"]["trusted_by"] == tiffin.tracking.current_user()
    assert _cli(store, "models", "untrust", "churn", "1").returncode == 0
    listed = json.loads(_cli(store, "models", "versions", "churn", "--json").stdout)
    assert listed[0]["trust"] is None
    refused_load = _cli(store, "models", "verify", "-m", "models:/churn/1")
    assert refused_load.returncode != 0 and "tiffin models trust churn 1" in refused_load.stderr
    assert _cli(store, "models", "trust", "churn", "1").returncode == 0
    info = json.loads(_cli(store, "models", "inspect", "-m", "models:/churn/1", "--json").stdout)
    assert info["registered"]["trust"]["digest"] == info["registered"]["digest"]
    history = json.loads(_cli(store, "models", "history", "churn", "1", "--json").stdout)
    assert [e["action"] for e in history] == ["trust", "untrust", "trust"]
