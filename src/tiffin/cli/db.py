"""``tiffin db upgrade``: apply the store's migrations (they also run on first use).

Example:
    $ TIFFIN_TRACKING_URI=postgresql://ml@db/tiffin tiffin db upgrade
"""

from __future__ import annotations

import click

__all__ = ["db"]


@click.group()
def db() -> None:
    """The tracking and registry database."""


@db.command()
@click.option("--uri", default=None, help="Database URI (default: the tracking URI in force).")
def upgrade(uri: str | None) -> None:
    """Bring the database schema up to date (safe to run while others use it)."""
    from tiffin.store.db import safe_uri
    from tiffin.store.db import upgrade as run_upgrade
    from tiffin.store.tracking_uri import get_tracking_uri

    target = uri or get_tracking_uri()
    click.echo(f"{safe_uri(target)}: at revision {run_upgrade(target)}")
