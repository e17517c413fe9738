"""``conf/<env>/tiffin.yml``: where runs go and what the hook logs, checked key by key.

Every key is optional; a missing file means the defaults. Unknown keys are errors (a typo in
``disable_pipelines`` must not silently log a pipeline someone meant to keep out).

Example:
    >>> cfg = TiffinConfig.from_dict({"tracking": {"experiment": "iris"}}, Path("/p"), "pkg")
    >>> cfg.experiment, cfg.tracking_uri
    ('iris', 'sqlite:////p/tiffin.db')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiffin.integrations.kedro.errors import PipelineModelError

__all__ = ["TEMPLATE", "TiffinConfig", "flatten_params"]

#: what ``kedro tiffin init`` writes; every value shown is the default
TEMPLATE = """\
# tiffin settings for this Kedro project (every key is optional).
tracking:
  # null: the embedded SQLite store tiffin.db in the project. A relative path is taken from the
  # project root; postgresql://user@host/db for a team store. TIFFIN_TRACKING_URI overrides it.
  uri: null
  experiment: {experiment}
  run_name: null            # null: the pipeline names joined with "+"
  disable_pipelines: []     # pipelines whose runs log nothing
params:
  flatten: true             # {{"model": {{"C": 1}}}} is logged as model.C
  sep: "."
  long_values: truncate     # values over 6000 characters: truncate | tag | fail
"""

_SECTIONS = {
    "tracking": {"uri", "experiment", "run_name", "disable_pipelines"},
    "params": {"flatten", "sep", "long_values"},
}
_LONG = ("truncate", "tag", "fail")
MAX_PARAM_LENGTH = 6000


@dataclass(frozen=True)
class TiffinConfig:
    """The resolved settings of one project."""

    tracking_uri: str
    experiment: str
    run_name: str | None = None
    disable_pipelines: frozenset[str] = field(default_factory=frozenset)
    flatten: bool = True
    sep: str = "."
    long_values: str = "truncate"

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, project_path: Path, package_name: str
    ) -> TiffinConfig:
        """Validate ``tiffin.yml`` content; resolve the store against the project."""
        import os

        from tiffin.store.tracking_uri import ENV_VAR, normalize_tracking_uri

        data = dict(data or {})
        for section, value in data.items():
            if section not in _SECTIONS:
                raise PipelineModelError(
                    f"tiffin.yml: unknown section {section!r}; expected {sorted(_SECTIONS)}"
                )
            if not isinstance(value, Mapping):
                raise PipelineModelError(f"tiffin.yml: {section} must be a mapping")
            unknown = set(value) - _SECTIONS[section]
            if unknown:
                raise PipelineModelError(
                    f"tiffin.yml: unknown keys {sorted(unknown)} in {section}; "
                    f"expected {sorted(_SECTIONS[section])}"
                )
        tracking = dict(data.get("tracking") or {})
        params = dict(data.get("params") or {})
        uri = os.environ.get(ENV_VAR) or tracking.get("uri")
        if not uri:
            uri = f"sqlite:///{project_path / 'tiffin.db'}"
        elif "://" not in str(uri):
            uri = normalize_tracking_uri(project_path / str(uri))
        long_values = str(params.get("long_values", "truncate"))
        if long_values not in _LONG:
            raise PipelineModelError(
                f"tiffin.yml: params.long_values is {long_values!r}; expected one of {_LONG}"
            )
        disabled = tracking.get("disable_pipelines") or []
        if not isinstance(disabled, list):
            raise PipelineModelError("tiffin.yml: tracking.disable_pipelines must be a list")
        return cls(
            tracking_uri=str(uri),
            experiment=str(tracking.get("experiment") or package_name),
            run_name=tracking.get("run_name"),
            disable_pipelines=frozenset(map(str, disabled)),
            flatten=bool(params.get("flatten", True)),
            sep=str(params.get("sep", ".")),
            long_values=long_values,
        )

    def split_params(self, params: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """Params to log and long ones to set as tags instead (``long_values: tag``).

        Raises:
            PipelineModelError: a value is too long and ``long_values`` is ``fail``.

        Example:
            >>> cfg = TiffinConfig("sqlite://", "e")
            >>> cfg.split_params({"m": {"C": 1}, "t": 0.5})
            ({'m.C': '1', 't': '0.5'}, {})
        """
        flat = dict(flatten_params(params, self.sep)) if self.flatten else dict(params)
        logged: dict[str, str] = {}
        tags: dict[str, str] = {}
        for key, value in flat.items():
            text = str(value)
            if len(text) <= MAX_PARAM_LENGTH:
                logged[key] = text
            elif self.long_values == "tag":
                tags[key] = text
            elif self.long_values == "truncate":
                logged[key] = text[:MAX_PARAM_LENGTH]
            else:
                raise PipelineModelError(
                    f"param {key!r} is {len(text)} characters, over the {MAX_PARAM_LENGTH} a "
                    "param can hold; set params.long_values to truncate or tag in tiffin.yml"
                )
        return logged, tags


def flatten_params(
    params: Mapping[str, Any], sep: str = ".", prefix: str = ""
) -> Iterator[tuple[str, Any]]:
    """Nested dicts as dotted keys.

    Example:
        >>> dict(flatten_params({"a": {"b": 1, "c": {"d": 2}}, "e": 3}))
        {'a.b': 1, 'a.c.d': 2, 'e': 3}
    """
    for key, value in params.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            yield from flatten_params(value, sep, name)
        else:
            yield name, value
