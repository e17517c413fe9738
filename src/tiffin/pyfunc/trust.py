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
    >>> decision.allows_code  # doctest: +SKIP
    False
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tiffin.errors import UntrustedModelError
from tiffin.format.manifest import Manifest, scan_files, verify_manifest
from tiffin.format.mlmodel import MLModel
from tiffin.format.model_paths import inside_model
from tiffin.format.runs_code import code_reasons, refusal
from tiffin.store.model_uris import ResolvedModel

__all__ = ["TrustDecision", "check_trust", "code_reasons"]  # code_reasons: re-exported

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
            raise UntrustedModelError(refusal(self.model_dir, {relative: what}))
        return checked


def check_trust(
    model_dir: Path,
    mlmodel: MLModel,
    *,
    trust: bool = False,
    registry: ResolvedModel | None = None,
) -> TrustDecision:
    """Verify the files and decide whether the model may be loaded; raise if it may not.

    Args:
        model_dir: the local model directory.
        mlmodel: its parsed MLmodel.
        trust: the caller vouches for the model (``--trust``), allowing code-executing content.
        registry: what resolving a ``models:/`` URI found: the files must match its digest,
            and when a person's trust decision is in force for that digest (``vouched``) the
            model is trusted: the registry vouches for the bytes, the person for running them.

    Raises:
        IntegrityError: files differ from the manifest (or a symlink is present).
        FormatError: the MLmodel names a path outside the model directory.
        UntrustedModelError: loading would run code and the model is not trusted.

    Example:
        >>> check_trust(path, MLModel.load(path))  # doctest: +SKIP
        TrustDecision(model_dir=..., reasons={}, trusted=False, ...)
    """
    model_dir = Path(model_dir)
    digest = registry.digest if registry is not None else None
    manifest = verify_manifest(model_dir, digest)
    files = sorted(manifest.files) if manifest is not None else scan_files(model_dir)
    reasons = code_reasons(model_dir, mlmodel, files)
    vouched = registry is not None and registry.vouched and digest is not None
    trusted = trust or (vouched and manifest is not None)
    if reasons and not trusted:
        raise UntrustedModelError(refusal(model_dir, reasons) + _registry_hint(registry))
    return TrustDecision(model_dir, reasons, trusted, manifest, _GATE)


def _registry_hint(registry: ResolvedModel | None) -> str:
    if registry is None or registry.name is None:
        return ""
    return (
        f"\nmodels:/{registry.name}/{registry.version} carries no trust decision in force (it "
        "was registered without trust, or trust was withdrawn). If running it is acceptable, "
        f"record that: tiffin models trust {registry.name} {registry.version}"
    )
