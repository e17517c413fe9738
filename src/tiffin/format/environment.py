"""Environment files of a model: ``requirements.txt``, ``python_env.yaml``, ``conda.yaml``.

They let a model be re-created elsewhere (``mlflow models serve --env-manager virtualenv`` reads
``python_env.yaml``). tiffin writes them byte for byte as MLflow 3.17 does, but infers the
requirements from the live objects instead of MLflow's 7-12 s model-reloading subprocess.
These files are later given to ``pip``, so every line is checked on write and on read: options
(``-e``, ``--index-url``), URLs, VCS links and shell metacharacters raise ``FormatError``.

Example:
    >>> reqs = resolve_requirements(["scikit-learn"], infer_requirements(model))  # doctest: +SKIP
    >>> write_environment(model_dir, reqs)  # doctest: +SKIP
    {'conda': 'conda.yaml', 'virtualenv': 'python_env.yaml'}
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.errors import FormatError, NotFoundError
from tiffin.format.bounded import MAX_FILE_BYTES, read_regular_file, read_yaml_file

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

__all__ = ["CONDA_FILE", "PYTHON_ENV_FILE", "REQUIREMENTS_FILE", "infer_requirements"]
__all__ += ["read_requirements", "requirement_mismatches", "resolve_requirements"]
__all__ += ["write_environment"]

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_FILE = "conda.yaml"

# Never a model requirement: the tools themselves, and setuptools (imported incidentally).
_EXCLUDED = frozenset({"tiffin", "mlflow", "mlflow-skinny", "mlflow-tracing", "setuptools"})
# Skipped by the load-time check: tiffin stands in for MLflow.
_MLFLOW = frozenset({"mlflow", "mlflow-skinny", "mlflow-tracing"})
# Text that has no business in a requirement and that a shell or pip would act on.
_FORBIDDEN = ("$", "`", "|", "&", "\\", "://", "git+", "--", "#", "\n", "\r", "\t", "\0")
_BUILD = ("pip", "setuptools", "wheel")
# Bounds of the object walk in infer_requirements: it must stay cheap on any object.
_MAX_NODES, _MAX_DEPTH, _MAX_ITEMS = 10_000, 24, 1_000
_ATOMS = (str, bytes, bytearray, int, float, complex, bool, type(None))
# Builtin iteration, called unbound so that a subclass's overrides never run during the walk.
_ITERATE: tuple[tuple[type, Callable[[Any], Iterable[Any]]], ...] = (
    (dict, dict.values),
    *((kind, kind.__iter__) for kind in (list, tuple, set, frozenset)),
)


def infer_requirements(
    *objects: object, modules: Iterable[str] = (), exclude_modules: Iterable[str] = ()
) -> list[str]:
    """Pins the installed distributions whose code the given objects are made of.

    MLflow re-loads the saved model in a subprocess to record its imports (7-12 s); the live
    objects already say it. A bounded walk visits the objects, their attributes, containers,
    functions and the globals those use, and maps top-level modules to distributions.

    Args:
        *objects: The model and anything else it needs at predict time.
        modules: Extra module names to count, e.g. ``["skops.io"]`` for the serializer.
        exclude_modules: Top-level modules shipped with the model instead (its ``code/``):
            their distributions are not required.

    Returns:
        ``name==version`` lines (local labels such as ``+cu121`` stripped), sorted by
        normalized name, without the standard library, tiffin, MLflow and setuptools.

    Example:
        >>> from sklearn.linear_model import LogisticRegression
        >>> infer_requirements(LogisticRegression())  # doctest: +SKIP
        ['scikit-learn==1.9.1']
    """
    found = _collect_modules(objects) | {m.partition(".")[0] for m in modules}
    mapping = _module_distributions()
    names: set[str] = set()
    for module in found - set(sys.stdlib_module_names) - set(exclude_modules):
        names.update(_canonical(dist) for dist in mapping.get(module, ()))
    pins = ((name, _installed_version(name)) for name in sorted(names - _EXCLUDED))
    return [f"{name}=={version}" for name, version in pins if version is not None]


def resolve_requirements(
    defaults: Iterable[str],
    inferred: Iterable[str] = (),
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
) -> list[str]:
    """Combines a flavor's defaults, inferred and user requirements the way MLflow does.

    ``pip_requirements`` replaces everything; ``extra_pip_requirements`` is appended to the
    defaults and inferred ones. Duplicates merge by canonical name and marker (``pandas==3.1.1``
    and ``pandas>=2`` become ``pandas==3.1.1,>=2``). Unlike MLflow, no ``mlflow==X`` is added.

    Args:
        defaults: The flavor's minimum, e.g. ``["scikit-learn"]``; unpinned names are pinned to
            the installed version when installed.
        inferred: Output of :func:`infer_requirements`.
        pip_requirements: The complete list, kept in the given order.
        extra_pip_requirements: Lines added after defaults and inferred ones.

    Returns:
        The requirement lines to write.

    Raises:
        FormatError: A line is unsafe or malformed, pins contradict each other (``a==1`` and
            ``a==2``), a list of lines is a single string, or both ``pip_requirements`` and
            ``extra_pip_requirements`` are given.

    Example:
        >>> resolve_requirements([], pip_requirements=["pandas>=2", "pandas==3.1.1", "scipy"])
        ['pandas==3.1.1,>=2', 'scipy']
    """
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise FormatError(
            "Only one of `pip_requirements` and `extra_pip_requirements` can be specified"
        )
    if pip_requirements is not None:
        return _deduplicate(_parse_lines(pip_requirements))
    base = [_pin_if_installed(req) for req in _parse_lines(defaults)] + _parse_lines(inferred)
    unique = {str(req): req for req in base}
    ordered = sorted(unique.values(), key=lambda req: (_canonical(req.name), str(req)))
    return _deduplicate(ordered + _parse_lines(extra_pip_requirements or ()))


def write_environment(model_dir: Path, requirements: Sequence[str]) -> dict[str, str]:
    """Writes ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` as MLflow does.

    The bytes match MLflow 3.17's for the same list (MLflow also puts ``mlflow==X`` first), so
    tools that diff or hash these files see no other difference; ``conda.yaml`` says
    ``pip<=<installed pip>`` so conda can fall back to an older pip.

    Args:
        model_dir: Existing model directory.
        requirements: Lines from :func:`resolve_requirements`; checked again here.

    Returns:
        The ``env`` block for the ``python_function`` flavor.

    Example:
        >>> write_environment(Path("model"), ["scikit-learn==1.9.1"])  # doctest: +SKIP
        {'conda': 'conda.yaml', 'virtualenv': 'python_env.yaml'}
    """
    import yaml

    lines = [str(line).strip() for line in requirements]
    for line in lines:
        _parse_safe(line)
    python = ".".join(str(part) for part in sys.version_info[:3])
    (model_dir / REQUIREMENTS_FILE).write_text("\n".join(lines), encoding="utf-8")
    build = [(name, _installed_version(name, strip_local=False)) for name in _BUILD]
    python_env = {
        "python": python,
        "build_dependencies": [f"{name}=={ver}" if ver else name for name, ver in build],
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    with open(model_dir / PYTHON_ENV_FILE, "w", encoding="utf-8") as out:
        yaml.safe_dump(python_env, out, sort_keys=False, default_flow_style=False)
    conda_deps: list[Any] = [f"python={python}"]
    if lines:
        pip_version = _installed_version("pip", strip_local=False)
        conda_deps.append(f"pip<={pip_version}" if pip_version else "pip")
    conda_deps.append({"pip": lines})
    conda = {"name": "mlflow-env", "channels": ["conda-forge"], "dependencies": conda_deps}
    with open(model_dir / CONDA_FILE, "w", encoding="utf-8") as out:
        yaml.safe_dump(conda, out, default_flow_style=False)
    return {"conda": CONDA_FILE, "virtualenv": PYTHON_ENV_FILE}


def read_requirements(model_dir: Path, *, validate: bool = True) -> list[str]:
    """Reads a model's requirement lines, from ``requirements.txt`` or else ``conda.yaml``.

    Models come from anywhere, so lines are checked as on write unless ``validate`` is false
    (for display only). Models from MLflow < 1.20 have only ``conda.yaml``; its pip list is used.

    Args:
        model_dir: The model directory.
        validate: Refuse unsafe lines (pip options, URLs, shell metacharacters).

    Returns:
        The lines, without blank lines and comments.

    Raises:
        NotFoundError: Neither file exists.
        FormatError: A line is unsafe or the conda file is malformed.

    Example:
        >>> read_requirements(Path("model"))  # doctest: +SKIP
        ['mlflow==3.17.2', 'scikit-learn==1.9.1']
    """
    path = model_dir / REQUIREMENTS_FILE
    if path.is_file():
        raw = _text(path).splitlines()
    elif (model_dir / CONDA_FILE).is_file():
        raw = _conda_pip_lines(model_dir / CONDA_FILE)
    else:
        raise NotFoundError(f"no {REQUIREMENTS_FILE} or {CONDA_FILE} in {model_dir}")
    lines = [line.strip() for line in raw if line.strip() and not line.lstrip().startswith("#")]
    for line in lines if validate else ():
        _parse_safe(line)
    return lines


def requirement_mismatches(requirements: Iterable[str]) -> list[str]:
    """Lists the requirements the running environment does not satisfy, for a load warning.

    MLflow warns at load with "Detected one or more mismatches between the model's dependencies
    and the current Python environment:" and one `` - item`` per line; these are the items.
    Versions come from metadata only: a name read from a model file is never imported. MLflow's
    own packages, non-requirement lines and markers that do not apply here are skipped.

    Args:
        requirements: Requirement lines, e.g. from :func:`read_requirements`.

    Returns:
        Items like ``"numpy (current: 2.4.6, required: numpy==1.26.4)"``, with
        ``current: uninstalled`` for a missing package.

    Example:
        >>> requirement_mismatches(["numpy==0.1"])  # doctest: +SKIP
        ['numpy (current: 2.4.6, required: numpy==0.1)']
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion

    items = []
    for line in requirements:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if _canonical(req.name) in _MLFLOW or (req.marker and not req.marker.evaluate()):
            continue
        installed = _installed_version(req.name, strip_local=False)
        try:
            ok = installed is not None and req.specifier.contains(installed, prereleases=True)
        except InvalidVersion:  # an installed version that is not PEP 440 meets nothing
            ok = False
        if not ok:
            items.append(f"{req.name} (current: {installed or 'uninstalled'}, required: {line})")
    return items


def _parse_safe(line: str) -> Requirement:
    """Parses one requirement line, refusing anything pip or a shell would treat as a command."""
    from packaging.requirements import InvalidRequirement, Requirement

    if line.startswith(("-", ".", "/", "~")):
        raise FormatError(f"requirement {line!r} refused: pip options and paths are not allowed")
    bad = next((text for text in _FORBIDDEN if text in line), None)
    if bad is not None or not line.isprintable() or not line.isascii():
        raise FormatError(
            f"requirement {line!r} refused: it contains {bad or 'a non-printable character'!r};"
            " only 'name[extras] specifiers ; marker' lines are accepted"
        )
    try:
        req = Requirement(line)
    except InvalidRequirement as exc:
        raise FormatError(f"requirement {line!r} refused: not PEP 508 ({exc})") from exc
    if req.url:
        raise FormatError(f"requirement {line!r} refused: URL requirements are not allowed")
    return req


def _parse_lines(lines: Iterable[str]) -> list[Requirement]:
    """Parses lines safely, skipping blanks and full-line comments as pip does."""
    if isinstance(lines, str):
        raise FormatError(
            f"requirements must be a list of lines, got the single string {lines[:200]!r}; "
            "pass it as a one-item list"
        )
    stripped = (str(line).strip() for line in lines)
    return [_parse_safe(line) for line in stripped if line and not line.startswith("#")]


def _deduplicate(reqs: Iterable[Requirement]) -> list[str]:
    """Merges requirements naming the same package under the same marker, keeping first order."""
    merged: dict[tuple[str, str], Requirement] = {}
    for req in reqs:
        key = (_canonical(req.name), str(req.marker or ""))
        if key in merged:
            _merge_into(merged[key], req)
        else:
            merged[key] = req
    return [str(req) for req in merged.values()]


def _merge_into(kept: Requirement, new: Requirement) -> None:
    """Merges ``new``'s extras and specifiers into ``kept``; contradictory pins raise."""
    from packaging.specifiers import SpecifierSet

    kept.extras |= new.extras
    if not new.specifier or str(new.specifier) == str(kept.specifier):
        return
    local = _same_pin_but_local(kept.specifier, new.specifier)
    if not kept.specifier or local is not None:
        kept.specifier = local or new.specifier
        return
    combined = SpecifierSet(f"{kept.specifier},{new.specifier}")
    pins = {spec.version for spec in combined if spec.operator == "==" and "*" not in spec.version}
    if any(not combined.contains(pin, prereleases=True) for pin in pins):
        raise FormatError(
            f"requirements for {kept.name!r} contradict each other: "
            f"{kept.name}{kept.specifier} and {new}"
        )
    kept.specifier = combined


def _same_pin_but_local(a: SpecifierSet, b: SpecifierSet) -> SpecifierSet | None:
    """For ``torch==2.1`` vs ``torch==2.1+cu121`` returns the PyPI-installable one, else None."""
    pins = [str(spec) for spec in (*a, *b) if spec.operator == "=="]
    if len(pins) != 2 or not len(a) == len(b) == 1 or ("+" in pins[0]) == ("+" in pins[1]):
        return None
    return (b if "+" in pins[0] else a) if pins[0].split("+")[0] == pins[1].split("+")[0] else None


def _pin_if_installed(req: Requirement) -> Requirement:
    """Pins an unpinned default (``scikit-learn``) to the installed version, as MLflow does."""
    from packaging.specifiers import SpecifierSet

    version = None if req.specifier else _installed_version(req.name)
    if version is not None:
        req.specifier = SpecifierSet(f"=={version}")
    return req


def _installed_version(name: str, *, strip_local: bool = True) -> str | None:
    """The installed version of a distribution, from metadata only; None when absent."""
    import importlib.metadata

    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    return version.partition("+")[0] if strip_local else version


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


@functools.cache
def _module_distributions() -> Mapping[str, list[str]]:
    """Top-level module -> distributions; cached because it scans every installed package."""
    import importlib.metadata

    return importlib.metadata.packages_distributions()


def _text(path: Path) -> str:
    """A small UTF-8 text file of the model (a regular file, bounded in size)."""
    try:
        return read_regular_file(path, MAX_FILE_BYTES).decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"{path}: not UTF-8 text ({e})") from None


def _conda_pip_lines(path: Path) -> list[str]:
    """The ``pip:`` list of a conda environment file."""
    env = read_yaml_file(path)
    deps = env.get("dependencies") if isinstance(env, dict) else None
    if not isinstance(deps, list):
        raise FormatError(f"{path}: expected a 'dependencies' list")
    pip = [dep["pip"] for dep in deps if isinstance(dep, dict) and isinstance(dep.get("pip"), list)]
    return [str(line) for line in pip[0]] if pip else []


def _collect_modules(objects: Iterable[object]) -> set[str]:
    """Top-level module names of the classes and functions reachable from ``objects``."""
    found: set[str] = set()
    seen: set[int] = set()
    stack = [(obj, 0) for obj in objects]
    while stack and len(seen) < _MAX_NODES:
        obj, depth = stack.pop()
        if isinstance(obj, _ATOMS) or id(obj) in seen:
            continue
        seen.add(id(obj))
        _note_modules(obj, found)
        if depth < _MAX_DEPTH:
            stack.extend((child, depth + 1) for child in _children(obj, found))
    return found


def _note_modules(obj: object, found: set[str]) -> None:
    """Records where ``obj`` was defined: its class and bases, or the function or module."""
    import types

    if isinstance(obj, types.ModuleType):
        found.add(obj.__name__.partition(".")[0])
        return
    function = isinstance(obj, (types.FunctionType, types.BuiltinFunctionType))
    module = getattr(obj, "__module__", None) if function else None
    if isinstance(module, str):
        found.add(module.partition(".")[0])
    for base in (obj if isinstance(obj, type) else type(obj)).__mro__:
        found.add(str(base.__module__).partition(".")[0])


def _children(obj: object, found: set[str]) -> Iterator[object]:
    """What the walk descends into; reads attributes without running properties."""
    import itertools
    import types

    for kind, items in _ITERATE:
        if isinstance(obj, kind):
            yield from itertools.islice(items(obj), _MAX_ITEMS)
            return
    if isinstance(obj, types.FunctionType):
        yield from _function_refs(obj, found)
    elif isinstance(obj, types.MethodType):
        yield from (obj.__func__, obj.__self__)
    elif isinstance(obj, functools.partial):
        yield from (obj.func, obj.args, obj.keywords)
    elif not isinstance(obj, (type, types.ModuleType)):
        try:
            attrs = object.__getattribute__(obj, "__dict__")
        except Exception:  # objects without a __dict__ (slots, C types) are leaves
            return
        if isinstance(attrs, dict):
            yield from itertools.islice(attrs.values(), _MAX_ITEMS)


def _function_refs(fn: Any, found: set[str]) -> Iterator[object]:
    """Globals a function's code names (``np`` in ``np.log1p(x)``), its defaults and closure."""
    import types

    scope = fn.__globals__
    for name in fn.__code__.co_names:
        value = scope.get(name)
        if isinstance(value, types.ModuleType):
            found.add(value.__name__.partition(".")[0])
        elif value is not None and not isinstance(value, _ATOMS):
            yield value
    yield from fn.__defaults__ or ()
    for cell in fn.__closure__ or ():
        try:
            yield cell.cell_contents
        except ValueError:  # an empty cell
            continue
