#!/usr/bin/env python3
"""Same seed, same bytes: two `scan --json` and two `generate` runs per real app, diffed.

    python3 benchmarks/determinism.py --shared-venvs /work/main/benchmarks/.cache/realapps
    python3 benchmarks/determinism.py --only httpbin,flaskr --seed 1

Uses the real-app matrix of ``benchmarks/realapps.py`` (its apps, trees and venvs). For each app
the tree is re-extracted once, then ``testboost scan --json`` and ``testboost generate`` run twice
each, with the same ``--seed``, each into its own directory under
``benchmarks/.cache/realapps/<app>/determinism/``. The two reports are compared with timings
aside (``stats.seconds`` and the timing-based ``slow-route`` findings, which the seed promise
leaves out); the two generated suites are compared byte for byte, file by file. One line per app,
then the first differing lines of each difference, and whether a scan spent its ``--budget``
(which routes a budget covers depends on the machine). Exit 0 when every app is identical.
Standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realapps

TIMING_CHECKS = {"slow-route"}
TIMING_KEYS = {"seconds", "elapsed"}


def without_timings(doc: object) -> object:
    """The report with what the seed does not promise removed: seconds and timing findings."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if k not in TIMING_KEYS}
    if isinstance(doc, list):
        return [
            without_timings(item)
            for item in doc
            if not (isinstance(item, dict) and item.get("check") in TIMING_CHECKS)
        ]
    return doc


def report_text(path: Path) -> list[str]:
    """The report as stable, comparable lines (timings aside), or one line saying why not."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return [f"<no report: {exc}>"]
    return json.dumps(without_timings(doc), indent=1, sort_keys=True).splitlines()


def budget_spent(path: Path) -> int:
    """How many routes a report says its ``--budget`` left unprobed (0 when none or unreadable)."""
    try:
        notes = json.loads(path.read_text()).get("notes", [])
    except (OSError, ValueError, AttributeError):
        return 0
    return sum(1 for note in notes if isinstance(note, str) and note.startswith("budget of "))


def suite_files(root: Path) -> dict[str, bytes]:
    """Every file of a generated suite, by relative path (caches left out)."""
    if not root.is_dir():
        return {}
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def first_diff(a: list[str], b: list[str], name: str, limit: int = 12) -> list[str]:
    """The first lines of a unified diff between two texts."""
    lines = list(difflib.unified_diff(a, b, f"run1/{name}", f"run2/{name}", lineterm="", n=1))
    lines = [line if len(line) <= 240 else line[:240] + " ..." for line in lines]
    return lines[:limit] + (
        [f"... ({len(lines) - limit} more diff lines)"] if len(lines) > limit else []
    )


def compare_suites(one: Path, two: Path) -> list[str]:
    """Differences between two generated suites: missing files, then per-file diffs."""
    a, b = suite_files(one), suite_files(two)
    out: list[str] = []
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            out.append(f"{name}: only in run {'2' if name not in a else '1'}")
        elif a[name] != b[name]:
            out += first_diff(
                a[name].decode(errors="replace").splitlines(),
                b[name].decode(errors="replace").splitlines(),
                name,
            )
    return out


def check_app(app: realapps.App, seed: str, timeout: float) -> tuple[bool, list[str]]:
    """Two scans and two generations of one app; (identical, explanation lines)."""
    work = realapps.CACHE / app.name
    work.mkdir(parents=True, exist_ok=True)
    log = realapps.Log(work / "logs" / "determinism.log")
    venv = realapps.venv_of(app, work)
    if not (venv / "bin" / "python").exists():
        return False, [f"no venv at {venv}: run benchmarks/realapps.py first"]
    try:
        realapps.prepare_tree(app, work, venv, log)
    except (realapps.SetupError, OSError) as exc:
        return False, [f"setup failed: {exc}"]
    out = work / "determinism"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    home = Path(tempfile.mkdtemp(prefix=f"determinism-home-{app.name}-"))
    env = realapps.stage_env(app, venv, home)
    tb = str(venv / "bin" / "testboost")
    cwd = work / "tree" / app.cwd
    problems: list[str] = []
    try:
        for run in ("1", "2"):
            for argv in (
                [tb, "scan", "--app", app.spec, "--json", str(out / f"report{run}.json")],
                [tb, "generate", "--app", app.spec, "--out", str(out / f"generated{run}")],
            ):
                rc, text, _ = realapps.run(
                    [*argv, "--seed", seed], log, cwd=cwd, env=env, timeout=timeout
                )
                if rc != 0:
                    problems.append(
                        f"run {run} {argv[1]} rc {rc}: {realapps.last_error_line(text)}"
                    )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if problems:
        return False, problems
    report = first_diff(
        report_text(out / "report1.json"), report_text(out / "report2.json"), "report.json"
    )
    suite = compare_suites(out / "generated1", out / "generated2")
    cut = [
        f"run {run}: the scan's --budget was spent, {left} routes not probed (the seed promise "
        "covers what the budget reached: raise --budget to compare the whole app)"
        for run in ("1", "2")
        if (left := budget_spent(out / f"report{run}.json"))
    ]
    return not report and not suite, cut + report + suite


def main(argv: list[str] | None = None) -> int:
    """Run the check on the chosen apps; print one verdict line per app."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated app names (default: all)")
    parser.add_argument("--seed", default="0", help="the --seed given to every run (0)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per command (900)")
    parser.add_argument("--shared-venvs", type=Path, help="another checkout's realapps cache")
    args = parser.parse_args(argv)
    if args.shared_venvs is not None:
        realapps.SHARED_VENVS = args.shared_venvs.resolve()
    apps = list(realapps.APPS)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {a.name for a in apps}
        if unknown:
            print(f"determinism: unknown app(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        apps = [a for a in apps if a.name in wanted]
    same = 0
    for app in apps:
        identical, lines = check_app(app, args.seed, args.timeout)
        same += identical
        verdict = "identical" if identical else "DIFFERENT"
        print(f"{app.name:18} seed {args.seed}: report + generated suite {verdict}", flush=True)
        for line in lines:
            print(f"    {line}")
    print(f"{same}/{len(apps)} apps byte-identical across two runs (timings aside)")
    return 0 if same == len(apps) else 1


if __name__ == "__main__":
    sys.exit(main())
