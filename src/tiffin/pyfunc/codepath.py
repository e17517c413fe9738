"""Import a model's ``code/`` directory without letting it leak into other models.

MLflow prepends every model's code directory to ``sys.path`` and never removes it, so two
models that each ship a ``utils.py`` get whichever was imported first (mlflow#4061). Here the
directory is on ``sys.path`` only while the model loads; modules imported from it are then taken
out of ``sys.modules`` (the loaded objects keep their references), so the next model imports
its own copy.

Example:
    >>> with isolated_code_path(None):
    ...     pass
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["isolated_code_path"]


def _from_dir(module: object, root: str) -> bool:
    file = getattr(module, "__file__", None)
    if isinstance(file, str) and file.startswith(root):
        return True
    paths = getattr(module, "__path__", None)
    return any(str(p).startswith(root) for p in paths or ())


@contextlib.contextmanager
def isolated_code_path(code_dir: Path | None) -> Iterator[None]:
    """Make ``code_dir`` importable for the duration of the block only."""
    if code_dir is None or not Path(code_dir).is_dir():
        yield
        return
    root = str(Path(code_dir).resolve())
    shadowed = {
        name: mod
        for name in _top_level_names(Path(root))
        for mod in [sys.modules.get(name)]
        if mod is not None
    }
    for name in shadowed:
        del sys.modules[name]
    sys.path.insert(0, root)
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(root)
        for name, mod in list(sys.modules.items()):
            if _from_dir(mod, root):
                del sys.modules[name]
        sys.modules.update(shadowed)


def _top_level_names(root: Path) -> set[str]:
    names = set()
    for child in root.iterdir():
        if child.suffix == ".py":
            names.add(child.stem)
        elif child.is_dir() and (child / "__init__.py").exists():
            names.add(child.name)
    return names
