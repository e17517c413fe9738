"""The ``MLmodel`` file: the index of a model directory, read and written as MLflow does.

MLflow writes it with ``yaml.safe_dump(default_flow_style=False)``: keys sorted at every level,
block style. It keeps unknown top-level keys, so tiffin's own facts live under a ``tiffin:`` key
and survive a round trip through MLflow; keys we do not know are kept on write as well.

Example:
    >>> from tiffin.format.mlmodel import MLModel
    >>> m = MLModel.new()
    >>> m.add_flavor("python_function", loader_module="mlflow.sklearn", model_path="model.skops")
    >>> "python_function" in m.flavors
    True
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tiffin.errors import FormatError, NotFoundError
from tiffin.format.bounded import MAX_MLMODEL_BYTES, load_yaml, read_regular_file
from tiffin.format.schema import Signature

__all__ = ["FORMAT_VERSION", "MLMODEL_FILE", "MLModel"]

MLMODEL_FILE = "MLmodel"
#: version of tiffin's additions to the format (the ``tiffin:`` key)
FORMAT_VERSION = 1

# MLflow omits these when they are null, and writes the others even when null.
_DROP_WHEN_NULL = (
    "artifact_path",
    "run_id",
    "mlflow_version",
    "saved_input_example_info",
    "metadata",
    "resources",
    "model_size_bytes",
    "auth_policy",
    "env_vars",
    "databricks_runtime",
)


class MLModel:
    """An MLmodel file's content: known fields as properties, everything kept in ``data``."""

    def __init__(self, data: Mapping[str, Any]):
        if not isinstance(data, Mapping):
            raise FormatError(f"MLmodel: expected a YAML mapping, got {type(data).__name__}")
        flavors = data.get("flavors")
        if not isinstance(flavors, Mapping) or not flavors:
            raise FormatError("MLmodel: 'flavors' is missing or empty; every model names a flavor")
        for name, conf in flavors.items():
            if not isinstance(conf, Mapping):
                raise FormatError(f"MLmodel: flavor {name!r} must be a mapping")
        self.data: dict[str, Any] = dict(data)
        self._signature: Signature | None = None
        if data.get("signature") is not None:
            self._signature = Signature.from_dict(data["signature"])

    @classmethod
    def new(cls, **fields: Any) -> MLModel:
        """A fresh MLmodel with the fields MLflow's ``save_model`` always writes."""
        created = _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
        base: dict[str, Any] = {
            "flavors": {},
            "model_uuid": uuid.uuid4().hex,
            "model_id": None,
            "prompts": None,
            "utc_time_created": str(created),
        }
        obj = cls.__new__(cls)
        obj.data = {**base, **fields}
        obj._signature = None
        return obj

    @property
    def flavors(self) -> dict[str, dict[str, Any]]:
        flavors: dict[str, dict[str, Any]] = self.data["flavors"]
        return flavors

    def add_flavor(self, name: str, **conf: Any) -> None:
        """Add or replace one flavor block."""
        self.data["flavors"][name] = conf

    @property
    def signature(self) -> Signature | None:
        return self._signature

    @signature.setter
    def signature(self, sig: Signature | None) -> None:
        self._signature = sig
        if sig is None:
            for key in ("signature", "is_signature_from_type_hint", "type_hint_from_example"):
                self.data.pop(key, None)
            return
        self.data["signature"] = sig.to_dict()
        self.data.setdefault("is_signature_from_type_hint", False)
        self.data.setdefault("type_hint_from_example", False)

    @property
    def metadata(self) -> dict[str, Any] | None:
        meta = self.data.get("metadata")
        return dict(meta) if isinstance(meta, Mapping) else None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if not (v is None and k in _DROP_WHEN_NULL)}

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), default_flow_style=False)

    def save(self, model_dir: Path) -> None:
        (Path(model_dir) / MLMODEL_FILE).write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str) -> MLModel:
        """Read ``<dir>/MLmodel`` (or the file itself); every defect is a typed error.

        The file must be a regular file (a symbolic link is refused before a byte is read) of at
        most :data:`~tiffin.format.bounded.MAX_MLMODEL_BYTES`, and is parsed with nesting and
        alias expansion bounded (:func:`~tiffin.format.bounded.load_yaml`).

        Example:
            >>> MLModel.load("/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
            Traceback (most recent call last):
            tiffin.errors.NotFoundError: ...
        """
        path = Path(path)
        file = path / MLMODEL_FILE if path.is_dir() else path
        try:  # the entry itself: a link (even to a real MLmodel) is refused unread
            raw = read_regular_file(file, MAX_MLMODEL_BYTES, str(file))
        except (FileNotFoundError, NotADirectoryError):
            raise NotFoundError(
                f'could not find an "MLmodel" configuration file at "{path}"'
            ) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise FormatError(f"{file}: not valid YAML ({str(e)[:200]})") from None
        data = load_yaml(text, str(file))
        if data is None:
            raise FormatError(f"{file}: the file is empty")
        return cls(data)

    def __repr__(self) -> str:
        return f"MLModel(flavors={sorted(self.flavors)}, model_uuid={self.get('model_uuid')!r})"
