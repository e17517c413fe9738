"""Experiments: named groups of runs, each with the artifact location its runs live under.

Why functions of a connection: the tracking store composes them inside its own transactions
(creating a run reads its experiment under the same lock).

Example:
    >>> from tiffin.store.tracking.experiments import experiment_id_number
    >>> experiment_id_number("12")
    12
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from tiffin.errors import AlreadyExistsError, SchemaError
from tiffin.store.entities import Experiment
from tiffin.store.names import check_uri_segments, uri_text
from tiffin.store.statements import insert_missing, now_ms
from tiffin.store.tables import experiments
from tiffin.store.tracking_uri import refuse_inside_model

__all__ = [
    "DEFAULT_EXPERIMENT",
    "create_experiment",
    "ensure_default_experiment",
    "experiment_id_number",
    "get_experiment",
    "list_experiments",
]

#: MLflow's default experiment: id 0, named "Default"
DEFAULT_EXPERIMENT = "Default"


def experiment_id_number(experiment_id: object) -> int:
    """An experiment id (MLflow passes them as strings of digits) as the integer key.

    Example:
        >>> experiment_id_number(3)
        3
    """
    if isinstance(experiment_id, int) and not isinstance(experiment_id, bool):
        number = experiment_id
    elif isinstance(experiment_id, str) and experiment_id.isascii() and experiment_id.isdigit():
        number = int(experiment_id)
    else:
        raise SchemaError(f"experiment id must be a string of digits, got {experiment_id!r}")
    if not 0 <= number < 2**31:
        raise SchemaError(f"experiment id {experiment_id!r} is out of range")
    return number


def get_experiment(conn: Connection, where: ColumnElement[bool]) -> Experiment | None:
    """The experiment matching ``where`` (by id or by name), or None.

    Example:
        >>> get_experiment(conn, experiments.c.name == "Default")  # doctest: +SKIP
    """
    row = conn.execute(select(experiments).where(where)).first()
    return None if row is None else Experiment.from_row(row)


def list_experiments(conn: Connection, include_deleted: bool = False) -> list[Experiment]:
    """Every (active, unless asked) experiment, by id.

    Example:
        >>> list_experiments(conn)  # doctest: +SKIP
    """
    stmt = select(experiments).order_by(experiments.c.experiment_id)
    if not include_deleted:
        stmt = stmt.where(experiments.c.lifecycle_stage == "active")
    return [Experiment.from_row(row) for row in conn.execute(stmt)]


def ensure_default_experiment(conn: Connection, artifact_root: str) -> None:
    """Create experiment 0, "Default", unless it (or an experiment of that name) exists.

    Example:
        >>> ensure_default_experiment(conn, "/srv/artifacts")  # doctest: +SKIP
    """
    now = now_ms()
    row = {
        "experiment_id": 0,
        "name": DEFAULT_EXPERIMENT,
        "artifact_location": f"{artifact_root}/0",
        "lifecycle_stage": "active",
        "creation_time": now,
        "last_update_time": now,
    }
    insert_missing(conn, experiments, [row])


def create_experiment(
    conn: Connection, name: str, artifact_location: str | None, artifact_root: str
) -> str:
    """Insert an experiment and return its id; its location defaults to ``<root>/<id>``.

    Example:
        >>> create_experiment(conn, "churn", None, "/srv/artifacts")  # doctest: +SKIP
        '1'
    """
    location = None
    if artifact_location is not None:
        location = check_uri_segments(uri_text(artifact_location, "artifact_location"),
                                      "artifact_location")  # fmt: skip
        if "://" not in location:
            refuse_inside_model(location, "artifact_location")
    existing = get_experiment(conn, experiments.c.name == name)
    if existing is not None:
        raise AlreadyExistsError(
            f"experiment {name!r} already exists (id {existing.experiment_id}, "
            f"{existing.lifecycle_stage}); pick another name"
        )
    now = now_ms()
    values = {
        "name": name,
        "artifact_location": location or "",
        "lifecycle_stage": "active",
        "creation_time": now,
        "last_update_time": now,
    }
    try:
        stmt = insert(experiments).values(**values).returning(experiments.c.experiment_id)
        number = conn.execute(stmt).scalar_one()
    except IntegrityError as e:
        raise AlreadyExistsError(f"experiment {name!r} already exists; pick another name") from e
    if location is None:
        where = experiments.c.experiment_id == number
        conn.execute(
            update(experiments).where(where).values(artifact_location=f"{artifact_root}/{number}")
        )
    return str(number)
