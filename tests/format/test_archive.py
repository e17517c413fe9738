"""The single-file format: deterministic packing, byte-identical round trips, every hostile
archive refused naming the member with nothing left behind, and loading a ``.tiffin`` file."""

from __future__ import annotations

import io
import os
import stat
import struct
import threading
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import tiffin.pyfunc
import tiffin.sklearn
from tiffin.errors import (
    AlreadyExistsError,
    FormatError,
    IntegrityError,
    UntrustedModelError,
)
from tiffin.format.archive import is_archive, pack, unpack
from tiffin.format.archive_cache import cache_root, unpack_cached
from tiffin.format.archive_checks import ArchiveLimits
from tiffin.format.manifest import MANIFEST_FILE, Manifest, write_manifest
from tiffin.pyfunc.open import resolve_model

TRICKY_FILES = [
    "MLmodel",
    "data/weights.bin",
    "data-v2/weights.bin",
    "database.txt",
    ".hidden",
    ".config/x",
    "données/modèle.bin",
    "模型.txt",
    "deep/a/b/c/d.json",
]
EMPTY_DIRS = ["empty", "nested/empty", ".cache-dir"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Loads unpack into this test's own cache, never the user's."""
    cache = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    root = tmp_path / "model"
    for i, rel in enumerate(TRICKY_FILES):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes([i]) * (100 + i) + rel.encode())
    for rel in EMPTY_DIRS:
        (root / rel).mkdir(parents=True)
    write_manifest(root)
    return root


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root``: file bytes, or None for a directory."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[(Path(dirpath) / name).relative_to(root).as_posix()] = None
        for name in filenames:
            path = Path(dirpath) / name
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def leftovers(parent: Path, name: str) -> list[str]:
    """Anything a failed unpack left next to its target (the target or a temporary sibling)."""
    return sorted(p.name for p in parent.iterdir() if name in p.name)


# -- packing ---------------------------------------------------------------------------------


def test_packing_twice_gives_identical_bytes_even_after_touching_files(
    model_dir: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.tiffin", tmp_path / "b.tiffin"
    pack(model_dir, first)
    for path in model_dir.rglob("*"):
        os.utime(path, (1_000_000_000, 1_234_567_890))
    (model_dir / "database.txt").chmod(0o600)
    (model_dir / "data").chmod(0o700)
    pack(model_dir, second)
    assert first.read_bytes() == second.read_bytes()


def test_members_are_sorted_with_fixed_times_modes_and_no_extra_fields(
    model_dir: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "m.tiffin"
    pack(model_dir, archive)
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {"empty/", "nested/empty/", ".cache-dir/", ".hidden", MANIFEST_FILE} <= set(names)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.extra == b"" and info.comment == b""
        assert info.create_system == 3
        mode = info.external_attr >> 16
        if info.is_dir():
            assert mode == stat.S_IFDIR | 0o755 and info.compress_type == zipfile.ZIP_STORED
        else:
            assert mode == stat.S_IFREG | 0o644 and info.compress_type == zipfile.ZIP_DEFLATED


def test_round_trip_keeps_every_file_empty_directory_dot_file_and_name(
    model_dir: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "m.tiffin"
    manifest = pack(model_dir, archive)
    out = unpack(archive, tmp_path / "copy")
    assert snapshot(out) == snapshot(model_dir)
    assert set(manifest.files) == set(TRICKY_FILES)  # dot files are in the manifest
    assert (out / MANIFEST_FILE).read_bytes() == (model_dir / MANIFEST_FILE).read_bytes()


def test_pack_refuses_a_model_whose_files_differ_from_its_manifest(
    model_dir: Path, tmp_path: Path
) -> None:
    (model_dir / "data-v2" / "weights.bin").write_bytes(b"changed")
    with pytest.raises(IntegrityError, match="data-v2/weights.bin"):
        pack(model_dir, tmp_path / "m.tiffin")
    assert not (tmp_path / "m.tiffin").exists()
    assert leftovers(tmp_path, "m.tiffin") == []


def test_pack_refuses_a_model_without_manifest_unless_asked_to_add_one(
    model_dir: Path, tmp_path: Path
) -> None:
    (model_dir / MANIFEST_FILE).unlink()
    before = snapshot(model_dir)
    with pytest.raises(IntegrityError, match="add_manifest=True"):
        pack(model_dir, tmp_path / "m.tiffin")
    manifest = pack(model_dir, tmp_path / "m.tiffin", add_manifest=True)
    assert snapshot(model_dir) == before  # the directory itself is not changed
    out = unpack(tmp_path / "m.tiffin", tmp_path / "copy")
    assert (out / MANIFEST_FILE).read_bytes() == manifest.to_json()
    assert {k: v for k, v in snapshot(out).items() if k != MANIFEST_FILE} == before


def test_pack_refuses_symlinks(model_dir: Path, tmp_path: Path) -> None:
    os.symlink("/etc/passwd", model_dir / "data" / "link")
    with pytest.raises(IntegrityError, match="symbolic link"):
        pack(model_dir, tmp_path / "m.tiffin")


def test_pack_refuses_a_name_unpack_would_refuse(model_dir: Path, tmp_path: Path) -> None:
    (model_dir / "back\\slash").write_text("x")
    write_manifest(model_dir)
    with pytest.raises(FormatError, match="backslash"):
        pack(model_dir, tmp_path / "m.tiffin")


def test_pack_refuses_names_that_collide_on_other_file_systems(
    model_dir: Path, tmp_path: Path
) -> None:
    (model_dir / "mlmodel").write_text("shadow")
    write_manifest(model_dir)
    with pytest.raises(FormatError, match="case-insensitive"):
        pack(model_dir, tmp_path / "m.tiffin")
    assert leftovers(tmp_path, "m.tiffin") == []


def test_pack_checks_the_registry_digest(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="differs from the recorded"):
        pack(model_dir, tmp_path / "m.tiffin", expected_digest="0" * 64)


def test_pack_does_not_overwrite_unless_asked_nor_write_inside_the_model(
    model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "m.tiffin"
    out.write_bytes(b"precious")
    with pytest.raises(AlreadyExistsError):
        pack(model_dir, out)
    assert out.read_bytes() == b"precious"
    pack(model_dir, out, overwrite=True)
    assert is_archive(out)
    with pytest.raises(FormatError, match="inside the model"):
        pack(model_dir, model_dir / "self.tiffin")


# -- hostile archives ------------------------------------------------------------------------


def member(name: str, mode: int | None = None, *, method: int = zipfile.ZIP_DEFLATED) -> Any:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.create_system = 3
    info.compress_type = method
    if mode is not None:
        info.external_attr = mode << 16
    return info


def hostile(path: Path, *extra: tuple[Any, bytes], manifest: bool = True) -> Path:
    """A small archive whose files match its manifest, plus ``extra`` members."""
    files = {"MLmodel": b"flavors: {}\n"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in files.items():
                zf.writestr(member(name, stat.S_IFREG | 0o644), data)
            if manifest:
                body = Manifest({k: _sha(v) for k, v in files.items()}).to_json()
                zf.writestr(member(MANIFEST_FILE, stat.S_IFREG | 0o644), body)
            for info, data in extra:
                zf.writestr(info, data)
    return path


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def assert_refused(
    archive: Path, target: Path, match: str, *, limits: ArchiveLimits | None = None
) -> None:
    with pytest.raises(FormatError, match=match):
        unpack(archive, target, limits=limits)
    assert leftovers(target.parent, target.name) == []


@pytest.mark.parametrize(
    "name",
    ["../evil", "/abs", "/etc/cron.d/x", "C:\\x", "C:x", "a/../../x", "a\\..\\x", "a/./b",
     "a//b", "./a", "dir/../"],
)  # fmt: skip
def test_a_member_name_that_escapes_or_is_not_canonical_is_refused(
    name: str, tmp_path: Path
) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member(name), b"evil"))
    assert_refused(archive, tmp_path / "out", match=f"member {name!r}".replace("\\", "\\\\"))
    assert not (tmp_path / "evil").exists() and not Path("/abs").exists()


@pytest.mark.parametrize(
    ("mode", "why"),
    [
        (stat.S_IFLNK | 0o777, "symbolic link"),
        (stat.S_IFREG | stat.S_ISUID | 0o755, "setuid"),
        (stat.S_IFREG | stat.S_ISGID | 0o755, "setgid"),
        (stat.S_IFDIR | stat.S_ISVTX | 0o777, "sticky"),
        (stat.S_IFIFO | 0o644, "fifo"),
        (stat.S_IFCHR | 0o644, "character device"),
        (stat.S_IFBLK | 0o644, "block device"),
        (stat.S_IFSOCK | 0o644, "socket"),
        (0o110644, "unknown file type"),
        (stat.S_IFDIR | 0o755, "disagree"),  # a directory mode on a file name
    ],
)
def test_links_devices_and_special_bits_are_refused(mode: int, why: str, tmp_path: Path) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member("data/x", mode), b"/etc/passwd"))
    assert_refused(archive, tmp_path / "out", match=rf"member 'data/x'.*{why}")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("a.txt", "a.txt"),
        ("d/", "d/"),
        ("a", "a/b"),
        ("a/b", "a"),
        ("a/", "a"),
        ("Weights.bin", "weights.bin"),  # one file on macOS and Windows
        ("caf\u00e9/x", "cafe\u0301/y"),  # NFC and NFD spellings of one name
    ],
)
def test_duplicate_and_colliding_names_are_refused(first: str, second: str, tmp_path: Path) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member(first), b""), (member(second), b""))
    assert_refused(archive, tmp_path / "out", match=rf"member '{second}'")


def test_a_foreign_member_order_without_directory_entries_is_accepted(tmp_path: Path) -> None:
    """Zip tools list members in any order and may omit directory entries."""
    files = {"sub/deep/x.bin": b"x", "MLmodel": b"flavors: {}\n"}
    body = Manifest({k: _sha(v) for k, v in files.items()}).to_json()
    archive = tmp_path / "foreign.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("sub/deep/x.bin", b"x")
        zf.writestr("sub/", b"")
        zf.writestr(MANIFEST_FILE, body)
        zf.writestr("MLmodel", files["MLmodel"])
    out = unpack(archive, tmp_path / "out")
    assert snapshot(out) == {**files, MANIFEST_FILE: body, "sub": None, "sub/deep": None}


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    extra = [(member(f"f{i}"), b"x") for i in range(5)]
    archive = hostile(tmp_path / "h.tiffin", *extra)
    limits = ArchiveLimits(max_members=4)
    assert_refused(archive, tmp_path / "out", match=r"member 'f2'.*max_members", limits=limits)


def test_a_zip_bomb_beyond_the_byte_limit_is_refused(tmp_path: Path) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member("bomb"), b"\0" * (4 << 20)))
    assert archive.stat().st_size < 20_000
    limits = ArchiveLimits(max_bytes=1 << 20)
    assert_refused(archive, tmp_path / "out", match=r"member 'bomb'.*max_bytes", limits=limits)


def test_a_member_expanding_past_the_ratio_is_refused(tmp_path: Path) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member("bomb"), b"\0" * (1 << 20)))
    limits = ArchiveLimits(max_ratio=10, ratio_floor=4096)
    assert_refused(archive, tmp_path / "out", match=r"member 'bomb'.*max_ratio", limits=limits)


def _patch_sizes(data: bytes, name: bytes, declared: int) -> bytes:
    """Rewrite a member's uncompressed size in its local and central headers."""
    buf = bytearray(data)
    for signature, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := buf.find(signature, start)) >= 0:
            if buf[start + name_at : start + name_at + len(name)] == name:
                struct.pack_into("<I", buf, start + offset, declared)
            start += 4
    return bytes(buf)


