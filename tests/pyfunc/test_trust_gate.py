"""The trust gate decides by what the loader will do, not only by what the bytes look like.

Issue 11 §1: pickles that a header-sniffer did not recognise reached ``pickle.load`` without
trust. Here every hostile form goes through every door (``pyfunc.load_model``,
``tiffin.sklearn.load_model``, ``tiffin models predict``, ``tiffin models verify``) as an sklearn
``model.pkl`` and as a ``python_model``, and the payload must never run; the unpicklers refuse a
decision the gate did not trust; paths outside the model are refused even with trust.
"""

from __future__ import annotations

import ast
import io
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import joblib
import pytest
import yaml
from hostile_pickles import BUILDERS, JOBLIB_ONLY, TouchOnLoad  # type: ignore[import-not-found]

import tiffin
import tiffin.pyfunc
import tiffin.sklearn
from tiffin.errors import FormatError, IntegrityError, UntrustedModelError
from tiffin.format.manifest import write_manifest
from tiffin.format.mlmodel import MLModel
from tiffin.pyfunc.trust import TrustDecision, check_trust
from tiffin.pyfunc.unpickle import unpickle

SRC = Path(tiffin.__file__).parent


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiffin", *args], capture_output=True, text=True, timeout=120
    )


def _sklearn_dir(root: Path, payload: bytes, fmt: str | None) -> Path:
    root.mkdir()
    (root / "model.pkl").write_bytes(payload)
    sk: dict[str, Any] = {"pickled_model": "model.pkl"}
    if fmt is not None:
        sk["serialization_format"] = fmt
    flavors = {
        "python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl"},
        "sklearn": sk,
    }
    (root / "MLmodel").write_text(yaml.safe_dump({"flavors": flavors}))
    return root


def _python_model_dir(root: Path, payload: bytes) -> Path:
    root.mkdir()
    (root / "python_model.pkl").write_bytes(payload)
    flavor = {"loader_module": "mlflow.pyfunc.model", "python_model": "python_model.pkl"}
    (root / "MLmodel").write_text(yaml.safe_dump({"flavors": {"python_function": flavor}}))
    return root


@pytest.mark.parametrize("form", sorted(BUILDERS))
def test_every_hostile_form_really_runs_its_payload(form: str, tmp_path: Path) -> None:
    """The fixtures are honest: unpickled without the gate, each one runs."""
    marker = tmp_path / "pwned"
    data = BUILDERS[form](TouchOnLoad(marker))
    if form in JOBLIB_ONLY:
        joblib.load(io.BytesIO(data))
    else:
        pickle.loads(data)
    assert marker.exists()


