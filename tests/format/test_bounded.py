"""Bounded reading of a model's JSON and YAML files: size, depth, aliases, links, leftovers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tiffin.errors import FormatError, NotFoundError
from tiffin.format.bounded import (
    MAX_DEPTH,
    MAX_MLMODEL_BYTES,
    check_json_depth,
    load_json,
    load_yaml,
    read_json_file,
    read_regular_file,
)
from tiffin.format.example import load_input_example
from tiffin.format.manifest import MANIFEST_FILE, read_manifest
from tiffin.format.mlmodel import MLModel

FLAVORS = "flavors:\n  python_function:\n    loader_module: x\n"
BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
)


def _mlmodel(tmp_path: Path, text: str) -> Path:
    (tmp_path / "MLmodel").write_text(text)
    return tmp_path


@pytest.mark.parametrize("text", ["[" * 100 + "]" * 100, '{"a":' * 5000 + "1" + "}" * 5000])
def test_deep_json_is_refused_before_parsing(text: str) -> None:
    with pytest.raises(FormatError, match=f"signature: nested deeper than {MAX_DEPTH} levels"):
        load_json(text, "signature")


def test_brackets_inside_strings_do_not_count_and_shallow_json_parses() -> None:
    check_json_depth('{"a": "[[[[[[", "b": "\\"[[[["}', "x", 2)
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_json(nested, "x") is not None
    assert load_json(b'{"a": [NaN, 1]}', "x")["a"][1] == 1
    with pytest.raises(FormatError, match="not valid JSON"):
        load_json("[1,", "x")


def test_a_signature_nested_6000_deep_is_a_format_error(tmp_path: Path) -> None:
    deep = "[" * 6000 + "]" * 6000
    doc = {"flavors": {"python_function": {"loader_module": "x"}}, "signature": {"inputs": deep}}
    _mlmodel(tmp_path, yaml.safe_dump(doc))
    with pytest.raises(FormatError, match="signature.*nested deeper than 64"):
        MLModel.load(tmp_path)


@pytest.mark.parametrize(
    "text",
    [FLAVORS + "x: " + "[" * 6000 + "]" * 6000 + "\n",
     FLAVORS + "".join(f"{'  ' * i}k{i}:\n" for i in range(300)) + "  " * 300 + "v\n"],
    ids=["flow", "block"],
)  # fmt: skip
def test_deep_yaml_in_mlmodel_is_a_format_error(tmp_path: Path, text: str) -> None:
    _mlmodel(tmp_path, text)
    with pytest.raises(FormatError, match="nested deeper than 64 levels"):
        MLModel.load(tmp_path)


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    _mlmodel(tmp_path, FLAVORS + BOMB + "\n")
    start = time.perf_counter()
    with pytest.raises(FormatError, match="YAML nodes once aliases are expanded"):
        MLModel.load(tmp_path)
    assert time.perf_counter() - start < 2


def test_few_aliases_still_load_and_a_self_alias_is_refused(tmp_path: Path) -> None:
    assert load_yaml("a: &x {k: [1, 2]}\nb: *x\n", "m") == {"a": {"k": [1, 2]}, "b": {"k": [1, 2]}}
    with pytest.raises(FormatError, match="refers to itself"):
        load_yaml("a: &x [1, *x]\n", "m")


def test_an_oversized_mlmodel_is_refused_unread(tmp_path: Path) -> None:
    _mlmodel(tmp_path, FLAVORS + "pad: '" + "x" * MAX_MLMODEL_BYTES + "'\n")
    with pytest.raises(FormatError, match=f"may hold at most {MAX_MLMODEL_BYTES}"):
        MLModel.load(tmp_path)


@pytest.mark.parametrize("target", ["outside", "inside"])
def test_an_mlmodel_symlink_is_refused_before_reading(tmp_path: Path, target: str) -> None:
    model = tmp_path / "model"
    model.mkdir()
    secret = (tmp_path if target == "outside" else model) / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-CONTENT\n")
    os.symlink(secret, model / "MLmodel")
    with pytest.raises(FormatError, match="is a symbolic link") as info:
        MLModel.load(model)
    assert "SECRET" not in str(info.value)
    with pytest.raises(FormatError, match="is a symbolic link"):
        MLModel.load(model / "MLmodel")


def test_a_dangling_link_fifo_or_directory_as_mlmodel_is_refused(tmp_path: Path) -> None:
    os.symlink(tmp_path / "nowhere", tmp_path / "MLmodel")
    with pytest.raises(FormatError, match="symbolic link"):
        MLModel.load(tmp_path)
    (tmp_path / "MLmodel").unlink()
    os.mkfifo(tmp_path / "MLmodel")
    with pytest.raises(FormatError, match="fifo"):
        MLModel.load(tmp_path / "MLmodel")  # never blocks: not opened for reading
    with pytest.raises(NotFoundError, match="MLmodel"):
        MLModel.load(tmp_path / "missing")


def test_a_deep_input_example_is_a_format_error(tmp_path: Path) -> None:
    (tmp_path / "input_example.json").write_text("[" * 6000 + "]" * 6000)
    info = {"artifact_path": "input_example.json", "type": "ndarray", "format": "tf-serving"}
    with pytest.raises(FormatError, match="input example: nested deeper than 64"):
        load_input_example(tmp_path, info)


def test_a_deep_or_linked_manifest_is_a_format_error(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_FILE).write_text('{"files": ' + "[" * 6000 + "]" * 6000 + "}")
    with pytest.raises(FormatError, match="nested deeper"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST_FILE).unlink()
    (tmp_path / "real.json").write_text(json.dumps({"algorithm": "sha256", "files": {}}))
    os.symlink(tmp_path / "real.json", tmp_path / MANIFEST_FILE)
    with pytest.raises(FormatError, match="symbolic link"):
        read_manifest(tmp_path)


def test_the_regular_file_reader_stops_at_the_limit(tmp_path: Path) -> None:
    (tmp_path / "f.json").write_text("[1]")
    assert read_regular_file(tmp_path / "f.json", 3) == b"[1]"
    assert read_json_file(tmp_path / "f.json") == [1]
    with pytest.raises(FormatError, match="at most 2"):
        read_regular_file(tmp_path / "f.json", 2)


def test_inspect_answers_an_alias_bomb_at_once_with_one_line(tmp_path: Path) -> None:
    model = _mlmodel(tmp_path, FLAVORS + BOMB + "\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tiffin", "models", "inspect", "-m", str(model)],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert time.perf_counter() - start < 30
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "aliases are expanded" in done.stderr and len(done.stderr.strip().splitlines()) == 1
