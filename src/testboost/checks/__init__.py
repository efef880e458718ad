"""The oracles: checks that turn recorded exchanges into findings, registered by a stable id.

A check is a function ``(exchanges, facts) -> Iterable[Finding]`` that owns its message text and
its severity. Each check module registers itself with :func:`register`; :func:`run_checks` loads
them all, runs the selected ones, and folds repeats into one finding per cause: first one per
(check, method, rule), then one per ``cause`` a check names (the same exception at the same
``file:line``, the same missing error handler) across methods and routes, listing every place.

>>> findings = run_checks(exchanges, facts, ignore={"outbound-network"})  # doctest: +SKIP
>>> findings[0].check, findings[0].severity, findings[0].count
('mass-assignment', 'critical', 3)

Adding a check is adding one module here::

    @register("my-check")
    def my_check(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
        for exchange in exchanges:
            if exchange.status == 418:
                yield Finding.from_exchange("my-check", "low", exchange, "answered 418")
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from testboost.errors import UsageError
from testboost.explore.exchange import Exchange, ProbeFacts, ProbeRequest

#: Severities, most severe first.
SEVERITIES = ("critical", "high", "medium", "low", "info")


def severity_rank(severity: str) -> int:
    """Position of ``severity`` in :data:`SEVERITIES`: 0 for ``critical``, 4 for ``info``.

    >>> sorted(["low", "critical", "high"], key=severity_rank)
    ['critical', 'high', 'low']
    """
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Place:
    """One (method, rule) where a finding's cause shows, with the smallest request showing it there."""

    method: str
    rule: str
    endpoint: str
    status: int | None
    request: ProbeRequest


@dataclass(frozen=True)
class Finding:
    """A defect one check saw on one (method, rule), with the smallest request that shows it.

    ``location`` is the user's ``file:line`` when known; ``count`` is how many exchanges showed
    the defect once repeats are folded. ``cause`` names what makes the defect when it can show on
    several routes (``ValueError at app/views.py:12``, ``no JSON handler for 405``): findings of
    one check with the same cause are folded into one, whose ``routes`` lists every place, the
    finding's own (method, rule) first.
    """

    check: str
    severity: str
    method: str
    rule: str
    endpoint: str
    status: int | None
    message: str
    location: str | None
    request: ProbeRequest
    count: int = 1
    cause: str | None = None
    routes: tuple[Place, ...] = ()

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}: use one of {SEVERITIES}")

    @classmethod
    def from_exchange(
        cls,
        check: str,
        severity: str,
        exchange: Exchange,
        message: str,
        *,
        location: str | None = None,
        cause: str | None = None,
    ) -> Finding:
        """A finding about ``exchange``: its method, rule, endpoint, status and request.

        >>> Finding.from_exchange("server-error", "high", exchange, "KeyError: 'name'")  # doctest: +SKIP
        """
        return cls(
            check=check,
            severity=severity,
            method=exchange.method,
            rule=exchange.rule,
            endpoint=exchange.endpoint,
            status=exchange.status,
            message=message,
            location=location,
            request=exchange.request,
            cause=cause,
        )

    @property
    def places(self) -> tuple[Place, ...]:
        """Every (method, rule) the finding shows on: ``routes``, or the finding's own place."""
        return self.routes or (
            Place(self.method, self.rule, self.endpoint, self.status, self.request),
        )


Check = Callable[[Sequence[Exchange], ProbeFacts], Iterable[Finding]]

#: Every registered check by id. Filled by importing the check modules (see :func:`load_checks`).
CHECKS: dict[str, Check] = {}


def register(check_id: str) -> Callable[[Check], Check]:
    """Register the decorated function as the check called ``check_id``.

    >>> @register("teapot")  # doctest: +SKIP
    ... def teapot(exchanges, facts): ...
    """

    def decorate(check: Check) -> Check:
        known = CHECKS.get(check_id)
        if known is not None and _qualified_name(known) != _qualified_name(check):
            raise ValueError(
                f"check id {check_id!r} is already registered by {_qualified_name(known)}"
            )
        CHECKS[check_id] = check
        return check

    return decorate


def _qualified_name(check: Check) -> str:
    return f"{getattr(check, '__module__', '?')}.{getattr(check, '__qualname__', repr(check))}"


