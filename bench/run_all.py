"""Run every benchmark, one after another, and summarize their PASS/FAIL lines.

It reports, it does not gate: the exit status is 0 whether targets pass or fail. It is 1 only
when a benchmark itself crashed (then its figures are missing, which is a bug to fix).

Usage: ``.venv/bin/python bench/run_all.py [bench_import bench_load ...]``
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SCRIPTS = (
    "bench_import",
    "bench_predict",
    "bench_save",
    "bench_load",
    "bench_tracking",
    "serve",
    "bench_batch_predict",
    "kedro",
    "bench_evaluate",
)


def run(name: str) -> tuple[int, list[str]]:
    """Run ``bench/<name>.py``, echo its output live, return (exit code, its PASS/FAIL lines)."""
    print(f"\n##### {name} #####", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(BENCH_DIR / f"{name}.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    verdicts: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        if line.startswith(("PASS", "FAIL")):
            verdicts.append(line.rstrip())
    code = proc.wait()
    print(f"({name} took {time.perf_counter() - start:.0f} s)")
    return code, verdicts


def main(argv: list[str]) -> int:
    """Run the named benchmarks (default: all) and print one summary at the end."""
    names = argv or list(SCRIPTS)
    summary: list[str] = []
    crashed: list[str] = []
    for name in names:
        code, verdicts = run(name)
        summary.extend(verdicts)
        if code != 0:
            crashed.append(f"ERROR {name}: exited with {code}")
    print("\n##### summary #####")
    for line in summary + crashed:
        print(line)
    fails = sum(line.startswith("FAIL") for line in summary)
    print(f"targets met: {len(summary) - fails}, missed: {fails} (reported, not gated)")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
