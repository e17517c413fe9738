"""kill -9 at random points during log_model + register_model: nothing half-visible, nothing lost.

After each kill, every registered version must verify against the digest the registry
recorded, every model directory in the artifact store must be whole (its manifest verifies),
and versions registered before the kill must be unchanged.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tiffin.format.manifest import verify_manifest
from tiffin.store.registry import RegistryStore

WORKER = Path(__file__).with_name("tracking_crash_worker.py")
TRIALS = 20


def _visible_model_dirs(root: Path) -> list[Path]:
    """Model directories a reader can see (the store hides .tmp-* siblings)."""
    return [
        p.parent
        for p in root.rglob("MLmodel")
        if not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]


def test_kill_9_during_log_and_register_leaves_everything_consistent(
    store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = store_uri
    monkeypatch.chdir(tmp_path)  # workers inherit it: PostgreSQL's default artifact root
    rng = random.Random(7)
    seen: dict[int, tuple[str, str | None]] = {}
    for trial in range(TRIALS):
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), uri, str(trial)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        registry = RegistryStore(uri)
        try:
            versions = registry.search_model_versions("crash")
        except LookupError:
            versions = []  # killed before the first registration
        for mv in versions:
            assert seen.setdefault(mv.version, (mv.source, mv.digest)) == (mv.source, mv.digest)
            manifest = verify_manifest(Path(mv.source), expected_digest=mv.digest)
            assert manifest is not None
    for model_dir in _visible_model_dirs(tmp_path):
        assert verify_manifest(model_dir) is not None, model_dir
    assert len(seen) >= TRIALS  # each trial registers at least once before it can be killed
