"""The audit of a test suite: the route x method matrix, the hollow tests and pytest's tally.

:func:`build_audit` joins three results that know nothing of each other — the app's route
inventory, the suite's run under the route plugin (:mod:`testboost.audit.run`) and the static
hollow-test scan (:mod:`testboost.audit.smells`) — into one :class:`AuditResult` that every
reporter (terminal, JSON, baseline) reads.

The matrix has one row per (method, rule) pair of the app's own routes (``kind == "view"``; static
files and API-doc routes are left out), with the tests that reached it, the statuses they saw and
the line coverage of the view function that handles it.

Two judgements are made here: a test the scan calls ``status-only`` is not hollow when every
response its call phase received had an empty body (a 204, an empty 201): the status is then all
there is to check. And when the run carried a proof (``audit --prove``), the proof outranks the
scan: a test that caught a broken route is real whatever it looks like, a test that passed under
every break is hollow (smell ``survives-breaks`` when the scan saw nothing), and the scan's
verdict stands only for the tests the proof could not decide.

Requests are credited to the route they were dispatched to (method, rule *and* endpoint), so two
rules sharing a path are told apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from testboost.audit.coverage import LineCoverage, view_line_coverage
from testboost.audit.proof import Proof, TestProof
from testboost.audit.run import SuiteRun, TestCounts, TestRecord, base_nodeid
from testboost.audit.smells import HollowTest, ScanResult, UnreadableFile
from testboost.inventory import Route

Pair = tuple[str, str]


@dataclass(frozen=True)
class Ratio:
    """``covered`` out of ``total``, e.g. route coverage over (method, rule) pairs."""

    covered: int
    total: int

    @property
    def percent(self) -> float:
        """The ratio as a percentage, 0 when there is nothing to cover."""
        return 100.0 * self.covered / self.total if self.total else 0.0

    def below(self, other: Ratio) -> bool:
        """Whether this ratio is strictly lower than ``other`` (exact, no float rounding)."""
        if self.total and other.total:
            return self.covered * other.total < other.covered * self.total
        return self.percent < other.percent


@dataclass(frozen=True)
class PairCoverage:
    """One row of the matrix: a (method, rule) pair and what the suite did with it.

    ``tests`` lists the node ids that reached it in run order; ``statuses`` the status codes
    answered with their counts, ``((200, 3), (404, 1))``; ``lines`` the line coverage of its view
    function (``None`` when it could not be measured).
    """

    method: str
    rule: str
    endpoint: str
    view: str | None
    tests: tuple[str, ...]
    statuses: tuple[tuple[int, int], ...]
    lines: LineCoverage | None
    kill_score: tuple[tuple[str, int, int], ...] = ()

    @property
    def reached(self) -> bool:
        """Whether any test reached this pair."""
        return bool(self.tests)

    @property
    def pair(self) -> Pair:
        """``(method, rule)``."""
        return self.method, self.rule


@dataclass(frozen=True)
class AuditResult:
    """Everything ``testboost audit`` reports about one suite.

    ``hollow`` are the hollow tests after the run's evidence was applied; ``status_only_cleared``
    the ``status-only`` tests the scan flagged that only ever saw empty bodies; ``failed_tests``
    the node ids that failed or errored; ``partial`` says the run was stopped before it finished.
    """

    app: str
    tests_dir: str
    pairs: tuple[PairCoverage, ...]
    hollow: tuple[HollowTest, ...]
    status_only_cleared: tuple[HollowTest, ...]
    unreadable: tuple[UnreadableFile, ...]
    counts: TestCounts
    failed_tests: tuple[str, ...]
    tests_run: int
    seconds: float
    partial: bool
    stopped_in: str | None
    proof: Proof | None = None
    proven_real: tuple[tuple[HollowTest, str], ...] = ()

    @property
    def route_coverage(self) -> Ratio:
        """Reached pairs over all pairs."""
        return Ratio(sum(1 for p in self.pairs if p.reached), len(self.pairs))

    @property
    def unreached(self) -> tuple[PairCoverage, ...]:
        """The pairs no test reached."""
        return tuple(p for p in self.pairs if not p.reached)

    @property
    def view_lines(self) -> Ratio | None:
        """Lines run over lines of all measured view functions (each function counted once)."""
        seen: dict[tuple[str, tuple[int, ...]], LineCoverage] = {}
        for pair in self.pairs:
            if pair.lines is not None:
                seen.setdefault((pair.lines.file, pair.lines.lines), pair.lines)
        if not seen:
            return None
        return Ratio(
            sum(c.covered for c in seen.values()), sum(len(c.lines) for c in seen.values())
        )


def build_audit(
    app: str,
    routes: Sequence[Route],
    run: SuiteRun,
    scan: ScanResult,
) -> AuditResult:
    """Assemble the audit of ``run`` against the app's ``routes`` and the hollow-test ``scan``."""
    reached: dict[tuple[str, ...], list[str]] = {}
    statuses: dict[tuple[str, ...], dict[int, int]] = {}
    for record in run.tests:
        for hit in record.hits:
            key: tuple[str, ...] = (hit.method, hit.rule, hit.endpoint)
            names = reached.setdefault(key, [])
            if record.nodeid not in names:
                names.append(record.nodeid)
            counts = statuses.setdefault(key, {})
            for status, count in hit.statuses:
                counts[status] = counts.get(status, 0) + count
    kills = run.proof.kill_scores() if run.proof is not None else {}
    pairs = []
    for route in routes:
        if route.kind != "view":
            continue
        for method in route.methods:
            key = (method, route.rule, route.endpoint)
            legacy = (method, route.rule, "")  # hits of a plugin that did not name the endpoint
            handler = route.handler(method)
            pairs.append(
                PairCoverage(
                    method=method,
                    rule=route.rule,
                    endpoint=route.endpoint,
                    view=handler.view.location if handler is not None else None,
                    tests=tuple(dict.fromkeys([*reached.get(key, ()), *reached.get(legacy, ())])),
                    statuses=_merged(statuses.get(key, {}), statuses.get(legacy, {})),
                    lines=view_line_coverage(handler.function, run.lines)
                    if handler is not None
                    else None,
                    kill_score=tuple(
                        (kind, caught, tried)
                        for kind, (caught, tried) in kills.get(key, {}).items()
                    ),
                )
            )
    hollow, cleared = _apply_run_evidence(scan.hollow, run.tests)
    proven_real: tuple[tuple[HollowTest, str], ...] = ()
    if run.proof is not None:
        hollow, proven_real = _apply_proof(hollow, run.proof)
    return AuditResult(
        app=app,
        tests_dir=run.tests_dir,
        pairs=tuple(sorted(pairs, key=lambda p: (p.rule, _method_order(p.method)))),
        hollow=hollow,
        status_only_cleared=cleared,
        unreadable=scan.unreadable,
        counts=run.counts,
        failed_tests=tuple(t.nodeid for t in run.tests if t.outcome in ("failed", "error")),
        tests_run=sum(1 for t in run.tests if t.outcome is not None),
        seconds=run.seconds,
        partial=run.timed_out,
        stopped_in=run.stopped_in,
        proof=run.proof,
        proven_real=proven_real,
    )


