"""The trust gate: the one function that stands in front of every flavor loader.

Loading a pickle runs a program chosen by whoever wrote the file. So before any flavor code or
any ``code/`` import runs, the gate (1) verifies the manifest (a changed, missing, extra or
symlinked file is refused), (2) finds everything in the model that would execute code (files
sniffed by content, an unknown ``loader_module``, a ``code/`` directory, a pickled
``python_model``), and (3) refuses unless the caller trusts the model. The artifact never
declares its own trust: a trust list inside the MLmodel is ignored.

Example:
    >>> from tiffin.pyfunc.trust import TrustDecision
    >>> TrustDecision(reasons={}, trusted=False).allows_code
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tiffin import plugins
from tiffin.errors import UntrustedModelError
from tiffin.format.manifest import Manifest, scan_files, verify_manifest
from tiffin.format.mlmodel import MLModel
from tiffin.format.sniff import find_code_files

__all__ = ["TrustDecision", "check_trust"]


@dataclass(frozen=True)
class TrustDecision:
    """What the gate found: why the model would run code (path -> reason), and if that's OK."""

    reasons: dict[str, str]
    trusted: bool
    manifest: Manifest | None = None

    @property
    def runs_code(self) -> bool:
        return bool(self.reasons)

    @property
    def allows_code(self) -> bool:
        return self.trusted


def _declared_code(model_dir: Path, mlmodel: MLModel) -> dict[str, str]:
    """Code the MLmodel itself says will run, whatever the files look like."""
    reasons: dict[str, str] = {}
    pyfunc = mlmodel.flavors.get("python_function", {})
    loader = pyfunc.get("loader_module")
    if isinstance(loader, str) and plugins.loader_for(loader) is None:
        reasons["MLmodel"] = f"names loader_module {loader!r}, which is not a known tiffin loader"
    elif isinstance(loader, str) and loader in plugins.CODE_LOADERS:
        reasons["MLmodel"] = plugins.CODE_LOADERS[loader]
    for flavor, conf in mlmodel.flavors.items():
        code = conf.get("code")
        if code and (model_dir / str(code)).exists():
            reasons[str(code)] = f"flavor {flavor!r} ships Python code to import"
    if pyfunc.get("python_model"):
        reasons[str(pyfunc["python_model"])] = "a pickled PythonModel (cloudpickle)"
    if pyfunc.get("model_code_path"):
        reasons[str(pyfunc["model_code_path"])] = "a models-from-code script to execute"
    return reasons


def check_trust(
    model_dir: Path, mlmodel: MLModel, *, trust: bool = False, expected_digest: str | None = None
) -> TrustDecision:
    """Verify the files and decide whether the model may be loaded; raise if it may not.

    Args:
        model_dir: the local model directory.
        mlmodel: its parsed MLmodel.
        trust: the caller vouches for the model (``--trust``), allowing code-executing content.
        expected_digest: a manifest digest recorded by a registry; when the files match it the
            model is trusted (the registry is the trust root).

    Example:
        >>> check_trust(path, MLModel.load(path))  # doctest: +SKIP
        TrustDecision(reasons={}, trusted=False, ...)
    """
    model_dir = Path(model_dir)
    manifest = verify_manifest(model_dir, expected_digest)
    files = sorted(manifest.files) if manifest is not None else scan_files(model_dir)
    reasons = {**find_code_files(model_dir, files), **_declared_code(model_dir, mlmodel)}
    trusted = trust or (expected_digest is not None and manifest is not None)
    if reasons and not trusted:
        raise UntrustedModelError(_refusal(model_dir, reasons))
    return TrustDecision(reasons=reasons, trusted=trusted, manifest=manifest)


def _refusal(model_dir: Path, reasons: dict[str, str]) -> str:
    lines = [f"- {path}: {why}" for path, why in sorted(reasons.items())]
    return (
        f"refusing to load {model_dir}: loading it would run code from the model\n"
        + "\n".join(lines)
        + "\nIf you trust where this model came from, load it with trust=True "
        "(CLI: --trust). For scikit-learn models, re-save with serialization_format='skops', "
        "which loads without running code."
    )
