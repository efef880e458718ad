"""The diagnosis as one self-contained HTML page (no scripts, no external assets)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from testboost.report.files import write_text_atomic
from testboost.report.model import Report, finding_document


def render_html(report: Report) -> str:
    """The report page as text."""
    environment = Environment(
        loader=PackageLoader("testboost", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    template = environment.get_template("report.html.j2")
    reproducers = [finding_document(f)["reproducer"] for f in report.findings]
    return template.render(report=report, reproducers=reproducers)


def write_html(report: Report, path: Path) -> None:
    """Write the report page to ``path`` all at once."""
    write_text_atomic(path, render_html(report))
