"""The diagnosis and the audit as one self-contained HTML page.

Everything is inline (CSS, a small script, SVG charts): the page opens from a CI artifact or a
mail attachment with no network. It opens on a summary and a few charts, then the findings,
each expandable to its request, the app's answer, the traceback into the user's code and the
reproducers, then the route map, the reach and the notes. The severity and check filters need JavaScript; without it every finding is shown.

>>> write_output(Path("report.html"), render_html(report))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from testboost import __version__
from testboost.audit.matrix import AuditResult
from testboost.checks import SEVERITIES
from testboost.report import charts
from testboost.report.evidence import Evidence
from testboost.report.files import MARKER
from testboost.report.model import Report, finding_document
from testboost.report.summary import summarize


@dataclass(frozen=True)
class RouteRow:
    """One row of the route map."""

    rule: str
    methods: tuple[str, ...]
    view: str
    statuses: tuple[tuple[str, int], ...]
    #: ``(check, severity)`` of each finding on the route, most severe first.
    findings: tuple[tuple[str, str], ...]
    #: Who reached it: identities of the probe, or test node ids of the audited suite.
    reached_by: tuple[str, ...]

    @property
    def tone(self) -> str:
        """The row's colour: its worst severity, ``clean``, or ``unreached``."""
        if self.findings:
            return self.findings[0][1]
        return "clean" if self.reached_by else "unreached"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("testboost", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        marker=f"{MARKER} {__version__}", severities=SEVERITIES, charts=charts
    )
    return environment


def render_html(report: Report) -> str:
    """The scan's report page as text."""
    summary = summarize(report)
    findings = []
    for index, finding in enumerate(report.findings):
        document = finding_document(finding)
        evidence = report.evidence_of(index)
        findings.append(
            {
                "finding": finding,
                "id": f"f{index + 1}",
                "doc": document,
                "request": _request_text(document["request"]),
                "response": _response_text(evidence) if evidence else "",
                "evidence": evidence,
            }
        )
    return _render(
        "report.html.j2",
        report=report,
        summary=summary,
        findings=findings,
        rows=_route_rows(report),
        status_bars=_status_bars(s for r in report.routes for s in r.statuses.items()),
        severity_bars=[(s, n, s) for s, n in summary.severities.items() if n],
        check_bars=[(check, count, _worst(report, check)) for check, count in summary.checks],
        audit_tests=_audit_tests(report.audit),
    )


def render_audit_html(result: AuditResult) -> str:
    """The audit's page as text: coverage, the (method, rule) matrix, the hollow tests."""
    smells = Counter(t.smell for t in result.hollow)
    return _render(
        "audit.html.j2",
        result=result,
        smell_bars=[(s, n, "medium") for s, n in smells.most_common()],
        status_bars=_status_bars(s for pair in result.pairs for s in pair.statuses),
    )


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def _status_bars(counts: Iterable[tuple[int | str, int]]) -> list[tuple[str, int, str]]:
    """Responses per status class (``2xx``...), as bars coloured by class."""
    classes: Counter[str] = Counter()
    for status, count in counts:
        classes[f"{str(status)[:1]}xx"] += count
    return [(name, n, f"s{name[:1]}") for name, n in sorted(classes.items())]


def _route_rows(report: Report) -> list[RouteRow]:
    on_rule: dict[str, list[tuple[str, str]]] = {}
    for finding in report.findings:
        for rule in dict.fromkeys(p.rule for p in finding.places):
            on_rule.setdefault(rule, []).append((finding.check, finding.severity))
    tests = _audit_tests(report.audit)
    rows = []
    for route in report.routes:
        if tests:
            reached: tuple[str, ...] = tuple(
                dict.fromkeys(t for m in route.methods for t in tests.get((m, route.rule), ()))
            )
        elif report.reach is not None:
            reached = tuple(
                name
                for name in report.reach.identities
                if any((m, route.rule) in report.reach.reached.get(name, ()) for m in route.methods)
            )
        else:
            reached = ("probe",) if route.requests else ()
        found = sorted(on_rule.get(route.rule, []), key=lambda f: SEVERITIES.index(f[1]))
        rows.append(
            RouteRow(
                rule=route.rule,
                methods=route.methods,
                view=route.view or "-",
                statuses=tuple(route.statuses.items()),
                findings=tuple(found),
                reached_by=reached,
            )
        )
    return rows


def _audit_tests(audit: dict[str, Any] | None) -> dict[tuple[str, str], list[str]]:
    """Test node ids per (method, rule) from an audit document attached to the report."""
    if not audit:
        return {}
    return {(p["method"], p["rule"]): list(p.get("tests", ())) for p in audit.get("pairs", ())}


def _worst(report: Report, check: str) -> str:
    ranks = [SEVERITIES.index(f.severity) for f in report.findings if f.check == check]
    return SEVERITIES[min(ranks)] if ranks else "info"


def _request_text(request: dict[str, Any]) -> str:
    """The request as shown: its line, headers, then pretty JSON, form fields or the raw body."""
    lines = [f"{request['method']} {request['path']}"]
    lines += [f"{name}: {value}" for name, value in request["headers"].items()]
    if request["json"] is not None:
        body = json.dumps(request["json"], indent=2, ensure_ascii=False)
    elif request["form"] is not None:
        body = "\n".join(f"{k}={v}" for k, v in request["form"].items())
    else:
        body = str(request["body"] or "")
    return "\n".join(lines) + (f"\n\n{body}" if body else "")


def _response_text(evidence: Evidence) -> str:
    """The response as shown: status and content type, then the start of its body."""
    head = f"{evidence.status} {evidence.content_type}"
    return f"{head}\n\n{evidence.excerpt}" if evidence.excerpt else head
