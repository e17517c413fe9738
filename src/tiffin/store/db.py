"""Engines for store URIs, and the read/write transactions every store operation runs in.

Why this module exists: the failure modes of a shared store live here, once. SQLite gets WAL (a
reader never blocks a writer), a 30 s busy timeout, ``synchronous=NORMAL`` and foreign keys, and
every write opens with ``BEGIN IMMEDIATE`` so concurrent writers queue on the lock instead of
failing with "database is locked" when a read transaction tries to become a write. PostgreSQL
goes through psycopg 3. The schema is migrated on first use, under a lock, so processes that
start together do not race (security.md I11). Errors come out as tiffin errors naming the URI,
with any password masked, never as a raw driver traceback.

Example:
    >>> from sqlalchemy import text
    >>> from tiffin.store.db import engine_for, read
    >>> engine = engine_for("sqlite:////tmp/tiffin-doctest.db")
    >>> read(engine, lambda conn: conn.execute(text("SELECT 1")).scalar())
    1
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from tiffin.errors import FormatError, NotFoundError, TiffinError
from tiffin.plugins import import_optional
from tiffin.store import migrate
from tiffin.store.tracking_uri import refuse_inside_model

__all__ = [
    "BUSY_TIMEOUT_S",
    "dispose_engines",
    "engine_for",
    "read",
    "safe_uri",
    "upgrade",
    "write",
]

#: how long a SQLite writer waits for the lock before giving up
BUSY_TIMEOUT_S = 30.0
_WRITE = "tiffin_write"
_RETRIES = 5
# an arbitrary constant naming "tiffin schema migration" among PostgreSQL advisory locks
_MIGRATION_LOCK = 0x7469_6666_696E
_SUPPORTED = "sqlite:///path/to/file.db or postgresql://user:password@host:port/database"

T = TypeVar("T")

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def _forget_after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    for engine in _engines.values():
        engine.dispose(close=False)  # the parent still owns those sockets
    _engines.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def safe_uri(uri: str) -> str:
    """``uri`` with its password masked, for messages and logs.

    Example:
        >>> safe_uri("postgresql://me:secret@db:5432/tiffin")
        'postgresql://me:***@db:5432/tiffin'
    """
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", uri)


def _parse(uri: str) -> URL:
    if not isinstance(uri, str) or not uri.strip():
        raise FormatError(f"a store URI must be a non-empty string, got {uri!r}; use {_SUPPORTED}")
    try:
        return make_url(uri)
    except (ArgumentError, ValueError) as e:
        raise FormatError(f"cannot parse store URI {safe_uri(uri)!r}; use {_SUPPORTED}") from e


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_sqlite_begin)
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA foreign_keys = ON")
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch a database file to WAL once; several processes opening a fresh file race here.

    WAL is persistent, so a file already in WAL needs no change (and no lock). Changing the
    mode needs an exclusive lock, and SQLite can answer "database is locked" at once, without
    its busy handler, while another connection holds one: so retry, with jitter, until the
    busy timeout.
    """
    import sqlite3

    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.04)


def _on_sqlite_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_engine(url: URL, uri: str) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:") or "mode=memory" in str(url):
        raise FormatError(
            f"store URI {uri!r} is an in-memory SQLite database, which every connection sees "
            "as a different empty database; use sqlite:///path/to/file.db"
        )
    path = Path(database).expanduser().absolute()
    if not path.parent.is_dir():
        raise NotFoundError(
            f"cannot open store {uri!r}: directory {str(path.parent)!r} does not exist; "
            "create it first"
        )
    refuse_inside_model(path.parent, "the tracking store's directory")
    engine = create_engine(
        url.set(database=str(path)),
        connect_args={"timeout": BUSY_TIMEOUT_S},
        pool_size=8,
        max_overflow=16,
        pool_timeout=BUSY_TIMEOUT_S,
    )
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _postgres_engine(url: URL) -> Engine:
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername == "postgresql+psycopg":
        import_optional("psycopg", "postgres")
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 10, "application_name": "tiffin"},
    )