def _merged(*counts: dict[int, int]) -> tuple[tuple[int, int], ...]:
    total: dict[int, int] = {}
    for each in counts:
        for status, count in each.items():
            total[status] = total.get(status, 0) + count
    return tuple(sorted(total.items()))


def _apply_proof(
    hollow: tuple[HollowTest, ...], proof: Proof
) -> tuple[tuple[HollowTest, ...], tuple[tuple[HollowTest, str], ...]]:
    """The proof outranks the scan: real tests leave the hollow list, proven hollow ones join it.

    A parametrized test is real when one of its cases is, hollow when all of them are.
    """
    cases: dict[str, list[TestProof]] = {}
    for case in proof.tests:
        cases.setdefault(base_nodeid(case.nodeid), []).append(case)
    verdicts = {nodeid: _verdict(tests) for nodeid, tests in cases.items()}
    kept: list[HollowTest] = []
    real: list[tuple[HollowTest, str]] = []
    for test in hollow:
        verdict, message = verdicts.pop(test.nodeid, ("unproven", ""))
        if verdict == "real":
            real.append((test, message))
        elif verdict == "hollow":
            kept.append(replace(test, detail=f"{test.detail}; proven: {message}"))
        else:
            kept.append(test)
    for nodeid, (verdict, message) in verdicts.items():
        if verdict == "hollow":
            first = cases[nodeid][0]
            kept.append(
                HollowTest(
                    nodeid=nodeid,
                    file=nodeid.split("::", 1)[0],
                    line=first.line,
                    smell="survives-breaks",
                    detail=message,
                )
            )
    kept.sort(key=lambda t: (t.file, t.line, t.nodeid))
    return tuple(kept), tuple(real)


def _verdict(tests: list[TestProof]) -> tuple[str, str]:
    real = next((t for t in tests if t.verdict == "real"), None)
    if real is not None:
        return "real", real.message()
    if all(t.verdict == "hollow" for t in tests):
        return "hollow", tests[0].message()
    return "unproven", ""


def _apply_run_evidence(
    hollow: Iterable[HollowTest], records: Sequence[TestRecord]
) -> tuple[tuple[HollowTest, ...], tuple[HollowTest, ...]]:
    """Clear ``status-only`` tests whose every response had an empty body."""
    by_test: dict[str, list[TestRecord]] = {}
    for record in records:
        by_test.setdefault(base_nodeid(record.nodeid), []).append(record)
    kept: list[HollowTest] = []
    cleared: list[HollowTest] = []
    for test in hollow:
        runs = by_test.get(test.nodeid, [])
        if (
            test.smell == "status-only"
            and runs
            and all(r.responses > 0 and r.with_body == 0 for r in runs)
        ):
            cleared.append(test)
        else:
            kept.append(test)
    return tuple(kept), tuple(cleared)


def _method_order(method: str) -> tuple[int, str]:
    order = ("GET", "POST", "PUT", "PATCH", "DELETE")
    return (order.index(method) if method in order else len(order), method)
