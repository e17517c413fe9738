"""The model registry on SQLite and PostgreSQL: names, versions, idempotency, aliases, tags."""

from __future__ import annotations

import pytest

from tiffin.errors import AlreadyExistsError, ConflictError, NotFoundError, SchemaError
from tiffin.store import RegistryStore
from tiffin.store.registry.lookup import versions_text

DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def _with_versions(registry: RegistryStore, count: int, name: str = "m") -> None:
    registry.create_registered_model(name)
    for i in range(count):
        registry.create_model_version(name, f"s3://bucket/{name}/{i + 1}")


def test_a_model_is_created_with_description_and_tags(registry: RegistryStore) -> None:
    model = registry.create_registered_model("churn", "weekly churn", tags={"team": "ml"})
    assert (model.name, model.description, model.tags) == ("churn", "weekly churn", {"team": "ml"})
    assert model.aliases == {} and model.latest_versions == ()
    assert registry.get_registered_model("churn") == model
    with pytest.raises(AlreadyExistsError, match="'churn' already exists"):
        registry.create_registered_model("churn")


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("a%20b", "'%'"),
        ("a/b", "'/'"),
        ("a:b", "':'"),
        ("m@prod", "'@'"),
        (" padded", "whitespace"),
        ("padded ", "whitespace"),
        ("tab\tname", "U\\+0009"),
        ("zero\u200bwidth", "U\\+200B"),
        ("", "empty"),
        ("x" * 257, "limit is 256"),
    ],
)
def test_model_names_with_uri_or_invisible_characters_are_refused(
    registry: RegistryStore, bad: str, says: str
) -> None:
    with pytest.raises(SchemaError, match=says):
        registry.create_registered_model(bad)
    with pytest.raises(SchemaError, match=says):
        registry.get_registered_model(bad)


def test_a_model_name_has_one_canonical_unicode_form(registry: RegistryStore) -> None:
    registry.create_registered_model("caf\u00e9")  # composed
    assert registry.get_registered_model("cafe\u0301").name == "caf\u00e9"  # decomposed
    with pytest.raises(AlreadyExistsError):
        registry.create_registered_model("cafe\u0301")
    registry.create_registered_model("a b")
    with pytest.raises(SchemaError):
        registry.create_registered_model("a%20b")


def test_names_are_case_sensitive_as_in_mlflow(registry: RegistryStore) -> None:
    registry.create_registered_model("Model")
    registry.create_registered_model("model")
    assert [m.name for m in registry.search_registered_models()] == ["Model", "model"]


def test_an_unknown_model_is_not_found_and_the_message_lists_what_exists(
    registry: RegistryStore,
) -> None:
    with pytest.raises(NotFoundError, match="no models are registered"):
        registry.get_registered_model("m")
    registry.create_registered_model("churn")
    with pytest.raises(
        NotFoundError, match=r"'chrun' does not exist; registered models: \['churn'\]"
    ):
        registry.create_model_version("chrun", "s3://b/m")


def test_versions_count_from_one_and_the_model_shows_the_latest(registry: RegistryStore) -> None:
    _with_versions(registry, 3)
    version = registry.get_model_version("m", "2")
    assert (version.name, version.version, version.source, version.status) == (
        "m",
        2,
        "s3://bucket/m/2",
        "READY",
    )
    assert registry.get_latest_version("m").version == 3
    assert [v.version for v in registry.get_registered_model("m").latest_versions] == [3]
    assert [v.version for v in registry.search_model_versions("m")] == [1, 2, 3]


