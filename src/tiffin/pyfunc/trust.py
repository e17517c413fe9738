"""The trust gate: the one function that stands in front of every flavor loader.

Loading a pickle runs a program chosen by whoever wrote the file. So before any flavor code or
any ``code/`` import runs, the gate (1) verifies the manifest (a changed, missing, extra or
symlinked file is refused) and that every path the MLmodel names stays inside the model,
(2) finds everything that would execute code: what each flavor's loader says it will do with
this MLmodel (a pickle ``serialization_format`` is code whatever the bytes look like), files
sniffed by content, an unknown ``loader_module``, a ``code/`` directory, a pickled
``python_model``, and (3) refuses unless the caller trusts the model. The artifact never
declares its own trust: a trust list inside the MLmodel is ignored.

The answer is a :class:`TrustDecision` that only :func:`check_trust` can make. Every call that
could run code (:mod:`tiffin.pyfunc.unpickle`) takes it as an argument and refuses an
untrusted one, so a file the sniffer did not recognise still never reaches an unpickler.

Example:
    >>> decision = check_trust(path, MLModel.load(path))  # doctest: +SKIP
    >>> decision.allows_code
    False
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from tiffin import plugins
from tiffin.errors import UntrustedModelError
from tiffin.format.manifest import Manifest, scan_files, verify_manifest
from tiffin.format.mlmodel import MLModel
from tiffin.format.model_paths import check_model_paths, inside_model
from tiffin.format.sniff import find_code_files

__all__ = ["TrustDecision", "check_trust", "code_reasons"]

_GATE = object()  # only check_trust holds it, so only check_trust makes decisions


@dataclass(frozen=True)
class TrustDecision:
    """What the gate found: why the model would run code (path -> reason), and if that's OK.

    Made only by :func:`check_trust`; constructing one elsewhere is a ``TypeError``.
    """

    model_dir: Path
    reasons: dict[str, str]
    trusted: bool
    manifest: Manifest | None = None
    _key: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._key is not _GATE:
            raise TypeError("a TrustDecision is made only by tiffin.pyfunc.trust.check_trust")

    @property
    def runs_code(self) -> bool:
        return bool(self.reasons)

    @property
    def allows_code(self) -> bool:
        return self.trusted

    def require(self, file: Path | str, what: str) -> Path:
        """The checked path of ``file`` when code from it may run; raise otherwise.

        Args:
            file: the file (or directory) about to be deserialized or imported.
            what: what would run, for the message ("a pickle", "skops with any type").
        """
        path, root = Path(os.path.abspath(file)), Path(os.path.abspath(self.model_dir))
        relative = str(path.relative_to(root)) if path.is_relative_to(root) else str(file)
        checked = inside_model(self.model_dir, relative, what)
        if not self.trusted:
            raise UntrustedModelError(_refusal(self.model_dir, {relative: what}))
        return checked


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

    Raises:
        IntegrityError: files differ from the manifest (or a symlink is present).
        FormatError: the MLmodel names a path outside the model directory.
        UntrustedModelError: loading would run code and the model is not trusted.

    Example:
        >>> check_trust(path, MLModel.load(path))  # doctest: +SKIP
        TrustDecision(model_dir=..., reasons={}, trusted=False, ...)
    """
    model_dir = Path(model_dir)
    manifest = verify_manifest(model_dir, expected_digest)
    files = sorted(manifest.files) if manifest is not None else scan_files(model_dir)
    reasons = code_reasons(model_dir, mlmodel, files)
    trusted = trust or (expected_digest is not None and manifest is not None)
    if reasons and not trusted:
        raise UntrustedModelError(_refusal(model_dir, reasons))
    return TrustDecision(model_dir, reasons, trusted, manifest, _GATE)


def _refusal(model_dir: Path, reasons: dict[str, str]) -> str:
    lines = [f"- {path}: {why}" for path, why in sorted(reasons.items())]
    return (
        f"refusing to load {model_dir}: loading it would run code from the model\n"
        + "\n".join(lines)
        + "\nIf you trust where this model came from, load it with trust=True "
        "(CLI: --trust). For scikit-learn models, re-save with serialization_format='skops', "
        "which loads without running code."
    )