def _open(uri: str) -> Engine:
    url = _parse(uri)
    backend = url.drivername.split("+", 1)[0]
    if backend == "sqlite":
        return _sqlite_engine(url, uri)
    if backend in ("postgresql", "postgres"):
        return _postgres_engine(url)
    raise FormatError(
        f"store URI {safe_uri(uri)!r} has scheme {url.drivername!r}, which tiffin does not "
        f"support; use {_SUPPORTED}"
    )


def _migrate(engine: Engine) -> None:
    with engine.connect() as conn:
        if migrate.current_revision(conn) == migrate.head_revision():
            return  # the common case: no lock taken at all

    def locked(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        migrate.upgrade(conn)

    write(engine, locked)


def engine_for(uri: str) -> Engine:
    """The engine for a store URI, migrated to the current schema; one per URI per process.

    Why cached: an engine owns a connection pool, and a pool per call would defeat it and
    re-check the schema every time. After ``fork`` the child starts with an empty cache, so
    it never shares the parent's sockets.

    Example:
        >>> engine_for("sqlite:////tmp/tiffin-doctest.db").dialect.name
        'sqlite'
    """
    with _lock:
        engine = _engines.get(uri)
        if engine is None:
            engine = _open(uri)
            try:
                _migrate(engine)
            except SQLAlchemyError as e:
                engine.dispose()
                raise _failure(engine, e, "cannot open") from e
            except BaseException:
                engine.dispose()
                raise
            _engines[uri] = engine
        return engine


def upgrade(uri: str) -> str:
    """Bring the store at ``uri`` to the newest schema and return that revision.

    ``engine_for`` already does this on first use; call ``upgrade`` to migrate on purpose (a
    deploy step, the CLI) and learn where the schema now is.

    Example:
        >>> upgrade("sqlite:////tmp/tiffin-doctest.db")
        '0002_version_trust'
    """
    engine = engine_for(uri)
    _migrate(engine)
    return read(engine, migrate.current_revision) or ""


def dispose_engines() -> None:
    """Close every cached engine's pooled connections and forget the engines.

    Why: a test that drops its database, or a server shutting down, must not keep idle
    connections (PostgreSQL counts them against ``max_connections``).

    Example:
        >>> dispose_engines()
    """
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _transient(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (5, 6)  # SQLITE_BUSY / SQLITE_LOCKED and their extended codes
    return getattr(error.orig, "sqlstate", None) in ("40001", "40P01")  # serialization, deadlock


def _failure(engine: Engine, error: SQLAlchemyError, doing: str = "failed on") -> TiffinError:
    orig = getattr(error, "orig", None) or error
    detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    uri = safe_uri(engine.url.render_as_string(hide_password=True))
    return TiffinError(f"{doing} store {uri!r}: {detail}")


def _run(engine: Engine, work: Callable[[Connection], T], writing: bool) -> T:
    for attempt in range(_RETRIES + 1):
        started = time.monotonic()
        try:
            with engine.connect() as conn:
                if writing:
                    conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    return work(conn)
        except DBAPIError as e:
            # SQLite reports some lock conflicts at once, without waiting out the busy timeout
            # (WAL recovery, a stale snapshot): those are worth a retry. One that already
            # waited the whole timeout is not.
            quick = time.monotonic() - started < BUSY_TIMEOUT_S / 2
            if attempt < _RETRIES and quick and _transient(e):
                time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
                continue
            raise _failure(engine, e) from e
        except SQLAlchemyError as e:
            raise _failure(engine, e) from e
    raise AssertionError("unreachable")  # pragma: no cover


def write(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work(conn)`` in one write transaction: committed if it returns, rolled back if not.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``, so writers take the database lock
    up front and queue behind each other (busy timeout 30 s) instead of deadlocking when a read
    turns into a write. A transient lock or serialization failure is retried a few times with
    backoff; ``work`` must therefore be safe to run again (it is: it only touches ``conn``).

    Example:
        >>> write(engine, lambda conn: conn.execute(insert(tags).values(...)))  # doctest: +SKIP
    """
    return _run(engine, work, writing=True)


def read(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work(conn)`` in one read transaction, so several SELECTs see one snapshot.

    Example:
        >>> read(engine, lambda conn: conn.execute(text("SELECT 1")).scalar())  # doctest: +SKIP
        1
    """
    return _run(engine, work, writing=False)