def test_a_version_records_run_digest_description_and_tags(registry: RegistryStore) -> None:
    registry.create_registered_model("m")
    version = registry.create_model_version(
        "m",
        "runs:/abc/model",
        run_id="0123456789abcdef0123456789abcdef",
        digest="sha256:" + DIGEST.upper(),
        description="first",
        tags={"validated": "yes"},
    )
    assert version.digest == DIGEST
    assert version.run_id == "0123456789abcdef0123456789abcdef"
    assert (version.description, version.tags) == ("first", {"validated": "yes"})
    with pytest.raises(SchemaError, match="sha256"):
        registry.create_model_version("m", "x", digest="abc")
    with pytest.raises(SchemaError, match="run_id"):
        registry.create_model_version("m", "x", run_id="../../etc")


def test_a_deleted_version_number_is_never_reused(registry: RegistryStore) -> None:
    _with_versions(registry, 5)
    registry.delete_model_version("m", 5)
    assert registry.create_model_version("m", "s3://b/again").version == 6
    with pytest.raises(NotFoundError, match="model 'm' has no version 5; versions: 1-4, 6"):
        registry.get_model_version("m", 5)
    with pytest.raises(NotFoundError, match="no version 5"):
        registry.delete_model_version("m", 5)


def test_a_retry_with_the_same_idempotency_key_returns_the_same_version(
    registry: RegistryStore,
) -> None:
    _with_versions(registry, 2)
    first = registry.create_model_version("m", "s3://b/x", digest=DIGEST, idempotency_key="j1")
    again = registry.create_model_version("m", "s3://b/x", digest=DIGEST, idempotency_key="j1")
    assert first == again and first.version == 3
    assert registry.create_model_version("m", "s3://b/x", idempotency_key="j2").version == 4
    with pytest.raises(ConflictError, match="idempotency key 'j1' already made version 3"):
        registry.create_model_version("m", "s3://b/other", idempotency_key="j1")


def test_version_numbers_must_be_positive_integers(registry: RegistryStore) -> None:
    _with_versions(registry, 1)
    for bad in (0, -1, "one", 1.5, True, "1.0"):
        with pytest.raises(SchemaError, match="positive integer"):
            registry.get_model_version("m", bad)  # type: ignore[arg-type]


def test_get_latest_version_of_a_model_without_versions_is_not_found(
    registry: RegistryStore,
) -> None:
    registry.create_registered_model("m")
    with pytest.raises(NotFoundError, match="no versions yet"):
        registry.get_latest_version("m")


def test_aliases_point_move_and_are_listed(registry: RegistryStore) -> None:
    _with_versions(registry, 3)
    assert registry.set_registered_model_alias("m", "prod", 2).aliases == ("prod",)
    registry.set_registered_model_alias("m", "staging", 3)
    assert registry.get_model_version_by_alias("m", "prod").version == 2
    assert registry.get_registered_model("m").aliases == {"prod": 2, "staging": 3}
    registry.set_registered_model_alias("m", "prod", 3)
    assert registry.get_model_version("m", 3).aliases == ("prod", "staging")
    registry.delete_registered_model_alias("m", "staging")
    with pytest.raises(NotFoundError, match="no alias 'staging'; aliases: prod -> 3"):
        registry.get_model_version_by_alias("m", "staging")


def test_an_alias_moves_only_if_it_still_points_where_the_caller_expects(
    registry: RegistryStore,
) -> None:
    _with_versions(registry, 3)
    registry.set_registered_model_alias("m", "prod", 1, expected_version=0)  # must be new
    with pytest.raises(ConflictError, match="points to version 1.*expected no version"):
        registry.set_registered_model_alias("m", "prod", 2, expected_version=0)
    registry.set_registered_model_alias("m", "prod", 2, expected_version=1)
    with pytest.raises(
        ConflictError, match="points to version 2, but the caller expected version 1"
    ):
        registry.set_registered_model_alias("m", "prod", 3, expected_version=1)
    with pytest.raises(ConflictError, match="does not exist"):
        registry.set_registered_model_alias("m", "canary", 3, expected_version=2)
    with pytest.raises(ConflictError):
        registry.delete_registered_model_alias("m", "prod", expected_version=1)
    assert registry.get_model_version_by_alias("m", "prod").version == 2


