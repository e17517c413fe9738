"""One module per schema revision, applied in ``down_revision`` order by Alembic.

Example:
    >>> import tiffin.store.migrations.versions.v0001_initial as m
    >>> m.revision
    '0001_initial'
"""

from __future__ import annotations

__all__: list[str] = []
