"""The manifest: every changed, missing, extra or linked file is found and named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tiffin.errors import FormatError, IntegrityError
from tiffin.format.manifest import MANIFEST_FILE, verify_manifest, write_manifest


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    (tmp_path / "MLmodel").write_text("flavors: {}\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "weights.bin").write_bytes(b"\x00" * 100)
    write_manifest(tmp_path)
    return tmp_path


def test_an_untouched_model_verifies_and_has_a_stable_digest(model_dir: Path) -> None:
    first = verify_manifest(model_dir)
    assert first is not None and set(first.files) == {"MLmodel", "data/weights.bin"}
    assert verify_manifest(model_dir, expected_digest=first.digest) == first


def test_a_changed_byte_is_refused_naming_the_file(model_dir: Path) -> None:
    (model_dir / "data" / "weights.bin").write_bytes(b"\x00" * 99 + b"\x01")
    with pytest.raises(IntegrityError, match="data/weights.bin"):
        verify_manifest(model_dir)


def test_an_extra_file_is_refused(model_dir: Path) -> None:
    (model_dir / "data" / "__init__.py").write_text("import os")
    with pytest.raises(IntegrityError, match="data/__init__.py"):
        verify_manifest(model_dir)


def test_a_missing_file_is_refused(model_dir: Path) -> None:
    (model_dir / "data" / "weights.bin").unlink()
    with pytest.raises(IntegrityError, match="missing"):
        verify_manifest(model_dir)


def test_a_symlink_is_refused_even_without_a_manifest(model_dir: Path) -> None:
    (model_dir / MANIFEST_FILE).unlink()
    os.symlink("/etc/passwd", model_dir / "data" / "link")
    with pytest.raises(IntegrityError, match="symbolic link"):
        verify_manifest(model_dir)


def test_a_different_recorded_digest_is_refused(model_dir: Path) -> None:
    with pytest.raises(IntegrityError, match="differs from the recorded"):
        verify_manifest(model_dir, expected_digest="0" * 64)


def test_an_unknown_algorithm_names_the_file_and_the_one_expected(model_dir: Path) -> None:
    (model_dir / MANIFEST_FILE).write_text('{"algorithm": "md5", "files": {}}')
    with pytest.raises(FormatError) as caught:
        verify_manifest(model_dir)
    message = str(caught.value)
    assert str(model_dir / MANIFEST_FILE) in message
    assert "'md5'" in message and "expected 'sha256'" in message


@pytest.mark.parametrize(
    "body", ['["a"]', '{"algorithm": "sha256"}', '{"algorithm": "sha256", "files": []}']
)
def test_a_manifest_of_the_wrong_shape_is_a_format_error_naming_the_file(
    model_dir: Path, body: str
) -> None:
    (model_dir / MANIFEST_FILE).write_text(body)
    with pytest.raises(FormatError, match="unreadable manifest") as caught:
        verify_manifest(model_dir)
    assert str(model_dir / MANIFEST_FILE) in str(caught.value)
