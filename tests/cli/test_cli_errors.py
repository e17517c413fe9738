"""Every CLI error is one line on stderr with the documented exit code, never a traceback;
Ctrl-C is 130; ``-i -`` reads standard input. All through the real ``tiffin`` process."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import tiffin.sklearn
from tiffin.cli.main import cli_message, exit_code

SRC = str(Path(__file__).parents[2] / "src")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TIFFIN_SERVE_TOKEN"}
    return {**env, "PYTHONPATH": SRC, **extra}


def _run(*args: str, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "tiffin", *args], input=stdin, capture_output=True,
        timeout=120, env=_env(**env), check=False,
    )  # fmt: skip
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int, named: str) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("loaded ")]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith("error: ") and named in errors[0], proc.stderr
    assert proc.returncode == code, proc.stderr


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, logreg: Any, frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("cli-errors") / "m"
    tiffin.sklearn.save_model(logreg, path, input_example=frame.head(2))
    return path


@pytest.mark.parametrize("port", ["99999", "-1", "65536", "http"])
def test_a_port_out_of_range_is_a_usage_error_in_one_line(model: Path, port: str) -> None:
    proc = _run("models", "serve", "-m", str(model), "-p", port)
    assert_one_line_error(proc, 2, "'--port'")


def test_a_busy_port_is_one_line_and_exit_1(model: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _run("models", "serve", "-m", str(model), "-p", str(port))
    assert_one_line_error(proc, 1, f"cannot listen on 127.0.0.1:{port}: Address already in use")


@pytest.mark.parametrize(
    ("args", "code", "named"),
    [
        (["models", "serve", "--name", "a\nb"], 1, "model name 'a\\nb'"),
        (["models", "register", "-n", "a\nb"], 4, "U+000A"),
        (["models", "register", "-n", "bad\x1b[31m"], 4, "U+001B"),
        (["serve", "--model", "a\nb={model}"], 1, "model name 'a\\nb'"),
    ],
    ids=["serve-name", "register-name", "register-escape", "multi-serve-name"],
)
def test_a_bad_name_is_one_line_with_its_exit_code(
    model: Path, tmp_path: Path, args: list[str], code: int, named: str
) -> None:
    args = [a.replace("{model}", str(model)) for a in args]
    if args[0] == "models":
        args += ["-m", str(model)]
    proc = _run(*args, TIFFIN_TRACKING_URI=f"sqlite:///{tmp_path / 't.db'}")
    assert_one_line_error(proc, code, named)


@pytest.mark.parametrize("token", ["", "   ", "\t"])
def test_an_empty_token_is_refused_not_read_as_no_token(model: Path, token: str) -> None:
    proc = _run("models", "serve", "-m", str(model), "--token", token)
    assert_one_line_error(proc, 2, "the bearer token is empty")
    proc = _run("serve", "--model", f"m={model}", "-h", "0.0.0.0", "--token", token)
    assert_one_line_error(proc, 2, "the bearer token is empty")


def test_an_empty_token_variable_is_refused_too(model: Path) -> None:
    proc = _run("models", "serve", "-m", str(model), TIFFIN_SERVE_TOKEN="")
    assert_one_line_error(proc, 2, "TIFFIN_SERVE_TOKEN")


def test_build_app_refuses_an_empty_token() -> None:
    from tiffin.serve.app import build_app, check_token

    for token in ("", " ", " padded ", "a\nb"):
        with pytest.raises(ValueError, match="bearer token"):
            build_app(None, token=token)  # type: ignore[arg-type]  # refused before it is used
    assert check_token(None) is None and check_token("s3cret") == "s3cret"


def test_pack_onto_an_existing_file_names_the_cli_flag(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.tiffin"
    assert _run("models", "pack", "-m", str(model), "-o", str(out)).returncode == 0
    proc = _run("models", "pack", "-m", str(model), "-o", str(out))
    assert_one_line_error(proc, 1, "pass --overwrite to replace it")
    assert "overwrite=True" not in proc.stderr
    from tiffin.errors import AlreadyExistsError
    from tiffin.format.archive import pack

    with pytest.raises(AlreadyExistsError, match=r"pass overwrite=True"):  # library wording kept
        pack(model, out)


def test_cli_spellings_leave_messages_that_already_name_the_flag() -> None:
    text = "load it with trust=True (CLI: --trust)"
    assert cli_message(text) == text
    assert cli_message("load with trust=True only if") == "load with --trust only if"


def test_os_errors_are_one_line_with_their_exit_code(model: Path, tmp_path: Path) -> None:
    rows = tmp_path / "in.csv"
    pd.DataFrame({"f0": [1.0]}).to_csv(rows, index=False)
    proc = _run("models", "predict", "-m", str(model), "-i", str(tmp_path / "nope.csv"))
    assert_one_line_error(proc, 3, "nope.csv")
    assert exit_code(FileNotFoundError("x")) == 3 and exit_code(PermissionError("x")) == 1


def test_ctrl_c_exits_130_without_a_traceback(model: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tiffin", "models", "predict", "-m", str(model), "-i", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
    )  # fmt: skip
    time.sleep(3)  # imports done, blocked reading standard input
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.stdin is not None
    assert process.returncode == 130, err
    assert b"Traceback" not in err and err.decode().strip().splitlines()[-1] == "error: interrupted"


@pytest.mark.parametrize("form", ["csv", "parquet", "jsonl", "json", "csv-with-t"])
def test_predict_reads_standard_input_in_every_format(
    model: Path, frame: pd.DataFrame, logreg: Any, form: str
) -> None:
    rows = frame.head(5)
    if form.startswith("csv"):
        body = rows.to_csv(index=False).encode()
    elif form == "parquet":
        buffer = io.BytesIO()
        rows.to_parquet(buffer)
        body = buffer.getvalue()
    elif form == "jsonl":
        body = rows.to_json(orient="records", lines=True).encode()
    else:
        body = json.dumps({"dataframe_split": rows.to_dict(orient="split", index=False)}).encode()
    extra = ["-t", "csv"] if form == "csv-with-t" else []
    proc = _run("models", "predict", "-m", str(model), "-i", "-", *extra, stdin=body)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"predictions": logreg.predict(rows).tolist()}


def test_a_deep_json_input_file_is_one_line(model: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"inputs": ' + "[" * 6000 + "]" * 6000 + "}")
    proc = _run("models", "predict", "-m", str(model), "-i", str(deep))
    assert_one_line_error(proc, 4, "nested deeper than 64")
