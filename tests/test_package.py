"""Package-wide rules: sorted __all__, a light top-level import, no MLflow import."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import tiffin


def _modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(tiffin.__path__, "tiffin.")]


def test_every_module_has_a_sorted_all() -> None:
    for name in _modules():
        module = importlib.import_module(name)
        if name.endswith("__main__"):
            continue
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{name} has no __all__"
        assert list(exported) == sorted(exported), f"{name}.__all__ is not sorted"


def test_import_tiffin_loads_no_heavy_libraries() -> None:
    code = (
        "import sys, tiffin, tiffin.pyfunc, tiffin.errors; "
        "heavy = {'numpy', 'pandas', 'sklearn', 'mlflow', 'yaml', 'click'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_loading_a_model_never_imports_mlflow(tmp_path: object) -> None:
    code = "import sys, tiffin.format.mlmodel, tiffin.pyfunc.load; print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
