"""Reading the JSON and YAML files of a model directory with size, depth and alias bounds.

A model directory is hostile until verified, and its text files are parsed before anything else
can be checked. Python's parsers recurse once per nesting level (``RecursionError`` at about a
thousand), and PyYAML expands aliases as shared references that every later walk (``inspect``,
a dump, a comparison) follows again: nine levels of ten aliases is a billion nodes from a 1 KB
file. So every such file goes through one reader here, which bounds what parsing may cost
*before* the parser runs:

- the file must be a regular file, not a link (checked with ``lstat``, opened ``O_NOFOLLOW``),
  and at most ``limit`` bytes (read to ``limit + 1``, never further);
- JSON is checked for nesting depth on its brackets outside strings, then parsed;
- YAML is parsed from its event stream with a counter: nesting depth, and the number of nodes
  once every alias is expanded, are refused the moment they pass the bound, before the
  composer recurses deeper or builds anything.

Every refusal is a :class:`~tiffin.errors.FormatError` naming the file and the bound.

Example:
    >>> load_json('{"a": [1, 2]}', "signature")
    {'a': [1, 2]}
    >>> load_json("[" * 100 + "]" * 100, "signature")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    tiffin.errors.FormatError: signature: nested deeper than 64 levels ...
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from tiffin.errors import FormatError

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_MLMODEL_BYTES",
    "MAX_YAML_NODES",
    "check_json_depth",
    "load_json",
    "load_yaml",
    "read_json_file",
    "read_regular_file",
    "read_yaml_file",
]

MAX_DEPTH = 64
"""Deepest nesting accepted (a signature nests a few levels, a rank-60 tensor example 62)."""
MAX_MLMODEL_BYTES = 4 * 1024**2
"""An MLmodel with a 10,000-column signature is about 0.5 MB; 4 MiB leaves room eightfold."""
MAX_FILE_BYTES = 256 * 1024**2
"""Other JSON/YAML files of a model (input examples, manifests, environments)."""
MAX_YAML_NODES = 200_000
"""Nodes in one YAML document once every alias is expanded (an MLmodel has a few hundred)."""

_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


def read_regular_file(path: Path | str, limit: int, what: str | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; links and devices are refused.

    The check is on the entry itself (``lstat``) and again on what was opened (``fstat`` of an
    ``O_NOFOLLOW`` descriptor), so a link swapped in between is not followed either; nothing of
    a refused file is read.

    Raises:
        FormatError: a link, directory, fifo or device, or more than ``limit`` bytes.
        FileNotFoundError: nothing at ``path``.

    Example:
        >>> read_regular_file("/etc/hostname", 1 << 20)  # doctest: +SKIP
        b'box\\n'
    """
    path = Path(path)
    shown = what or str(path)
    kind = _kind(os.lstat(path).st_mode)
    if kind is not None:
        raise FormatError(f"{shown}: is {kind}, not a regular file; refused before reading it")
    try:
        fd = os.open(path, _OPEN)
    except OSError as e:
        if e.errno in (getattr(os, "ELOOP", -1), getattr(os, "EMLINK", -1)):
            raise FormatError(f"{shown}: is a symbolic link; refused before reading it") from None
        raise
    with os.fdopen(fd, "rb") as f:
        opened = os.fstat(f.fileno())
        kind = _kind(opened.st_mode)
        if kind is not None:
            raise FormatError(f"{shown}: is {kind}, not a regular file; refused before reading it")
        if opened.st_size > limit:
            raise FormatError(_too_big(shown, opened.st_size, limit))
        data = f.read(limit + 1)
    if len(data) > limit:
        raise FormatError(_too_big(shown, len(data), limit))
    return data


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a fifo, socket or device"


def _too_big(shown: str, size: int, limit: int) -> str:
    return f"{shown}: {size} bytes or more; a model's file of this kind may hold at most {limit}"


