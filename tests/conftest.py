"""Shared fixtures: small fitted models and frames, and a store on SQLite or PostgreSQL.

``store_uri`` is parametrized over SQLite and a real throwaway PostgreSQL server (``initdb``
into a temporary directory, ``pg_ctl start`` on a free loopback port, its socket in that
directory, fsync off, stopped at session end). As root PostgreSQL refuses to run, so the server
runs as the ``postgres`` system user (or ``nobody``) through ``runuser``. Without the binaries
the PostgreSQL half is skipped, except under ``CI=true`` where that is a failure: CI must not
pass by testing half the matrix.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tiffin.store import dispose_engines


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def uri(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"


def _bindir() -> Path | None:
    candidates: list[str] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(root: Path) -> list[str]:
    """The command prefix that runs PostgreSQL binaries as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        os.chown(root, user.pw_uid, user.pw_gid)
        return ["runuser", "-u", name, "--"]
    _unavailable("running as root and there is no 'postgres' or 'nobody' user to run the server")
    return []


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    bindir = _bindir()
    if bindir is None:
        _unavailable("no PostgreSQL binaries (pg_config --bindir, /usr/lib/postgresql/*/bin)")
        raise AssertionError("unreachable")
    root = Path(tempfile.mkdtemp(prefix="tiffin-pg-"))
    prefix = _as_server_user(root)
    data, port = root / "data", _free_port()
    _run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
          "-E", "UTF8", "--locale=C", "--no-sync"])  # fmt: skip
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
    _run([*pg_ctl, "-l", str(root / "server.log"), "-o", options, "start"])
    try:
        yield PostgresServer("127.0.0.1", port, "postgres")
    finally:
        dispose_engines()
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


_databases = itertools.count()


def _new_database(server: PostgresServer) -> str:
    import psycopg

    name = f"t{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server.uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.uri(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file, or a new database on the session's server."""
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'tiffin.db'}"
    else:
        uri = _new_database(request.getfixturevalue("pg_server"))
    yield uri
    dispose_engines()


FEATURES = [f"f{i}" for i in range(5)]


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(120, len(FEATURES))), columns=FEATURES)


@pytest.fixture(scope="session")
def target(frame: pd.DataFrame) -> Any:
    return (frame["f0"] + frame["f1"] > 0).astype("int64").to_numpy()


@pytest.fixture(scope="session")
def logreg(frame: pd.DataFrame, target: Any) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(frame, target)


@pytest.fixture(scope="session")
def forest(frame: pd.DataFrame, target: Any) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(frame, target)
