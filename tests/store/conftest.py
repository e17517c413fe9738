"""Store fixtures: stores over ``store_uri`` (SQLite and PostgreSQL, from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiffin.store import RegistryStore, TrackingStore


@pytest.fixture
def tracking(store_uri: str, tmp_path: Path) -> TrackingStore:
    return TrackingStore(store_uri, artifact_root=str(tmp_path / "artifacts"))


@pytest.fixture
def registry(store_uri: str) -> RegistryStore:
    return RegistryStore(store_uri)
