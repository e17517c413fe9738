"""Resolve ``runs:/`` and ``models:/`` URIs to a local model directory and its trust anchor.

A registered version records the manifest digest of the model it names. Resolving a
``models:/`` URI returns that digest with the directory, so the loader can verify the files
against it and treat a match as trusted: the registry is the trust root. Files fetched from a
remote artifact store land in a fresh 0700 temporary directory and are verified after the copy.

Example:
    >>> parse_models_uri("models:/churn@champion")
    ('churn', None, 'champion')
    >>> parse_models_uri("models:/churn/3")
    ('churn', 3, None)

Every path segment of a URI is checked where the URI is parsed: ``..`` and ``.`` segments are
refused in every reading another layer may give them (raw, percent-decoded, with ``\\`` as a
separator), so ``runs:/<run>/../../elsewhere`` can neither load nor be registered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tiffin.errors import FormatError, NotFoundError
from tiffin.store.artifacts.labels import safe_relpath
from tiffin.store.entities import TrustRecord
from tiffin.store.names import check_uri_segments, percent_readings

__all__ = [
    "ResolvedModel",
    "lookup_version",
    "parse_models_uri",
    "parse_runs_uri",
    "resolve_model_uri",
]

_MODELS = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<suffix>[^/@]+)|@(?P<alias>[^/@]+))$")
_RUNS = re.compile(r"^runs:/(?P<run>[0-9a-fA-F]{32})(?:/(?P<path>.*))?$")


@dataclass(frozen=True)
class ResolvedModel:
    """A local model directory, the digest it must match (None: not from the registry), and
    the person's trust decision in force for that digest, if any."""

    path: Path
    digest: str | None = None
    name: str | None = None
    version: int | None = None
    trust: TrustRecord | None = None

    @property
    def vouched(self) -> bool:
        """A person vouched for running these exact bytes (the registry's digest)."""
        return self.trust is not None and self.digest is not None


def parse_models_uri(uri: str) -> tuple[str, int | None, str | None]:
    """(name, version, alias); version ``None`` with alias ``None`` means ``latest``."""
    m = _MODELS.match(uri)
    if m is None:
        raise FormatError(
            f"not a proper models:/ URI: {uri[:200]!r}; expected models:/<name>/<version>, "
            "models:/<name>/latest or models:/<name>@<alias>"
        )
    raw, suffix, alias = m["name"], m["suffix"], m["alias"]
    check_uri_segments(raw, "models:/ URI name")
    name = unquote(raw)
    if any(sep in reading for reading in percent_readings(raw) for sep in "/\\"):
        raise FormatError(
            f"{uri[:200]!r}: the model name {name[:200]!r} contains '/' or '\\' once "
            "percent-decoded; registered model names cannot"
        )
    if alias is not None:
        return name, None, alias
    if suffix == "latest":
        return name, None, None
    if suffix is None or not suffix.isdigit():
        raise FormatError(
            f"{uri[:200]!r}: {suffix!r} is not a version number; stages are not supported, "
            "use an alias (models:/<name>@<alias>)"
        )
    return name, int(suffix), None


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """(run_id, artifact path) of ``runs:/<run_id>/<path>``."""
    m = _RUNS.match(uri)
    if m is None or not m["path"]:
        raise FormatError(f"not a proper runs:/ URI: {uri[:200]!r}; expected runs:/<run_id>/<path>")
    check_uri_segments(uri, "runs:/ URI")
    try:
        path = safe_relpath(m["path"])
    except FormatError as e:
        raise FormatError(f"runs:/ URI {uri[:200]!r}: {e}") from None
    return m["run"].lower(), path


def _fetch(source: str, tracking_uri: str) -> Path:
    """A local directory holding the artifact at ``source`` (downloaded if remote)."""
    from tiffin.store.artifacts import ArtifactStore

    check_uri_segments(source, "model source")
    if source.startswith("runs:/"):
        from tiffin.store.tracking import TrackingStore

        run_id, path = parse_runs_uri(source)
        run = TrackingStore(tracking_uri).get_run(run_id)
        return _fetch(f"{run.info.artifact_uri.rstrip('/')}/{path}", tracking_uri)
    if source.startswith("file:"):
        source = unquote(urlparse(source).path)
    if "://" not in source:
        local = Path(source)
        if not local.is_dir():
            raise NotFoundError(f"the model directory {source} does not exist")
        return local
    parent, _, name = source.rstrip("/").rpartition("/")
    return ArtifactStore(parent).download(name)


def lookup_version(uri: str, tracking_uri: str) -> Any:
    """The registered :class:`ModelVersion` a ``models:/`` URI names right now."""
    from tiffin.store.registry import RegistryStore

    name, version, alias = parse_models_uri(uri)
    registry = RegistryStore(tracking_uri)
    if alias is not None:
        return registry.get_model_version_by_alias(name, alias)
    if version is not None:
        return registry.get_model_version(name, version)
    return registry.get_latest_version(name)


def resolve_model_uri(uri: str, tracking_uri: str) -> ResolvedModel:
    """Turn a ``runs:/`` or ``models:/`` URI into a local directory (and digest for models:/)."""
    if uri.startswith("runs:/"):
        return ResolvedModel(_fetch(uri, tracking_uri))
    if not uri.startswith("models:/"):
        raise FormatError(f"{uri[:200]!r} is neither a runs:/ nor a models:/ URI")
    mv = lookup_version(uri, tracking_uri)
    return ResolvedModel(_fetch(mv.source, tracking_uri), mv.digest, mv.name, mv.version, mv.trust)
