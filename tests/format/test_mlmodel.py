"""The MLmodel file: MLflow's serialisation rules and strict, typed parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tiffin.errors import FormatError, NotFoundError
from tiffin.format.mlmodel import MLModel
from tiffin.format.schema import ColSpec, Schema, Signature


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "MLmodel").write_text(text)
    return tmp_path


def test_written_keys_are_sorted_block_yaml_and_nulls_follow_mlflow(tmp_path: Path) -> None:
    m = MLModel.new()
    m.add_flavor("python_function", loader_module="mlflow.sklearn", model_path="model.skops")
    m.signature = Signature(inputs=Schema([ColSpec("double", "x")]))
    m.save(tmp_path)
    text = (tmp_path / "MLmodel").read_text()
    data = yaml.safe_load(text)
    assert list(data) == sorted(data)
    assert "{" not in text.split("signature:")[0]  # block style outside signature strings
    assert data["model_id"] is None and data["prompts"] is None  # written even when null
    assert "run_id" not in data and "artifact_path" not in data  # dropped when null
    assert data["is_signature_from_type_hint"] is False
    assert data["signature"]["inputs"] == '[{"type": "double", "name": "x", "required": true}]'


def test_unknown_keys_survive_a_round_trip(tmp_path: Path) -> None:
    _write(tmp_path, "flavors:\n  python_function: {loader_module: x}\nfuture_key: {a: 1}\n")
    MLModel.load(tmp_path).save(tmp_path)
    assert yaml.safe_load((tmp_path / "MLmodel").read_text())["future_key"] == {"a": 1}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "the file is empty"),
        ("flavors: [1, 2\n", "not valid YAML"),
        ("- a\n- b\n", "expected a YAML mapping"),
        ("flavors: {}\n", "'flavors' is missing or empty"),
        ("flavors: {sklearn: 3}\n", "flavor 'sklearn' must be a mapping"),
        ("\x00\x01", "not valid YAML"),
    ],
    ids=["empty", "bad-yaml", "list", "no-flavor", "flavor-not-mapping", "binary"],
)
def test_corrupt_mlmodel_is_a_format_error(tmp_path: Path, text: str, match: str) -> None:
    _write(tmp_path, text)
    with pytest.raises(FormatError, match=match):
        MLModel.load(tmp_path)


def test_missing_mlmodel_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="MLmodel"):
        MLModel.load(tmp_path)


@pytest.mark.parametrize(
    ("inputs", "match"),
    [
        ('[{"type": "double", "name": "x", "description": "d"}]', "description"),
        ('[{"type": "int", "name": "x"}]', "unsupported type 'int'"),
        ('[{"type": "double"', "not valid JSON"),
    ],
)
def test_bad_signature_json_is_refused_with_the_key_named(
    tmp_path: Path, inputs: str, match: str
) -> None:
    doc = {"flavors": {"python_function": {"loader_module": "x"}}, "signature": {"inputs": inputs}}
    _write(tmp_path, yaml.safe_dump(doc))
    with pytest.raises(FormatError, match=match):
        MLModel.load(tmp_path)
