"""The report data model and its JSON form (``testboost.report/1``, a contract: extend, never rename).

One :class:`Report` is built by the CLI from the stages' results; every reporter (terminal, JSON,
...) reads only this object.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from testboost.checks import Finding
from testboost.checks.environment import (
    deliberate_error_notes,
    environment_notes,
    setup_wall_notes,
)
from testboost.explore.exchange import Exchange, ProbeRequest
from testboost.explore.reach import Reach, reach_document
from testboost.inventory import Route
from testboost.report.evidence import Evidence, QueryGrowth, find_evidence, query_growth
from testboost.report.inventory import route_view_label
from testboost.report.reproducer import curl, pytest_function

SCHEMA = "testboost.report/1"


@dataclass(frozen=True)
class RouteStats:
    """How one route was driven: requests sent and statuses seen."""

    rule: str
    endpoint: str
    methods: tuple[str, ...]
    requests: int
    statuses: dict[str, int]
    #: The view's ``file:line`` (one per method for class-based views), as the inventory says.
    view: str | None = None


@dataclass(frozen=True)
class Report:
    """The diagnosis of one app."""

    app: str
    routes: tuple[RouteStats, ...]
    findings: tuple[Finding, ...]
    seed: int
    seconds: float
    requests: int
    audit: dict[str, Any] | None = None
    notes: tuple[str, ...] = field(default=())
    reach: Reach | None = None
    setup: SandboxSetup | None = None
    #: Per finding, in order, what the app answered to its request (when it was recorded).
    evidence: tuple[Evidence | None, ...] = ()
    #: The check ids that ran (all registered checks less ``--ignore``, or ``--select``).
    checks: tuple[str, ...] = ()
    #: Statement counts of the routes ``n-plus-one`` reported.
    query_growth: tuple[QueryGrowth, ...] = ()

    def evidence_of(self, index: int) -> Evidence | None:
        """The evidence of the ``index``-th finding, if recorded."""
        return self.evidence[index] if index < len(self.evidence) else None


@dataclass(frozen=True)
class SandboxSetup:
    """How the app was set up in the sandbox: its schema recipe and the settings moved."""

    schema: str
    #: ``(setting, what the app named)`` for each database or folder pointed into the sandbox.
    moved: tuple[tuple[str, str], ...] = ()
    #: Password hashing made cheap while probing (``"Werkzeug scrypt -> scrypt:16:8:1"``).
    hashing: tuple[str, ...] = ()


def build_report(
    app: str,
    routes: Sequence[Route],
    exchanges: Sequence[Exchange],
    findings: Sequence[Finding],
    *,
    seed: int,
    seconds: float,
    requests: int | None = None,
    notes: Sequence[str] = (),
    reach: Reach | None = None,
    setup: SandboxSetup | None = None,
    checks: Sequence[str] = (),
) -> Report:
    """Assemble the report: per-route request counts and statuses, findings as given.

    The notes are ``notes`` then one per service the app needed and the sandbox does not run
    (see :mod:`testboost.checks.environment`).
    """
    stats = []
    for route in routes:
        if route.kind != "view":
            continue
        mine = [e for e in exchanges if e.endpoint == route.endpoint]
        statuses = Counter(str(e.status) for e in mine)
        stats.append(
            RouteStats(
                route.rule,
                route.endpoint,
                route.methods,
                len(mine),
                dict(sorted(statuses.items())),
                route_view_label(route),
            )
        )
    return Report(
        app=app,
        routes=tuple(stats),
        findings=tuple(findings),
        seed=seed,
        seconds=seconds,
        requests=len(exchanges) if requests is None else requests,
        notes=(
            *notes,
            *environment_notes(exchanges),
            *deliberate_error_notes(exchanges),
            *setup_wall_notes(exchanges),
        ),
        reach=reach,
        setup=setup,
        evidence=find_evidence(findings, exchanges),
        checks=tuple(checks),
        query_growth=query_growth(findings, exchanges),
    )


def finding_document(finding: Finding) -> dict[str, Any]:
    """One finding as JSON data.

    ``routes`` lists every (method, rule) the finding's cause shows on, each with its reproducer;
    the first is the finding's own ``method`` and ``rule``.
    """
    request = finding.request
    return {
        "check": finding.check,
        "severity": finding.severity,
        "method": finding.method,
        "rule": finding.rule,
        "endpoint": finding.endpoint,
        "status": finding.status,
        "message": finding.message,
        "location": finding.location,
        "count": finding.count,
        "request": {
            "method": request.method,
            "path": request.url,
            "headers": {
                k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in request.headers
            },
            "json": request.json if request.has_json else None,
            "form": dict(request.form) if request.form is not None else None,
            "body": request.body,
            "as_user": request.identity,
        },
        "reproducer": _reproducer(
            finding.check, finding.method, finding.rule, finding.status, request
        ),
        "routes": [
            {
                "method": place.method,
                "rule": place.rule,
                "reproducer": _reproducer(
                    finding.check, place.method, place.rule, place.status, place.request
                ),
            }
            for place in finding.places
        ],
    }


def _reproducer(
    check: str, method: str, rule: str, status: int | None, request: ProbeRequest
) -> dict[str, str]:
    return {"curl": curl(request), "pytest": pytest_function(check, method, rule, status, request)}


def report_document(report: Report) -> dict[str, Any]:
    """The whole report as JSON data, in the ``testboost.report/1`` schema."""
    return {
        "schema": SCHEMA,
        "app": report.app,
        "routes": [
            {
                "rule": r.rule,
                "endpoint": r.endpoint,
                "methods": list(r.methods),
                "requests": r.requests,
                "statuses": r.statuses,
                "view": r.view,
            }
            for r in report.routes
        ],
        "findings": [finding_document(f) for f in report.findings],
        "audit": report.audit,
        "notes": list(report.notes),
        "reach": reach_document(report.reach) if report.reach is not None else None,
        "setup": None
        if report.setup is None
        else {
            "schema": report.setup.schema,
            "moved": [{"setting": s, "original": o} for s, o in report.setup.moved],
            "hashing": list(report.setup.hashing),
        },
        "stats": {
            "routes": len(report.routes),
            "requests": report.requests,
            "seconds": round(report.seconds, 2),
            "seed": report.seed,
        },
    }
