"""The model registry: registered models, their immutable versions, tags and moving aliases.

Why it is careful: the registry is the root of trust (a version's digest is what the trust gate
believes), so version numbers are allocated under a lock and never reused, retries with an
idempotency key return the first result, aliases move by compare-and-swap, and model names have
one canonical spelling (see :mod:`tiffin.store.names`). Each method is one transaction. A miss
says what exists: "model 'm' has no version 5; versions: 1-4, 6".

Example:
    >>> from tiffin.store import RegistryStore
    >>> registry = RegistryStore("sqlite:////tmp/tiffin-doctest.db")
    >>> registry.create_registered_model("churn")  # doctest: +SKIP
    >>> v = registry.create_model_version("churn", "runs:/abc/model")  # doctest: +SKIP
    >>> registry.set_registered_model_alias("churn", "prod", v.version)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from sqlalchemy.engine import Connection

from tiffin.errors import NotFoundError, SchemaError
from tiffin.store import db
from tiffin.store.entities import ModelVersion, RegisteredModel, TrustRecord
from tiffin.store.names import (
    alias_name,
    bounded,
    check_uri_segments,
    entity_key,
    model_name,
    uri_text,
)
from tiffin.store.registry.lookup import (
    alias_version,
    model_entities,
    model_row,
    model_rows,
    trust_events,
    version_entities,
    version_row,
    version_rows,
)
from tiffin.store.registry.values import (
    description_text,
    digest_text,
    expected_version_number,
    principal_name,
    registry_tags,
    run_id_text,
    version_number,
)
from tiffin.store.registry.write import (
    create_model,
    create_version,
    delete_alias,
    delete_model,
    delete_model_tag,
    delete_version,
    delete_version_tag,
    describe_model,
    describe_version,
    record_trust,
    rename_model,
    set_alias,
    set_model_tags,
    set_version_tags,
)
from tiffin.store.tables import (
    MAX_IDEMPOTENCY_KEY_LENGTH,
)

__all__ = ["RegistryStore"]

T = TypeVar("T")


class RegistryStore:
    """Registered models, versions, tags and aliases in a SQLite file or a PostgreSQL database.

    Args:
        uri: ``sqlite:///path/to/file.db`` or ``postgresql://user:pw@host/db``; the same
            database as the tracking store is fine (and usual).

    Example:
        >>> registry = RegistryStore("sqlite:///mlruns.db")  # doctest: +SKIP
        >>> registry.get_model_version_by_alias("churn", "prod").version  # doctest: +SKIP
        3
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
        pattern = None if name_like is None else bounded(name_like, "name pattern", 1000)
        return self._read(lambda conn: model_entities(conn, model_rows(conn, pattern, max_results)))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags and aliases follow (foreign keys cascade).

        Example:
            >>> registry.rename_registered_model("churn", "churn-v2").name  # doctest: +SKIP
            'churn-v2'
        """
        old, new = model_name(name), model_name(new_name)

        def work(conn: Connection) -> RegisteredModel:
            rename_model(conn, old, new)
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
            describe_model(conn, clean, text)
            return self._model(conn, clean)

        return self._write(work)

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions, tags and aliases.

        Example:
            >>> registry.delete_registered_model("churn")  # doctest: +SKIP
        """
        clean = model_name(name)
        self._write(lambda conn: delete_model(conn, clean))

    def set_registered_model_tag(self, name: str, key: str, value: object) -> None:
        """Set (or overwrite) a tag on a model.

        Example:
            >>> registry.set_registered_model_tag("churn", "team", "ml")  # doctest: +SKIP
        """
        clean, values = model_name(name), registry_tags({key: value})
        self._write(lambda conn: set_model_tags(conn, clean, values))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a model; NotFoundError if it has no such tag.

        Example:
            >>> registry.delete_registered_model_tag("churn", "team")  # doctest: +SKIP
        """
        clean, tag = model_name(name), entity_key(key, "tag key")
        self._write(lambda conn: delete_model_tag(conn, clean, tag))

    # model versions ----------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        digest: str | None = None,
        description: str | None = None,
        tags: Mapping[str, object] | None = None,
        idempotency_key: str | None = None,
        trusted_by: str | None = None,
    ) -> ModelVersion:
        """Register a new version (READY) of an existing model; numbers are never reused.

        Register only after the model's files are durable (blob before row). Pass an
        ``idempotency_key`` to make a retry after a lost response return the same version.
        ``trusted_by`` records, in the same transaction, that this person vouched for running
        the version's code (its digest is what the decision covers); the registry does not
        check the content itself: :func:`tiffin.register_model` does, before calling this.

        Example:
            >>> registry.create_model_version("churn", "runs:/abc/model",
            ...                               idempotency_key="job-17").version  # doctest: +SKIP
            4
        """
        clean = model_name(name)
        values = {
            "source": check_uri_segments(uri_text(source, "source"), "model version source"),
            "run_id": None if run_id is None else run_id_text(run_id),
            "digest": None if digest is None else digest_text(digest),
            "description": description_text(description),
        }
        key = None
        if idempotency_key is not None:
            key = bounded(idempotency_key, "idempotency_key", MAX_IDEMPOTENCY_KEY_LENGTH)
        tag_values = registry_tags(tags)

        principal = None if trusted_by is None else principal_name(trusted_by)
        if principal is not None and values["digest"] is None:
            raise SchemaError("trusted_by needs a digest: a decision must cover exact bytes")

        def work(conn: Connection) -> ModelVersion:
            row = create_version(conn, clean, values, tag_values, key)
            if principal is not None and version_entities(conn, [row])[0].trust is None:
                record_trust(conn, clean, row.version, "trust", principal, row.digest)
            return version_entities(conn, [row])[0]

        return self._write(work)

    def set_model_version_trust(
        self, name: str, version: int | str, trusted: bool, principal: str
    ) -> ModelVersion:
        """Record (``trusted=True``) or withdraw a person's trust in a version, in its history.

        Trust covers the digest the version recorded at registration; a version without one
        cannot be trusted (nothing pins the bytes).

        Example:
            >>> registry.set_model_version_trust("churn", 3, True, "ana").trust.principal
            ... # doctest: +SKIP
            'ana'
        """
        clean, number, who = model_name(name), version_number(version), principal_name(principal)

        def work(conn: Connection) -> ModelVersion:
            current = self._version(conn, clean, number)
            if trusted and current.digest is None:
                raise SchemaError(
                    f"version {number} of {clean!r} has no recorded digest, so a decision could "
                    "not say which bytes it covers; re-register the model from a directory "
                    "with a manifest"
                )
            action = "trust" if trusted else "untrust"
            record_trust(conn, clean, number, action, who, current.digest)
            return self._version(conn, clean, number)

        return self._write(work)

    def get_model_version_trust_history(self, name: str, version: int | str) -> list[TrustRecord]:
        """Every trust decision on a version, oldest first.

        Example:
            >>> [r.action for r in registry.get_model_version_trust_history("churn", 3)]
            ... # doctest: +SKIP
            ['trust', 'untrust']
        """
        clean, number = model_name(name), version_number(version)

        def work(conn: Connection) -> list[TrustRecord]:
            self._version(conn, clean, number)  # NotFoundError for an unknown version
            events = trust_events(conn, [clean], number)
            return [TrustRecord.from_row(e) for e in events]

        return self._read(work)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """One version, or NotFoundError listing the versions that exist.

        Example:
            >>> registry.get_model_version("churn", 3).digest  # doctest: +SKIP
            '9f86d081884c7d65...'
        """
        clean, number = model_name(name), version_number(version)
        return self._read(lambda conn: self._version(conn, clean, number))

    def get_latest_version(self, name: str) -> ModelVersion:
        """The highest-numbered version, or NotFoundError if the model has none.

        Example:
            >>> registry.get_latest_version("churn").version  # doctest: +SKIP
            6
        """
        clean = model_name(name)

        def work(conn: Connection) -> ModelVersion:
            model = self._model(conn, clean)
            if not model.latest_versions:
                raise NotFoundError(f"model {clean!r} has no versions yet")
            return model.latest_versions[0]

        return self._read(work)

    def search_model_versions(self, name: str) -> list[ModelVersion]:
        """Every version of a model, oldest first (NotFoundError for an unknown model).

        Example:
            >>> [v.version for v in registry.search_model_versions("churn")]  # doctest: +SKIP
            [1, 2, 3, 4, 6]
        """
        clean = model_name(name)

        return self._read(lambda conn: version_entities(conn, version_rows(conn, clean)))

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        """Replace a version's description (the only mutable part of a version besides tags).

        Example:
            >>> registry.update_model_version("churn", 3, "retrained").description  # doctest: +SKIP
            'retrained'
        """
        clean, number, text = (
            model_name(name),
            version_number(version),
            description_text(description),
        )

        def work(conn: Connection) -> ModelVersion:
            describe_version(conn, clean, number, text)
            return self._version(conn, clean, number)

        return self._write(work)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version, its tags and the aliases pointing at it; its number stays used.

        Example:
            >>> registry.delete_model_version("churn", 5)  # doctest: +SKIP
        """
        clean, number = model_name(name), version_number(version)
        self._write(lambda conn: delete_version(conn, clean, number))

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: object) -> None:
        """Set (or overwrite) a tag on a version.

        Example:
            >>> registry.set_model_version_tag("churn", 3, "validated", "yes")  # doctest: +SKIP
        """
        clean, number, values = (
            model_name(name),
            version_number(version),
            registry_tags({key: value}),
        )
        self._write(lambda conn: set_version_tags(conn, clean, number, values))

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove a tag from a version; NotFoundError if it has no such tag.

        Example:
            >>> registry.delete_model_version_tag("churn", 3, "validated")  # doctest: +SKIP
        """
        clean, number, tag = model_name(name), version_number(version), entity_key(key, "tag key")
        self._write(lambda conn: delete_version_tag(conn, clean, number, tag))

    # aliases -----------------------------------------------------------------------------

    def set_registered_model_alias(
        self, name: str, alias: str, version: int | str, expected_version: int | None = None
    ) -> ModelVersion:
        """Point ``alias`` at ``version`` and return that version.

        With ``expected_version`` this is a compare-and-swap: it happens only if the alias
        still points to ``expected_version`` (``0``: only if the alias does not exist yet);
        otherwise ConflictError, and the caller re-reads and decides again. Two deployers
        moving ``prod`` at once: exactly one wins.

        Example:
            >>> registry.set_registered_model_alias("churn", "prod", 4,
            ...                                     expected_version=3)  # doctest: +SKIP
        """
        clean, label, number = model_name(name), alias_name(alias), version_number(version)
        expected = None if expected_version is None else expected_version_number(expected_version)

        def work(conn: Connection) -> ModelVersion:
            set_alias(conn, clean, label, number, expected)
            return self._version(conn, clean, number)

        return self._write(work)

    def delete_registered_model_alias(
        self, name: str, alias: str, expected_version: int | None = None
    ) -> None:
        """Remove an alias (compare-and-swap with ``expected_version``, as when setting it).

        Example:
            >>> registry.delete_registered_model_alias("churn", "staging")  # doctest: +SKIP
        """
        clean, label = model_name(name), alias_name(alias)
        expected = None if expected_version is None else expected_version_number(expected_version)
        self._write(lambda conn: delete_alias(conn, clean, label, expected))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points to, or NotFoundError listing the model's aliases.

        Example:
            >>> registry.get_model_version_by_alias("churn", "prod").version  # doctest: +SKIP
            3
        """
        clean, label = model_name(name), alias_name(alias)

        def work(conn: Connection) -> ModelVersion:
            return self._version(conn, clean, alias_version(conn, clean, label))

        return self._read(work)