def test_a_member_whose_header_understates_its_size_is_refused(tmp_path: Path) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member("liar"), b"\0" * (4 << 20)))
    archive.write_bytes(_patch_sizes(archive.read_bytes(), b"liar", 1000))
    with zipfile.ZipFile(archive) as zf:
        assert zf.getinfo("liar").file_size == 1000  # the headers now lie
    limits = ArchiveLimits(max_bytes=100_000)
    assert_refused(archive, tmp_path / "out", match=r"member 'liar'", limits=limits)


def test_encrypted_and_unusual_compression_are_refused(tmp_path: Path) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member("b", method=zipfile.ZIP_BZIP2), b"x"))
    assert_refused(archive, tmp_path / "out", match=r"member 'b'.*compression method")
    archive = hostile(tmp_path / "e.tiffin", (member("e"), b"x"))
    data = bytearray(archive.read_bytes())
    central = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02e") - 46)
    while data[central + 46 : central + 47] != b"e":
        central = data.find(b"PK\x01\x02", central + 4)
    data[central + 8] |= 0x1  # the encryption flag in the central directory
    archive.write_bytes(bytes(data))
    assert_refused(archive, tmp_path / "out", match=r"member 'e'.*encrypted")


def test_a_truncated_archive_is_refused(model_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "m.tiffin"
    pack(model_dir, archive)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert_refused(archive, tmp_path / "out", match=r"m\.tiffin: not a readable zip")


def test_a_corrupt_member_is_refused_naming_it(tmp_path: Path) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member("weights.bin"), os.urandom(5000)))
    data = bytearray(archive.read_bytes())
    at = data.find(b"weights.bin") + len("weights.bin") + 100  # inside its deflate stream
    data[at] ^= 0xFF
    archive.write_bytes(bytes(data))
    assert_refused(archive, tmp_path / "out", match=r"member 'weights.bin'")


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "m.tiffin"
    archive.write_bytes(b"flavors: {}\n")
    assert_refused(archive, tmp_path / "out", match="not a tiffin archive")
    with pytest.raises(FormatError, match="not a tiffin archive"):
        tiffin.pyfunc.load_model(archive)


