"""``tiffin models pack`` and ``unpack``: a model directory as one ``.tiffin`` file and back.

The file is a deterministic zip that carries the manifest; every command that takes ``-m``
(``predict``, ``serve``, ``inspect``, ``verify``) also takes the file directly.

Example:
    $ tiffin models pack -m models:/churn@champion -o churn.tiffin
    $ tiffin models serve -m churn.tiffin
    $ tiffin models unpack -i churn.tiffin -o ./churn
"""

from __future__ import annotations

from pathlib import Path

import click

from tiffin.format.archive_checks import ArchiveLimits

__all__ = ["pack_command", "unpack_command"]

_DEFAULTS = ArchiveLimits()


@click.command("pack")
@click.option("-m", "--model-uri", required=True,
              help="Model directory, .tiffin file, file://, runs:/ or models:/ URI.")  # fmt: skip
@click.option("-o", "--output-path", type=click.Path(path_type=Path), required=True,
              help="The .tiffin file to write (atomically).")  # fmt: skip
@click.option("--add-manifest", is_flag=True,
              help="For a model without a manifest (MLflow's): record its files as they are "
                   "now in the archive, instead of refusing.")  # fmt: skip
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def pack_command(model_uri: str, output_path: Path, add_manifest: bool, overwrite: bool) -> None:
    """Pack a model into one file; the same model always gives the same bytes.

    The model's manifest must verify (a registered model's must also match the digest the
    registry recorded); links and special files are refused.
    """
    from tiffin.format.archive import pack
    from tiffin.pyfunc.open import resolve_model

    resolved = resolve_model(model_uri)
    manifest = pack(
        resolved.path,
        output_path,
        expected_digest=resolved.digest,
        add_manifest=add_manifest,
        overwrite=overwrite,
    )
    size = output_path.stat().st_size
    click.echo(
        f"{output_path}: {len(manifest.files)} files, {size} bytes, manifest {manifest.digest[:16]}"
    )


@click.command("unpack")
@click.option("-i", "--input-path", type=click.Path(path_type=Path), required=True,
              help="The .tiffin file.")  # fmt: skip
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), required=True,
              help="Directory to create; it must not exist or be empty.")  # fmt: skip
@click.option("--max-members", type=click.IntRange(min=1), default=_DEFAULTS.max_members,
              show_default=True, help="Refuse archives with more members.")  # fmt: skip
@click.option("--max-bytes", type=click.IntRange(min=1), default=_DEFAULTS.max_bytes,
              show_default=True, help="Refuse archives that expand to more bytes.")  # fmt: skip
@click.option("--max-ratio", type=click.FloatRange(min=1), default=_DEFAULTS.max_ratio,
              show_default=True,
              help="Refuse a member (over 16 MiB) that expands more than this many times its "
                   "compressed size.")  # fmt: skip
def unpack_command(
    input_path: Path, output_dir: Path, max_members: int, max_bytes: int, max_ratio: float
) -> None:
    """Unpack a .tiffin file into a directory, refusing anything unsafe, and verify it.

    Links, devices, setuid bits, absolute or '..' names, duplicates and zip bombs are refused
    naming the member; nothing is left behind on a refusal. The manifest is verified before
    the directory appears. Unpacking loads nothing, so it needs no --trust.
    """
    from tiffin.format.archive import unpack
    from tiffin.format.manifest import read_manifest

    limits = ArchiveLimits(max_members=max_members, max_bytes=max_bytes, max_ratio=max_ratio)
    target = unpack(input_path, output_dir, limits=limits)
    manifest = read_manifest(target)
    assert manifest is not None  # unpack refuses archives without one
    click.echo(f"{target}: {len(manifest.files)} files match manifest {manifest.digest[:16]}")
