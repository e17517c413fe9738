"""Atomic directory writes: all or nothing, and never over an existing model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiffin.errors import AlreadyExistsError
from tiffin.format.atomic import atomic_directory


def test_an_exception_leaves_no_directory_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model"
    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "MLmodel").write_text("x")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_target_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "keep.txt").write_text("precious")
    with pytest.raises(AlreadyExistsError, match="not empty"), atomic_directory(target):
        pass
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert (target / "keep.txt").read_text() == "precious"


def test_an_empty_target_directory_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    with atomic_directory(target) as tmp:
        (tmp / "a").write_text("1")
    assert (target / "a").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
