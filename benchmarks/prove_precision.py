#!/usr/bin/env python3
"""How well `audit --prove` and the static scan alone find tests that would not catch a broken route.

    python benchmarks/prove_precision.py --shared-venvs /work/main/benchmarks/.cache/realapps
    python benchmarks/prove_precision.py --only httpbin,flaskr --shared-venvs DIR

The corpus is ``benchmarks/prove_labels.json``: real apps' own test suites (from the real-app
matrix, see ``realapps.py``), every test labelled by hand ``hollow`` (it passes whatever the routes
it reaches answer: status changed, body emptied or altered, database write lost, view raising) or
``real`` (some such regression of a route it reaches fails it). For each app the script copies
the app's tree to a scratch directory (the matrix's tree is never touched), runs there, with the
app's own virtualenv and this checkout's ``src`` first on ``PYTHONPATH``::

    testboost audit --app SPEC --tests DIR --no-prove --json static.json
    testboost audit --app SPEC --tests DIR --prove --budget 1800 --json proof.json

and scores each run's ``hollow_tests`` (what a user is told) against the labels: precision and
recall of "hollow", static-only beside --prove. It also prints the overhead of the proof: reruns
per proven test and wall time of the two runs. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LABELS = HERE / "prove_labels.json"


def base(nodeid: str) -> str:
    """``t.py::test_x[1]`` is ``t.py::test_x``: the scan judges a parametrized test once."""
    return nodeid.split("[", 1)[0]


def audit(python: Path, cwd: Path, app: dict[str, object], mode: str, out: Path) -> float:
    """Run one audit; return its wall time in seconds."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update({"PYTHONPATH": str(ROOT / "src"), "HOME": str(cwd.parent / "home"), "NO_COLOR": "1"})
    env.update({str(k): str(v) for k, v in dict(app.get("env", {})).items()})  # type: ignore[call-overload]
    command = [str(python), "-m", "testboost", "audit", "--app", str(app["spec"])]
    command += ["--tests", str(app["tests"]), mode, "--budget", "1800", "--json", str(out)]
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=3600)
    return time.monotonic() - started


def score(flagged: set[str], hollow: set[str]) -> tuple[float, float]:
    hits = len(flagged & hollow)
    precision = hits / len(flagged) if flagged else 1.0
    recall = hits / len(hollow) if hollow else 1.0
    return precision, recall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-venvs", type=Path, required=True, help="realapps cache dir")
    parser.add_argument("--only", default="", help="comma-separated app names")
    args = parser.parse_args(argv)
    corpus = json.loads(LABELS.read_text())
    only = {name for name in args.only.split(",") if name}
    totals: dict[str, list[tuple[str, bool, bool]]] = {"static": [], "prove": []}
    rows = []
    with tempfile.TemporaryDirectory(prefix="prove-precision-") as scratch:
        (Path(scratch) / "home").mkdir()
        for name, app in corpus["apps"].items():
            if only and name not in only:
                continue
            cache = args.shared_venvs / name
            python = cache / "venv" / "bin" / "python"
            if not python.exists():
                print(f"{name}: no virtualenv at {python}; run benchmarks/realapps.py first")
                return 2
            tree = Path(scratch) / name
            shutil.copytree(cache / "tree", tree, symlinks=True)
            for dropped in app.get("drop", []):  # tests needing what the venv lacks (selenium)
                (tree / dropped).unlink()
            labels: dict[str, str] = app["labels"]
            documents = {}
            seconds = {}
            for mode, flag in (("static", "--no-prove"), ("prove", "--prove")):
                out = Path(scratch) / f"{name}-{mode}.json"
                seconds[mode] = audit(python, tree, app, flag, out)
                if not out.exists():
                    print(f"{name}: `audit {flag}` wrote no report")
                    return 1
                documents[mode] = json.loads(out.read_text())
            hollow = {nodeid for nodeid, label in labels.items() if label == "hollow"}
            for mode, document in documents.items():
                flagged = {base(t["nodeid"]) for t in document["hollow_tests"]} & set(labels)
                totals[mode] += [(f"{name}:{n}", n in flagged, n in hollow) for n in labels]
            proof = documents["prove"]["proof"] or {}
            proven = max(int(proof.get("tests_proven", 0)), 1)
            rows.append(
                (
                    name,
                    len(labels),
                    len(hollow),
                    *score(
                        {base(t["nodeid"]) for t in documents["static"]["hollow_tests"]}
                        & set(labels),
                        hollow,
                    ),
                    *score(
                        {base(t["nodeid"]) for t in documents["prove"]["hollow_tests"]}
                        & set(labels),
                        hollow,
                    ),
                    proof.get("runs", 0) / proven,
                    documents["static"]["run"]["seconds"],
                    documents["prove"]["run"]["seconds"],
                    proof.get("seconds", 0.0),
                )
            )
            wrong = [
                (n, label)
                for n, label in labels.items()
                if (n in {base(t["nodeid"]) for t in documents["prove"]["hollow_tests"]})
                != (label == "hollow")
            ]
            for nodeid, label in wrong:
                print(f"  {name}: --prove disagrees with the label {label}: {nodeid}")
    print()
    header = (
        f"{'app':<15}{'tests':>6}{'hollow':>7}  {'static P':>8} {'static R':>8}  "
        f"{'prove P':>8} {'prove R':>8}  {'runs/test':>9} {'plain s':>8} {'prove s':>8} "
        f"{'proof s':>8}"
    )
    print(header)
    for name, tests, hollow_count, sp, sr, pp, pr, runs, plain, proved, proof_s in rows:
        print(
            f"{name:<15}{tests:>6}{hollow_count:>7}  {sp:>8.2f} {sr:>8.2f}  {pp:>8.2f} {pr:>8.2f}"
            f"  {runs:>9.1f} {plain:>8.1f} {proved:>8.1f} {proof_s:>8.1f}"
        )
    for mode in ("static", "prove"):
        entries = totals[mode]
        flagged = {n for n, f, _ in entries if f}
        truth = {n for n, _, h in entries if h}
        precision, recall = score(flagged, truth)
        print(
            f"all apps, {mode:<6}: {len(entries)} tests, {len(truth)} hollow: "
            f"precision {precision:.2f}, recall {recall:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
