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

    testboost audit --app SPEC --tests DIR --prove --budget 1800 --json APP.json

(``--budget`` changes the 1800). An app's ``keep`` runs only those test files of DIR; its
``extra`` are test requirements its virtualenv lacks, installed once with that virtualenv's pip
into ``benchmarks/.cache/prove-extras/APP`` and put on ``PYTHONPATH`` (the shared virtualenv
is never changed).
and scores what a user is told against the labels: the report's ``hollow_tests`` for --prove;
for the static scan alone, the same list without the proof's ``survives-breaks`` additions and
with the tests the proof cleared (``proof.proven_real``) put back. It prints precision and
recall of "hollow" for both, and the overhead of the proof: reruns per proven test, the seconds
of the plain run and of the reruns. ``--reports DIR`` scores reports already made. Standard
library only.
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
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LABELS = HERE / "prove_labels.json"


def base(nodeid: str) -> str:
    """``t.py::test_x[1]`` is ``t.py::test_x``: the scan judges a parametrized test once."""
    return nodeid.split("[", 1)[0]


def audit(
    python: Path, cwd: Path, app: dict[str, Any], out: Path, options: argparse.Namespace
) -> float:
    """Run one ``audit --prove``; return its wall time in seconds."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    extra = extras(cwd.name, python, app.get("extra", []))
    path = [str(ROOT / "src"), *([str(extra)] if extra else [])]
    env.update({"PYTHONPATH": os.pathsep.join(path), "HOME": str(cwd.parent / "home")})
    env["NO_COLOR"] = "1"
    env.update({str(k): str(v) for k, v in app.get("env", {}).items()})
    command = [str(python), "-m", "testboost", "audit", "--app", str(app["spec"])]
    command += ["--tests", str(app["tests"]), "--prove", "--budget", f"{options.budget:g}"]
    command += ["--workers", str(options.workers)]
    command += ["--json", str(out)]
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=3600)
    return time.monotonic() - started


def extras(name: str, python: Path, requirements: list[str]) -> Path | None:
    """The test requirements the app's virtualenv lacks (``extra`` in the corpus), installed
    once with its own pip into ``benchmarks/.cache/prove-extras/NAME`` (never into the shared
    virtualenv), for ``PYTHONPATH``."""
    if not requirements:
        return None
    target = HERE / ".cache" / "prove-extras" / name
    stamp = target / ".requirements"
    if stamp.exists() and stamp.read_text() == "\n".join(requirements):
        return target
    shutil.rmtree(target, ignore_errors=True)
    command = [str(python), "-m", "pip", "install", "--quiet", "--target", str(target)]
    subprocess.run([*command, *requirements], check=True, timeout=900)
    for shadowing in target.glob("typing_extensions*"):  # the venv has its own
        shutil.rmtree(shadowing) if shadowing.is_dir() else shadowing.unlink()
    stamp.write_text("\n".join(requirements))
    return target


def prune(tree: Path, app: dict[str, Any]) -> None:
    """Drop the test files the corpus does not use: ``drop`` (tests needing what the venv
    lacks) and, with ``keep``, every other ``test_*.py`` under the tests directory."""
    for dropped in app.get("drop", []):
        (tree / dropped).unlink()
    keep = {tree / kept for kept in app.get("keep", [])}
    if keep:
        for path in (tree / app["tests"]).rglob("test_*.py"):
            if path not in keep:
                path.unlink()


def score(flagged: set[str], hollow: set[str]) -> tuple[float | None, float | None]:
    """Precision and recall; ``None`` where there is nothing to divide by (shown as ``-``)."""
    hits = len(flagged & hollow)
    precision = hits / len(flagged) if flagged else None
    recall = hits / len(hollow) if hollow else None
    return precision, recall


def shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def static_hollow(document: dict[str, Any]) -> set[str]:
    """What the smell scan alone says, read back from a --prove report: the hollow list without
    the proof's additions (``survives-breaks``), plus the tests the proof cleared."""
    hollow = [t for t in document["hollow_tests"] if t["smell"] != "survives-breaks"]
    cleared = (document["proof"] or {}).get("proven_real", [])
    return {base(t["nodeid"]) for t in [*hollow, *cleared]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-venvs", type=Path, required=True, help="realapps cache dir")
    parser.add_argument("--only", default="", help="comma-separated app names")
    parser.add_argument(
        "--reports", type=Path, help="score the --prove reports APP.json already in this dir"
    )
    parser.add_argument("--workers", type=int, default=1, help="audit --workers (default 1)")
    parser.add_argument("--save", type=Path, help="keep each app's --prove report in this dir")
    parser.add_argument(
        "--budget",
        type=float,
        default=1800.0,
        help="--budget of each audit (default 1800 s); verdicts come first, the kill score after",
    )
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
            out = (args.reports or Path(scratch)) / f"{name}.json"
            if args.reports is None:
                cache = args.shared_venvs / app.get("venv", name)
                python = cache / "venv" / "bin" / "python"
                if not python.exists():
                    print(f"{name}: no virtualenv at {python}; run benchmarks/realapps.py first")
                    return 2
                tree = Path(scratch) / name
                shutil.copytree(cache / "tree", tree, symlinks=True)
                prune(tree, app)
                audit(python, tree, app, out, args)
            if not out.exists():
                print(f"{name}: no --prove report at {out}")
                return 1
            if args.save is not None and args.reports is None:
                args.save.mkdir(parents=True, exist_ok=True)
                shutil.copy(out, args.save / out.name)
            document = json.loads(out.read_text())
            labels: dict[str, str] = app["labels"]
            hollow = {nodeid for nodeid, label in labels.items() if label == "hollow"}
            said = {
                "static": static_hollow(document) & set(labels),
                "prove": {base(t["nodeid"]) for t in document["hollow_tests"]} & set(labels),
            }
            for mode, flagged in said.items():
                totals[mode] += [(f"{name}:{n}", n in flagged, n in hollow) for n in labels]
            for nodeid, label in labels.items():
                if (nodeid in said["prove"]) != (label == "hollow"):
                    print(f"  {name}: --prove disagrees with the label {label}: {nodeid}")
            proof = document["proof"] or {}
            total = float(document["run"]["seconds"])
            proof_seconds = float(proof.get("seconds", 0.0))
            proven = max(int(proof.get("tests_proven", 0)), 1)
            left = {base(u["nodeid"]) for u in proof.get("unproven", [])} & set(labels)
            rows.append(
                (
                    name,
                    len(labels),
                    len(hollow),
                    len(left),
                    *score(said["static"], hollow),
                    *score(said["prove"], hollow),
                    int(proof.get("verdict_runs") or 0) / proven,
                    float(proof.get("verdict_seconds") or 0.0),
                    int(proof.get("runs", 0)) / proven,
                    total - proof_seconds,
                    proof_seconds,
                )
            )
    print()
    print(
        f"{'app':<15}{'tests':>6}{'hollow':>7}{'unproven':>9}  {'static P':>8} {'static R':>8}  "
        f"{'prove P':>8} {'prove R':>8}  {'verdict/test':>12} {'verdict s':>9} "
        f"{'reruns/test':>11} {'plain s':>8} {'proof s':>8}"
    )
    for name, tests, count, unproven, sp, sr, pp, pr, v_runs, v_s, runs, plain, proof_s in rows:
        print(
            f"{name:<15}{tests:>6}{count:>7}{unproven:>9}  {shown(sp):>8} {shown(sr):>8}  "
            f"{shown(pp):>8} {shown(pr):>8}  {v_runs:>12.1f} {v_s:>9.1f} "
            f"{runs:>11.1f} {plain:>8.1f} {proof_s:>8.1f}"
        )
    for mode in ("static", "prove"):
        entries = totals[mode]
        flagged = {n for n, f, _ in entries if f}
        truth = {n for n, _, h in entries if h}
        precision, recall = score(flagged, truth)
        print(
            f"all apps, {mode:<6}: {len(entries)} tests, {len(truth)} hollow: "
            f"precision {shown(precision)}, recall {shown(recall)}"
        )
    print(
        "plain s: the suite's own run; proof s: the reruns after it, in the same pytest "
        f"process (--workers {args.workers}); unproven: labelled tests the proof left without a verdict (over "
        "budget, or every break crashed them), scored as not flagged; verdict: the reruns and seconds until every test had its "
        "verdict (the rest went to the kill score, within --budget)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
