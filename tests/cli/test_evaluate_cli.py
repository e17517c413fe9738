"""``tiffin models evaluate``: a table or JSON, plots written, exit 8 when a threshold fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

import tiffin.sklearn


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiffin", "models", "evaluate", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def labelled(
    tmp_path_factory: pytest.TempPathFactory, logreg: Any, frame: pd.DataFrame, target: Any
) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("evaluate-cli")
    tiffin.sklearn.save_model(logreg, root / "m", input_example=frame.head(2))
    frame.assign(label=target).to_parquet(root / "holdout.parquet")
    return root / "m", root / "holdout.parquet"


def test_prints_metrics_as_json_and_writes_the_plots(
    labelled: tuple[Path, Path], logreg: Any, frame: pd.DataFrame, target: Any, tmp_path: Path
) -> None:
    model, data = labelled
    result = _run("-m", str(model), "-i", str(data), "--target", "label", "--json",
                  "-o", str(tmp_path), "--threshold", "accuracy=0.5")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["metrics"]["accuracy"] == pytest.approx(
        accuracy_score(target, logreg.predict(frame))
    )
    assert report["passed"] is True
    assert sorted(Path(p).name for p in report["artifacts"].values()) == [
        "confusion_matrix.png", "precision_recall_curve.png", "roc_curve.png",
    ]  # fmt: skip


def test_a_failed_threshold_prints_the_table_and_exits_8(labelled: tuple[Path, Path]) -> None:
    model, data = labelled
    result = _run("-m", str(model), "-i", str(data), "--target", "label", "--no-plots",
                  "--threshold", "accuracy=0.9999", "--threshold", "log_loss=0.0001")  # fmt: skip
    assert result.returncode == 8
    assert "Evaluation" in result.stdout and "accuracy" in result.stdout
    assert "failed 2 validation check(s)" in result.stderr
    assert "below the threshold 0.9999" in result.stderr


def test_bad_threshold_and_missing_target_column(labelled: tuple[Path, Path]) -> None:
    model, data = labelled
    bad = _run("-m", str(model), "-i", str(data), "--target", "label", "--threshold", "f1")
    assert bad.returncode == 2 and "NAME=VALUE" in bad.stderr
    missing = _run("-m", str(model), "-i", str(data), "--target", "nope")
    assert missing.returncode == 4 and "target column 'nope'" in missing.stderr


@pytest.mark.parametrize("extra", [[], ["--no-plots"], ["--run-id"], ["--json", "--run-id"]])
def test_nothing_is_left_in_the_temporary_directory(
    labelled: tuple[Path, Path], tmp_path: Path, extra: list[str]
) -> None:
    """Every call once left a tiffin-evaluation-* directory behind."""
    import os

    model, data = labelled
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "TIFFIN_TRACKING_URI": str(tmp_path / "t.db")}
    if "--run-id" in extra:
        tiffin.set_tracking_uri(tmp_path / "t.db")
        try:
            with tiffin.start_run() as run:
                pass
        finally:
            tiffin.set_tracking_uri(None)
        extra = [*extra, run.info.run_id]
    result = subprocess.run(
        [sys.executable, "-m", "tiffin", "models", "evaluate", "-m", str(model), "-i",
         str(data), "--target", "label", *extra],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert list(scratch.iterdir()) == []
    if "--run-id" in extra:
        root = Path(run.info.artifact_uri.removeprefix("file://")) / "evaluation"
        assert {p.name for p in root.iterdir()} >= {"roc_curve.png", "confusion_matrix.png"}
        if "--json" in extra:
            artifacts = json.loads(result.stdout)["artifacts"]
            assert artifacts["roc_curve"] == f"runs:/{run.info.run_id}/evaluation/roc_curve.png"
    elif not extra:
        assert "pass -o DIR to keep them" in result.stdout


def test_string_labels_and_pos_label(tmp_path: Path, frame: pd.DataFrame, target: Any) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import recall_score

    labels = pd.Series(target).map({0: "no", 1: "yes"}).to_numpy()
    model = LogisticRegression().fit(frame, labels)
    tiffin.sklearn.save_model(model, tmp_path / "m", input_example=frame.head(2))
    frame.assign(label=labels).to_csv(tmp_path / "holdout.csv", index=False)
    args = ("-m", str(tmp_path / "m"), "-i", str(tmp_path / "holdout.csv"), "--target", "label",
            "--no-plots", "--json")  # fmt: skip
    pred = model.predict(frame)
    for given, positive in ((None, "yes"), ("no", "no")):
        result = _run(*args, *(("--pos-label", given) if given else ()))
        assert result.returncode == 0, result.stderr
        recall = json.loads(result.stdout)["metrics"]["recall"]
        assert recall == pytest.approx(recall_score(labels, pred, pos_label=positive))
    unknown = _run(*args, "--pos-label", "maybe")
    assert unknown.returncode == 4 and "pos_label 'maybe' is not one of" in unknown.stderr
