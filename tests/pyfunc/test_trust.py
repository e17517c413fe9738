"""The trust gate: code-executing content is refused before it can run (security.md D1-D7)."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import pytest
import yaml

import tiffin.pyfunc
from tiffin.errors import IntegrityError, UntrustedModelError
from tiffin.format.manifest import write_manifest


class _TouchOnLoad:
    """Unpickling this calls open(marker, 'w'): the file existing proves the pickle ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def _pyfunc_dir(root: Path, payload: bytes, name: str = "python_model.pkl", **conf: object) -> Path:
    root.mkdir()
    (root / name).write_bytes(payload)
    flavor = {"loader_module": "mlflow.pyfunc.model", "python_model": name, **conf}
    (root / "MLmodel").write_text(yaml.safe_dump({"flavors": {"python_function": flavor}}))
    return root


def test_refused_pickle_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = _pyfunc_dir(tmp_path / "m", pickle.dumps(_TouchOnLoad(marker)))
    with pytest.raises(UntrustedModelError, match="python_model.pkl") as err:
        tiffin.pyfunc.load_model(model)
    assert "trust=True" in str(err.value)
    assert not marker.exists()


def test_gzipped_pickle_with_innocent_name_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = gzip.compress(pickle.dumps(_TouchOnLoad(marker)))
    model = _pyfunc_dir(tmp_path / "m", b"{}", python_model_compression="gzip")
    (model / "weights.json").write_bytes(payload)
    with pytest.raises(UntrustedModelError, match="weights.json: gzip-compressed pickle"):
        tiffin.pyfunc.load_model(model)
    assert not marker.exists()


def test_unknown_loader_module_and_code_dir_are_refused_and_not_imported(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = tmp_path / "m"
    (model / "code").mkdir(parents=True)
    (model / "code" / "evil_loader.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "class M:\n    def predict(self, x, params=None):\n        return 'evil'\n"
        "def _load_pyfunc(path):\n    return M()\n"
    )
    flavor = {"loader_module": "evil_loader", "code": "code"}
    (model / "MLmodel").write_text(yaml.safe_dump({"flavors": {"python_function": flavor}}))
    write_manifest(model)
    with pytest.raises(UntrustedModelError) as err:
        tiffin.pyfunc.load_model(model)
    assert "evil_loader" in str(err.value) and "code" in str(err.value)
    assert not marker.exists()
    loaded = tiffin.pyfunc.load_model(model, trust=True)  # the user's explicit choice
    assert loaded.predict([1]) == "evil" and marker.exists()


def test_trust_does_not_skip_the_manifest(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = _pyfunc_dir(tmp_path / "m", pickle.dumps(1))
    write_manifest(model)
    (model / "python_model.pkl").write_bytes(pickle.dumps(_TouchOnLoad(marker)))
    with pytest.raises(IntegrityError, match="python_model.pkl"):
        tiffin.pyfunc.load_model(model, trust=True)
    assert not marker.exists()


def test_mlmodel_trust_lists_are_ignored(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = tmp_path / "m"
    model.mkdir()
    (model / "model.pkl").write_bytes(pickle.dumps(_TouchOnLoad(marker)))
    flavors = {
        "python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl"},
        "sklearn": {
            "pickled_model": "model.pkl",
            "serialization_format": "skops",  # lies about the format
            "skops_trusted_types": ["builtins.open"],
        },
    }
    (model / "MLmodel").write_text(yaml.safe_dump({"flavors": flavors}))
    with pytest.raises(UntrustedModelError, match="model.pkl"):
        tiffin.pyfunc.load_model(model)
    assert not marker.exists()