def test_an_archive_without_a_manifest_is_refused(tmp_path: Path) -> None:
    archive = hostile(tmp_path / "h.tiffin", manifest=False)
    with pytest.raises(IntegrityError, match=MANIFEST_FILE):
        unpack(archive, tmp_path / "out")
    assert leftovers(tmp_path, "out") == []


def test_a_file_not_in_the_manifest_is_refused(tmp_path: Path) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member("code/__init__.py"), b"import os"))
    with pytest.raises(IntegrityError, match="code/__init__.py"):
        unpack(archive, tmp_path / "out")
    assert leftovers(tmp_path, "out") == []


def test_an_existing_target_is_left_alone(model_dir: Path, tmp_path: Path) -> None:
    pack(model_dir, tmp_path / "m.tiffin")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep").write_text("precious")
    with pytest.raises(AlreadyExistsError):
        unpack(tmp_path / "m.tiffin", tmp_path / "out")
    assert snapshot(tmp_path / "out") == {"keep": b"precious"}


# -- loading a .tiffin file ------------------------------------------------------------------


@pytest.fixture
def sk_model(tmp_path: Path, logreg: Any, frame: pd.DataFrame) -> Path:
    path = tmp_path / "sk"
    tiffin.sklearn.save_model(logreg, path, input_example=frame.head(2))
    return path


