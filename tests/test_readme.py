"""The README's shell block, run as written on what ``make demo``'s quickstart leaves behind."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import free_port, stop, wait_ready
from tiffin.tracking import Client

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def shell_block(readme: str, after: str = "From the shell") -> list[str]:
    """The command lines of the first ```bash block after ``after`` (comments dropped)."""
    start = readme.index(after)
    block = re.search(r"```bash\n(.*?)```", readme[start:], re.S)
    assert block is not None, f"no bash block after {after!r}"
    return [line for line in block.group(1).splitlines() if line.strip()]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIFFIN_")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _is_server(argv: list[str]) -> bool:
    return argv[1:2] == ["serve"] or argv[1:3] == ["models", "serve"]


def _on_port(argv: list[str], port: int) -> list[str]:
    """The same command on a free port (tests run side by side; 5000 may be taken)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("-p", "--port"):
            skip = True
        else:
            out.append(arg)
    return [*out, "--port", str(port)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``make demo``'s quickstart, run in a directory of its own."""
    root = tmp_path_factory.mktemp("readme")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        cwd=root, env=_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    yield root


def test_the_readme_shell_block_runs_as_written_on_the_quickstarts_files(
    demo: Path, tmp_path: Path
) -> None:
    lines = shell_block((ROOT / "README.md").read_text(encoding="utf-8"))
    cwd, ran = demo, []
    for line in lines:
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        if argv[0] == "cd":
            cwd = (cwd / argv[1]).resolve()
            assert cwd.is_dir(), line
            continue
        assert argv[0] == "tiffin", f"not a tiffin command: {line}"
        command = [str(VENV_BIN / "tiffin"), *argv[1:]]
        if _is_server(argv):
            port, log = free_port(), tmp_path / f"serve-{len(ran)}.log"
            with open(log, "wb") as out:
                server = subprocess.Popen(
                    _on_port(command, port), cwd=cwd, env=_env(), stdout=out,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            try:
                wait_ready(f"http://127.0.0.1:{port}", server, log, timeout=60)
            finally:
                stop(server)
        else:
            done = subprocess.run(
                command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, f"{line}\nexit {done.returncode}:\n{done.stderr}"
        ran.append(argv[1])
    assert len(ran) >= 10, ran
    predictions = json.loads((cwd / "predictions.json").read_text())
    assert len(predictions["predictions"]) == 10  # the quickstart's rows.csv
    champion = Client(cwd / "tiffin.db").get_model_version_by_alias("iris", "champion")
    assert champion.version == 2  # `alias set iris champion 2 --expected-version 1` moved it
