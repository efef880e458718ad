"""The diagnosis in the terminal: findings grouped by severity, each with its smallest request."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape

from testboost.checks import SEVERITIES, Finding
from testboost.report.console import is_plain
from testboost.report.model import Report
from testboost.report.reach import render_reach
from testboost.report.reproducer import curl

_STYLES = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}


#: How many other places of a finding the terminal names before "and N more".
_SHOWN_PLACES = 5


def _render_places(console: Console, finding: Finding) -> None:
    """The other methods and routes the finding's cause shows on (all of them are in the JSON)."""
    others = finding.places[1:]
    if not others:
        return
    shown = ", ".join(f"{p.method} {p.rule}" for p in others[:_SHOWN_PLACES])
    if len(others) > _SHOWN_PLACES:
        shown += f" and {len(others) - _SHOWN_PLACES} more"
    console.print(f"    also on {escape(shown)}", highlight=False, soft_wrap=True)


def render_report(console: Console, report: Report, *, verbose: bool = False) -> None:
    """Print every finding, most severe first, then a summary line."""
    plain = is_plain(console)
    for severity in SEVERITIES:
        findings = [f for f in report.findings if f.severity == severity]
        if not findings:
            continue
        title = f"{severity.upper()} ({len(findings)})"
        console.print(title if plain else f"[{_STYLES[severity]}]{title}[/]")
        for finding in findings:
            repeats = f"  x{finding.count}" if finding.count > 1 else ""
            console.print(
                f"  {escape(finding.check)}  {finding.method} {escape(finding.rule)}"
                f"  -> {finding.status if finding.status is not None else '-'}{repeats}",
                highlight=False,
            )
            console.print(f"    {escape(finding.message)}", highlight=False)
            if finding.location:
                console.print(f"    at {escape(finding.location)}", highlight=False)
            console.print(f"    {escape(curl(finding.request))}", highlight=False, soft_wrap=True)
            _render_places(console, finding)
        console.print()
    # how the app was set up and what the probe could not reach come before the summary
    if report.setup is not None:
        moved = sorted({setting for setting, _ in report.setup.moved})
        where = f"; moved into the sandbox: {', '.join(moved)}" if moved else ""
        console.print(f"setup: schema by {escape(report.setup.schema)}{escape(where)}")
        if report.setup.hashing:
            console.print(
                f"setup: password hashing made cheap while probing "
                f"({escape(', '.join(report.setup.hashing))}); every hash still verifies",
                highlight=False,
            )
    render_reach(console, report.reach)
    counts = Counter(f.severity for f in report.findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s]) or "no findings"
    pairs = sum(len(r.methods) for r in report.routes)
    console.print(
        f"{len(report.findings)} findings ({summary}) on {len(report.routes)} routes "
        f"({pairs} method-route pairs), {report.requests} requests in {report.seconds:.1f} s, "
        f"seed {report.seed}"
    )
    shown = report.notes if verbose else report.notes[:5]
    for note in shown:
        console.print(f"note: {escape(note)}", highlight=False)
    if len(report.notes) > len(shown):
        console.print(f"note: ... and {len(report.notes) - len(shown)} more (see the JSON report)")
