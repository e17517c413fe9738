"""Alembic migration scripts of the store, run programmatically by :mod:`tiffin.store.migrate`.

There is no ``alembic.ini`` and no ``env.py``: :func:`tiffin.store.migrate.apply` builds the
Alembic configuration in code, takes the cross-process lock, and runs the scripts in
``versions/``. A new revision is a new module there with ``revision``/``down_revision`` set and
the table definitions spelled out (never imported from ``tables.py``).

Example:
    >>> from tiffin.store.migrate import head_revision
    >>> head_revision()
    '0002_version_trust'
"""

from __future__ import annotations

__all__: list[str] = []