def check_json_depth(text: str | bytes, where: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``max_depth``, from its brackets outside strings.

    Runs in C (regular expressions) before any parser: strings are removed, then everything but
    brackets, then innermost ``[]``/``{}`` pairs level by level; a pair left after
    ``max_depth`` rounds is nesting beyond the bound. Unbalanced brackets are left to the parser.

    Example:
        >>> check_json_depth('{"a": "[[[["}', "x", 2)
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(max_depth):
        brackets, found = _INNERMOST.subn("", brackets)
        if not found or not brackets:
            return
    if _INNERMOST.search(brackets):
        raise FormatError(f"{where}: nested deeper than {max_depth} levels (refused unparsed)")


def load_json(text: str | bytes, where: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON whose depth was checked first; ``NaN``/``Infinity`` are read as MLflow writes.

    Raises:
        FormatError: too deep, or not JSON.

    Example:
        >>> load_json('[NaN]', "input example")
        [nan]
    """
    import orjson

    check_json_depth(text, where, max_depth)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass  # NaN, Infinity or an integer beyond 64 bits: the json module reads them
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError) as e:
        raise FormatError(f"{where}: not valid JSON ({str(e)[:200]})") from None


def read_json_file(path: Path | str, where: str | None = None, limit: int = MAX_FILE_BYTES) -> Any:
    """:func:`load_json` of a regular file of at most ``limit`` bytes.

    Example:
        >>> read_json_file(Path("model/input_example.json"))  # doctest: +SKIP
        {'dataframe_split': {...}}
    """
    shown = where or str(path)
    return load_json(read_regular_file(path, limit, shown), shown)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting depth and expanded nodes on every event it hands on."""

    def __init__(self, stream: str, where: str, max_depth: int, max_nodes: int) -> None:
        super().__init__(stream)
        self._where, self._max_depth, self._max_nodes = where, max_depth, max_nodes
        self._open: list[tuple[str | None, int]] = []  # (anchor, nodes so far) per collection
        self._sizes: dict[str, int] = {}  # anchor -> expanded nodes of what it names
        self._nodes = 0

    def get_event(self) -> Any:
        event = super().get_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            if any(anchor == event.anchor for anchor, _ in self._open):
                raise FormatError(f"{self._where}: alias *{event.anchor} refers to itself")
            self._add(self._sizes.get(event.anchor or "", 1))
        elif isinstance(event, yaml.ScalarEvent):
            self._add(1)
            if event.anchor is not None:
                self._sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            self._add(1)
            self._open.append((event.anchor, self._nodes))
            if len(self._open) > self._max_depth:
                raise FormatError(f"{self._where}: nested deeper than {self._max_depth} levels")
        elif isinstance(event, yaml.CollectionEndEvent) and self._open:
            anchor, start = self._open.pop()
            if anchor is not None:
                self._sizes[anchor] = self._nodes - start + 1
        return event

    def _add(self, nodes: int) -> None:
        self._nodes += nodes
        if self._nodes > self._max_nodes:
            raise FormatError(
                f"{self._where}: more than {self._max_nodes} YAML nodes once aliases are "
                "expanded (an alias bomb?); refused"
            )


def load_yaml(
    text: str, where: str, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_YAML_NODES
) -> Any:
    """Parse one YAML document safely, bounding depth and alias expansion as it is parsed.

    Raises:
        FormatError: too deep, too many nodes once aliases are expanded, or not YAML.

    Example:
        >>> load_yaml("a: &x [1, 2]\\nb: *x\\n", "MLmodel")
        {'a': [1, 2], 'b': [1, 2]}
    """
    try:
        loader = _BoundedLoader(text, where, max_depth, max_nodes)  # checks the characters
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise FormatError(f"{where}: not valid YAML ({str(e)[:200]})") from None
    except RecursionError:  # pragma: no cover - the depth bound stops far earlier
        raise FormatError(f"{where}: nested too deeply") from None


def read_yaml_file(path: Path | str, where: str | None = None, limit: int = MAX_FILE_BYTES) -> Any:
    """:func:`load_yaml` of a regular UTF-8 file of at most ``limit`` bytes.

    Example:
        >>> read_yaml_file(Path("model/conda.yaml"))  # doctest: +SKIP
        {'name': 'mlflow-env', ...}
    """
    shown = where or str(path)
    raw = read_regular_file(path, limit, shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"{shown}: not UTF-8 text ({e})") from None
    return load_yaml(text, shown)
