"""The proof read back: which tests catch a broken route, which are hollow, and each route's kill score.

The plugin's proof phase (:mod:`testboost.audit.prover`) reran every passing test with each route
it reaches broken each way (:mod:`testboost.audit.breaks`). A test is *real* when some break made
one of its checks fail; *hollow* when it passed under every break that changed something and no
check failed; *unproven* otherwise (it failed when merely rerun, every break broke its setup or
made it crash before a check, or the budget ran out).

>>> proof = read_proof(document["proof"], prefix="")                  # doctest: +SKIP
>>> proof.tests[0].verdict, proof.tests[0].message()                 # doctest: +SKIP
('hollow', 'passes when GET /api/orders answers 500 instead of 200 (and 4 more breaks of 1 route)')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The order in which surviving breaks are named in a hollow test's message.
_SHOWN_FIRST = ("status", "raise", "body-empty", "body-altered", "db-rollback")


@dataclass(frozen=True)
class BreakResult:
    """One rerun of a test with one route broken one way, and what the test did."""

    method: str
    rule: str
    endpoint: str
    kind: str
    result: str  # caught | survived | crashed | setup-failed | not-applied
    detail: str
    phase: str = "call"  # where the test reached the route: its own body, or a fixture

    @property
    def says(self) -> str:
        """``GET /api/orders answers 500 instead of 200``."""
        detail = self.detail.split("; ")[0]
        return f"{self.method} {self.rule} {detail or 'is broken (' + self.kind + ')'}"


@dataclass(frozen=True)
class TestProof:
    """Every break tried on one test, after a control rerun (``passed`` or ``failed``)."""

    __test__ = False

    nodeid: str
    control: str | None
    breaks: tuple[BreakResult, ...]
    line: int = 0

    @property
    def caught(self) -> tuple[BreakResult, ...]:
        """The breaks the test caught."""
        return tuple(b for b in self.breaks if b.result == "caught")

    @property
    def survived(self) -> tuple[BreakResult, ...]:
        """The breaks the test passed under."""
        return tuple(b for b in self.breaks if b.result == "survived")

    @property
    def verdict(self) -> str:
        """``real``, ``hollow`` or ``unproven``."""
        if self.caught:
            return "real"
        if self.control == "passed" and self.survived:
            return "hollow"
        return "unproven"

    def message(self) -> str:
        """Why: the break it passed under, or the first break it caught."""
        if self.caught:
            first = min(self.caught, key=lambda b: (b.phase != "call", _SHOWN_FIRST.index(b.kind)))
            return "fails when " + first.says
        if self.control != "passed":
            return "fails when merely rerun: its result does not depend on the route alone"
        survived = sorted(
            self.survived, key=lambda b: (b.phase != "call", _SHOWN_FIRST.index(b.kind))
        )
        if not survived:
            return "every break of the routes it reaches broke its setup or made it crash"
        routes = {(b.method, b.rule) for b in survived}
        more = len(survived) - 1
        tail = (
            f" (and {more} more break{'s' if more != 1 else ''} of "
            f"{len(routes)} route{'s' if len(routes) != 1 else ''})"
            if more
            else ""
        )
        return "passes when " + survived[0].says + tail


@dataclass(frozen=True)
class Proof:
    """The proof phase of one run: how it went and every test it proved."""

    mode: str
    status: str  # done | partial | skipped | not-run
    reason: str | None
    budget: float
    seconds: float
    runs: int
    tests: tuple[TestProof, ...]
    unproven: tuple[tuple[str, str], ...]
    verdict_seconds: float = 0.0  # the part of ``seconds`` and ``runs`` that gave the verdicts
    verdict_runs: int = 0

    def by_test(self) -> dict[str, TestProof]:
        """The proofs by node id."""
        return {t.nodeid: t for t in self.tests}

    def kill_scores(self) -> dict[tuple[str, str, str], dict[str, tuple[int, int]]]:
        """Per (method, rule, endpoint): per kind of break, (tests that caught it, tests it was
        tried on).

        Only breaks that applied are counted.
        """
        scores: dict[tuple[str, str, str], dict[str, list[int]]] = {}
        for test in self.tests:
            for brk in test.breaks:
                if brk.result in ("not-applied", "setup-failed"):
                    continue
                route = (brk.method, brk.rule, brk.endpoint)
                tally = scores.setdefault(route, {}).setdefault(brk.kind, [0, 0])
                tally[1] += 1
                if brk.result == "caught":
                    tally[0] += 1
        return {
            pair: {kind: (c, t) for kind, (c, t) in kinds.items()} for pair, kinds in scores.items()
        }


def read_proof(data: Mapping[str, Any] | None, prefix: str) -> Proof | None:
    """The ``proof`` part of the plugin's document, node ids prefixed with ``prefix``."""
    if not isinstance(data, Mapping):
        return None
    tests = tuple(
        TestProof(
            nodeid=prefix + str(entry["nodeid"]),
            control=entry.get("control"),
            line=int(entry.get("line") or 0),
            breaks=tuple(
                BreakResult(
                    method=str(b["method"]),
                    rule=str(b["rule"]),
                    endpoint=str(b["endpoint"]),
                    kind=str(b["kind"]),
                    result=str(b["result"]),
                    detail=str(b.get("detail") or ""),
                    phase=str(b.get("phase") or "call"),
                )
                for b in entry.get("breaks", [])
            ),
        )
        for entry in data.get("tests", [])
    )
    return Proof(
        mode=str(data.get("mode", "on")),
        status=str(data.get("status", "not-run")),
        reason=data.get("reason"),
        budget=float(data.get("budget", 0.0)),
        seconds=float(data.get("seconds", 0.0)),
        runs=int(data.get("runs", 0)),
        verdict_seconds=float(data.get("verdict_seconds", 0.0)),
        verdict_runs=int(data.get("verdict_runs", 0)),
        tests=tests,
        unproven=tuple(
            (prefix + str(u["nodeid"]), str(u.get("reason", ""))) for u in data.get("unproven", [])
        ),
    )