def _flip_before_zipping(model: Path, rel: str, archive: Path) -> None:
    """Zip the model with one byte of ``rel`` changed (its manifest no longer matches)."""
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(model.rglob("*")):
            name = path.relative_to(model).as_posix()
            if path.is_file():
                data = bytearray(path.read_bytes())
                if name == rel:
                    data[len(data) // 2] ^= 0x01
                zf.writestr(member(name, stat.S_IFREG | 0o644), bytes(data))


def test_load_model_takes_the_file_and_predicts_as_the_directory(
    sk_model: Path, tmp_path: Path, frame: pd.DataFrame, private_cache: Path
) -> None:
    archive = tmp_path / "model.tiffin"
    pack(sk_model, archive)
    from_dir = tiffin.pyfunc.load_model(sk_model).predict(frame)
    from_file = tiffin.pyfunc.load_model(archive)
    assert (from_file.predict(frame) == from_dir).all()
    entry = resolve_model(str(archive)).path
    assert entry.parent == private_cache / "tiffin" / "unpacked" == cache_root()
    assert snapshot(entry) == snapshot(sk_model)
    assert resolve_model(f"file://{archive}").path == entry  # the second load reuses it


def test_a_zip_without_the_suffix_is_recognised(sk_model: Path, tmp_path: Path) -> None:
    archive = tmp_path / "model.zip"
    pack(sk_model, archive)
    assert is_archive(archive) and not is_archive(sk_model)
    assert tiffin.pyfunc.load_model(archive).metadata.flavors.keys() >= {"python_function"}


def test_a_member_changed_before_zipping_is_refused_at_load(sk_model: Path, tmp_path: Path) -> None:
    archive = tmp_path / "model.tiffin"
    _flip_before_zipping(sk_model, "model.skops", archive)
    with pytest.raises(IntegrityError, match="model.skops"):
        tiffin.pyfunc.load_model(archive)
    assert not cache_root().exists() or list(cache_root().iterdir()) == []


def test_a_tampered_cache_entry_is_replaced_not_trusted(
    sk_model: Path, tmp_path: Path, frame: pd.DataFrame
) -> None:
    archive = tmp_path / "model.tiffin"
    pack(sk_model, archive)
    entry = unpack_cached(archive)
    (entry / "model.skops").write_bytes(b"tampered")
    (entry / "extra.py").write_text("import os")
    assert unpack_cached(archive) == entry
    assert snapshot(entry) == snapshot(sk_model)
    (entry / MANIFEST_FILE).write_bytes(b"{}")  # a forged manifest is not the archive's
    assert snapshot(Path(unpack_cached(archive))) == snapshot(sk_model)
    assert [p.name for p in cache_root().iterdir()] == [entry.name]


def test_concurrent_loads_of_one_file_share_one_verified_entry(
    sk_model: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "model.tiffin"
    pack(sk_model, archive)
    start = threading.Barrier(8)
    results: list[Path] = []
    errors: list[BaseException] = []

    def load() -> None:
        start.wait()
        try:
            results.append(unpack_cached(archive))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(results)) == 1
    assert [p.name for p in cache_root().iterdir()] == [results[0].name]
    assert snapshot(results[0]) == snapshot(sk_model)


def test_an_unwritable_cache_falls_back_to_a_private_directory(
    sk_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    archive = tmp_path / "model.tiffin"
    pack(sk_model, archive)
    entry = unpack_cached(archive)
    assert not entry.is_relative_to(blocker) and snapshot(entry) == snapshot(sk_model)


def test_a_packed_pickle_still_needs_trust(
    tmp_path: Path, logreg: Any, frame: pd.DataFrame
) -> None:
    path = tmp_path / "pickled"
    tiffin.sklearn.save_model(logreg, path, serialization_format="cloudpickle")
    archive = tmp_path / "pickled.tiffin"
    pack(path, archive)
    with pytest.raises(UntrustedModelError, match="trust=True"):
        tiffin.pyfunc.load_model(archive)
    model = tiffin.pyfunc.load_model(archive, trust=True)
    assert (model.predict(frame) == logreg.predict(frame)).all()


def test_repacking_an_unpacked_archive_gives_the_same_bytes(sk_model: Path, tmp_path: Path) -> None:
    first = tmp_path / "a.tiffin"
    pack(sk_model, first)
    pack(resolve_model(first).path, tmp_path / "b.tiffin")
    assert first.read_bytes() == (tmp_path / "b.tiffin").read_bytes()


def test_the_archive_reads_with_any_zip_tool(model_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "m.tiffin"
    pack(model_dir, archive)
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as zf:
        assert zf.testzip() is None
        assert zf.read("模型.txt") == (model_dir / "模型.txt").read_bytes()


def _archive_of(path: Path, files: dict[str, bytes]) -> Path:
    """An archive whose every member is listed in its manifest (so only limits can refuse it)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(member(name, stat.S_IFREG | 0o644), data)
        body = Manifest({k: _sha(v) for k, v in files.items()}).to_json()
        zf.writestr(member(MANIFEST_FILE, stat.S_IFREG | 0o644), body)
    return path


def test_many_members_under_the_ratio_floor_are_bounded_in_total(tmp_path: Path) -> None:
    files = {"MLmodel": b"flavors: {}\n"} | {f"z{i:02}": b"\0" * 60_000 for i in range(40)}
    archive = _archive_of(tmp_path / "h.tiffin", files)
    limits = ArchiveLimits(max_ratio=50, ratio_floor=64 * 1024)
    assert all(len(v) < limits.ratio_floor for v in files.values())  # each passes alone
    assert_refused(archive, tmp_path / "out", match=r"members together .*max_ratio=50",
                   limits=limits)  # fmt: skip
    unpack(archive, tmp_path / "ok", limits=ArchiveLimits(max_ratio=1100, ratio_floor=64 * 1024))


def test_the_total_ratio_is_counted_while_extracting_when_headers_lie(tmp_path: Path) -> None:
    from tiffin.format import archive_extract

    files = {"MLmodel": b"flavors: {}\n"} | {f"z{i:02}": b"\0" * 60_000 for i in range(40)}
    archive = _archive_of(tmp_path / "h.tiffin", files)
    limits = ArchiveLimits(max_ratio=50, ratio_floor=64 * 1024)
    with zipfile.ZipFile(archive) as zf:
        members = archive_extract.check_members(zf.infolist(), ArchiveLimits(), 1 << 30)
        (tmp_path / "dest").mkdir()
        with pytest.raises(FormatError, match=r"member 'z\d\d': the members together expand"):
            archive_extract._extract(zf, members, tmp_path / "dest", limits, 7_000)


@pytest.mark.parametrize(
    ("name", "why"),
    [("/".join(["a"] * 6000) + "/x", "bytes long"), ("/".join(["d"] * 65) + "/x", "levels deep"),
     ("x" * 256, "segment of 256 bytes")],
)  # fmt: skip
def test_a_very_deep_or_long_member_name_is_refused_leaving_nothing(
    name: str, why: str, tmp_path: Path
) -> None:
    archive = hostile(tmp_path / "h.tiffin", (member(name), b"x"))
    with pytest.raises(FormatError, match=why):
        unpack(archive, tmp_path / "out")
    assert leftovers(tmp_path, "out") == []
    assert [p.name for p in tmp_path.iterdir()] == ["h.tiffin"]


def test_pack_refuses_a_member_name_deeper_than_unpack_allows(
    model_dir: Path, tmp_path: Path
) -> None:
    deep = model_dir.joinpath(*["d"] * 65)
    deep.mkdir(parents=True)
    (deep / "x").write_bytes(b"x")
    write_manifest(model_dir)
    with pytest.raises(FormatError, match="levels deep"):
        pack(model_dir, tmp_path / "m.tiffin")
    assert not (tmp_path / "m.tiffin").exists()
