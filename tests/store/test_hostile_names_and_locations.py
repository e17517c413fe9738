"""Look-alike and control-character names, and stores placed inside a model directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tiffin
import tiffin.sklearn
from tiffin.errors import FormatError, SchemaError
from tiffin.format.manifest import verify_manifest
from tiffin.store import RegistryStore, TrackingStore
from tiffin.store.names import alias_name, model_name


@pytest.fixture
def registry(tmp_path: Path) -> RegistryStore:
    return RegistryStore(f"sqlite:///{tmp_path / 'r.db'}")


@pytest.mark.parametrize(
    ("name", "use"),
    [("\uff43hurn", "churn"), ("\ufb01sh", "fish"), ("x\u00b2", "x2"), ("\u2460churn", "1churn"),
     ("churn\uff3fv2", "churn_v2"), ("\u210cello", "Hello")],
)  # fmt: skip
def test_a_look_alike_name_is_refused_naming_the_spelling_to_use(
    registry: RegistryStore, name: str, use: str
) -> None:
    registry.create_registered_model(use)
    with pytest.raises(SchemaError, match=f"look-alike character .*; use {use!r}"):
        registry.create_registered_model(name)
    with pytest.raises(SchemaError, match=f"use {use!r}"):  # lookup runs the same check
        registry.get_registered_model(name)
    with pytest.raises(SchemaError, match="look-alike"):
        registry.create_model_version(name, "/srv/models/1")
    assert [m.name for m in registry.search_registered_models()] == [use]


def test_names_that_are_their_own_nfkc_form_are_kept(registry: RegistryStore) -> None:
    for name in ("churn", "caf\u00e9", "\u6a21\u578b", "r\u00e9seau-2"):
        assert registry.create_registered_model(name).name == name
    assert model_name("cafe\u0301") == "caf\u00e9"  # NFC still folds combining marks


BAD_NAMES = ["a\nb", "a\rb", "tab\there", "esc\x1b[31m", "nul\x00", "bidi\u202e", "zw\u200bsp",
             "line\u2028sep", ".", ".."]  # fmt: skip


@pytest.mark.parametrize("name", BAD_NAMES)
def test_control_format_and_path_names_are_refused(registry: RegistryStore, name: str) -> None:
    with pytest.raises(SchemaError, match=r"U\+|means a directory"):
        registry.create_registered_model(name)


def test_a_look_alike_alias_is_refused() -> None:
    with pytest.raises(SchemaError, match="use 'champion'"):
        alias_name("\uff43hampion")
    assert alias_name("champion") == "champion"


def _model(path: Path, logreg: object) -> Path:
    tiffin.sklearn.save_model(logreg, path)
    return path


@pytest.mark.parametrize("where", [".", "sub", "sub/deeper"])
def test_a_sqlite_store_inside_a_model_directory_is_refused(
    tmp_path: Path, logreg: object, where: str
) -> None:
    model = _model(tmp_path / "model", logreg)
    (model / where).mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{model / where / 'tiffin.db'}"
    with pytest.raises(FormatError, match=r"inside the model directory .*model'.*MLmodel"):
        TrackingStore(uri)
    with pytest.raises(FormatError, match="inside the model directory"):
        RegistryStore(uri)
    assert not (model / where / "tiffin.db").exists()
    verify_manifest(model)  # still intact


def test_the_default_store_in_a_model_directory_is_refused(
    tmp_path: Path, logreg: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(tmp_path / "model", logreg)
    monkeypatch.chdir(model)
    monkeypatch.delenv("TIFFIN_TRACKING_URI", raising=False)
    tiffin.set_tracking_uri(None)
    with pytest.raises(FormatError, match="inside the model directory"):
        tiffin.Client()
    assert "tiffin.db" not in os.listdir(model)
    verify_manifest(model)


def test_an_artifact_root_or_location_inside_a_model_is_refused(
    tmp_path: Path, logreg: object
) -> None:
    model = _model(tmp_path / "model", logreg)
    uri = f"sqlite:///{tmp_path / 't.db'}"
    with pytest.raises(FormatError, match="artifact root .* inside the model directory"):
        TrackingStore(uri, artifact_root=str(model / "artifacts"))
    tracking = TrackingStore(uri, artifact_root=str(tmp_path / "artifacts"))
    with pytest.raises(FormatError, match="artifact_location .* inside the model directory"):
        tracking.create_experiment("e", artifact_location=str(model / "art"))
    verify_manifest(model)


def test_a_store_beside_a_model_is_fine(tmp_path: Path, logreg: object) -> None:
    _model(tmp_path / "model", logreg)
    TrackingStore(f"sqlite:///{tmp_path / 't.db'}", artifact_root=str(tmp_path / "art"))