@pytest.mark.parametrize("fmt", ["pickle", "cloudpickle", None])
@pytest.mark.parametrize("form", sorted(BUILDERS))
def test_sklearn_pickles_never_run_without_trust(
    form: str, fmt: str | None, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    model = _sklearn_dir(tmp_path / "m", BUILDERS[form](TouchOnLoad(marker)), fmt)
    with pytest.raises(UntrustedModelError, match=r"model\.pkl: .*(pickle|unpickled)"):
        tiffin.pyfunc.load_model(model)
    with pytest.raises(UntrustedModelError, match=r"model\.pkl"):
        tiffin.sklearn.load_model(model)
    assert not marker.exists()


@pytest.mark.parametrize("form", sorted(BUILDERS))
def test_python_model_pickles_never_run_without_trust(form: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = _python_model_dir(tmp_path / "m", BUILDERS[form](TouchOnLoad(marker)))
    with pytest.raises(UntrustedModelError, match=r"python_model\.pkl"):
        tiffin.pyfunc.load_model(model)
    assert not marker.exists()


@pytest.mark.parametrize("form", ["protocol0", "global_after_1MiB_padding", "joblib_lz4"])
def test_cli_predict_and_verify_refuse_them_too(form: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = _sklearn_dir(tmp_path / "m", BUILDERS[form](TouchOnLoad(marker)), "pickle")
    rows = tmp_path / "rows.csv"
    rows.write_text("a\n1\n")
    predict = _cli("models", "predict", "-m", str(model), "-i", str(rows))
    verify = _cli("models", "verify", "-m", str(model))
    inspect = _cli("models", "inspect", "-m", str(model), "--json")
    assert predict.returncode != 0 and "model.pkl" in predict.stderr, predict.stderr
    assert verify.returncode != 0 and "model.pkl" in verify.stderr, verify.stderr
    assert "Traceback" not in predict.stderr + verify.stderr
    assert "model.pkl" in yaml.safe_load(inspect.stdout)["runs_code"]
    assert not marker.exists()


def test_declared_pickle_is_code_even_when_the_bytes_are_not(tmp_path: Path) -> None:
    """A loader that would unpickle needs trust whatever the sniffer thinks of the file."""
    model = _sklearn_dir(tmp_path / "m", b"not a pickle at all", "pickle")
    with pytest.raises(UntrustedModelError, match="stored as 'pickle'"):
        tiffin.pyfunc.load_model(model)


def test_decisions_are_made_only_by_the_gate(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="only by"):
        TrustDecision(tmp_path, {}, True)


def test_unpicklers_refuse_an_untrusted_decision_even_when_the_gate_saw_nothing(
    tmp_path: Path,
) -> None:
    """Defence in depth: a file the gate missed, handed to an unpickler, is still refused."""
    marker = tmp_path / "pwned"
    model = tmp_path / "m"
    model.mkdir()
    flavors = {"sklearn": {"pickled_model": "model.skops", "serialization_format": "skops"}}
    (model / "MLmodel").write_text(yaml.safe_dump({"flavors": flavors}))
    decision = check_trust(model, MLModel.load(model))
    (model / "late.pkl").write_bytes(pickle.dumps(TouchOnLoad(marker)))
    with pytest.raises(UntrustedModelError, match="late.pkl"):
        unpickle(model / "late.pkl", decision)
    trusted = check_trust(model, MLModel.load(model), trust=True)
    with pytest.raises(FormatError, match="outside the model"):
        unpickle(tmp_path / "elsewhere.pkl", trusted)
    assert not marker.exists()


_DESERIALIZERS = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("joblib", "load"),
    ("torch", "load"),
    ("dill", "load"),
}


def test_no_module_but_unpickle_calls_a_deserializer() -> None:
    """Structural: the only calls to pickle/cloudpickle/joblib/torch loads are in unpickle.py,
    where each one takes the gate's decision. (skops.io.load with a trust list too.)"""
    offenders = []
    for file in sorted(SRC.rglob("*.py")):
        if file.name == "unpickle.py":
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if (name, node.func.attr) in _DESERIALIZERS or (
                node.func.attr == "load" and name in ("skops_io", "io")
            ):
                offenders.append(f"{file.relative_to(SRC)}:{node.lineno}")
            if node.func.attr in ("load", "read_array") and any(
                kw.arg == "allow_pickle"
                and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
                for kw in node.keywords
            ):
                offenders.append(f"{file.relative_to(SRC)}:{node.lineno} (allow_pickle)")
    assert offenders == []


# -- paths outside the model -------------------------------------------------------------------


def _code_model(root: Path, code: str) -> Path:
    root.mkdir()
    flavor = {"loader_module": "evil_loader", "code": code}
    (root / "MLmodel").write_text(yaml.safe_dump({"flavors": {"python_function": flavor}}))
    return root


def _evil_code(where: Path, marker: Path) -> None:
    where.mkdir(parents=True, exist_ok=True)
    (where / "evil_loader.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef _load_pyfunc(path):\n    return None\n"
    )


@pytest.mark.parametrize("code", ["../outside", "code/../../outside", "ABSOLUTE"])
def test_code_outside_the_model_is_refused_even_with_trust(code: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _evil_code(tmp_path / "outside", marker)
    code = str(tmp_path / "outside") if code == "ABSOLUTE" else code
    model = _code_model(tmp_path / "m", code)
    for trust in (False, True):
        with pytest.raises(FormatError, match="outside the model"):
            tiffin.pyfunc.load_model(model, trust=trust)
    assert not marker.exists()


def test_code_linked_out_of_the_model_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _evil_code(tmp_path / "outside", marker)
    model = _code_model(tmp_path / "m", "code")
    (model / "code").symlink_to(tmp_path / "outside")
    with pytest.raises((FormatError, IntegrityError), match="(outside the model|symbolic link)"):
        tiffin.pyfunc.load_model(model, trust=True)
    assert not marker.exists()


def test_registry_digest_never_vouches_for_outside_code(tmp_path: Path, store_uri: str) -> None:
    """The MLmodel (covered by the digest) names ../outside; the code there is written after
    registration, so the digest never saw it."""
    marker = tmp_path / "pwned"
    model = _code_model(tmp_path / "m", "../outside")
    write_manifest(model)
    tiffin.set_tracking_uri(store_uri)
    try:
        try:
            version = tiffin.register_model(str(model), "outside-code")
        except FormatError:
            return  # refused at registration: also right
        _evil_code(tmp_path / "outside", marker)
        with pytest.raises(FormatError, match="outside the model"):
            tiffin.pyfunc.load_model(f"models:/outside-code/{version.version}")
    finally:
        tiffin.set_tracking_uri(None)
    assert not marker.exists()


@pytest.mark.parametrize(
    "where",
    [
        {"artifacts": {"a": {"path": "../secret.txt", "uri": "x"}}},
        {"artifacts": {"a": {"path": "/etc/passwd", "uri": "x"}}},
        {"model_path": "../model.pkl"},
        {"data": "..\\model.pkl"},
        {"env": {"virtualenv": "../python_env.yaml"}},
    ],
    ids=["artifact_dotdot", "artifact_absolute", "model_path", "backslash", "env"],
)
def test_flavor_paths_outside_the_model_are_refused(where: dict[str, Any], tmp_path: Path) -> None:
    model = tmp_path / "m"
    model.mkdir()
    flavor = {"loader_module": "mlflow.pyfunc.model", "python_model": "p.pkl", **where}
    (model / "p.pkl").write_bytes(pickle.dumps(1))
    (model / "MLmodel").write_text(yaml.safe_dump({"flavors": {"python_function": flavor}}))
    with pytest.raises(FormatError, match="outside the model"):
        tiffin.pyfunc.load_model(model, trust=True)


@pytest.mark.parametrize("key", ["artifact_path", "serving_input_path"])
def test_an_input_example_outside_the_model_is_refused(key: str, tmp_path: Path) -> None:
    model = tmp_path / "m"
    model.mkdir()
    flavors = {"python_function": {"loader_module": "mlflow.pyfunc.model", "python_model": "p"}}
    example = {"artifact_path": "input_example.json", key: "../../example.json"}
    data = {"flavors": flavors, "saved_input_example_info": example}
    (model / "MLmodel").write_text(yaml.safe_dump(data))
    with pytest.raises(FormatError, match="the input example"):
        tiffin.pyfunc.load_model(model, trust=True)
