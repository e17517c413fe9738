"""Engines, URIs, SQLite settings, migrations, and the lazy ``tiffin.store`` import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

import tiffin.store
from tiffin.errors import FormatError, NotFoundError, TiffinError
from tiffin.store import db
from tiffin.store.migrate import head_revision
from tiffin.store.tables import metadata


def test_import_tiffin_store_does_not_import_sqlalchemy() -> None:
    code = "import sys, tiffin.store; print('sqlalchemy' in sys.modules, 'alembic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_store_exports_are_sorted_and_resolve() -> None:
    assert tiffin.store.__all__ == sorted(tiffin.store.__all__)
    for name in tiffin.store.__all__:
        assert getattr(tiffin.store, name) is not None
    with pytest.raises(AttributeError):
        _ = tiffin.store.nothing_here


@pytest.mark.parametrize(
    ("uri", "error", "says"),
    [
        ("mysql://u:pw@h/db", FormatError, "scheme 'mysql'"),
        ("not a uri", FormatError, "cannot parse store URI"),
        ("", FormatError, "non-empty"),
        ("sqlite://", FormatError, "in-memory"),
        ("sqlite:///:memory:", FormatError, "in-memory"),
        ("sqlite:////no/such/dir/x.db", NotFoundError, "/no/such/dir"),
    ],
)
def test_a_bad_store_uri_is_a_typed_error_naming_it(
    uri: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says) as info:
        db.engine_for(uri)
    assert isinstance(info.value, TiffinError)


def test_an_unreachable_postgres_is_a_tiffin_error_with_the_password_masked() -> None:
    with pytest.raises(TiffinError, match="cannot open store") as info:
        db.engine_for("postgresql://me:s3cret@127.0.0.1:1/tiffin")
    assert "s3cret" not in str(info.value)
    assert "127.0.0.1" in str(info.value)


def test_a_file_that_is_not_a_database_is_a_tiffin_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are not the tables you are looking for\n" * 100)
    with pytest.raises(TiffinError, match="not a database"):
        db.engine_for(f"sqlite:///{path}")


def test_safe_uri_masks_passwords_only() -> None:
    assert db.safe_uri("postgresql://u:p@h/d") == "postgresql://u:***@h/d"
    assert db.safe_uri("postgresql://u@h/d") == "postgresql://u@h/d"
    assert db.safe_uri("sqlite:///a/b.db") == "sqlite:///a/b.db"


def test_sqlite_connections_use_wal_busy_timeout_normal_sync_and_foreign_keys(
    tmp_path: Path,
) -> None:
    engine = db.engine_for(f"sqlite:///{tmp_path / 's.db'}")

    def pragmas(conn: object) -> tuple[object, ...]:
        run = conn.exec_driver_sql  # type: ignore[attr-defined]
        return tuple(
            run(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
        )

    assert db.read(engine, pragmas) == ("wal", 30000, 1, 1)


def test_engines_are_cached_per_uri(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'c.db'}"
    assert db.engine_for(uri) is db.engine_for(uri)


def test_a_relative_sqlite_path_is_resolved_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = db.engine_for("sqlite:///rel.db")
    assert engine.url.database == str(tmp_path / "rel.db")
    assert (tmp_path / "rel.db").exists()


def test_upgrade_migrates_to_head_and_is_idempotent(store_uri: str) -> None:
    assert db.upgrade(store_uri) == head_revision()
    assert db.upgrade(store_uri) == head_revision()


def test_the_migrated_schema_matches_the_table_definitions(store_uri: str) -> None:
    engine = db.engine_for(store_uri)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_a_store_at_an_unknown_newer_revision_is_refused(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'future.db'}"
    engine = db.engine_for(uri)
    db.write(
        engine, lambda conn: conn.execute(text("UPDATE alembic_version SET version_num='9999'"))
    )
    db.dispose_engines()
    with pytest.raises(FormatError, match="'9999'.*upgrade tiffin"):
        db.engine_for(uri)


def test_a_write_that_fails_rolls_back_everything_it_did(tmp_path: Path) -> None:
    engine = db.engine_for(f"sqlite:///{tmp_path / 'r.db'}")
    db.write(engine, lambda conn: conn.execute(text("CREATE TABLE t (x INTEGER)")))

    def half(conn: object) -> None:
        conn.execute(text("INSERT INTO t VALUES (1)"))  # type: ignore[attr-defined]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        db.write(engine, half)
    assert db.read(engine, lambda conn: conn.execute(text("SELECT count(*) FROM t")).scalar()) == 0


def test_a_sql_error_inside_a_transaction_is_a_tiffin_error_naming_the_store(
    tmp_path: Path,
) -> None:
    uri = f"sqlite:///{tmp_path / 'e.db'}"
    engine = db.engine_for(uri)
    with pytest.raises(TiffinError, match=r"e\.db.*no such table"):
        db.read(engine, lambda conn: conn.execute(text("SELECT * FROM nowhere")).all())


_OPEN_STORE = """
import logging, sys
logging.basicConfig(level=sys.argv[2])
from tiffin.store.tracking import TrackingStore
store = TrackingStore(sys.argv[1])
store.list_experiments()
TrackingStore(sys.argv[1]).list_experiments()
"""


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_migrations_say_nothing_unless_asked_for_debug(tmp_path: Path, level: str) -> None:
    """Serving a models:/ URI once printed nine Alembic INFO lines."""
    uri = f"sqlite:///{tmp_path / 'fresh.db'}"
    run = subprocess.run([sys.executable, "-c", _OPEN_STORE, uri, level],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    if level == "INFO":
        assert "alembic" not in run.stderr, run.stderr
    else:
        assert "Running upgrade" in run.stderr and "Context impl" in run.stderr


def test_a_store_from_before_trust_records_upgrades_and_its_versions_carry_none(
    tmp_path: Path,
) -> None:
    """0001 -> 0002 adds model_version_trust; a version registered before has no decision."""
    from tiffin.store import RegistryStore

    uri = f"sqlite:///{tmp_path / 'old.db'}"
    registry = RegistryStore(uri)
    registry.create_registered_model("churn")
    registry.create_model_version("churn", str(tmp_path / "m"), digest="ab" * 32)
    engine = db.engine_for(uri)

    def back_to_0001(conn: object) -> None:
        conn.execute(text("DROP TABLE model_version_trust"))  # type: ignore[attr-defined]
        conn.execute(text("UPDATE alembic_version SET version_num='0001_initial'"))  # type: ignore[attr-defined]

    db.write(engine, back_to_0001)
    db.dispose_engines()
    assert db.upgrade(uri) == "0002_version_trust"
    again = RegistryStore(uri)
    assert again.get_model_version("churn", 1).trust is None
    assert again.set_model_version_trust("churn", 1, True, "ana").trust is not None
