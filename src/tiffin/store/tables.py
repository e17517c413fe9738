"""The SQL schema of the tracking and registry store, and the limits every value is held to.

The tables are the current shape of the schema; the Alembic scripts in ``migrations/versions``
create and evolve it (they spell the tables out instead of importing this module, so an old
migration keeps meaning what it meant when it was written). A test compares the two.

Limits are enforced in Python with a message naming the field, and again by the column types on
PostgreSQL (SQLite ignores ``VARCHAR`` lengths). They follow MLflow where MLflow has one, so a
run or model that MLflow accepts is accepted here and the other way round.

Example:
    >>> from tiffin.store.tables import MAX_PARAM_VALUE_LENGTH, metadata
    >>> MAX_PARAM_VALUE_LENGTH
    6000
    >>> "model_versions" in metadata.tables
    True
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

__all__ = [
    "LIFECYCLE_STAGES",
    "MAX_ALIAS_LENGTH",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "MAX_KEY_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_PARAM_VALUE_LENGTH",
    "MAX_REGISTRY_TAG_VALUE_LENGTH",
    "MAX_TAG_VALUE_LENGTH",
    "MAX_URI_LENGTH",
    "RUN_STATUSES",
    "VERSION_STATUSES",
    "aliases",
    "experiments",
    "latest_metrics",
    "metadata",
    "metrics",
    "model_version_tags",
    "model_version_trust",
    "model_versions",
    "params",
    "registered_model_tags",
    "registered_models",
    "runs",
    "tags",
]

#: experiment, run and registered model names (MLflow has no fixed limit; 256 keeps URIs sane)
MAX_NAME_LENGTH = 256
#: param, metric and tag keys (MLflow's ``MAX_ENTITY_KEY_LENGTH``)
MAX_KEY_LENGTH = 250
#: param values (MLflow's ``MAX_PARAM_VAL_LENGTH``)
MAX_PARAM_VALUE_LENGTH = 6000
#: run tag values (MLflow's ``MAX_TAG_VAL_LENGTH``)
MAX_TAG_VALUE_LENGTH = 8000
#: registered model and model version tag values (MLflow's registry limit)
MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
#: descriptions of registered models and versions
MAX_DESCRIPTION_LENGTH = 100_000
#: artifact locations, artifact URIs and model version sources
MAX_URI_LENGTH = 2048
#: aliases (MLflow: ``^[\w\-]*$``, at most 255 characters)
MAX_ALIAS_LENGTH = 255
#: client-chosen idempotency keys of ``create_model_version``
MAX_IDEMPOTENCY_KEY_LENGTH = 256

RUN_STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED")
LIFECYCLE_STAGES = ("active", "deleted")
VERSION_STATUSES = ("PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY")

# Named constraints let later migrations alter them on SQLite (batch mode) and PostgreSQL alike.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_STATUS_SQL = ", ".join(f"'{s}'" for s in RUN_STATUSES)
_STAGE_SQL = ", ".join(f"'{s}'" for s in LIFECYCLE_STAGES)
_VERSION_STATUS_SQL = ", ".join(f"'{s}'" for s in VERSION_STATUSES)

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(MAX_NAME_LENGTH), nullable=False, unique=True),
    Column("artifact_location", String(MAX_URI_LENGTH), nullable=False),
    Column("lifecycle_stage", String(16), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    CheckConstraint(f"lifecycle_stage IN ({_STAGE_SQL})", name="lifecycle_stage"),
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(MAX_NAME_LENGTH), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("artifact_uri", String(MAX_URI_LENGTH), nullable=False),
    Column("lifecycle_stage", String(16), nullable=False),
    CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
    CheckConstraint(f"lifecycle_stage IN ({_STAGE_SQL})", name="lifecycle_stage"),
    Index(None, "experiment_id", "start_time"),
)

params = Table(
    "params",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE")),
    Column("key", String(MAX_KEY_LENGTH)),
    Column("value", String(MAX_PARAM_VALUE_LENGTH), nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
)

# Full history: one row per logged value. NaN is stored as is_nan=true with value 0, because
# SQLite turns a NaN REAL into NULL; +-inf are stored as they are (both databases keep them).
metrics = Table(
    "metrics",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column(
        "run_uuid",
        String(32),
        ForeignKey("runs.run_uuid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(MAX_KEY_LENGTH), nullable=False),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Index(None, "run_uuid", "key", "step"),
)

# The value search_runs filters and sorts on: the highest (step, timestamp) per run and key.
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE")),
    Column("key", String(MAX_KEY_LENGTH)),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
    Index(None, "key", "value"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE")),
    Column("key", String(MAX_KEY_LENGTH)),
    Column("value", String(MAX_TAG_VALUE_LENGTH), nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
)

# next_version is the per-model counter: taken under the write lock, never decremented.
registered_models = Table(
    "registered_models",
    metadata,
    Column("name", String(MAX_NAME_LENGTH), primary_key=True),
    Column("description", String(MAX_DESCRIPTION_LENGTH), nullable=True),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("next_version", Integer, nullable=False),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "name",
        String(MAX_NAME_LENGTH),
        ForeignKey("registered_models.name", onupdate="CASCADE", ondelete="CASCADE"),
    ),
    Column("key", String(MAX_KEY_LENGTH)),
    Column("value", String(MAX_REGISTRY_TAG_VALUE_LENGTH), nullable=False),
    PrimaryKeyConstraint("name", "key"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column(
        "name",
        String(MAX_NAME_LENGTH),
        ForeignKey("registered_models.name", onupdate="CASCADE", ondelete="CASCADE"),
    ),
    Column("version", Integer),
    Column("source", String(MAX_URI_LENGTH), nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("digest", String(64), nullable=True),
    Column("status", String(32), nullable=False),
    Column("description", String(MAX_DESCRIPTION_LENGTH), nullable=True),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("idempotency_key", String(MAX_IDEMPOTENCY_KEY_LENGTH), nullable=True),
    PrimaryKeyConstraint("name", "version"),
    UniqueConstraint("name", "idempotency_key"),
    CheckConstraint(f"status IN ({_VERSION_STATUS_SQL})", name="status"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("name", String(MAX_NAME_LENGTH)),
    Column("version", Integer),
    Column("key", String(MAX_KEY_LENGTH)),
    Column("value", String(MAX_REGISTRY_TAG_VALUE_LENGTH), nullable=False),
    PrimaryKeyConstraint("name", "version", "key"),
    ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        onupdate="CASCADE",
        ondelete="CASCADE",
    ),
)

# The trust decisions on a version, oldest first: the last one is in force when it is a
# "trust" for the version's digest. Never updated, only appended: it is the version's history.
model_version_trust = Table(
    "model_version_trust",
    metadata,
    Column(
        "event_id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("name", String(MAX_NAME_LENGTH), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("principal", String(MAX_NAME_LENGTH), nullable=False),
    Column("digest", String(64), nullable=True),
    Column("timestamp", BigInteger, nullable=False),
    ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        onupdate="CASCADE",
        ondelete="CASCADE",
    ),
    CheckConstraint("action IN ('trust', 'untrust')", name="action"),
    Index(None, "name", "version"),
)

# Deleting a version deletes the aliases that point at it (MLflow does the same).
aliases = Table(
    "aliases",
    metadata,
    Column("name", String(MAX_NAME_LENGTH)),
    Column("alias", String(MAX_ALIAS_LENGTH)),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("name", "alias"),
    ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        onupdate="CASCADE",
        ondelete="CASCADE",
    ),
)
