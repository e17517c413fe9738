"""``tiffin models list|versions|register|alias|trust|untrust|history``: the registry.

Example:
    $ tiffin models register -m runs:/3f2a.../model -n churn
    $ tiffin models register -m ./pickled -n churn --trust   # code-executing: your decision
    $ tiffin models trust churn 2                             # recorded on version 2
    $ tiffin models alias set churn champion 3 --expected-version 2
    $ tiffin models versions churn --json
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from tiffin.cli.output import emit

__all__ = ["add_registry_commands"]

_VERSION_COLUMNS = ["name", "version", "aliases", "source", "digest", "run_id", "trusted_by"]
_VERSION_JSON = (
    "JSON; 'aliases' is the list of the version's alias names (as MLflow's "
    "ModelVersion.aliases), 'digest' the full sha256 (the table shows 16 hex digits), 'trust' "
    "the trust decision in force ({trusted_by, timestamp, digest}) or null."
)


def _registry() -> Any:
    from tiffin.store.registry import RegistryStore
    from tiffin.store.tracking_uri import get_tracking_uri

    return RegistryStore(get_tracking_uri())


def _version_row(mv: Any, as_json: bool) -> dict[str, Any]:
    """A version; in JSON ``aliases`` is the list of its alias names and ``digest`` whole."""
    row = asdict(mv)
    row["aliases"] = sorted(mv.aliases)
    trust = mv.trust
    row["trust"] = None if trust is None else {
        "trusted_by": trust.principal, "timestamp": trust.timestamp, "digest": trust.digest
    }  # fmt: skip
    row["trusted_by"] = "" if trust is None else trust.principal
    if not as_json:
        row["aliases"] = ", ".join(row["aliases"])
        row["digest"] = (mv.digest or "")[:16]  # the table shortens it; --json has it whole
    return row


def _aliases_text(aliases: Any) -> str:
    return ", ".join(f"{a}={v}" for a, v in sorted(aliases.items()))


@click.command("list")
@click.option("--name-like", default=None, help="SQL LIKE pattern on model names.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON; 'aliases' maps each alias to its version, as MLflow's "
                   "RegisteredModel.aliases.")  # fmt: skip
def list_models(name_like: str | None, as_json: bool) -> None:
    """Registered models with their aliases."""
    found = _registry().search_registered_models(name_like=name_like)
    rows = [
        {
            "name": m.name,
            "aliases": dict(m.aliases) if as_json else _aliases_text(m.aliases),
            "description": m.description,
            "latest_version": max((v.version for v in m.latest_versions), default=None),
        }
        for m in found
    ]
    emit(rows, ["name", "aliases", "description"], as_json, "Registered models")


@click.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help=_VERSION_JSON)
def versions(name: str, as_json: bool) -> None:
    """Every version of a registered model."""
    rows = [_version_row(mv, as_json) for mv in _registry().search_model_versions(name)]
    emit(rows, _VERSION_COLUMNS, as_json, f"Versions of {name}", whole=["run_id"])


@click.command()
@click.option("-m", "--model-uri", required=True, help="runs:/<run_id>/<path> or a directory.")
@click.option("-n", "--name", required=True)
@click.option("--trust", is_flag=True,
              help="The model runs code when loaded (pickle, code/) and you vouch for it: "
                   "the decision is recorded on the version.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help=_VERSION_JSON)
def register(model_uri: str, name: str, trust: bool, as_json: bool) -> None:
    """Register a model as a new version, recording its manifest digest.

    A model that runs code when loaded is refused unless --trust is given; then who trusted
    it, when, and the digest it covered are recorded, and loads by models:/ run it.
    """
    from tiffin.tracking import register_model

    row = _version_row(register_model(model_uri, name, trust=trust), as_json)
    emit([row], _VERSION_COLUMNS, as_json, "Registered", whole=["run_id"])


def _client() -> Any:
    from tiffin.tracking import Client

    return Client()


@click.command("trust")
@click.argument("name")
@click.argument("version", type=int)
def trust_version(name: str, version: int) -> None:
    """Record that running VERSION of NAME is acceptable to you (loads by models:/ then run
    it without --trust). A version that runs no code needs no trust: nothing is recorded."""
    client = _client()
    if not client.version_code(name, version):
        click.echo(f"{name} version {version} runs no code when loaded: nothing to trust")
        return
    mv = client.trust_model_version(name, version, True)
    click.echo(f"{name} version {version}: trusted by {mv.trust.principal} ({mv.digest[:16]})")


@click.command("untrust")
@click.argument("name")
@click.argument("version", type=int)
def untrust_version(name: str, version: int) -> None:
    """Withdraw trust in VERSION of NAME: loads by models:/ refuse its code again."""
    _client().trust_model_version(name, version, False)
    click.echo(f"{name} version {version}: trust withdrawn")


@click.command("history")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--json", "as_json", is_flag=True, help="JSON: action, principal, digest, time.")
def trust_history(name: str, version: int, as_json: bool) -> None:
    """The trust decisions recorded on VERSION of NAME, oldest first."""
    events = _registry().get_model_version_trust_history(name, version)
    from tiffin.cli.runs import iso_time

    rows = [asdict(e) for e in events]
    for row in rows:
        row["digest"] = row["digest"] if as_json else (row["digest"] or "")[:16]
        row["timestamp"] = iso_time(row["timestamp"])
    columns = ["action", "principal", "digest", "timestamp"]
    emit(rows, columns, as_json, f"Trust decisions on {name} version {version}")


@click.group()
def alias() -> None:
    """Point an alias at a version, or remove it."""


@alias.command("set")
@click.argument("name")
@click.argument("alias_name")
@click.argument("version", type=int)
@click.option("--expected-version", type=int, default=None, help="Compare-and-swap guard.")
def set_alias(name: str, alias_name: str, version: int, expected_version: int | None) -> None:
    """Set ALIAS_NAME of NAME to VERSION (ConflictError if --expected-version is stale)."""
    _registry().set_registered_model_alias(
        name, alias_name, version, expected_version=expected_version
    )
    click.echo(f"{name}@{alias_name} -> version {version}")


@alias.command("delete")
@click.argument("name")
@click.argument("alias_name")
def delete_alias(name: str, alias_name: str) -> None:
    """Remove an alias."""
    _registry().delete_registered_model_alias(name, alias_name)
    click.echo(f"{name}@{alias_name} removed")


def add_registry_commands(group: click.Group) -> None:
    """Attach the registry commands to ``tiffin models``."""
    for command in (
        list_models,
        versions,
        register,
        alias,
        trust_version,
        untrust_version,
        trust_history,
    ):
        group.add_command(command)
