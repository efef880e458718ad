"""The numbers every report format opens with, computed once from a :class:`Report`.

The HTML page, the Markdown summary and the JUnit file all show the same counts; they read them
from :func:`summarize` so that they cannot disagree.

>>> s = summarize(report)                      # doctest: +SKIP
>>> s.pairs, s.severities["high"], s.coverage
(44, 17, Ratio(covered=44, total=44))
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from testboost.audit.matrix import Ratio
from testboost.checks import SEVERITIES
from testboost.report.model import Report


@dataclass(frozen=True)
class Summary:
    """Routes, (method, rule) pairs, route coverage, findings by severity and by check."""

    routes: int
    pairs: int
    findings: int
    #: Findings per severity, every severity present (most severe first).
    severities: dict[str, int]
    #: Findings per check id, most findings first, then by id.
    checks: tuple[tuple[str, int], ...]
    #: Pairs some identity of the probe got an answer from (not 401/403/a login redirect).
    coverage: Ratio | None
    #: Hollow tests of the audited suite, when a suite was audited.
    hollow: int | None

    @property
    def severity_line(self) -> str:
        """``7 critical, 17 high`` or ``no findings``."""
        parts = [f"{n} {s}" for s, n in self.severities.items() if n]
        return ", ".join(parts) or "no findings"


def summarize(report: Report) -> Summary:
    """The opening numbers of ``report``."""
    severities = Counter(f.severity for f in report.findings)
    checks = Counter(f.check for f in report.findings)
    coverage = None
    if report.reach is not None and report.reach.total:
        reached = {pair for pairs in report.reach.reached.values() for pair in pairs}
        coverage = Ratio(len(reached), report.reach.total)
    hollow = None
    if report.audit is not None:
        hollow = len(report.audit.get("hollow_tests", ()))
    return Summary(
        routes=len(report.routes),
        pairs=sum(len(r.methods) for r in report.routes),
        findings=len(report.findings),
        severities={s: severities[s] for s in SEVERITIES},
        checks=tuple(sorted(checks.items(), key=lambda item: (-item[1], item[0]))),
        coverage=coverage,
        hollow=hollow,
    )
