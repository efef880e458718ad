"""Scan and generate of the bundled example, this tree against an earlier commit, side by side.

Each round runs ``testboost scan`` and ``testboost generate --no-prove`` of examples/shopapi once
with the earlier commit's ``src`` and once with this tree's, alternating, and keeps the best time of
each; the machine is shared and noisy, so only the ratio printed for the same run means anything.
The earlier commit is checked out with ``git worktree`` in a temporary directory (removed after).
Both runs must give the same findings and write the same test files (the conftest aside, which
may differ by design between the commits): a speed-up that changes the output is reported as such.

    .venv/bin/python benchmarks/pipeline_speed.py --base 1d3b586 [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCAN = "examples.shopapi:create_app()"
GENERATE = "examples.shopapi_fixed:create_app()"


def timed(src: Path, args: list[str]) -> float:
    """Seconds one testboost command takes with ``src`` first on the path."""
    environment = {**os.environ, "PYTHONPATH": str(src), "NO_COLOR": "1"}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "testboost", *args],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def findings(report: Path) -> list[tuple[str, str, str]]:
    document = json.loads(report.read_text())
    return [(f["check"], f.get("method") or "", f.get("rule") or "") for f in document["findings"]]


def test_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.glob("test_*.py")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier commit to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pipeline-speed-") as temporary:
        work = Path(temporary)
        base = work / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), options.base],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            sources = {"base": base / "src", "this": ROOT / "src"}
            best: dict[tuple[str, str], float] = {}
            for round_ in range(options.rounds):
                for name, src in sources.items():
                    report = work / f"{name}-{round_}.json"
                    out = work / f"{name}-{round_}-suite"
                    times = {
                        "scan": timed(src, ["scan", "--app", SCAN, "--json", str(report)]),
                        "generate": timed(
                            src, ["generate", "--app", GENERATE, "--out", str(out), "--no-prove"]
                        ),
                    }
                    for stage, seconds in times.items():
                        best[(name, stage)] = min(best.get((name, stage), seconds), seconds)
            for stage in ("scan", "generate"):
                before, after = best[("base", stage)], best[("this", stage)]
                print(
                    f"{stage:9} {options.base}: {before:6.1f} s   this tree: {after:6.1f} s   "
                    f"ratio {after / before:.2f}"
                )
            same_findings = findings(work / "base-0.json") == findings(work / "this-0.json")
            same_tests = test_files(work / "base-0-suite") == test_files(work / "this-0-suite")
            print(f"same findings: {same_findings}; same test modules: {same_tests}")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
