"""Alembic migrations run from code: no ``alembic.ini``, no ``env.py``, scripts in the package.

Why in code: the store must upgrade itself on first use wherever tiffin is installed, and the
caller (:mod:`tiffin.store.db`) must hold the cross-process lock around the whole upgrade. So
this module never opens connections or transactions itself; it runs the scripts on a connection
that is already inside the locked write transaction, which makes the upgrade all-or-nothing on
both SQLite and PostgreSQL (both have transactional DDL).

Alembic logs at INFO on every look at the schema ("Context impl SQLiteImpl.", "Will assume
transactional DDL.", plugin setup): nine lines on stderr each time ``tiffin models serve``
opens the registry. Its loggers are held at WARNING while these functions run, unless the
caller asked for DEBUG (``--log-level debug``), so a migration is only heard about when it
fails or when someone wants to see it.

Example:
    >>> from tiffin.store.migrate import head_revision
    >>> head_revision()
    '0002_version_trust'
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from tiffin.errors import FormatError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

__all__ = ["current_revision", "head_revision", "quiet_alembic", "upgrade"]

_SCRIPTS = Path(__file__).with_name("migrations")
_quiet_lock = threading.Lock()
_quiet_depth = 0
_quiet_saved = logging.NOTSET


@contextmanager
def quiet_alembic() -> Iterator[None]:
    """Hold the ``alembic`` loggers at WARNING inside, unless they are enabled for DEBUG.

    Re-entrant and shared by threads: the level is set by the first one in and restored by
    the last one out.

    Example:
        >>> with quiet_alembic():
        ...     logging.getLogger("alembic.runtime.migration").isEnabledFor(logging.INFO)
        False
    """
    global _quiet_depth, _quiet_saved
    logger = logging.getLogger("alembic")
    with _quiet_lock:
        if _quiet_depth == 0:
            _quiet_saved = logger.level
            if not logger.isEnabledFor(logging.DEBUG):
                logger.setLevel(logging.WARNING)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                logger.setLevel(_quiet_saved)


def _config() -> Config:
    with quiet_alembic():
        from alembic.config import Config
    config = Config()
    # configparser interpolates '%', so a path containing one must be escaped
    config.set_main_option("script_location", str(_SCRIPTS).replace("%", "%%"))
    return config


@cache
def _script() -> ScriptDirectory:
    with quiet_alembic():
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest schema revision this tiffin ships.

    Example:
        >>> head_revision()
        '0002_version_trust'
    """
    head = _script().get_current_head()
    assert head is not None, f"no migration scripts found in {_SCRIPTS}"
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None for a database never migrated.

    Example:
        >>> current_revision(conn)  # doctest: +SKIP
        '0002_version_trust'
    """
    with quiet_alembic():
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()


def _check_known(revision: str | None) -> None:
    if revision is None:
        return
    with quiet_alembic():
        from alembic.util.exc import CommandError
    try:
        _script().get_revision(revision)
    except CommandError as e:
        raise FormatError(
            f"the store's schema is at revision {revision!r}, which this tiffin does not know "
            f"(the newest it knows is {head_revision()!r}); upgrade tiffin to use this store"
        ) from e


def upgrade(conn: Connection) -> None:
    """Apply every missing migration on ``conn``, which must hold the migration lock.

    Why the lock is the caller's: two processes starting against a fresh database must not both
    create tables ("duplicate column" races, security.md I11). The caller opens a write
    transaction (``BEGIN IMMEDIATE`` on SQLite, ``pg_advisory_xact_lock`` on PostgreSQL); this
    function re-reads the revision under that lock and does nothing when another process has
    already migrated.

    Example:
        >>> db.write(engine, upgrade)  # doctest: +SKIP
    """
    with quiet_alembic():
        from alembic.runtime.environment import EnvironmentContext
    script = _script()
    head = head_revision()
    _check_known(current_revision(conn))

    def steps(rev: Any, context: MigrationContext) -> Any:
        return script._upgrade_revs(head, rev)

    with (
        quiet_alembic(),
        EnvironmentContext(_config(), script, fn=steps, destination_rev=head) as env,
    ):
        env.configure(connection=conn, transactional_ddl=True)
        env.run_migrations()