def load_checks() -> dict[str, Check]:
    """Import every check module of this package, so that each registers itself; the registry.

    >>> sorted(load_checks())[:2]
    ['broken-object-auth', 'data-leak']
    """
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")
    return CHECKS


def run_checks(
    exchanges: Sequence[Exchange],
    facts: ProbeFacts,
    *,
    select: Collection[str] | None = None,
    ignore: Collection[str] = (),
) -> list[Finding]:
    """Run the selected checks (all when ``select`` is None, minus ``ignore``) over the exchanges.

    Returns one finding per (check, method, rule), most severe first (see :func:`fold`). An id in
    ``select`` or ``ignore`` that names no check raises :class:`~testboost.errors.UsageError`.

    >>> run_checks(exchanges, facts, select={"server-error", "missing-404"})  # doctest: +SKIP
    """
    checks = load_checks()
    unknown = sorted({*(select or ()), *ignore} - checks.keys())
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise UsageError(
            f"Unknown check id {names}: use one of {', '.join(sorted(checks))}.",
        )
    chosen = sorted((checks.keys() if select is None else set(select)) - set(ignore))
    # a request during which the sandbox refused a write or a command did not run as the app
    # would: what it answered says something about testboost, and the run's notes name it
    # and one that failed on a table the sandbox lacks shows testboost's setup, not the app
    # and one that failed because a service the sandbox does not run (Redis, SMTP...) was not
    # there shows the environment: the report has one note per service (environment.py)
    from testboost.checks.background import without_background

    # and one sent to a route that only redirects to the app's first-run setup page
    from testboost.checks.environment import setup_wall, unavailable_service

    wall = setup_wall(exchanges)
    behind = wall[1] if wall is not None else frozenset()
    judged = [
        exchange
        for exchange in exchanges
        if not exchange.host
        and (exchange.error is None or not exchange.error.missing_schema)
        and unavailable_service(exchange) is None
        and exchange.rule not in behind
    ]
    # what every request of a user writes whatever the route (last_seen, a session row, a view
    # counter) is not the route's write: the write-based checks judge the changes net of it
    judged = without_background(judged)
    return fold(finding for check_id in chosen for finding in checks[check_id](judged, facts))


def fold(findings: Iterable[Finding]) -> list[Finding]:
    """Fold repeats into one finding per (check, method, rule), then one per cause, sorted.

    Per (check, method, rule), the finding kept is the most severe of its group and, among those,
    the one with the smallest request (shortest JSON form, then the JSON form itself, so that ties
    are broken the same way every run); its ``count`` is the sum of the group's counts. Then the
    kept findings of one check that name the same ``cause`` become one: the most severe, on the
    first (rule, method), with ``routes`` listing every place and ``count`` the sum. The result is
    sorted by severity (critical first), then rule, method and check.
    """
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.check, finding.method, finding.rule), []).append(finding)
    per_pair = [
        dataclasses.replace(min(group, key=_preference), count=sum(f.count for f in group))
        for group in groups.values()
    ]
    causes: dict[tuple[str, str], list[Finding]] = {}
    folded: list[Finding] = []
    for finding in per_pair:
        if finding.cause is None:
            folded.append(finding)
        else:
            causes.setdefault((finding.check, finding.cause), []).append(finding)
    for group in causes.values():
        group.sort(key=lambda f: (severity_rank(f.severity), f.rule, f.method, f.endpoint))
        first = group[0]
        others = sorted(group[1:], key=lambda f: (f.rule, f.method, f.endpoint))
        places = tuple(place for f in (first, *others) for place in f.places)
        folded.append(
            dataclasses.replace(
                first,
                count=sum(f.count for f in group),
                routes=places if len(places) > 1 else (),
            )
        )
    return sorted(
        folded, key=lambda f: (severity_rank(f.severity), f.rule, f.method, f.check, f.endpoint)
    )


def _preference(finding: Finding) -> tuple[int, int, str, str, int]:
    serialised = request_json(finding.request)
    return (
        severity_rank(finding.severity),
        len(serialised),
        serialised,
        finding.message,
        finding.status or 0,
    )


def request_json(request: ProbeRequest) -> str:
    """The request as compact JSON with sorted keys: the measure of a request's size."""
    fields = dataclasses.asdict(request)
    try:
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=repr)
    except (TypeError, ValueError):  # keys JSON cannot hold (tuples, ...)
        return repr(fields)
