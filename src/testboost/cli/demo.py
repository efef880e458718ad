"""``testboost demo``: the whole pipeline on the bundled example app."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from testboost.cli.diagnose import diagnose
from testboost.cli.generate import run_generated_suite, write_generated_suite
from testboost.cli.running import heading, input_lines, loaded_app, run_command
from testboost.errors import UsageError
from testboost.inventory import build_inventory
from testboost.report.console import make_console
from testboost.report.files import write_json_atomic
from testboost.report.inventory import (
    render_routes,
    routes_document,
)

if TYPE_CHECKING:
    pass


DEMO_APP = "examples.shopapi:create_app()"


DEMO_DIR = "testboost-demo"


@click.command()
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
def demo(debug: bool) -> None:
    """Run the whole pipeline on the bundled example shop API (examples/shopapi).

    Run it from a checkout of testboost. It lists the example app's routes, scans them, writes
    the reports under ./testboost-demo/ (routes.json, report.json, report.html), generates a
    pytest suite into ./testboost-demo/tests/ and runs it under coverage.py.
    """

    def action() -> int:
        from testboost.report.files import write_text_atomic
        from testboost.report.html import render_html
        from testboost.report.model import report_document
        from testboost.report.terminal import render_report

        if not Path("examples", "shopapi", "__init__.py").is_file():
            raise UsageError(
                "The demo needs the bundled examples: run it from the root of a testboost checkout."
            )
        out = Path(DEMO_DIR)
        out.mkdir(exist_ok=True)
        console = make_console()
        heading(console, f"1. routes of {DEMO_APP}")
        with loaded_app(DEMO_APP, ()) as (app, _sandbox):
            inventory = build_inventory(app)
            inputs = input_lines(inventory)
        render_routes(console, inventory, inputs)
        write_json_atomic(out / "routes.json", routes_document(DEMO_APP, inventory, inputs))
        heading(console, "2. scan: every route driven with valid and invalid input")
        report, _, _ = diagnose(DEMO_APP, (), seed=0, budget=300, timeout=5)
        render_report(console, report)
        write_json_atomic(out / "report.json", report_document(report))
        write_text_atomic(out / "report.html", render_html(report))
        console.print(f"\nreports written to {out}/: routes.json, report.json, report.html")
        heading(console, f"3. generate: a pytest suite in {out}/tests")
        write_generated_suite(console, DEMO_APP, (), out / "tests", 0, 300, 5, force=True)
        heading(console, "4. run the generated suite")
        code = run_generated_suite(console, out / "tests", Path("examples", "shopapi"))
        console.print(f"\nHTML report: {out / 'report.html'}", markup=False, highlight=False)
        return code

    run_command(debug, action)
