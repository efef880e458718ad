"""``testboost generate``, and running a generated suite under coverage.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from testboost.cli.diagnose import explore_with_progress
from testboost.cli.options import app_options, probe_options
from testboost.cli.running import command_spec, loaded_app, run_command
from testboost.compat import path_option_type
from testboost.inventory import build_inventory
from testboost.report.console import make_console

if TYPE_CHECKING:
    pass


@click.command()
@app_options
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=path_option_type(file_okay=False),
    metavar="DIR",
    help="Directory to write the suite into (created if needed), e.g. tests/generated.",
)
@probe_options
@click.option(
    "--force",
    is_flag=True,
    help="Write into a directory that holds other files; only files with testboost's header "
    "line are overwritten.",
)
@click.option(
    "--prove/--no-prove",
    default=None,
    help="Prove the written suite as `audit --prove` does (each route broken: status, body, "
    "database write, view raising) and add a test for every break no test catches. Default: "
    "on when the estimate fits --prove-budget.",
)
@click.option(
    "--prove-budget",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds the proof of the written suite may take; what is left is said unproven.",
)
def generate(
    app_spec: str | None,
    allow_db: tuple[str, ...],
    debug: bool,
    out_dir: Path,
    seed: int,
    budget: float,
    timeout: float,
    setup: tuple[str, ...],
    force: bool,
    prove: bool | None,
    prove_budget: float,
) -> None:
    """Write a pytest suite for the app: fixtures, per-route tests, flows, query budgets.

    testboost probes every route as `scan` does, replays what it saw through the generated
    conftest, and writes plain pytest code that needs only pytest and your app's own
    dependencies. It passes on today's app; each defect found is an xfail(strict=True) test.
    Then it proves the suite: every test rerun with each route it reaches broken; a break no
    test catches gets a test that does, and every route a passing test of what it answers today.

    \b
    Examples:
      testboost generate --app "myapi:create_app('testing')" --out tests/generated
      testboost generate --out tests/generated --prove --prove-budget 900
      pytest tests/generated
    """

    def action() -> int:
        write_generated_suite(
            make_console(),
            command_spec(app_spec),
            allow_db,
            out_dir,
            seed,
            budget,
            timeout,
            force,
            setup,
            prove=None if prove is False else ("on" if prove else "auto"),
            prove_budget=prove_budget,
        )
        return 0

    run_command(debug, action)


def write_generated_suite(
    console: Console,
    spec: str,
    allow_db: tuple[str, ...],
    out_dir: Path,
    seed: int,
    budget: float,
    timeout: float,
    force: bool,
    setup: tuple[str, ...] = (),
    *,
    prove: str | None = None,
    prove_budget: float = 300.0,
) -> None:
    """Probe the app, generate its suite into ``out_dir`` and say what was written; with
    ``prove`` (``on`` or ``auto``) prove it and add what catches the breaks that survive."""
    from testboost.checks import run_checks
    from testboost.generate import generate_suite
    from testboost.generate.selfproof import runner
    from testboost.generate.writer import check_directory, write_suite

    check_directory(out_dir, force=force)
    with loaded_app(spec, allow_db, seed=seed) as (app, sandbox):
        inventory = build_inventory(app)
        result = explore_with_progress(app, spec, inventory, sandbox, seed, budget, timeout, setup)
        findings = run_checks(result.exchanges, result.facts)
        suite = generate_suite(
            app,
            spec,
            inventory,
            result,
            findings,
            seed=seed,
            out=out_dir,
            project_root=Path.cwd(),
            prove=None if prove is None else runner(out_dir, prove, force=force),
            prove_budget=prove_budget,
        )
    written = write_suite(out_dir, suite.files, force=force)
    from testboost.report.reach import render_reach

    render_reach(console, result.reach)
    for path in written.kept:
        console.print(f"kept {path}: it is not testboost's (no header line)", markup=False)
    for note in suite.notes:
        console.print(note, markup=False, highlight=False)
    for line in suite.proof.lines() if suite.proof is not None else ():
        console.print(line, markup=False, highlight=False)
    console.print(
        f"wrote {len(written.written)} files to {out_dir}: {suite.tests} tests, "
        f"{suite.xfails} of them xfail for the {len(findings)} defects found. "
        f"Run: pytest {out_dir}",
        markup=False,
        highlight=False,
    )


def run_generated_suite(console: Console, suite: Path, source: Path) -> int:
    """Run a generated suite under coverage.py; print its counts and the line coverage reached."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="testboost-demo-") as tmp:
        data = Path(tmp) / ".coverage"
        env = {**os.environ, "COVERAGE_FILE": str(data), "PYTHONDONTWRITEBYTECODE": "1"}
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "coverage",
                "run",
                f"--source={source}",
                "-m",
                "pytest",
                str(suite),
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:randomly",
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        summary = next(
            (line for line in reversed(run.stdout.splitlines()) if " in " in line), "no summary"
        )
        subprocess.run(
            [sys.executable, "-m", "coverage", "json", "-q", "-o", str(Path(tmp) / "c.json")],
            env=env,
            capture_output=True,
        )
        report = Path(tmp) / "c.json"
        percent = (
            json.loads(report.read_text())["totals"]["percent_covered"] if report.exists() else 0.0
        )
    console.print(f"generated suite: {summary.strip('= ')}", markup=False, highlight=False)
    console.print(
        f"line coverage of {source}/ under the generated suite: {percent:.1f}%",
        markup=False,
        highlight=False,
    )
    return run.returncode
