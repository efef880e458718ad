#!/usr/bin/env python3
"""The reach of an app's generated suite with the one configuration line its reach block printed.

    python3 benchmarks/reach_setup.py --only flasky --shared-venvs DIR

For each app named in :data:`CONFIGS`, runs the real-app matrix's stages (``benchmarks/realapps.py``)
on a copy of its tree under ``benchmarks/.cache/realapps/<app>-config`` with a ``pyproject.toml``
holding that line, in the app's own venv, then prints the reach row as ``reach_suite.py`` does.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import reach_suite  # noqa: E402
import realapps  # noqa: E402

#: app -> the pyproject.toml text its reach block recommends
CONFIGS = {
    "flasky": '[tool.testboost]\nsetup = ["flask deploy"]\n',
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated app names (default: all of CONFIGS)")
    parser.add_argument("--shared-venvs", type=Path)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    if args.shared_venvs:
        realapps.SHARED_VENVS = args.shared_venvs.resolve()
    wanted = {n.strip() for n in (args.only or "").split(",") if n.strip()} or set(CONFIGS)
    own_venv = realapps.venv_of

    def venv_of(app: realapps.App, work: Path) -> Path:
        original = app.name.removesuffix("-config")
        if original != app.name:
            return own_venv(dataclasses.replace(app, name=original), work.parent / original)
        return own_venv(app, work)

    realapps.venv_of = venv_of  # the configured copy runs in the app's own venv
    for base in realapps.APPS:
        if base.name not in wanted or base.name not in CONFIGS:
            continue
        app = dataclasses.replace(
            base,
            name=f"{base.name}-config",
            files=(*base.files, ("pyproject.toml", CONFIGS[base.name])),
        )
        result = realapps.run_app(app, realapps.STAGES, args.timeout, reinstall=False)
        stages = ", ".join(f"{n} {realapps.cell_rc(result, n)}" for n in result.stages)
        print(f"[reach_setup] {app.name}: {result.setup_error or stages}", flush=True)
        figures = reach_suite.measure(app)
        if figures is None:
            continue
        guarded, suite = int(figures["guarded"]), int(figures["suite"])  # type: ignore[call-overload]
        share = f"{100 * suite / guarded:.0f}" if guarded else "-"
        print(
            f"| {app.name} | {figures['login']} | {guarded} | {figures['scan']} | {suite} | {share} |"
        )
        missing = figures["missing"]
        if missing:
            print("- not reached by the suite: " + ", ".join(f"{m} {r}" for m, r in missing))  # type: ignore[union-attr]
    return 0


if __name__ == "__main__":
    sys.exit(main())
