#!/usr/bin/env python3
"""How far each real app's generated suite gets behind the login: the "Reach" figures of RESULTS.md.

    python3 benchmarks/reach_suite.py --only microblog,flasky --shared-venvs DIR

Run after ``benchmarks/realapps.py`` (scan and generate stages). For each app it reruns the
generated suite in the app's venv with ``benchmarks/reach_plugin.py`` listening to Flask's
``request_finished``, and counts the guarded (method, rule) pairs of the scan's ``reach`` block
that a test holding a user's credentials (one of the identity fixtures) got an answer from other
than 401, 403 or a redirect to a login page. It prints one markdown row per app: the login the
scan found, guarded pairs, reached by the scan, reached by the suite (and the percentage), and
what stayed out of reach with the recipe the scan printed for it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import realapps  # noqa: E402

_LOGIN_PAGE = re.compile(
    r"(log-?in|sign-?in|sign_in|auth(enticate)?|session/new|account/enter)", re.IGNORECASE
)


def denied(status: int, location: str | None) -> bool:
    """401, 403 or a redirect to a login page (as testboost's reach judges it)."""
    if status in (401, 403):
        return True
    return (
        300 <= status < 400 and bool(location) and bool(_LOGIN_PAGE.search(urlsplit(location).path))
    )


def measure(app: realapps.App) -> dict[str, object] | None:
    """The reach figures of one app, or None when it has no scan report or generated suite."""
    work = realapps.CACHE / app.name
    report, generated = work / "report.json", work / "generated"
    if not report.exists() or not generated.exists():
        return None
    reach = json.loads(report.read_text()).get("reach") or {}
    guarded = {(p["method"], p["rule"]) for p in reach.get("guarded_pairs", [])}
    unreached_scan = {(p["method"], p["rule"]) for p in reach.get("unreached", [])}
    venv = realapps.venv_of(app, work)
    with tempfile.TemporaryDirectory() as home:
        env = realapps.stage_env(app, venv, Path(home))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
        out = Path(home) / "reach.jsonl"
        env["TB_REACH_OUT"] = str(out)
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pytest",
                str(generated),
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "reach_plugin",
            ],
            cwd=work / "tree" / (app.cwd or ""),
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        lines = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
    reached = {
        (x["method"], x["rule"])
        for x in lines
        if x["credentials"] and x["rule"] and not denied(x["status"], x["location"])
    }
    return {
        "app": app.name,
        "login": reach.get("login", "none"),
        "guarded": len(guarded),
        "scan": len(guarded - unreached_scan),
        "suite": len(guarded & reached),
        "missing": sorted(guarded - reached),
        "recipe": reach.get("recipe"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated app names (default: all)")
    parser.add_argument("--shared-venvs", type=Path)
    args = parser.parse_args(argv)
    if args.shared_venvs:
        realapps.SHARED_VENVS = args.shared_venvs.resolve()
    wanted = {n.strip() for n in (args.only or "").split(",") if n.strip()}
    print(
        "| app | login found (no config) | guarded pairs | reached by scan | reached by suite | % |"
    )
    print("|---|---|---|---|---|---|")
    details = []
    for app in realapps.APPS:
        if wanted and app.name not in wanted:
            continue
        figures = measure(app)
        if figures is None:
            continue
        guarded = int(figures["guarded"])  # type: ignore[call-overload]
        suite = int(figures["suite"])  # type: ignore[call-overload]
        share = f"{100 * suite / guarded:.0f}" if guarded else "-"
        print(
            f"| {app.name} | {figures['login']} | {guarded} | {figures['scan']} | {suite} | {share} |",
            flush=True,
        )
        details.append(figures)
    for figures in details:
        missing = figures["missing"]
        if missing:
            shown = ", ".join(f"{m} {r}" for m, r in missing[:12])  # type: ignore[index]
            more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""  # type: ignore[arg-type]
            print(f"- {figures['app']}: not reached by the suite: {shown}{more}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
