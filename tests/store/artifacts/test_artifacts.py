"""Artifact stores: one behaviour suite, run on a local root and on S3 (moto server on loopback)."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tiffin.errors import AlreadyExistsError, FormatError, IntegrityError, NotFoundError
from tiffin.store.artifacts import ArtifactStore
from tiffin.store.artifacts import fs as artifacts_fs
from tiffin.store.artifacts import remote as artifacts_remote

# pytest puts this directory on sys.path (no __init__.py here), so the sibling is importable
from test_artifacts_labels import TRAVERSALS  # isort: skip

TREE = {
    "MLmodel": b"flavors: {}\n",
    "data/a.csv": b"1,2\n",
    "data-v2/b.csv": b"3,4\n",
    "database.txt": b"db",
    ".hidden": b"h",
    "sub/.env": b"E=1",
    "données/é.txt": "é".encode(),
    "日本/データ.bin": bytes(range(256)),
    "empty.txt": b"",
    "deep/a/b/c/d.txt": b"deep",
    "with space.txt": b"s",
    "100%.txt": b"p",
    "semi;colon,plus+eq=[1].txt": b"q",
    "...": b"dots",
    "..a": b"x",
}
BIG = 10 * 2**20


def write_tree(top: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return top


def read_tree(top: Path) -> dict[str, bytes]:
    return {p.relative_to(top).as_posix(): p.read_bytes() for p in top.rglob("*") if p.is_file()}


# -- fixtures: a moto S3 server on 127.0.0.1, and one store per backend ----------------------


@dataclass
class S3:
    client: Any
    bucket: str
    endpoint: str

    def object_keys(self, bucket: str | None = None) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket or self.bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body)

    def options(self) -> dict[str, Any]:
        return {"client_kwargs": {"endpoint_url": self.endpoint}}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[S3]:
    import boto3
    import s3fs

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    s3fs.S3FileSystem.clear_instance_cache()
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = f"tiffin-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=bucket)
    client.create_bucket(Bucket=bucket + "-other")
    yield S3(client, bucket, moto_endpoint)
    s3fs.S3FileSystem.clear_instance_cache()


@dataclass
class Backend:
    kind: str
    store: ArtifactStore
    outside: Callable[[], object]  # everything a traversal could reach outside the root
    debris: Callable[[], list[str]]  # every raw entry under the root, hidden ones included


def _local_backend(tmp_path: Path) -> Backend:
    root = tmp_path / "a" / "b" / "root"  # deep, so '../../x' still lands inside tmp_path

    def outside() -> object:
        tree = sorted(str(p) for p in tmp_path.rglob("*") if root not in (p, *p.parents))
        passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
        return tree, passwd, Path("/x").exists(), Path("/etc/x").exists()

    def debris() -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))

    return Backend("local", ArtifactStore(str(root)), outside, debris)


def _s3_backend(s3: S3) -> Backend:
    def outside() -> object:
        keys = s3.object_keys()
        return [k for k in keys if not k.startswith("root/")], s3.object_keys(s3.bucket + "-other")

    def debris() -> list[str]:
        return [k.removeprefix("root/") for k in s3.object_keys() if k.startswith("root/")]

    store = ArtifactStore(f"s3://{s3.bucket}/root", storage_options=s3.options())
    return Backend("s3", store, outside, debris)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return _local_backend(tmp_path)
    return _s3_backend(request.getfixturevalue("s3"))


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "src-model", TREE)


# -- round trips ------------------------------------------------------------------------------


def test_a_directory_round_trips_with_odd_names_and_empty_files(
    backend: Backend, model_dir: Path, tmp_path: Path
) -> None:
    store = backend.store
    assert store.log_dir(model_dir, "run/model") == "run/model"
    assert store.list() == sorted(f"run/model/{name}" for name in TREE)
    assert store.list("run/model/data") == ["run/model/data/a.csv"]
    assert store.list("run/model/data-v2") == ["run/model/data-v2/b.csv"]
    assert store.list("run/model/database.txt") == ["run/model/database.txt"]
    assert store.list("run/mod") == []
    for name, data in TREE.items():
        assert store.exists(f"run/model/{name}")
        with store.open(f"run/model/{name}") as f:
            assert f.read() == data
    assert store.exists("run/model") and store.exists("run")
    assert not store.exists("run/model/nope") and not store.exists("run/mod")

    fresh = store.download("run/model")
    assert fresh == fresh.parents[1] / "run" / "model"
    assert read_tree(fresh) == TREE
    assert stat.S_IMODE(os.stat(fresh.parents[1]).st_mode) == 0o700

    into = store.download("run/model/data", tmp_path / "given")
    assert into == tmp_path / "given" / "run" / "model" / "data"
    assert read_tree(tmp_path / "given") == {"run/model/data/a.csv": b"1,2\n"}
    everything = store.download("")
    assert read_tree(everything / "run" / "model") == TREE


def test_files_and_bytes_round_trip_and_report_their_label(
    backend: Backend, tmp_path: Path
) -> None:
    store = backend.store
    src = tmp_path / "rapport é.txt"
    src.write_bytes(b"r" * 1000)
    assert store.log_file(src) == "rapport é.txt"
    assert store.log_file(src, "plots/2024//") == "plots/2024/rapport é.txt"
    assert store.log_bytes(b"", "empty") == "empty"
    assert store.list() == ["empty", "plots/2024/rapport é.txt", "rapport é.txt"]
    path = store.download("plots/2024/rapport é.txt")
    assert path.name == "rapport é.txt" and path.read_bytes() == b"r" * 1000
    assert store.download("empty").read_bytes() == b""


def test_missing_artifacts_are_not_found(backend: Backend, tmp_path: Path) -> None:
    store = backend.store
    store.log_bytes(b"1", "dir/file")
    with pytest.raises(NotFoundError):
        store.open("nope")
    with pytest.raises(NotFoundError, match="directory"):
        store.open("dir")
    with pytest.raises(NotFoundError):
        store.download("nope", tmp_path / "dl")
    with pytest.raises(NotFoundError):
        store.delete("nope")
    with pytest.raises(NotFoundError):
        store.open("dir/file/below")
    assert store.list("nope") == []


def test_delete_removes_a_file_or_a_whole_directory(backend: Backend, model_dir: Path) -> None:
    store = backend.store
    store.log_dir(model_dir, "model")
    store.log_bytes(b"1", "keep/me")
    store.delete("model/MLmodel")
    assert not store.exists("model/MLmodel")
    store.log_dir(model_dir, "model2")
    store.delete("model2")
    assert not store.exists("model2") and store.list("model2") == []
    assert store.list("keep") == ["keep/me"]
    assert not [d for d in backend.debris() if d.startswith("model2")]


# -- immutability -----------------------------------------------------------------------------


def test_stored_artifacts_are_never_overwritten(
    backend: Backend, model_dir: Path, tmp_path: Path
) -> None:
    store = backend.store
    store.log_bytes(b"first", "a.txt")
    with pytest.raises(AlreadyExistsError, match="immutable"):
        store.log_bytes(b"second", "a.txt")
    src = write_tree(tmp_path / "f", {"a.txt": b"third"}) / "a.txt"
    with pytest.raises(AlreadyExistsError):
        store.log_file(src)
    with store.open("a.txt") as f:
        assert f.read() == b"first"

    store.log_dir(model_dir, "model")
    other = write_tree(tmp_path / "other", {"MLmodel": b"evil"})
    with pytest.raises(AlreadyExistsError):
        store.log_dir(other, "model")
    with pytest.raises(AlreadyExistsError):
        store.log_bytes(b"x", "model")  # a directory is there
    with pytest.raises(AlreadyExistsError, match="is a file"):
        store.log_bytes(b"x", "a.txt/below")
    with pytest.raises(AlreadyExistsError):
        store.log_dir(other, "model/MLmodel")
    with store.open("model/MLmodel") as f:
        assert f.read() == TREE["MLmodel"]
    assert store.list("model") == sorted(f"model/{name}" for name in TREE)


def test_concurrent_log_dir_to_one_destination_has_exactly_one_winner(
    backend: Backend, model_dir: Path
) -> None:
    results: list[str] = []

    def attempt() -> None:
        try:
            backend.store.log_dir(model_dir, "model")
            results.append("won")
        except AlreadyExistsError:
            results.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["refused", "refused", "refused", "won"]
    assert read_tree(backend.store.download("model")) == TREE


def test_download_never_overwrites_and_cleans_up_what_it_added(
    backend: Backend, model_dir: Path, tmp_path: Path
) -> None:
    backend.store.log_dir(model_dir, "model")
    given = write_tree(tmp_path / "given", {"model/sub/.env": b"mine"})
    before = read_tree(given)
    with pytest.raises(AlreadyExistsError, match="not overwriting"):
        backend.store.download("model", given)
    assert read_tree(given) == before
    assert sorted(p.relative_to(given).as_posix() for p in given.rglob("*")) == [
        "model",
        "model/sub",
        "model/sub/.env",
    ]


# -- traversal ---------------------------------------------------------------------------------


@pytest.mark.parametrize("label", TRAVERSALS)
def test_traversal_labels_are_refused_everywhere_and_write_nothing(
    backend: Backend, label: str, tmp_path: Path, model_dir: Path
) -> None:
    store = backend.store
    src = write_tree(tmp_path / "one", {"x": b"payload"}) / "x"
    before = backend.outside()
    attempts: list[Callable[[], object]] = [
        lambda: store.log_bytes(b"payload", label),
        lambda: store.log_file(src, label),
        lambda: store.log_dir(model_dir, label),
        lambda: store.download(label, tmp_path / "dl"),
        lambda: store.open(label),
        lambda: store.exists(label),
        lambda: store.delete(label),
        lambda: store.list(label),
    ]
    for attempt in attempts:
        with pytest.raises(FormatError, match="is refused"):
            attempt()
    assert backend.outside() == before
    assert backend.debris() == []
    assert not (tmp_path / "dl").exists()


def test_a_source_named_like_a_traversal_or_marker_is_refused(
    backend: Backend, tmp_path: Path
) -> None:
    for name in (".tiffin-complete", "a?b", "x\\..\\..\\y"):
        src = write_tree(tmp_path / uuid.uuid4().hex, {name: b"1"})
        with pytest.raises(FormatError, match="cannot log"):
            backend.store.log_dir(src, "model")
        with pytest.raises(FormatError, match="cannot log"):
            backend.store.log_file(src / name)
    assert backend.debris() == []


def test_symlinks_in_a_source_are_refused(backend: Backend, tmp_path: Path) -> None:
    secret = write_tree(tmp_path / "host", {"passwd": b"root:x:0:0"}) / "passwd"
    src = write_tree(tmp_path / "src", {"MLmodel": b"m"})
    (src / "weights").symlink_to(secret)
    with pytest.raises(IntegrityError, match="symlink"):
        backend.store.log_dir(src, "model")
    with pytest.raises(IntegrityError, match="symlink"):
        backend.store.log_file(src / "weights")
    (src / "weights").unlink()
    (src / "dir").symlink_to(tmp_path / "host", target_is_directory=True)
    with pytest.raises(IntegrityError, match="symlink"):
        backend.store.log_dir(src, "model")
    assert backend.debris() == []


def test_download_into_a_directory_with_a_planted_symlink_is_refused(
    backend: Backend, model_dir: Path, tmp_path: Path
) -> None:
    backend.store.log_dir(model_dir, "model")
    victim = tmp_path / "victim"
    victim.mkdir()
    given = tmp_path / "given"
    given.mkdir()
    (given / "model").symlink_to(victim, target_is_directory=True)
    with pytest.raises(IntegrityError, match="symlink"):
        backend.store.download("model", given)
    assert list(victim.iterdir()) == []


# -- atomic directories ------------------------------------------------------------------------


def _hook_copies(monkeypatch: pytest.MonkeyPatch, on_copy: Callable[[str], None]) -> None:
    """Run ``on_copy(what)`` before every streamed copy, in both backends."""
    real = artifacts_fs.copy_stream

    def hooked(src: Any, dst: Any, *, expected: int, what: str) -> None:
        on_copy(what)
        real(src, dst, expected=expected, what=what)

    monkeypatch.setattr(artifacts_fs, "copy_stream", hooked)
    monkeypatch.setattr(artifacts_remote, "copy_stream", hooked)


def test_readers_never_see_a_directory_while_it_is_being_written(
    backend: Backend, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[bool, list[str]]] = []

    def look(what: str) -> None:
        seen.append((backend.store.exists("m"), backend.store.list()))

    _hook_copies(monkeypatch, look)
    backend.store.log_dir(model_dir, "m")
    assert len(seen) >= len(TREE)
    assert all(observed == (False, []) for observed in seen)
    assert backend.store.exists("m") and len(backend.store.list("m")) == len(TREE)


def test_a_failure_mid_directory_leaves_nothing_visible_and_no_debris(
    backend: Backend, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_on_data(what: str) -> None:
        if what.endswith("a.csv"):
            raise OSError("disk on fire")

    _hook_copies(monkeypatch, fail_on_data)
    with pytest.raises(OSError, match="disk on fire"):
        backend.store.log_dir(model_dir, "model")
    assert not backend.store.exists("model")
    assert backend.store.list() == []
    with pytest.raises(NotFoundError):
        backend.store.download("model")
    assert backend.debris() == []
    monkeypatch.undo()
    assert backend.store.log_dir(model_dir, "model") == "model"


def test_a_source_that_changes_size_while_copied_is_refused(
    backend: Backend, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def grow(what: str) -> None:
        if what.endswith("a.csv"):
            (model_dir / "data" / "a.csv").write_bytes(b"1,2,3,4\n")

    _hook_copies(monkeypatch, grow)
    with pytest.raises(IntegrityError, match="bytes"):
        backend.store.log_dir(model_dir, "model")
    assert backend.store.list() == [] and backend.debris() == []


def test_a_failed_download_removes_everything_it_created(
    backend: Backend, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.store.log_dir(model_dir, "model")

    def fail_late(what: str) -> None:
        if what.endswith("d.txt"):
            raise OSError("network gone")

    temp_dirs = set(Path(tempfile.gettempdir()).glob("tiffin-artifacts-*"))
    _hook_copies(monkeypatch, fail_late)
    with pytest.raises(OSError, match="network gone"):
        backend.store.download("model", tmp_path / "new")
    with pytest.raises(OSError, match="network gone"):
        backend.store.download("model")
    assert not (tmp_path / "new").exists()
    assert set(Path(tempfile.gettempdir()).glob("tiffin-artifacts-*")) == temp_dirs


# -- big files ---------------------------------------------------------------------------------


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    with path.open("wb") as f:
        for i in range(BIG // 2**20):
            f.write(hashlib.sha256(str(i).encode()).digest() * (2**20 // 32))
    return path


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def test_a_big_local_file_is_streamed_not_loaded(big_file: Path, tmp_path: Path) -> None:
    store = _local_backend(tmp_path).store
    tracemalloc.start()
    try:
        store.log_file(big_file, "big")
        _, peak_log = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        path = store.download("big/big.bin")
        _, peak_download = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _sha(path) == _sha(big_file)
    assert peak_log < 4 * 2**20 and peak_download < 4 * 2**20, (peak_log, peak_download)


def test_a_big_s3_file_goes_up_and_down_in_bounded_pieces(
    s3: S3, big_file: Path, tmp_path: Path
) -> None:
    import fsspec

    store = _s3_backend(s3).store
    requests: list[tuple[str, int, str]] = []

    def record(request: Any, **_: Any) -> None:
        body = request.body
        size = len(body.getbuffer()) if hasattr(body, "getbuffer") else len(body or b"")
        requests.append((request.method, size, str(request.headers.get("Range", b""))))

    fs = fsspec.filesystem("s3", **s3.options())  # the cached instance the store uses
    fs.s3.meta.events.register("before-send.s3", record)
    store.log_file(big_file, "big")
    path = store.download("big/big.bin")
    assert _sha(path) == _sha(big_file)
    parts = [size for method, size, _ in requests if method == "PUT" and size > 2**20]
    assert len(parts) >= 2 and max(parts) <= 7 * 2**20, parts
    ranges = [r for method, _, r in requests if method == "GET" and "bytes=" in r]
    assert len(ranges) >= 2
    head = s3.client.head_object(Bucket=s3.bucket, Key="root/big/big.bin")
    assert head["ContentLength"] == BIG and "-" in head["ETag"]  # a multipart upload's ETag


# -- local specifics ---------------------------------------------------------------------------


def test_symlinks_inside_a_local_root_are_refused_on_read_and_write(tmp_path: Path) -> None:
    backend = _local_backend(tmp_path)
    store, root = backend.store, Path(backend.store.root_uri)
    store.log_bytes(b"ok", "fine.txt")
    outside = write_tree(tmp_path / "outside", {"secret.txt": b"s3cret"})
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "f").symlink_to(outside / "secret.txt")
    before = read_tree(outside)
    for attempt in (
        lambda: store.open("f"),
        lambda: store.open("link/secret.txt"),
        lambda: store.download("link"),
        lambda: store.download("f"),
        lambda: store.log_bytes(b"x", "link/new.txt"),
        lambda: store.log_dir(outside, "link/model"),
        lambda: store.exists("link/secret.txt"),
        lambda: store.delete("link/secret.txt"),
        lambda: store.delete("f"),
        lambda: store.list(),
        lambda: store.list("link"),
    ):
        with pytest.raises(IntegrityError):
            attempt()
    assert read_tree(outside) == before
    with store.open("fine.txt") as f:
        assert f.read() == b"ok"


def test_an_interrupted_local_write_stays_invisible(tmp_path: Path) -> None:
    backend = _local_backend(tmp_path)
    root = Path(backend.store.root_uri)
    write_tree(root, {".tmp-0123/MLmodel": b"half", "m/.tmp-4567": b"half"})
    assert backend.store.list() == []
    assert not backend.store.exists("m/x")
    with pytest.raises(FormatError, match="reserved"):
        backend.store.exists(".tmp-0123")


def test_file_uris_name_local_roots(tmp_path: Path) -> None:
    store = ArtifactStore((tmp_path / "r").as_uri())
    store.log_bytes(b"1", "x")
    assert (tmp_path / "r" / "x").read_bytes() == b"1"
    with pytest.raises(FormatError, match="file:///"):
        ArtifactStore("file://otherhost/share")


# -- S3 specifics ------------------------------------------------------------------------------


def test_an_interrupted_s3_directory_stays_invisible_until_deleted(s3: S3, model_dir: Path) -> None:
    store = _s3_backend(s3).store
    s3.put("root/model/.tiffin-pending", b"{}")
    s3.put("root/model/MLmodel", b"half")
    s3.put("root/model/sub/x", b"half")
    assert store.list() == [] and store.list("model/sub") == []
    assert not store.exists("model") and not store.exists("model/MLmodel")
    with pytest.raises(NotFoundError, match="not complete"):
        store.open("model/MLmodel")
    with pytest.raises(NotFoundError):
        store.download("model/sub")
    with pytest.raises(AlreadyExistsError, match="in progress"):
        store.log_dir(model_dir, "model")
    store.delete("model")
    assert s3.object_keys() == []
    store.log_dir(model_dir, "model")
    assert ".tiffin-complete" in {k.rpartition("/")[2] for k in s3.object_keys()}


def test_s3_download_checks_the_completion_marker_and_stored_names(s3: S3, model_dir: Path) -> None:
    store = _s3_backend(s3).store
    store.log_dir(model_dir, "model")
    s3.put("root/model/data/a.csv", b"changed behind our back")
    with pytest.raises(IntegrityError, match="published with 4 bytes"):
        store.download("model")
    s3.client.delete_object(Bucket=s3.bucket, Key="root/model/data/a.csv")
    with pytest.raises(IntegrityError, match="is missing"):
        store.download("model/data")
    s3.put("root/evil/../../escape", b"x")
    with pytest.raises(IntegrityError, match="not a valid label"):
        store.download("evil")
    with pytest.raises(IntegrityError):
        store.list()


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL"])
def test_the_s3_endpoint_can_come_from_the_environment(
    s3: S3, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, s3.endpoint)
    store = ArtifactStore(f"s3://{s3.bucket}/env")
    store.log_bytes(b"1", "x")
    assert s3.object_keys() == ["env/x"]
