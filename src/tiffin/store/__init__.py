"""store: runs, params, metrics and tags; registered models, versions and aliases, on SQL.

SQLite (a file, WAL, single node) by default and PostgreSQL for teams, through SQLAlchemy 2
with Alembic migrations applied on first use. Names are imported on first use (PEP 562):
``import tiffin.store`` does not import SQLAlchemy, so commands that never touch the store stay
fast. The store knows nothing of flavors or the model format.

Layout: ``tracking/``, ``registry/`` and ``artifacts/`` (which do not import each other) over a
shared core kept flat here: ``db`` and ``migrate`` (engines, locks, Alembic ``migrations/``),
``tables``, ``entities``, ``names``, ``statements`` and ``tracking_uri``; ``model_uris``
resolves ``runs:/`` and ``models:/`` URIs through all three.

Example:
    >>> from tiffin.store import RegistryStore, TrackingStore
    >>> tracking = TrackingStore("sqlite:///mlruns.db")  # doctest: +SKIP
    >>> run = tracking.create_run("0", run_name="baseline")  # doctest: +SKIP
    >>> registry = RegistryStore("sqlite:///mlruns.db")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffin._lazy import lazy_names

if TYPE_CHECKING:
    from tiffin.store.db import dispose_engines, engine_for, upgrade
    from tiffin.store.entities import (
        Experiment,
        Metric,
        ModelVersion,
        RegisteredModel,
        Run,
        RunData,
        RunInfo,
    )
    from tiffin.store.registry import RegistryStore
    from tiffin.store.tracking import TrackingStore

__all__ = [
    "Experiment",
    "Metric",
    "ModelVersion",
    "RegisteredModel",
    "RegistryStore",
    "Run",
    "RunData",
    "RunInfo",
    "TrackingStore",
    "dispose_engines",
    "engine_for",
    "upgrade",
]

_WHERE = {
    "Experiment": "tiffin.store.entities",
    "Metric": "tiffin.store.entities",
    "ModelVersion": "tiffin.store.entities",
    "RegisteredModel": "tiffin.store.entities",
    "RegistryStore": "tiffin.store.registry.store",
    "Run": "tiffin.store.entities",
    "RunData": "tiffin.store.entities",
    "RunInfo": "tiffin.store.entities",
    "TrackingStore": "tiffin.store.tracking.store",
    "dispose_engines": "tiffin.store.db",
    "engine_for": "tiffin.store.db",
    "upgrade": "tiffin.store.db",
}


__getattr__ = lazy_names(__name__, _WHERE)
