"""Environment files of a model: ``requirements.txt``, ``python_env.yaml``, ``conda.yaml``.

MLflow writes these three files next to every model so the model can be re-created elsewhere
(``mlflow models serve --env-manager virtualenv`` reads ``python_env.yaml``, conda users read
``conda.yaml``). tiffin writes them byte for byte as MLflow 3.17 does, but without MLflow's
7-12 s subprocess that re-loads the model to see what it imports: requirements are inferred
from the live Python objects instead.

Every requirement line is checked before it is written or handed back, because these files
are later given to ``pip``: options (``-e``, ``--index-url``), URLs, VCS links and shell
metacharacters are refused with a :class:`~tiffin.errors.FormatError` naming the line.

Example:
    >>> reqs = resolve_requirements(["scikit-learn"], infer_requirements(model))  # doctest: +SKIP
    >>> env = write_environment(model_dir, reqs)  # doctest: +SKIP
    >>> env
    {'conda': 'conda.yaml', 'virtualenv': 'python_env.yaml'}
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.errors import FormatError, NotFoundError

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

__all__ = [
    "CONDA_FILE",
    "PYTHON_ENV_FILE",
    "REQUIREMENTS_FILE",
    "infer_requirements",
    "read_requirements",
    "requirement_mismatches",
    "resolve_requirements",
    "write_environment",
]

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_FILE = "conda.yaml"

# Distributions never written as a model requirement: tiffin and MLflow are the tools, not the
# model's dependencies, and setuptools is imported incidentally by many packages.
_EXCLUDED = frozenset({"tiffin", "mlflow", "mlflow-skinny", "mlflow-tracing", "setuptools"})
# MLflow's own packages are skipped by the load-time check: tiffin stands in for them.
_MLFLOW = frozenset({"mlflow", "mlflow-skinny", "mlflow-tracing"})
# Text that has no business in a requirement and that a shell or pip would act on.
_FORBIDDEN = ("$", "`", "|", "&", "\\", "://", "git+", "--", "#", "\n", "\r", "\t", "\0")
# Bounds of the object walk in infer_requirements: it must stay cheap on any object.
_MAX_NODES = 10_000
_MAX_DEPTH = 24
_MAX_ITEMS = 1_000
_ATOMS = (str, bytes, bytearray, int, float, complex, bool, type(None))


def infer_requirements(*objects: object, modules: Iterable[str] = ()) -> list[str]:
    """Pins the installed distributions whose code the given objects are made of.

    MLflow learns this by re-loading the saved model in a subprocess and recording imports
    (7-12 s). The classes of the live objects already say it: the walk visits the objects,
    their attributes, containers, steps, functions and the globals those functions use, within
    fixed bounds, and maps each top-level module to the distribution that installs it.

    Args:
        *objects: The model and anything else it needs at predict time.
        modules: Extra module names to count, e.g. ``["skops.io"]`` for the serializer.

    Returns:
        ``name==version`` lines (local labels such as ``+cu121`` stripped), sorted by
        normalized name, without the standard library, tiffin, MLflow and setuptools.

    Example:
        >>> from sklearn.linear_model import LogisticRegression
        >>> infer_requirements(LogisticRegression())  # doctest: +SKIP
        ['scikit-learn==1.9.1']
    """
    from packaging.utils import canonicalize_name

    found = _collect_modules(objects) | {m.partition(".")[0] for m in modules}
    mapping = _module_distributions()
    names: set[str] = set()
    for module in found - set(sys.stdlib_module_names):
        names.update(canonicalize_name(dist) for dist in mapping.get(module, ()))
    pins = []
    for name in sorted(names - _EXCLUDED):
        version = _installed_version(name)
        if version is not None:
            pins.append(f"{name}=={version}")
    return pins


def resolve_requirements(
    defaults: Iterable[str],
    inferred: Iterable[str] = (),
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
) -> list[str]:
    """Combines a flavor's defaults, inferred and user requirements the way MLflow does.

    ``pip_requirements`` replaces everything (MLflow: no inference at all);
    ``extra_pip_requirements`` is appended to the defaults and inferred ones. Duplicates are
    merged by canonical name and marker, so ``pandas==3.1.1`` and ``pandas>=2`` become
    ``pandas==3.1.1,>=2`` as in MLflow. Unlike MLflow, no ``mlflow==X`` line is added.

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
            ``a==2``), or both ``pip_requirements`` and ``extra_pip_requirements`` are given.

    Example:
        >>> resolve_requirements(["scikit-learn"], extra_pip_requirements=["pandas>=2"])
        ... # doctest: +SKIP
        ['scikit-learn==1.9.1', 'pandas>=2']
    """
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise FormatError(
            "Only one of `pip_requirements` and `extra_pip_requirements` can be specified"
        )
    if pip_requirements is not None:
        return _deduplicate(_parse_lines(pip_requirements))
    base = [_pin_if_installed(req) for req in _parse_lines(defaults)]
    base += _parse_lines(inferred)
    unique = {str(req): req for req in base}
    ordered = sorted(unique.values(), key=lambda req: (_canonical(req.name), str(req)))
    return _deduplicate(ordered + _parse_lines(extra_pip_requirements or ()))


def write_environment(model_dir: Path, requirements: Sequence[str]) -> dict[str, str]:
    """Writes ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` as MLflow does.

    The bytes match MLflow 3.17's for the same requirement list (MLflow also puts an
    ``mlflow==X`` line first): no trailing newline in ``requirements.txt``, ``python_env.yaml``
    keys in the order python, build_dependencies, dependencies, and ``conda.yaml`` with its
    keys sorted and ``pip<=<installed pip>`` so conda can fall back to an older pip.

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
    python_env = {
        "python": python,
        "build_dependencies": [_pinned_or_bare(name) for name in ("pip", "setuptools", "wheel")],
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

    Models from any source are read here, so each line is checked as on write unless
    ``validate`` is false (for display only: never give unvalidated lines to pip). Models
    written by MLflow before 1.20 have only ``conda.yaml``; its pip list is used then.

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
        raw = path.read_text(encoding="utf-8").splitlines()
    elif (model_dir / CONDA_FILE).is_file():
        raw = _conda_pip_lines(model_dir / CONDA_FILE)
    else:
        raise NotFoundError(f"no {REQUIREMENTS_FILE} or {CONDA_FILE} in {model_dir}")
    lines = [line.strip() for line in raw if line.strip() and not line.lstrip().startswith("#")]
    if validate:
        for line in lines:
            _parse_safe(line)
    return lines


def requirement_mismatches(requirements: Iterable[str]) -> list[str]:
    """Lists the requirements the running environment does not satisfy, for a load warning.

    MLflow warns at load time with "Detected one or more mismatches between the model's
    dependencies and the current Python environment:" followed by one ``- item`` per problem;
    this returns those items. Installed versions come from package metadata only: a name read
    from a model file is never imported. MLflow's own packages and lines that are not plain
    requirements (URLs, options) are skipped, as are lines whose marker does not apply here.

    Args:
        requirements: Requirement lines, e.g. from :func:`read_requirements`.

    Returns:
        Items like ``"numpy (current: 2.4.6, required: numpy==1.26.4)"``, or
        ``"(current: uninstalled, ...)"`` for a missing package.

    Example:
        >>> requirement_mismatches(["numpy==0.1"])  # doctest: +SKIP
        ['numpy (current: 2.4.6, required: numpy==0.1)']
    """
    from packaging.requirements import InvalidRequirement, Requirement

    items = []
    for line in requirements:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if _canonical(req.name) in _MLFLOW or (req.marker and not req.marker.evaluate()):
            continue
        installed = _installed_version(req.name, strip_local=False)
        if installed is None or not _satisfies(req, installed):
            items.append(f"{req.name} (current: {installed or 'uninstalled'}, required: {line})")
    return items


def _satisfies(req: Requirement, version: str) -> bool:
    """Tells whether ``version`` meets ``req``; an unparsable installed version does not."""
    from packaging.version import InvalidVersion

    try:
        return req.specifier.contains(version, prereleases=True)
    except InvalidVersion:
        return False


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
        raise FormatError(
            f"requirement {line!r} refused: not a PEP 508 requirement ({exc})"
        ) from exc
    if req.url:
        raise FormatError(f"requirement {line!r} refused: URL requirements are not allowed")
    return req


def _parse_lines(lines: Iterable[str]) -> list[Requirement]:
    """Parses lines safely, skipping blanks and full-line comments as pip does."""
    if isinstance(lines, str):
        raise TypeError("expected a list of requirement lines, got a single string")
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
    if not kept.specifier:
        kept.specifier = new.specifier
        return
    local = _same_pin_but_local(kept.specifier, new.specifier)
    if local is not None:
        kept.specifier = local
        return
    combined = SpecifierSet(f"{kept.specifier},{new.specifier}")
    pins = {spec.version for spec in combined if spec.operator in ("==", "===")}
    if any(not combined.contains(pin, prereleases=True) for pin in pins if "*" not in pin):
        raise FormatError(
            f"requirements for {kept.name!r} contradict each other: "
            f"{kept.name}{kept.specifier} and {new}"
        )
    kept.specifier = combined


def _same_pin_but_local(a: SpecifierSet, b: SpecifierSet) -> SpecifierSet | None:
    """For ``torch==2.1`` vs ``torch==2.1+cu121`` returns the PyPI-installable one, else None."""
    specs_a, specs_b = list(a), list(b)
    if len(specs_a) != 1 or len(specs_b) != 1:
        return None
    va, vb = specs_a[0].version, specs_b[0].version
    if specs_a[0].operator != "==" or specs_b[0].operator != "==" or ("+" in va) == ("+" in vb):
        return None
    if va.split("+")[0] != vb.split("+")[0]:
        return None
    return b if "+" in va else a


def _pin_if_installed(req: Requirement) -> Requirement:
    """Pins an unpinned default (``scikit-learn``) to the installed version, as MLflow does."""
    from packaging.specifiers import SpecifierSet

    if not req.specifier:
        version = _installed_version(req.name)
        if version is not None:
            req.specifier = SpecifierSet(f"=={version}")
    return req


def _pinned_or_bare(name: str) -> str:
    """``pip==23.2.1`` when installed, else the bare name (python_env.yaml build deps)."""
    version = _installed_version(name, strip_local=False)
    return f"{name}=={version}" if version else name


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


def _conda_pip_lines(path: Path) -> list[str]:
    """The ``pip:`` list of a conda environment file."""
    import yaml

    env = yaml.safe_load(path.read_text(encoding="utf-8"))
    deps = env.get("dependencies") if isinstance(env, dict) else None
    for dep in deps if isinstance(deps, list) else []:
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            return [str(line) for line in dep["pip"]]
    if not isinstance(deps, list):
        raise FormatError(f"{path}: expected a 'dependencies' list")
    return []


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
    """Records where ``obj`` (or, for a class or module, the object itself) was defined."""
    import types

    if isinstance(obj, types.ModuleType):
        found.add(obj.__name__.partition(".")[0])
        return
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        module = obj.__module__
        if isinstance(module, str):  # None for some C functions
            found.add(module.partition(".")[0])
    cls = obj if isinstance(obj, type) else type(obj)
    for base in cls.__mro__:
        found.add(str(base.__module__).partition(".")[0])


def _children(obj: object, found: set[str]) -> Iterator[object]:
    """What the walk descends into; reads attributes without running properties."""
    import functools as ft
    import itertools
    import types

    # The builtin methods are called directly so a subclass's overrides never run.
    if isinstance(obj, dict):
        yield from itertools.islice(dict.values(obj), _MAX_ITEMS)
    elif isinstance(obj, list):
        yield from itertools.islice(list.__iter__(obj), _MAX_ITEMS)
    elif isinstance(obj, tuple):
        yield from itertools.islice(tuple.__iter__(obj), _MAX_ITEMS)
    elif isinstance(obj, set):
        yield from itertools.islice(set.__iter__(obj), _MAX_ITEMS)
    elif isinstance(obj, frozenset):
        yield from itertools.islice(frozenset.__iter__(obj), _MAX_ITEMS)
    elif isinstance(obj, types.FunctionType):
        yield from _function_refs(obj, found)
    elif isinstance(obj, types.MethodType):
        yield from (obj.__func__, obj.__self__)
    elif isinstance(obj, ft.partial):
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
