"""Trust decisions on model versions: who vouched that running a version's code is acceptable.

Registering code-executing content became an explicit decision (issue 20). Each decision is a
row, appended and never changed, so the table is also the version's trust history; the last
row is in force when it is a ``trust`` for the version's digest. Versions registered before
this revision have no row: they load by ``models:/`` only once someone records trust.

Example:
    >>> from tiffin.store.migrations.versions import v0002_version_trust
    >>> v0002_version_trust.down_revision
    '0001_initial'
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision = "0002_version_trust"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``model_version_trust``."""
    op.create_table(
        "model_version_trust",
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("principal", sa.String(256), nullable=False),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            name="fk_model_version_trust_name_model_versions",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("action IN ('trust', 'untrust')", name="ck_model_version_trust_action"),
        sa.PrimaryKeyConstraint("event_id", name="pk_model_version_trust"),
    )
    op.create_index(
        "ix_model_version_trust_name_version", "model_version_trust", ["name", "version"]
    )


def downgrade() -> None:
    """Drop ``model_version_trust``."""
    op.drop_index("ix_model_version_trust_name_version", table_name="model_version_trust")
    op.drop_table("model_version_trust")
