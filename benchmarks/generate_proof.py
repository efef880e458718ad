#!/usr/bin/env python3
"""What `generate`'s proof of its own suite costs and buys: kill score without it and with it.

    python benchmarks/generate_proof.py                                   # examples/shopapi_fixed
    python benchmarks/generate_proof.py --app flaskr --shared-venvs /work/main/benchmarks/.cache/realapps

For the app (the bundled example, or a real app of the matrix: its tree copied to a scratch
directory, its own virtualenv, this checkout's ``src`` first on ``PYTHONPATH``) the script runs
``testboost generate --no-prove`` and ``testboost generate --prove`` (the same seed), timing
both, then ``testboost audit --prove --json`` on each suite, and prints for each: the tests, the
route kill score (the (pair, kind of break) some test catches, of those tried) and the breaks no
test catches. Standard library only.
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
EXAMPLE = "examples.shopapi_fixed:create_app()"


def testboost(
    python: Path, cwd: Path, env: dict[str, str], *args: str
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """One testboost command: its wall time and what it printed."""
    started = time.monotonic()
    done = subprocess.run(
        [str(python), "-m", "testboost", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=7200,
        check=False,
    )
    return time.monotonic() - started, done


def kill_score(document: dict[str, Any]) -> tuple[int, int, list[str]]:
    """(pair, kind) caught by some test, tried, and those no test catches."""
    caught = tried = 0
    left = []
    for pair in document.get("pairs", []):
        for kind, score in (pair.get("kill_score") or {}).items():
            if not score["tried"]:
                continue
            tried += 1
            if score["caught"]:
                caught += 1
            else:
                left.append(f"{pair['method']} {pair['rule']} {kind}")
    return caught, tried, left


def main(argv: list[str] | None = None) -> int:
    """Generate without and with the proof, audit both, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", help="a real app of the matrix (default: the bundled example)")
    parser.add_argument("--shared-venvs", type=Path, default=HERE / ".cache" / "realapps")
    parser.add_argument("--seed", default="0")
    parser.add_argument("--prove-budget", default="600")
    options = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    scratch = Path(tempfile.mkdtemp(prefix="testboost-genproof-"))
    try:
        if options.app:
            sys.path.insert(0, str(HERE))
            from realapps import APPS  # type: ignore[import-not-found]

            app = next(a for a in APPS if a.name == options.app)
            cache = options.shared_venvs.resolve() / app.name
            shutil.copytree(cache / "tree", scratch / "tree", symlinks=True)
            cwd = scratch / "tree" / app.cwd
            python = cache / "venv" / "bin" / "python"
            spec = app.spec
            env.update({"PYTHONPATH": str(ROOT / "src"), "HOME": str(scratch / "home")})
            env.update(dict(app.env))
            (scratch / "home").mkdir()
        else:
            cwd, python, spec = ROOT, Path(sys.executable), EXAMPLE
        env["NO_COLOR"] = "1"
        for label, flag in (("without", "--no-prove"), ("with", "--prove")):
            out = scratch / f"suite_{label}"
            seconds, done = testboost(
                python,
                cwd,
                env,
                *("generate", "--app", spec, "--out", str(out), "--seed", options.seed, flag),
                *("--prove-budget", options.prove_budget),
            )
            if done.returncode != 0:
                print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
                return 1
            said = [
                line for line in done.stdout.splitlines() if "proof" in line or "catches" in line
            ]
            report = scratch / f"audit_{label}.json"
            audit_seconds, audited = testboost(
                python,
                cwd,
                env,
                *("audit", "--app", spec, "--tests", str(out), "--prove", "--budget", "3600"),
                *("--json", str(report)),
            )
            if not report.exists():
                print(audited.stdout[-2000:], audited.stderr[-2000:], file=sys.stderr)
                return 1
            document = json.loads(report.read_text())
            caught, tried, left = kill_score(document)
            tests = document["run"].get("counts") or document.get("tests")
            print(
                f"{label} the proof: generate {seconds:.0f} s; suite {json.dumps(tests)}; kill "
                f"score {caught}/{tried} (pair, kind) caught "
                f"({100.0 * caught / tried if tried else 0:.1f}%); audit {audit_seconds:.0f} s"
            )
            for line in said:
                print(f"  generate said: {line}")
            for line in left:
                print(f"  no test catches: {line}")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
