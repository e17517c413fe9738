"""Every path an MLmodel names stays inside the model directory, trusted or not.

An MLmodel is data a stranger wrote. A ``code: ../elsewhere`` or an artifact at ``/etc/...``
would make a loader import or open files that the manifest never covered, so a registry digest
or a user's ``trust=True`` would vouch for code nobody saw. So each path value the format knows
(flavor keys such as ``code``, ``data``, ``model_path``, ``python_model``; ``artifacts.*.path``;
``env`` files; the input example) is resolved here, links included, and refused when it leaves
the directory. Loaders take their paths from :func:`inside_model`, never by joining strings.

Example:
    >>> from pathlib import Path
    >>> inside_model(Path("/m"), "model.skops", "the model file")
    PosixPath('/m/model.skops')
    >>> inside_model(Path("/m"), "../x", "code")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tiffin.errors.FormatError: code '../x' ...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from tiffin.errors import FormatError

__all__ = ["PATH_KEYS", "check_model_paths", "inside_model", "named_paths"]

#: flavor configuration keys whose string values are paths inside the model directory
PATH_KEYS = frozenset(
    {"code", "data", "model_path", "pickled_model", "python_model", "model_code_path"}
    | {"model_data", "pytorch_state_dict", "saved_model_dir", "onnx_model_file"}
)


def inside_model(model_dir: Path, relative: str, what: str) -> Path:
    """``model_dir / relative``, refused when ``relative`` is absolute, climbs out with ``..``,
    or resolves (through links) to a place outside the model directory."""
    text = str(relative)
    pure = PurePosixPath(text)
    windows = PureWindowsPath(text)
    if not text or "\x00" in text:
        raise FormatError(f"{what} {text!r}: not a usable path")
    if pure.is_absolute() or windows.drive or windows.root or "\\" in text or ".." in pure.parts:
        raise FormatError(
            f"{what} {text!r} points outside the model directory {model_dir}; paths in an "
            "MLmodel must be relative and stay inside it (no '..', no absolute paths)"
        )
    root = Path(model_dir).resolve()
    path = (root / pure).resolve()
    if not path.is_relative_to(root):
        raise FormatError(
            f"{what} {text!r} resolves to {path}, outside the model directory {root} "
            "(through a link); refusing it"
        )
    return Path(model_dir) / pure


def named_paths(mlmodel: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(what, path) for every path an MLmodel (as a dict) names: flavor keys, artifacts, env
    files and the input example."""
    flavors = mlmodel.get("flavors")
    for flavor, conf in flavors.items() if isinstance(flavors, Mapping) else []:
        if not isinstance(conf, Mapping):
            continue
        for key in sorted(PATH_KEYS & set(conf)):
            if conf[key] is not None:
                yield f"flavor {flavor!r} key {key!r}", str(conf[key])
        for name, spec in (conf.get("artifacts") or {}).items():
            if isinstance(spec, Mapping) and spec.get("path") is not None:
                yield f"artifact {name!r}", str(spec["path"])
        env = conf.get("env")
        for kind, file in env.items() if isinstance(env, Mapping) else [("env", env)]:
            if isinstance(file, str):
                yield f"flavor {flavor!r} {kind} environment file", file
    example = mlmodel.get("saved_input_example_info")
    for key in ("artifact_path", "serving_input_path"):
        if isinstance(example, Mapping) and example.get(key) is not None:
            yield f"the input example ({key})", str(example[key])


def check_model_paths(model_dir: Path, mlmodel: Mapping[str, Any]) -> None:
    """Raise :class:`FormatError` naming every path of the MLmodel that leaves ``model_dir``."""
    problems = []
    for what, path in named_paths(mlmodel):
        try:
            inside_model(model_dir, path, what)
        except FormatError as e:
            problems.append(str(e))
    if problems:
        listed = "\n- ".join(problems)
        raise FormatError(f"{model_dir}/MLmodel names paths outside the model:\n- {listed}")
