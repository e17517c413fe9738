"""The model half of the registry: registered models, their descriptions and tags.

Why a base class: :class:`tiffin.store.RegistryStore` adds versions and aliases on top of this,
and keeping the two halves in two modules keeps each readable. Model names have one canonical
spelling (see :mod:`tiffin.store.names`), checked at create and at every lookup. Each method is
one transaction.

Example:
    >>> from tiffin.store import RegistryStore
    >>> registry = RegistryStore("sqlite:////tmp/tiffin-doctest.db")
    >>> registry.create_registered_model("churn")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tiffin.errors import AlreadyExistsError, NotFoundError, SchemaError
from tiffin.store import db
from tiffin.store.entities import ModelVersion, RegisteredModel
from tiffin.store.names import bounded, entity_key, model_name
from tiffin.store.registry_lookup import (
    model_entities,
    model_row,
    version_entities,
    version_row,
)
from tiffin.store.registry_write import (
    create_model,
    touch,
)
from tiffin.store.statements import like, now_ms, upsert
from tiffin.store.tables import (
    MAX_DESCRIPTION_LENGTH,
    MAX_REGISTRY_TAG_VALUE_LENGTH,
    registered_model_tags,
    registered_models,
)

__all__ = ["RegisteredModelStore", "description_text", "registry_tags"]

T = TypeVar("T")


def registry_tags(tags: Mapping[str, object] | None) -> dict[str, str]:
    """Validated model/version tags: MLflow keys, values of at most 100,000 characters.

    Example:
        >>> registry_tags({"team": "ml"})
        {'team': 'ml'}
    """
    return {
        entity_key(k, "tag key"): bounded(v, f"tag {k!r} value", MAX_REGISTRY_TAG_VALUE_LENGTH)
        for k, v in (tags or {}).items()
    }


def description_text(text: str | None) -> str | None:
    """A description, or None; at most 100,000 characters.

    Example:
        >>> description_text("weekly churn model")
        'weekly churn model'
    """
    return None if text is None else bounded(text, "description", MAX_DESCRIPTION_LENGTH)


class RegisteredModelStore:
    """Registered models (names, descriptions, tags) in SQLite or PostgreSQL.

    Use :class:`tiffin.store.RegistryStore`, which adds versions and aliases.

    Args:
        uri: ``sqlite:///path/to/file.db`` or ``postgresql://user:pw@host/db``.

    Example:
        >>> RegistryStore("sqlite:///mlruns.db").get_registered_model("churn")  # doctest: +SKIP
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.engine = db.engine_for(uri)

    def _read(self, work: Callable[[Connection], T]) -> T:
        return db.read(self.engine, work)

    def _write(self, work: Callable[[Connection], T]) -> T:
        return db.write(self.engine, work)

    def _model(self, conn: Connection, name: str) -> RegisteredModel:
        return model_entities(conn, [model_row(conn, name)])[0]

    def _version(self, conn: Connection, name: str, version: int) -> ModelVersion:
        return version_entities(conn, [version_row(conn, name, version)])[0]

    # registered models -------------------------------------------------------------------

    def create_registered_model(
        self, name: str, description: str | None = None, tags: Mapping[str, object] | None = None
    ) -> RegisteredModel:
        """Create a model (no versions yet); AlreadyExistsError if the name is taken.

        Example:
            >>> registry.create_registered_model("churn", tags={"team": "ml"})  # doctest: +SKIP
        """
        clean, text, values = model_name(name), description_text(description), registry_tags(tags)

        def work(conn: Connection) -> RegisteredModel:
            create_model(conn, clean, text, values)
            return self._model(conn, clean)

        return self._write(work)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The model with its tags, aliases and latest version, or NotFoundError.

        Example:
            >>> registry.get_registered_model("churn").aliases  # doctest: +SKIP
            {'prod': 3}
        """
        clean = model_name(name)
        return self._read(lambda conn: self._model(conn, clean))

    def search_registered_models(
        self, name_like: str | None = None, max_results: int = 100
    ) -> list[RegisteredModel]:
        """Models whose name matches a case-sensitive LIKE pattern (all if None), by name.

        Example:
            >>> [m.name for m in registry.search_registered_models("churn%")]  # doctest: +SKIP
            ['churn', 'churn-v2']
        """
        if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
            raise SchemaError(f"max_results must be a positive integer, got {max_results!r}")
        stmt = select(registered_models).order_by(registered_models.c.name).limit(max_results)
        if name_like is not None:
            pattern = bounded(name_like, "name pattern", 1000)
            stmt = stmt.where(like(registered_models.c.name, pattern, self.engine.dialect.name))
        return self._read(lambda conn: model_entities(conn, conn.execute(stmt).all()))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags and aliases follow (foreign keys cascade).

        Example:
            >>> registry.rename_registered_model("churn", "churn-v2").name  # doctest: +SKIP
            'churn-v2'
        """
        old, new = model_name(name), model_name(new_name)

        def work(conn: Connection) -> RegisteredModel:
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
            return self._model(conn, new)

        return self._write(work)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Replace a model's description.

        Example:
            >>> registry.update_registered_model("churn", "weekly").description  # doctest: +SKIP
            'weekly'
        """
        clean, text = model_name(name), description_text(description)

        def work(conn: Connection) -> RegisteredModel:
            model_row(conn, clean, lock=True)
            where = registered_models.c.name == clean
            conn.execute(update(registered_models).where(where).values(description=text))
            touch(conn, clean)
            return self._model(conn, clean)

        return self._write(work)

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions, tags and aliases.

        Example:
            >>> registry.delete_registered_model("churn")  # doctest: +SKIP
        """
        clean = model_name(name)

        def work(conn: Connection) -> None:
            model_row(conn, clean, lock=True)
            conn.execute(delete(registered_models).where(registered_models.c.name == clean))

        self._write(work)

    def set_registered_model_tag(self, name: str, key: str, value: object) -> None:
        """Set (or overwrite) a tag on a model.

        Example:
            >>> registry.set_registered_model_tag("churn", "team", "ml")  # doctest: +SKIP
        """
        clean, values = model_name(name), registry_tags({key: value})

        def work(conn: Connection) -> None:
            model_row(conn, clean, lock=True)
            rows = [{"name": clean, "key": k, "value": v} for k, v in values.items()]
            upsert(conn, registered_model_tags, rows, ["name", "key"])
            touch(conn, clean)

        self._write(work)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a model; NotFoundError if it has no such tag.

        Example:
            >>> registry.delete_registered_model_tag("churn", "team")  # doctest: +SKIP
        """
        clean, tag = model_name(name), entity_key(key, "tag key")
        t = registered_model_tags.c

        def work(conn: Connection) -> None:
            model_row(conn, clean, lock=True)
            gone = conn.execute(delete(registered_model_tags).where(t.name == clean, t.key == tag))
            if gone.rowcount == 0:
                raise NotFoundError(f"model {clean!r} has no tag {tag!r}")
            touch(conn, clean)

        self._write(work)
