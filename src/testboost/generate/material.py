"""The probe's exchanges sorted into what the generated tests are made of.

For each (route, method) a :class:`Group` holds the valid request and every variation the probe
sent, each as a replayable :class:`Sample`. Exchanges behind a finding are marked: they never
become a passing test (a test must not pin a defect as the expected behaviour); the finding
becomes an ``xfail`` test instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from testboost.checks import Finding, load_checks, request_json
from testboost.checks.environment import answered_on_purpose
from testboost.explore.exchange import Exchange, ProbeFacts
from testboost.generate.replay import Step
from testboost.inventory import Route


@dataclass(frozen=True)
class Sample:
    """A request to turn into a test: why it is sent (its case kind and description) and the step.

    ``defects`` names the checks that flagged the exchange it came from; ``probe_status`` is
    what the probe saw (``None`` for requests the generator made up).
    """

    kind: str
    description: str
    step: Step
    field: str | None = None
    defects: tuple[str, ...] = ()
    probe_status: int | None = None
    exchange: Exchange | None = None

    def answered_on_purpose(self, status: int) -> bool:
        """Whether ``status`` is the 5xx the view chose when probed (a bare ``abort(500)``, a
        501): today's answer to pin, not a crash."""
        probed = self.exchange
        return probed is not None and probed.status == status and answered_on_purpose(probed)


@dataclass(frozen=True)
class Group:
    """One method of one route: its valid request and the variations, in the probe's order."""

    route: Route
    method: str
    valid: Sample | None
    cases: tuple[Sample, ...] = field(default_factory=tuple)

    @property
    def rule(self) -> str:
        """The route's rule."""
        return self.route.rule

    def with_valid(self, valid: Sample, extra: Iterable[Sample] = ()) -> Group:
        """The group with another valid request and more cases."""
        return replace(self, valid=valid, cases=(*self.cases, *extra))


def defects_by_request(
    exchanges: Sequence[Exchange], facts: ProbeFacts, findings: Sequence[Finding]
) -> dict[str, tuple[str, ...]]:
    """Check ids that flagged each request (keyed by :func:`request_json`), before folding."""
    chosen = {f.check for f in findings}
    checks = load_checks()
    flagged: dict[str, set[str]] = {}
    for check_id in sorted(chosen):
        check = checks.get(check_id)
        if check is None:
            continue
        for finding in check(exchanges, facts):
            flagged.setdefault(request_json(finding.request), set()).add(check_id)
    for finding in findings:
        flagged.setdefault(request_json(finding.request), set()).add(finding.check)
    return {key: tuple(sorted(checks_)) for key, checks_ in flagged.items()}


#: Checks about speed, not behaviour: what such an exchange answered is still right.
PERFORMANCE_CHECKS = frozenset({"n-plus-one", "slow-route"})


def sample_of(exchange: Exchange, defects: Mapping[str, tuple[str, ...]]) -> Sample:
    """The exchange as a sample."""
    flagged = tuple(
        c for c in defects.get(request_json(exchange.request), ()) if c not in PERFORMANCE_CHECKS
    )
    crashed = exchange.status >= 500 or exchange.timed_out or exchange.error is not None
    if crashed and not answered_on_purpose(exchange):
        flagged = tuple(sorted({*flagged, "server-error"}))
    return Sample(
        kind=exchange.case.kind,
        description=exchange.case.description,
        step=Step.from_request(exchange.request),
        field=exchange.case.field,
        defects=flagged,
        probe_status=exchange.status,
        exchange=exchange,
    )


def groups(
    routes: Sequence[Route], exchanges: Sequence[Exchange], defects: Mapping[str, tuple[str, ...]]
) -> list[Group]:
    """One group per (route, method) the probe drove, in inventory order."""
    by_route: dict[tuple[str, str], list[Exchange]] = {}
    for exchange in exchanges:
        by_route.setdefault((exchange.endpoint, exchange.rule), []).append(exchange)
    found: list[Group] = []
    for route in routes:
        if route.kind != "view":
            continue
        recorded = by_route.get((route.endpoint, route.rule), [])
        wrong = [sample_of(e, defects) for e in recorded if e.method not in route.methods]
        for index, method in enumerate(route.methods):
            samples = [sample_of(e, defects) for e in recorded if e.method == method]
            valid = next((s for s in samples if s.kind == "valid"), None)
            cases = tuple(s for s in samples if s is not valid)
            if index == 0:
                cases += tuple(wrong)
            found.append(Group(route, method, valid, cases))
    return found


def request_values(step: Step) -> list[Any]:
    """The inputs a request carries: path segments, query values, body values."""
    values: list[Any] = [s for s in step.path.split("/") if s]
    values.extend(v for _, v in step.query)
    if step.has_json:
        values.append(step.json)
    if step.form is not None:
        values.extend(v for _, v in step.form)
    return values
