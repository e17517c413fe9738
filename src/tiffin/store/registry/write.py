"""Registry writes: models, versions, tags and aliases, each inside the caller's transaction.

The integrity rules of security.md §3 live here:

* Version numbers come from the model's ``next_version`` counter, read and bumped under the
  write lock in the same transaction as the insert (``SELECT ... FOR UPDATE`` then
  ``UPDATE ... RETURNING`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite); never ``MAX()+1``.
  A deleted version's number is never handed out again; the (name, version) primary key is the
  backstop.
* An idempotency key makes a retried create return the version the first attempt made; reusing
  the key for a different source/run/digest is a ConflictError, not a silent duplicate.
* Aliases move by compare-and-swap: with ``expected_version`` the move happens only if the
  alias still points there (``0`` = "must not exist yet"), else ConflictError.

Example:
    >>> from tiffin.store.registry.write import touch
    >>> touch(conn, "churn")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from tiffin.errors import AlreadyExistsError, ConflictError, NotFoundError
from tiffin.store.registry.lookup import model_row, version_row
from tiffin.store.statements import now_ms, upsert
from tiffin.store.tables import (
    aliases,
    model_version_tags,
    model_version_trust,
    model_versions,
    registered_model_tags,
    registered_models,
)

__all__ = [
    "create_model",
    "create_version",
    "delete_alias",
    "delete_model",
    "delete_model_tag",
    "delete_version",
    "delete_version_tag",
    "describe_model",
    "describe_version",
    "record_trust",
    "rename_model",
    "set_alias",
    "set_model_tags",
    "set_version_tags",
    "touch",
]


def touch(conn: Connection, name: str) -> None:
    """Record that a model (or one of its versions, tags, aliases) changed now.

    Example:
        >>> touch(conn, "churn")  # doctest: +SKIP
    """
    conn.execute(
        update(registered_models)
        .where(registered_models.c.name == name)
        .values(last_updated_time=now_ms())
    )


def create_model(
    conn: Connection, name: str, description: str | None, tags: Mapping[str, str]
) -> None:
    """Insert a registered model with its counter at 1; AlreadyExistsError if the name is taken.

    Example:
        >>> create_model(conn, "churn", None, {})  # doctest: +SKIP
    """
    if conn.execute(
        select(registered_models.c.name).where(registered_models.c.name == name)
    ).first():
        raise AlreadyExistsError(f"registered model {name!r} already exists")
    now = now_ms()
    row = {"name": name, "description": description, "creation_time": now}
    try:
        conn.execute(insert(registered_models).values(**row, last_updated_time=now, next_version=1))
    except IntegrityError as e:  # a concurrent create won on PostgreSQL
        raise AlreadyExistsError(f"registered model {name!r} already exists") from e
    rows = [{"name": name, "key": k, "value": v} for k, v in sorted(tags.items())]
    upsert(conn, registered_model_tags, rows, ["name", "key"])


def rename_model(conn: Connection, old: str, new: str) -> None:
    """Rename a model; AlreadyExistsError if ``new`` is taken (foreign keys carry the rest).

    Example:
        >>> rename_model(conn, "churn", "churn-v2")  # doctest: +SKIP
    """
    model_row(conn, old, lock=True)
    taken = select(registered_models.c.name).where(registered_models.c.name == new)
    if old != new and conn.execute(taken).first() is not None:
        raise AlreadyExistsError(f"cannot rename {old!r}: model {new!r} already exists")
    try:
        conn.execute(
            update(registered_models)
            .where(registered_models.c.name == old)
            .values(name=new, last_updated_time=now_ms())
        )
    except IntegrityError as e:
        raise AlreadyExistsError(f"model {new!r} already exists") from e


def describe_model(conn: Connection, name: str, description: str | None) -> None:
    """Replace a model's description.

    Example:
        >>> describe_model(conn, "churn", "weekly")  # doctest: +SKIP
    """
    model_row(conn, name, lock=True)
    where = registered_models.c.name == name
    conn.execute(update(registered_models).where(where).values(description=description))
    touch(conn, name)


def delete_model(conn: Connection, name: str) -> None:
    """Delete a model; its versions, tags and aliases go with it (foreign keys cascade).

    Example:
        >>> delete_model(conn, "churn")  # doctest: +SKIP
    """
    model_row(conn, name, lock=True)
    conn.execute(delete(registered_models).where(registered_models.c.name == name))


def set_model_tags(conn: Connection, name: str, tags: Mapping[str, str]) -> None:
    """Set (or overwrite) tags on a model.

    Example:
        >>> set_model_tags(conn, "churn", {"team": "ml"})  # doctest: +SKIP
    """
    model_row(conn, name, lock=True)
    rows = [{"name": name, "key": k, "value": v} for k, v in tags.items()]
    upsert(conn, registered_model_tags, rows, ["name", "key"])
    touch(conn, name)


def delete_model_tag(conn: Connection, name: str, key: str) -> None:
    """Remove a tag from a model; NotFoundError if it has no such tag.

    Example:
        >>> delete_model_tag(conn, "churn", "team")  # doctest: +SKIP
    """
    t = registered_model_tags.c
    model_row(conn, name, lock=True)
    gone = conn.execute(delete(registered_model_tags).where(t.name == name, t.key == key))
    if gone.rowcount == 0:
        raise NotFoundError(f"model {name!r} has no tag {key!r}")
    touch(conn, name)


def _retried(row: Row[Any], source: str, run_id: str | None, digest: str | None) -> Row[Any]:
    if (row.source, row.run_id, row.digest) != (source, run_id, digest):
        raise ConflictError(
            f"idempotency key {row.idempotency_key!r} already made version {row.version} of "
            f"model {row.name!r} from source {row.source!r} (run {row.run_id}, digest "
            f"{row.digest}); a different model needs a different key"
        )
    return row


def create_version(
    conn: Connection,
    name: str,
    values: Mapping[str, Any],
    tags: Mapping[str, str],
    idempotency_key: str | None,
) -> Row[Any]:
    """Allocate the next version number under the lock and insert the version.

    ``values`` holds ``source``, ``run_id``, ``digest`` and ``description``.

    Example:
        >>> create_version(conn, "churn", {"source": "s3://b/m", "run_id": None,
        ...                "digest": None, "description": None}, {}, None).version  # doctest: +SKIP
        1
    """
    model_row(conn, name, lock=True)  # serializes creators of this model's versions
    if idempotency_key is not None:
        earlier = conn.execute(
            select(model_versions).where(
                model_versions.c.name == name, model_versions.c.idempotency_key == idempotency_key
            )
        ).first()
        if earlier is not None:
            return _retried(earlier, values["source"], values["run_id"], values["digest"])
    now = now_ms()
    version = (
        conn.execute(
            update(registered_models)
            .where(registered_models.c.name == name)
            .values(next_version=registered_models.c.next_version + 1, last_updated_time=now)
            .returning(registered_models.c.next_version)
        ).scalar_one()
        - 1
    )
    conn.execute(
        insert(model_versions).values(
            name=name,
            version=version,
            status="READY",
            creation_time=now,
            last_updated_time=now,
            idempotency_key=idempotency_key,
            **values,
        )
    )
    rows = [{"name": name, "version": version, "key": k, "value": v} for k, v in tags.items()]
    upsert(
        conn, model_version_tags, sorted(rows, key=lambda r: r["key"]), ["name", "version", "key"]
    )
    return version_row(conn, name, version)


def describe_version(conn: Connection, name: str, version: int, description: str | None) -> None:
    """Replace a version's description.

    Example:
        >>> describe_version(conn, "churn", 3, "retrained")  # doctest: +SKIP
    """
    model_row(conn, name, lock=True)
    version_row(conn, name, version)
    mv = model_versions.c
    conn.execute(
        update(model_versions)
        .where(mv.name == name, mv.version == version)
        .values(description=description, last_updated_time=now_ms())
    )


def delete_version(conn: Connection, name: str, version: int) -> None:
    """Delete a version with its tags and the aliases on it; its number is never reused.

    Example:
        >>> delete_version(conn, "churn", 5)  # doctest: +SKIP
    """
    model_row(conn, name, lock=True)
    version_row(conn, name, version)
    mv = model_versions.c
    conn.execute(delete(model_versions).where(mv.name == name, mv.version == version))
    touch(conn, name)


def set_version_tags(conn: Connection, name: str, version: int, tags: Mapping[str, str]) -> None:
    """Set (or overwrite) tags on a version.

    Example:
        >>> set_version_tags(conn, "churn", 3, {"validated": "yes"})  # doctest: +SKIP
    """
    model_row(conn, name, lock=True)
    version_row(conn, name, version)
    rows = [{"name": name, "version": version, "key": k, "value": v} for k, v in tags.items()]
    upsert(conn, model_version_tags, rows, ["name", "version", "key"])


def delete_version_tag(conn: Connection, name: str, version: int, key: str) -> None:
    """Remove a tag from a version; NotFoundError if it has no such tag.

    Example:
        >>> delete_version_tag(conn, "churn", 3, "validated")  # doctest: +SKIP
    """
    version_row(conn, name, version)
    t = model_version_tags.c
    gone = conn.execute(
        delete(model_version_tags).where(t.name == name, t.version == version, t.key == key)
    )
    if gone.rowcount == 0:
        raise NotFoundError(f"version {version} of model {name!r} has no tag {key!r}")


def record_trust(
    conn: Connection, name: str, version: int, action: str, principal: str, digest: str | None
) -> None:
    """Append a trust decision (``trust``/``untrust``) to the version's history.

    Example:
        >>> record_trust(conn, "churn", 3, "trust", "ana", "9f86...")  # doctest: +SKIP
    """
    conn.execute(
        insert(model_version_trust).values(
            name=name,
            version=version,
            action=action,
            principal=principal,
            digest=digest,
            timestamp=now_ms(),
        )
    )


def set_alias(conn: Connection, name: str, alias: str, version: int, expected: int | None) -> None:
    """Point ``alias`` at ``version``; with ``expected``, only if it still points there.

    Example:
        >>> set_alias(conn, "churn", "prod", 4, expected=3)  # doctest: +SKIP
    """
    model_row(conn, name, lock=True)  # serializes alias moves of this model
    version_row(conn, name, version)
    current = conn.execute(
        select(aliases.c.version).where(aliases.c.name == name, aliases.c.alias == alias)
    ).scalar_one_or_none()
    _check_expected(name, alias, current, expected)
    upsert(conn, aliases, [{"name": name, "alias": alias, "version": version}], ["name", "alias"])
    touch(conn, name)


def delete_alias(conn: Connection, name: str, alias: str, expected: int | None) -> None:
    """Remove ``alias``; with ``expected``, only if it still points there.

    Example:
        >>> delete_alias(conn, "churn", "prod", expected=None)  # doctest: +SKIP
    """
    model_row(conn, name, lock=True)
    current = conn.execute(
        select(aliases.c.version).where(aliases.c.name == name, aliases.c.alias == alias)
    ).scalar_one_or_none()
    if current is None and expected is None:
        raise NotFoundError(f"model {name!r} has no alias {alias!r}")
    _check_expected(name, alias, current, expected)
    conn.execute(delete(aliases).where(aliases.c.name == name, aliases.c.alias == alias))
    touch(conn, name)


def _check_expected(name: str, alias: str, current: int | None, expected: int | None) -> None:
    if expected is None or (current or 0) == expected:
        return
    now = f"points to version {current}" if current is not None else "does not exist"
    wanted = f"version {expected}" if expected else "no version (a new alias)"
    raise ConflictError(
        f"alias {alias!r} of model {name!r} {now}, but the caller expected {wanted}; "
        "someone else moved it: read it again and retry"
    )
