"""What ``tiffin models inspect`` shows: gathered as data, then drawn as rich tables.

Inspection never deserializes the model, so it is safe on any directory: it reads the MLmodel,
lists files, checks the manifest and asks the trust gate what loading would run.
"""

from __future__ import annotations

from typing import Any

__all__ = ["describe", "render"]


def describe(model_uri: str) -> dict[str, Any]:
    """A JSON-ready description of the model at ``model_uri``."""
    from tiffin.errors import FormatError, IntegrityError
    from tiffin.format.manifest import scan_files, verify_manifest
    from tiffin.pyfunc.open import locate_model
    from tiffin.pyfunc.trust import code_reasons

    # locate, not open: inspection reports what the gate would say instead of being refused
    located = locate_model(model_uri)
    model_dir, mlmodel, resolved = located.model_dir, located.mlmodel, located.resolved
    try:
        manifest = verify_manifest(model_dir, expected_digest=resolved.digest)
        state = "ok" if manifest is not None else "no manifest"
    except IntegrityError as e:
        state = f"FAILED: {e}"
    files = scan_files(model_dir)  # again: a failed verification returns no file list
    try:  # what the gate would say: the loaders' own answer as well as the file contents
        runs_code = code_reasons(model_dir, mlmodel, files)
    except FormatError as e:
        runs_code = {"MLmodel": str(e)}
    sig = mlmodel.signature
    return {
        "path": str(model_dir),
        "flavors": {k: dict(v) for k, v in mlmodel.flavors.items()},
        "signature": {
            "inputs": repr(sig.inputs) if sig and sig.inputs else None,
            "outputs": repr(sig.outputs) if sig and sig.outputs else None,
            "params": repr(sig.params) if sig and sig.params else None,
        },
        "files": {rel: (model_dir / rel).stat().st_size for rel in files},
        "manifest": state,
        "runs_code": runs_code,
        **({"registered": _registered(resolved)} if resolved.name is not None else {}),
    }


def _registered(resolved: Any) -> dict[str, Any]:
    """The version and the trust decision in force on it (who, when, which digest)."""
    trust = resolved.trust
    return {
        "name": resolved.name,
        "version": resolved.version,
        "digest": resolved.digest,
        "trust": None if trust is None else {
            "trusted_by": trust.principal, "timestamp": trust.timestamp, "digest": trust.digest
        },
    }  # fmt: skip


def render(info: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{info['path']}[/bold]  manifest: {info['manifest']}")
    if "registered" in info:
        reg, trust = info["registered"], info["registered"]["trust"]
        said = f"trusted by {trust['trusted_by']}" if trust else "no trust decision recorded"
        console.print(f"registered: {reg['name']} version {reg['version']} ({said})")
    flavors = Table("flavor", "settings", title="Flavors")
    for name, conf in info["flavors"].items():
        flavors.add_row(name, ", ".join(f"{k}={v}" for k, v in sorted(conf.items())))
    console.print(flavors)
    sig = Table("part", "schema", title="Signature")
    for part, text in info["signature"].items():
        sig.add_row(part, text or "-")
    console.print(sig)
    files = Table("file", "bytes", "runs code", title="Files")
    for rel, size in info["files"].items():
        files.add_row(rel, str(size), info["runs_code"].get(rel, ""))
    console.print(files)