@pytest.mark.parametrize("bad", ["latest", "LATEST", "v3", "has space", "a/b", ""])
def test_reserved_or_malformed_aliases_are_refused(registry: RegistryStore, bad: str) -> None:
    _with_versions(registry, 1)
    with pytest.raises(SchemaError, match="alias"):
        registry.set_registered_model_alias("m", bad, 1)


def test_an_alias_to_a_missing_version_is_refused_and_deleting_a_version_drops_its_aliases(
    registry: RegistryStore,
) -> None:
    _with_versions(registry, 2)
    with pytest.raises(NotFoundError, match="no version 7; versions: 1-2"):
        registry.set_registered_model_alias("m", "prod", 7)
    registry.set_registered_model_alias("m", "prod", 2)
    registry.delete_model_version("m", 2)
    assert registry.get_registered_model("m").aliases == {}


def test_rename_carries_versions_tags_and_aliases(registry: RegistryStore) -> None:
    _with_versions(registry, 2)
    registry.set_registered_model_tag("m", "team", "ml")
    registry.set_model_version_tag("m", 1, "ok", "yes")
    registry.set_registered_model_alias("m", "prod", 1)
    renamed = registry.rename_registered_model("m", "m2")
    assert (renamed.name, renamed.tags, renamed.aliases) == ("m2", {"team": "ml"}, {"prod": 1})
    assert registry.get_model_version("m2", 1).tags == {"ok": "yes"}
    assert registry.create_model_version("m2", "s3://b/3").version == 3
    with pytest.raises(NotFoundError):
        registry.get_registered_model("m")
    registry.create_registered_model("other")
    with pytest.raises(AlreadyExistsError, match="'other' already exists"):
        registry.rename_registered_model("m2", "other")


def test_delete_model_cascades_to_versions_tags_and_aliases(registry: RegistryStore) -> None:
    _with_versions(registry, 2)
    registry.set_model_version_tag("m", 2, "k", "v")
    registry.set_registered_model_alias("m", "prod", 2)
    registry.delete_registered_model("m")
    with pytest.raises(NotFoundError):
        registry.search_model_versions("m")
    registry.create_registered_model("m")
    assert registry.get_registered_model("m").aliases == {}
    assert registry.search_model_versions("m") == []


def test_descriptions_and_tags_update_and_delete(registry: RegistryStore) -> None:
    _with_versions(registry, 1)
    assert registry.update_registered_model("m", "new").description == "new"
    assert registry.update_model_version("m", 1, "v1 notes").description == "v1 notes"
    registry.set_registered_model_tag("m", "a", "1")
    registry.delete_registered_model_tag("m", "a")
    registry.set_model_version_tag("m", 1, "b", "2")
    registry.delete_model_version_tag("m", 1, "b")
    assert registry.get_registered_model("m").tags == {}
    assert registry.get_model_version("m", 1).tags == {}
    with pytest.raises(NotFoundError, match="no tag 'a'"):
        registry.delete_registered_model_tag("m", "a")
    with pytest.raises(NotFoundError, match="no tag 'b'"):
        registry.delete_model_version_tag("m", 1, "b")


def test_search_registered_models_by_case_sensitive_pattern(registry: RegistryStore) -> None:
    for name in ("churn", "churn-v2", "Churn-old", "fraud", "ch_rn"):
        registry.create_registered_model(name)
    assert [m.name for m in registry.search_registered_models("churn%")] == ["churn", "churn-v2"]
    assert [m.name for m in registry.search_registered_models("ch\\_%")] == ["ch_rn"]
    assert [m.name for m in registry.search_registered_models(max_results=2)] == [
        "Churn-old",
        "ch_rn",
    ]


def test_versions_text_compresses_ranges() -> None:
    assert versions_text([]) == "none"
    assert versions_text([3]) == "3"
    assert versions_text([6, 1, 2, 3, 4, 9, 10]) == "1-4, 6, 9-10"
