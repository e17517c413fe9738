"""What in a model would run code when it is loaded: the analysis the trust gate acts on.

Kept apart from the gate (:mod:`tiffin.pyfunc.trust`, which decides) so the layers below pyfunc
can ask the same question: registering a model (:mod:`tiffin.tracking`) refuses
code-executing content without trust, with the very message a load would give. The answer
comes from three places: what each flavor's loader says it will do with this MLmodel
(``code_on_load``, looked up through :mod:`tiffin.plugins`), what the MLmodel declares
(``code/``, an unknown ``loader_module``, a pickled ``python_model``), and what the bytes are
(:mod:`tiffin.format.sniff`). Every path the MLmodel names is checked first.

Example:
    >>> code_reasons(path, MLModel.load(path), ["model.pkl"])  # doctest: +SKIP
    {'model.pkl': "a scikit-learn model stored as 'pickle' (unpickled on load)"}
"""

from __future__ import annotations

import importlib
from pathlib import Path

from tiffin import plugins
from tiffin.format.mlmodel import MLModel
from tiffin.format.model_paths import check_model_paths
from tiffin.format.sniff import find_code_files

__all__ = ["code_reasons", "refusal"]


def _declared_code(model_dir: Path, mlmodel: MLModel) -> dict[str, str]:
    """Code the MLmodel itself says will run, whatever the files look like."""
    reasons: dict[str, str] = {}
    pyfunc = mlmodel.flavors.get("python_function", {})
    loader = pyfunc.get("loader_module")
    if loader is not None and (not isinstance(loader, str) or plugins.loader_for(loader) is None):
        reasons["MLmodel"] = f"names loader_module {loader!r}, which is not a known tiffin loader"
    elif isinstance(loader, str) and loader in plugins.CODE_LOADERS:
        reasons["MLmodel"] = plugins.CODE_LOADERS[loader]
    for flavor, conf in mlmodel.flavors.items():
        code = conf.get("code")
        if code:
            reasons[str(code)] = f"flavor {flavor!r} ships Python code to import"
    if pyfunc.get("python_model"):
        reasons[str(pyfunc["python_model"])] = "a pickled PythonModel (cloudpickle)"
    if pyfunc.get("model_code_path"):
        reasons[str(pyfunc["model_code_path"])] = "a models-from-code script to execute"
    return reasons


def _loader_code(model_dir: Path, mlmodel: MLModel) -> dict[str, str]:
    """What the loaders that would read this model say they will execute (``code_on_load``).

    Asked of the pyfunc loader the file names and of every flavor block we know: a flavor's
    own ``load_model`` reads its block whatever ``python_function`` says.
    """
    loader = mlmodel.flavors.get("python_function", {}).get("loader_module")
    modules = {plugins.loader_for(loader)} if isinstance(loader, str) else set()
    modules |= {plugins.flavor_path(name) for name in mlmodel.flavors}
    reasons: dict[str, str] = {}
    for name in sorted(m for m in modules if m):
        ask = getattr(importlib.import_module(name), "code_on_load", None)
        if ask is not None:
            reasons.update(ask(model_dir, mlmodel))
    return reasons


def code_reasons(model_dir: Path, mlmodel: MLModel, files: list[str]) -> dict[str, str]:
    """Path -> why loading would run code there: loaders, declarations and file contents.

    The same answer the gate acts on, for ``tiffin models verify`` and ``inspect``.

    Example:
        >>> code_reasons(path, MLModel.load(path), ["model.pkl"])  # doctest: +SKIP
        {'model.pkl': "a scikit-learn model stored with serialization_format 'pickle' ..."}
    """
    model_dir = Path(model_dir)
    check_model_paths(model_dir, mlmodel.to_dict())
    return {
        **find_code_files(model_dir, files),
        **_loader_code(model_dir, mlmodel),
        **_declared_code(model_dir, mlmodel),
    }


def refusal(model_dir: Path, reasons: dict[str, str], action: str = "load") -> str:
    """The refusal message: each path and why, then how to proceed.

    Example:
        >>> print(refusal(Path("m"), {"model.pkl": "a pickle"}).splitlines()[1])
        - model.pkl: a pickle
    """
    lines = [f"- {path}: {why}" for path, why in sorted(reasons.items())]
    return (
        f"refusing to {action} {model_dir}: loading it would run code from the model\n"
        + "\n".join(lines)
        + f"\nIf you trust where this model came from, {action} it with trust=True "
        "(CLI: --trust). For scikit-learn models, re-save with serialization_format='skops', "
        "which loads without running code."
    )
