"""The diagnosis and the audit as a Markdown summary: a pull-request comment or a CI job summary.

The same numbers as the terminal and the HTML page (see :mod:`testboost.report.summary`), then a
table of the findings (or of the unreached pairs and hollow tests), cut at :data:`ROWS` rows.
When ``$GITHUB_STEP_SUMMARY`` is set, ``scan`` and ``audit`` append it there too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from testboost import __version__
from testboost.audit.matrix import AuditResult, Ratio
from testboost.report.files import MARKER
from testboost.report.model import Report
from testboost.report.summary import summarize

#: Rows of a table before "... and N more".
ROWS = 50


def render_markdown(report: Report) -> str:
    """The scan as Markdown text."""
    summary = summarize(report)
    lines = [
        _marker(f"scan of {report.app}"),
        f"## testboost scan: `{_code(report.app)}`",
        "",
        f"**{_plural(summary.findings, 'finding')}** ({summary.severity_line}) on "
        f"{_plural(summary.routes, 'route')} ({summary.pairs} method-route pairs); "
        f"{report.requests} requests in {report.seconds:.1f} s, seed {report.seed}.",
        "",
        "| routes | method-route pairs | route coverage | " + " | ".join(summary.severities) + " |",
        "|---:|---:|---:|" + "---:|" * len(summary.severities),
        f"| {summary.routes} | {summary.pairs} | {_ratio(summary.coverage)} | "
        + " | ".join(str(n) for n in summary.severities.values())
        + " |",
        "",
    ]
    if report.findings:
        rows = [
            (
                f.severity,
                f"`{_code(f.check)}`",
                f"`{_code(f.method)} {_code(f.rule)}`"
                + (f" (+{len(f.places) - 1} more)" if len(f.places) > 1 else ""),
                str(f.status) if f.status is not None else "-",
                _cell(f.message),
                f"`{_code(f.location)}`" if f.location else "",
            )
            for f in report.findings
        ]
        lines += _table(("severity", "check", "route", "status", "finding", "at"), rows)
    else:
        lines.append("No findings: no check found a defect on any route.")
    if report.reach is not None:
        reach = report.reach
        lines += [
            "",
            f"Reach: {reach.guarded_reached} of {len(reach.guarded)} guarded pairs reached "
            f"with credentials (login: {_cell(reach.login)}).",
        ]
    if report.notes:
        lines += ["", f"{_plural(len(report.notes), 'note')} in the JSON report."]
    return "\n".join(lines) + "\n"


def render_audit_markdown(result: AuditResult) -> str:
    """The audit as Markdown text."""
    coverage, lines_run, counts = result.route_coverage, result.view_lines, result.counts
    lines = [
        _marker(f"audit of {result.app}"),
        f"## testboost audit: `{_code(result.tests_dir)}`",
        "",
        f"**Route coverage {_ratio(coverage)}** of (method, rule) pairs; "
        + (f"view lines run {_ratio(lines_run)}; " if lines_run is not None else "")
        + f"**{_plural(len(result.hollow), 'hollow test')}**.",
        "",
        f"pytest: {counts.passed} passed, {counts.failed} failed, {counts.errors} errors, "
        f"{counts.skipped} skipped in {result.seconds:.1f} s"
        + (" (stopped before the end)" if result.partial else "")
        + ".",
        "",
    ]
    if result.unreached:
        lines.append(f"### Not reached by any test ({len(result.unreached)})")
        lines.append("")
        lines += _table(
            ("method", "rule", "view"),
            ((p.method, f"`{_code(p.rule)}`", _cell(p.view or "")) for p in result.unreached),
        )
        lines.append("")
    if result.hollow:
        lines.append(f"### Hollow tests ({len(result.hollow)})")
        lines.append("")
        lines += _table(
            ("test", "smell", "why"),
            (
                (f"`{_code(t.nodeid)}` ({_cell(t.file)}:{t.line})", t.smell, _cell(t.detail))
                for t in result.hollow
            ),
        )
    else:
        lines.append("No hollow tests found.")
    return "\n".join(lines) + "\n"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    all_rows = list(rows)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in all_rows[:ROWS]]
    if len(all_rows) > ROWS:
        out += ["", f"... and {len(all_rows) - ROWS} more (see the JSON or HTML report)."]
    return out


def _marker(what: str) -> str:
    return f"<!-- {MARKER} {__version__}: {_cell(what).replace('--', '- -')} -->"


def _ratio(ratio: Ratio | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio.covered}/{ratio.total} ({ratio.percent:.1f}%)"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _cell(text: str) -> str:
    """Text safe in a table cell: one line, pipes and HTML-looking brackets escaped."""
    flat = " ".join(text.split())
    return flat.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    """Text safe inside backticks in a table cell."""
    return " ".join(text.split()).replace("`", "'").replace("|", "\\|")
