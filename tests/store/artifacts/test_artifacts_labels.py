"""Artifact labels: every reading of a label is checked, then one canonical form is kept."""

from __future__ import annotations

import posixpath
import random
from urllib.parse import unquote

import pytest

from tiffin.errors import FormatError
from tiffin.store.artifacts import safe_relpath
from tiffin.store.artifacts.labels import parents

# the P-cases of security.md 6.1 that a label can carry, and the brief's own list
TRAVERSALS = [
    "..",
    "../x",
    "../../x",
    "a/../../x",
    "a/..",
    "..\\x",
    "a\\..\\..\\x",
    "..%5cx",
    "..%5c..%5cx",
    "%2e%2e/x",
    "%2e%2e%2fx",
    "%2E%2E/%2E%2E/etc/passwd",
    "%252e%252e%252fx",
    "%25252e%25252e%25252fx",
    "a/%2e%2e/%2e%2e/x",
    "\uff0e\uff0e/x",
    "a\uff0f\uff0e\uff0e\uff0fx",
    "a\u2215..\u2215x",
    "/etc/passwd",
    "/x",
    "//proc/self/root",
    "C:\\x",
    "C:/Windows/win.ini",
    "c:x",
    "\\\\server\\share\\x",
    "file:///etc/passwd",
    "file://./etc",
    "s3://other-bucket/x",
    "http://127.0.0.1/x",
    "a\x00.txt",
    "a%00.txt",
    "a\nb",
    "a\rb",
    "a\x7fb",
    "a\x85b",
    "a#/../../etc",
    "a?/../x",
    "a;/../x",
    "a%3f/x",
    "bucket::x",
    " /etc/passwd",
    "a/ x",
]

RESERVED = [".tiffin-complete", "m/.tiffin-pending", "m/.tmp-1234", ".tiffin-anything"]


@pytest.mark.parametrize("label", TRAVERSALS + RESERVED)
def test_unsafe_labels_are_refused_with_the_label_named(label: str) -> None:
    with pytest.raises(FormatError) as info:
        safe_relpath(label)
    assert "is refused" in str(info.value)
    assert repr(label)[1:-1][:20] in str(info.value)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("model/MLmodel", "model/MLmodel"),
        ("a//b/", "a/b"),
        ("./a/./b", "a/b"),
        ("a\\b.txt", "a/b.txt"),
        ("données/e\u0301.txt", "données/\u00e9.txt"),  # NFD spelling stored as NFC
        ("100%.txt", "100%.txt"),
        ("a%2fb", "a%2fb"),  # decodes to a harmless 'a/b': kept literally, never decoded
        (".hidden", ".hidden"),
        ("...", "..."),
        ("..a/a..", "..a/a.."),
        ("x/a:b", "x/a:b"),
        ("\uff0ehidden", "\uff0ehidden"),
        ("日本/データ.bin", "日本/データ.bin"),
    ],
)
def test_safe_labels_become_one_canonical_relative_form(label: str, expected: str) -> None:
    assert safe_relpath(label) == expected
    assert safe_relpath(expected) == expected


@pytest.mark.parametrize("label", ["", ".", "./", "./.", ".//."])
def test_a_label_naming_nothing_is_refused_unless_the_root_is_allowed(label: str) -> None:
    with pytest.raises(FormatError, match="names no file"):
        safe_relpath(label)
    assert safe_relpath(label, allow_empty=True) == ""


def test_non_strings_and_huge_labels_are_refused() -> None:
    with pytest.raises(FormatError, match="must be a string"):
        safe_relpath(b"a")  # type: ignore[arg-type]
    with pytest.raises(FormatError, match="longer than"):
        safe_relpath("a/" * 3000)
    with pytest.raises(FormatError, match="longer than 255 bytes"):
        safe_relpath("é" * 200)


def test_parents_lists_proper_ancestors_shortest_first() -> None:
    assert parents("a/b/c") == ["a", "a/b"]
    assert parents("a") == []
    assert parents("") == []


TOKENS = ["a", "b", ".", "..", "/", "\\", "%", "2e", "2E", "2f", "5c", "%25", ":", "C:", " "]
TOKENS += ["\x00", "\uff0e", "\uff0f", "e\u0301", "?", "#", "~", "-", ".tmp-", "\u2215", "::"]


def test_fuzzed_labels_are_either_refused_or_stay_inside_any_root() -> None:
    rng = random.Random(20261122)
    accepted = 0
    for _ in range(20_000):
        label = "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 8)))
        try:
            rel = safe_relpath(label)
        except FormatError:
            continue
        accepted += 1
        assert safe_relpath(rel) == rel, label
        for reading in (rel, unquote(rel), unquote(unquote(rel)), rel.replace("\\", "/")):
            joined = posixpath.normpath("/srv/root/" + reading.replace("\\", "/"))
            assert joined.startswith("/srv/root/"), (label, rel)
    assert accepted > 1000  # the property was exercised, not vacuously true
