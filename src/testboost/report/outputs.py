"""The report files a command was asked for, checked before the run and written after it.

``scan`` and ``audit`` take ``--html``, ``--sarif``, ``--junit`` and ``--markdown``; each format
is one module with a ``render_*`` function for the scan's :class:`Report` and one for the
:class:`AuditResult`. When ``$GITHUB_STEP_SUMMARY`` is set (a GitHub Actions job), the Markdown
summary is appended there too.

>>> outputs = Outputs(html=Path("r.html"), sarif=Path("r.sarif"))   # doctest: +SKIP
>>> outputs.check()                  # before the scan: a bad path fails now
>>> write_scan_outputs(report, outputs)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from testboost.report.files import append_text, check_output, write_output

if TYPE_CHECKING:
    from testboost.audit.matrix import AuditResult
    from testboost.report.model import Report

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


@dataclass(frozen=True)
class Outputs:
    """Where to write each format (``None``: not asked for)."""

    html: Path | None = None
    sarif: Path | None = None
    junit: Path | None = None
    markdown: Path | None = None

    def targets(self) -> Iterator[tuple[str, Path]]:
        """``(format, path)`` for each format asked for."""
        for field in fields(self):
            path = getattr(self, field.name)
            if path is not None:
                yield field.name, path

    def check(self) -> None:
        """Fail now, with one clear line, if a target cannot be written later."""
        for _, path in self.targets():
            check_output(path)


def _scan_renderers() -> dict[str, Callable[[Report], str]]:
    from testboost.report.html import render_html
    from testboost.report.junit import render_junit
    from testboost.report.markdown import render_markdown
    from testboost.report.sarif import render_sarif

    return {
        "html": render_html,
        "sarif": render_sarif,
        "junit": render_junit,
        "markdown": render_markdown,
    }


def _audit_renderers() -> dict[str, Callable[[AuditResult], str]]:
    from testboost.report.html import render_audit_html
    from testboost.report.junit import render_audit_junit
    from testboost.report.markdown import render_audit_markdown
    from testboost.report.sarif import render_audit_sarif

    return {
        "html": render_audit_html,
        "sarif": render_audit_sarif,
        "junit": render_audit_junit,
        "markdown": render_audit_markdown,
    }


def write_scan_outputs(report: Report, outputs: Outputs) -> None:
    """Write each format asked for, then the job summary when running in GitHub Actions."""
    renderers = _scan_renderers()
    _write(lambda name: renderers[name](report), outputs)


def write_audit_outputs(result: AuditResult, outputs: Outputs) -> None:
    """Write each format of the audit asked for, then the job summary in GitHub Actions."""
    renderers = _audit_renderers()
    _write(lambda name: renderers[name](result), outputs)


def _write(render: Callable[[str], str], outputs: Outputs) -> None:
    """Write ``render(format)`` to each target; append the Markdown to the job summary."""
    for name, path in outputs.targets():
        write_output(path, render(name))
    target = os.environ.get(STEP_SUMMARY)
    if target:
        append_text(Path(target), render("markdown"))
