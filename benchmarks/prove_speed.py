#!/usr/bin/env python3
"""The cost of `audit --prove` on a suite of 300+ tests, against a plain run of the same suite.

    .venv/bin/python benchmarks/prove_speed.py                # 2 workers, budget 600 s
    .venv/bin/python benchmarks/prove_speed.py --workers 1 --budget 1200

The suite is the one ``testboost generate`` writes for the bundled example
(``examples/shopapi``, seed 0: 338 tests, 40 of them strict xfails), made once into
``benchmarks/.cache/prove-speed`` (delete it to make it again). The script then times, each in
a fresh process and with pytest-xdist on ``--workers`` workers:

1. ``pytest -n N`` on the suite (the plain run),
2. ``testboost audit --no-prove --workers N`` (the audit without the proof),
3. ``testboost audit --prove --workers N --budget B`` (the proof),

and prints the wall time of each, the proof's own seconds, its reruns per proven test, the
verdicts, what was left unproven and whether the kill score was complete. The target (issue
"Audit II"): a 300-test suite proven in under 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache" / "prove-speed"
SPEC = "shopapi:create_app()"
TARGET_SECONDS = 600.0


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update({"PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"})
    return env


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=3600
    )
    return time.monotonic() - started, done


def suite() -> Path:
    """The generated suite of the example, made once."""
    tests = CACHE / "gen"
    if (tests / "conftest.py").exists():
        return tests
    shutil.rmtree(CACHE, ignore_errors=True)
    CACHE.mkdir(parents=True)
    shutil.copytree(
        ROOT / "examples" / "shopapi",
        CACHE / "shopapi",
        ignore=shutil.ignore_patterns("tests", "__pycache__"),
    )
    print("generating the example's suite (once) ...", flush=True)
    command = [sys.executable, "-m", "testboost", "generate", "--app", SPEC, "--out", "gen"]
    seconds, done = timed([*command, "--seed", "0"], CACHE)
    if done.returncode != 0:
        sys.exit(f"generate failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    print(f"  generated in {seconds:.0f} s: {done.stdout.strip().splitlines()[-1]}")
    return tests


def collected(tests: Path) -> int:
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    _, done = timed([*command, tests.name], tests.parent)
    match = re.search(r"(\d+) tests? collected", done.stdout)
    return int(match.group(1)) if match else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (default 2)")
    parser.add_argument("--budget", type=float, default=600.0, help="proof budget (default 600)")
    args = parser.parse_args(argv)
    tests = suite()
    cwd = tests.parent
    count = collected(tests)
    workers = ["-n", str(args.workers)] if args.workers > 1 else []
    pytest_command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers]
    plain, done = timed([*pytest_command, tests.name], cwd)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    audit = [sys.executable, "-m", "testboost", "audit", "--app", SPEC, "--tests", tests.name]
    audit += ["--workers", str(args.workers)]
    bare, _ = timed([*audit, "--no-prove", "--json", str(CACHE / "audit.json")], cwd)
    report = CACHE / "prove.json"
    report.unlink(missing_ok=True)
    proved_command = [*audit, "--prove", "--budget", f"{args.budget:g}", "--json", str(report)]
    proved, done = timed(proved_command, cwd)
    if not report.exists():
        print(f"audit --prove wrote no report (exit {done.returncode}):\n{done.stderr[-2000:]}")
        return 1
    document: dict[str, Any] = json.loads(report.read_text())
    proof = document["proof"] or {}
    proven = int(proof.get("tests_proven", 0))
    runs = int(proof.get("runs", 0))
    unproven = proof.get("unproven", [])
    print(f"suite: {count} tests collected ({summary}), {args.workers} worker(s)")
    print(f"  pytest -n {args.workers}          wall {plain:7.1f} s")
    print(f"  audit --no-prove     wall {bare:7.1f} s")
    print(
        f"  audit --prove        wall {proved:7.1f} s  (proof {float(proof.get('seconds', 0)):.1f} s"
        f" in the slowest worker, budget {args.budget:g} s)"
    )
    verdict_runs = int(proof.get("verdict_runs", 0))
    print(
        f"  verdict pass: every test's verdict after {float(proof.get('verdict_seconds', 0)):.1f} s,"
        f" {verdict_runs} reruns = {verdict_runs / max(proven, 1):.2f} per test"
    )
    print(
        f"  proof: {proven} tests proven, {runs} reruns = {runs / max(proven, 1):.2f} per test; "
        f"{proof.get('real', 0)} real, {proof.get('hollow', 0)} hollow, {len(unproven)} unproven; "
        f"status {proof.get('status')}"
        + (f" ({proof['reason']})" if proof.get("reason") else "; kill score complete")
    )
    print(
        f"  --prove / plain run: {proved / plain:.1f}x; "
        f"target: {count} tests proven in {proved:.0f} s "
        f"{'<=' if proved <= TARGET_SECONDS else '>'} {TARGET_SECONDS:.0f} s"
    )
    return 0 if proved <= TARGET_SECONDS and proof.get("status") == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
