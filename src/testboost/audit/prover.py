"""The proof phase of the pytest plugin: rerun each passing test with each route it reaches broken.

Registered by the plugin under ``--testboost-prove MODE``. The suite first runs as usual; a
:class:`~testboost.audit.breaks.Breaker` notes which (method, rule, endpoint) each test reaches in
its setup and call phases and what those routes answered. When the run loop is over (in each
pytest-xdist worker, for the tests it ran), every test that passed is run again with pytest's own
``runtestprotocol`` (fixtures set up and torn down as in a normal run, nothing logged): once
unbroken (the control: a test that fails when merely rerun proves nothing), then once per route
it reached and kind of break that applies to that route. A break is *caught* when the test's call
phase fails with the break applied; it *survives* when the test passes anyway; a setup that
fails under it, or a break that changed nothing, is no evidence either way.

``MODE`` is ``on`` (prove up to ``--testboost-prove-budget`` seconds, what is left is unproven)
or ``auto`` (prove only when the estimate of the verdict pass — each test's duration times a
control and two breaks — fits the budget). The results go into the plugin's JSON document
under ``proof``.

With ``--testboost-prove-first-catch`` (what ``testboost generate`` uses on the suite it wrote) a
(route, kind of break) is no longer tried once one test caught it, and a test none of whose
breaks is left is not rerun at all: enough to learn which breaks no test catches, not every
test's verdict.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from _pytest.outcomes import Failed
from _pytest.runner import runtestprotocol

from testboost.audit.breaks import Break, Breaker, Observed, RouteKey
from testboost.explore.timelimit import WorkClock

#: What a test raises when one of its checks fails.
_CHECKS = (AssertionError, Failed)

#: The kinds of break in the order they are tried on a route: the view raising first, as the
#: break most tests notice (a status check and a body check both catch it).
ORDER = ("raise", "status", "body-empty", "body-altered", "db-rollback")

#: Breaks per test the ``auto`` estimate counts for the verdict pass, besides the control.
_VERDICT_GUESS = 2


class Prover:
    """Records what each test reaches, then reruns the passing tests with routes broken."""

    def __init__(self, mode: str, budget: float, *, first_catch: bool = False) -> None:
        self.mode = mode
        self.budget = budget
        self.first_catch = first_catch
        #: (method, rule, endpoint, kind) some test caught (kept under ``first_catch``)
        self.caught: set[tuple[str, str, str, str]] = set()
        self.breaker = Breaker()
        self.items: list[pytest.Item] = []
        self.reached: dict[str, list[RouteKey]] = {}
        self.durations: dict[str, float] = {}
        self.passed: set[str] = set()
        self.failed: set[str] = set()
        self.results: list[dict[str, Any]] = []
        self.unproven: list[dict[str, str]] = []
        self.status = "not-run"
        self.reason: str | None = None
        self.runs = 0
        self.seconds = 0.0
        #: the reruns and seconds the verdict pass took (the rest went to the kill score)
        self.verdict_runs = 0
        self.verdict_seconds = 0.0
        self.proving = False
        self._at_teardown: tuple[int, list[str]] = (0, [])
        self._call_error: type[BaseException] | None = None
        self._in_check = False
        self._in_setup = 0
        self.in_call: dict[str, list[RouteKey]] = {}

    def connect(self) -> None:
        """Start watching requests."""
        self.breaker.connect()

    def disconnect(self) -> None:
        """Stop watching requests."""
        self.breaker.disconnect()

    # -- the plain run ----------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """A test (or a rerun) starts: forget what the previous one reached."""
        self.breaker.reset()
        self._in_setup = 0

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        """Setup is over: what is reached from now on is reached by the test's own body."""
        self._in_setup = len(self.breaker.reached)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        """Setup and call are over: keep what they reached (teardown requests are not the test's)."""
        if not self.proving:
            self.reached[item.nodeid] = list(dict.fromkeys(self.breaker.reached))
            self.in_call[item.nodeid] = self.breaker.reached[self._in_setup :]
        self._at_teardown = (self.breaker.applied, list(self.breaker.details))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        """Keep the type of what the call phase of a rerun raised (after the unittest plugin
        put a TestCase's failure in place)."""
        yield
        if self.proving and call.when == "call":
            excinfo = call.excinfo
            self._call_error = excinfo.type if excinfo is not None else None
            self._in_check = excinfo is not None and _raised_in_a_check(excinfo, item)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep whether each test passed (reruns are not logged)."""
        if report.failed or (report.when == "call" and not report.passed):
            self.failed.add(report.nodeid)
        elif report.when == "call" and report.passed and not hasattr(report, "wasxfail"):
            self.passed.add(report.nodeid)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        """Remember the items this process ran, in order, and the time each took (its own:
        time spent waiting for a CPU is not counted, so the ``auto`` estimate is the same on a
        loaded machine)."""
        self.items.append(item)
        clock = WorkClock()
        yield
        if not self.proving:
            self.durations[item.nodeid] = self.durations.get(item.nodeid, 0.0) + clock.seconds()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, Any, None]:
        """After the run loop, the proof."""
        outcome = yield
        if outcome.excinfo is None and not session.shouldfail and not session.shouldstop:
            self.prove()

    # -- the proof --------------------------------------------------------------------------------

    def plan(self) -> list[tuple[pytest.Item, list[Break]]]:
        """Each provable test with the breaks to try on it, likeliest to be caught first: the
        routes its own body reaches, the last requested first (what a test checks is most often
        its last answer), then the ones only its fixtures reach; per route, the kinds in
        :data:`ORDER`."""
        plan: list[tuple[pytest.Item, list[Break]]] = []
        for item in self.items:
            nodeid = item.nodeid
            if nodeid not in self.passed or nodeid in self.failed:
                continue
            if not isinstance(item, pytest.Function):
                continue
            breaks = [
                Break(method, rule, endpoint, kind)
                for method, rule, endpoint in self._routes_in_order(nodeid)
                for kind in sorted(
                    self.breaker.observed.get((method, rule, endpoint), Observed()).kinds(),
                    key=ORDER.index,
                )
            ]
            if breaks:
                plan.append((item, breaks))
        return plan

    def _routes_in_order(self, nodeid: str) -> list[RouteKey]:
        """The routes a test reached: its body's, last requested first, then its fixtures'."""
        in_call = self.in_call.get(nodeid, [])
        body = list(dict.fromkeys(reversed(in_call)))
        return body + [r for r in self.reached.get(nodeid, []) if r not in body]

    def prove(self) -> None:
        """Rerun every planned test in two passes, within the budget.

        The *verdict* pass reruns each test unbroken (the control), then with each break in
        plan order until the test catches one: a real test usually costs two reruns, a hollow
        one every break. The *kill score* pass then tries, test by test, the breaks of the
        routes its body reaches that the first pass did not need, so every (route, kind) the
        body reaches is counted. When the budget runs out in the first pass, the tests left are
        unproven; in the second, every test has its verdict and only the kill score is partial.
        """
        plan = self.plan()
        if not plan:
            if self.status == "not-run":
                self.status = "done"
            return
        if self.mode == "auto" and self._skipped_by_estimate(plan):
            return
        self.proving = True
        self.breaker.observing = False
        started = time.monotonic()
        clock = WorkClock()  # the budget counts the proof's work, not the machine's load
        try:
            if self.first_catch:
                self._first_catch_pass(plan, clock)
            else:
                deferred = self._verdict_pass(plan, clock)
                self.verdict_runs, self.verdict_seconds = self.runs, time.monotonic() - started
                if self.status != "partial":
                    self._kill_score_pass(deferred, clock)
        finally:
            _teardown_all_but(plan[0][0], None)
            self.breaker.active = None
            self.proving = False
            self.seconds = time.monotonic() - started
        if self.status != "partial":
            self.status = "done"

    def _skipped_by_estimate(self, plan: list[tuple[pytest.Item, list[Break]]]) -> bool:
        """``auto`` mode: skip the proof when even its verdict pass would not fit the budget
        (a control and up to :data:`_VERDICT_GUESS` breaks per test, at its measured duration;
        under ``first_catch``, a control and each (route, kind) not seen on an earlier test)."""
        if self.first_catch:
            seen: set[Break] = set()
            reruns: dict[str, int] = {}
            for item, breaks in plan:
                new = [b for b in breaks if b not in seen]
                seen.update(new)
                if new:
                    reruns[item.nodeid] = 1 + len(new)
        else:
            reruns = {i.nodeid: 1 + min(len(b), _VERDICT_GUESS) for i, b in plan}
        estimate = sum(self.durations.get(n, 0.0) * k for n, k in reruns.items())
        if estimate <= self.budget:
            return False
        self.status = "skipped"
        self.reason = (
            f"estimated {estimate:.0f} s for {sum(reruns.values())} reruns, "
            f"over the budget of {self.budget:g} s"
        )
        self.unproven = [{"nodeid": i.nodeid, "reason": "over budget"} for i, _ in plan]
        return True

    def _first_catch_pass(
        self, plan: list[tuple[pytest.Item, list[Break]]], clock: WorkClock
    ) -> None:
        """Under ``first_catch``: each test's control, then each of its breaks no earlier test
        caught; a test all of whose breaks were caught already is not rerun."""
        for index, (item, breaks) in enumerate(plan):
            if self._nothing_left(breaks):
                continue
            current = _entry(item)
            for brk in (None, *breaks):
                if brk is not None and (current["control"] != "passed" or self._caught_before(brk)):
                    continue
                if clock.past(self.budget):
                    self.results.append(current)
                    self._out_of_budget([i.nodeid for i, _ in plan[index + 1 :]])
                    return
                result = self._rerun(item, brk)
                if brk is None:
                    current["control"] = result["result"]
                    continue
                current["breaks"].append(result)
                if result["result"] == "caught":
                    self.caught.add((brk.method, brk.rule, brk.endpoint, brk.kind))
            self.results.append(current)

    def _caught_before(self, brk: Break) -> bool:
        """Under ``first_catch``: whether another test already caught this (route, kind)."""
        key = (brk.method, brk.rule, brk.endpoint, brk.kind)
        return self.first_catch and key in self.caught

    def _nothing_left(self, breaks: list[Break]) -> bool:
        """Under ``first_catch``: whether every break of a test was caught by earlier tests (its
        control rerun would prove nothing new)."""
        return self.first_catch and all(self._caught_before(b) for b in breaks)

    def _verdict_pass(
        self, plan: list[tuple[pytest.Item, list[Break]]], clock: WorkClock
    ) -> list[tuple[pytest.Item, dict[str, Any], list[Break]]]:
        """Control, then breaks until the first catch; return, per real test, its entry and
        the breaks of its body's routes not tried yet."""
        deferred: list[tuple[pytest.Item, dict[str, Any], list[Break]]] = []
        for index, (item, breaks) in enumerate(plan):
            current = _entry(item)
            for position, brk in enumerate((None, *breaks)):
                if brk is not None and (current["control"] != "passed" or _has_caught(current)):
                    left = breaks[position - 1 :]
                    in_call = self.in_call.get(item.nodeid, ())
                    body = [b for b in left if (b.method, b.rule, b.endpoint) in in_call]
                    if current["control"] == "passed" and body:
                        deferred.append((item, current, body))
                    break
                if clock.past(self.budget):
                    self._out_of_budget([i.nodeid for i, _ in plan[index:]])
                    return deferred
                result = self._rerun(item, brk)
                if brk is None:
                    current["control"] = result["result"]
                else:
                    current["breaks"].append(result)
            self.results.append(current)
        return deferred

    def _kill_score_pass(
        self, deferred: list[tuple[pytest.Item, dict[str, Any], list[Break]]], clock: WorkClock
    ) -> None:
        """The breaks of each real test's body routes that the verdict pass skipped."""
        for item, current, breaks in deferred:
            for brk in breaks:
                if clock.past(self.budget):
                    self.reason = (
                        f"the budget of {self.budget:g} s ran out after every test had its "
                        "verdict: the kill score counts only the breaks tried"
                    )
                    return
                current["breaks"].append(self._rerun(item, brk))

    def _rerun(self, item: pytest.Item, brk: Break | None) -> Any:
        # what the previous rerun kept (its module, its class) and this item does not share goes
        # first; this run keeps its own enclosing nodes for the next rerun of the same test
        _teardown_all_but(item, item)
        nextitem: Any = item.parent
        self.breaker.active = brk
        self._at_teardown = (0, [])
        self._call_error = None
        self._in_check = False
        try:
            reports = runtestprotocol(item, log=False, nextitem=nextitem)
        finally:
            self.breaker.active = None
        self.runs += 1
        applied, details = self._at_teardown
        setup_ok = all(r.passed for r in reports if r.when == "setup")
        call_failed = any(r.failed for r in reports if r.when == "call")
        if not setup_ok:
            result = "setup-failed"
        elif brk is not None and not applied:
            result = "not-applied"
        elif call_failed and brk is None:
            result = "failed"
        elif call_failed:
            # an assertion (or pytest.fail) is a check; a KeyError on a body is a crash
            # an error raised while evaluating an assert (``assert body["url"]...`` on an
            # emptied body) is that check failing too
            result = "caught" if _is_check(self._call_error) or self._in_check else "crashed"
        else:
            result = "survived" if brk is not None else "passed"
        if brk is None:
            return {"result": result}
        return {
            "method": brk.method,
            "rule": brk.rule,
            "endpoint": brk.endpoint,
            "kind": brk.kind,
            "phase": "call"
            if (brk.method, brk.rule, brk.endpoint) in self.in_call.get(item.nodeid, ())
            else "setup",
            "result": result,
            "detail": "; ".join(details),
        }

    def _out_of_budget(self, left: list[str]) -> None:
        self.status = "partial"
        self.reason = f"the budget of {self.budget:g} s ran out"
        self.unproven += [{"nodeid": n, "reason": "over budget"} for n in left]

    def document(self) -> dict[str, Any]:
        """The ``proof`` part of the plugin's JSON document."""
        return {
            "mode": self.mode,
            "status": self.status,
            "reason": self.reason,
            "budget": self.budget,
            "seconds": round(self.seconds, 2),
            "runs": self.runs,
            "verdict_seconds": round(self.verdict_seconds, 2),
            "verdict_runs": self.verdict_runs,
            "tests": self.results,
            "unproven": self.unproven,
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Fold an xdist worker's proof into this (the controller's)."""
        self.results += data.get("tests", [])
        self.unproven += data.get("unproven", [])
        self.runs += int(data.get("runs", 0))
        self.seconds = max(self.seconds, float(data.get("seconds", 0.0)))
        self.verdict_runs += int(data.get("verdict_runs", 0))
        self.verdict_seconds = max(self.verdict_seconds, float(data.get("verdict_seconds", 0.0)))
        status = data.get("status")
        if status in ("partial", "skipped") or self.status == "not-run":
            self.status = str(status)
            self.reason = data.get("reason") or self.reason
        elif self.status != "partial" and data.get("reason"):
            self.reason = data["reason"]  # a worker's kill score left partial


def _is_check(error: type[BaseException] | None) -> bool:
    """Whether a test failing with ``error`` failed on a check: an assertion, ``pytest.fail``,
    or a test client's own status check (WebTest's ``AppError``: ``testapp.get(url)`` expects a
    2xx or 3xx unless told ``status=`` or ``expect_errors=True``)."""
    if error is None:
        return False
    if issubclass(error, _CHECKS):
        return True
    return any(
        kind.__name__ == "AppError" and kind.__module__.split(".")[0] == "webtest"
        for kind in error.__mro__
    )


def _entry(item: pytest.Item) -> dict[str, Any]:
    """A test's entry in the proof, before its control rerun."""
    line = item.location[1]
    return {
        "nodeid": item.nodeid,
        "line": line + 1 if line is not None else 0,
        "control": None,
        "breaks": [],
    }


def _has_caught(current: dict[str, Any]) -> bool:
    return any(b["result"] == "caught" for b in current["breaks"])


def _raised_in_a_check(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> bool:
    """Whether the innermost line of the test's own file in the traceback is a check: an
    ``assert`` statement or an ``assert*`` call (``self.assertEqual(r.json["id"], 1)``)."""
    path = getattr(item, "path", None)
    statement = ""
    try:
        for entry in excinfo.traceback:
            if path is not None and Path(str(entry.path)) == path:
                statement = str(entry.statement).strip()
    except Exception:  # a traceback pytest cannot read is no evidence
        return False
    return statement.startswith("assert ") or bool(_ASSERT_CALL.search(statement))


_ASSERT_CALL = re.compile(r"(?:^|\.)assert\w*\(", re.IGNORECASE)


def _teardown_all_but(item: pytest.Item, keep: pytest.Item | None) -> None:
    """Tear down the set-up nodes (and their fixtures) that ``keep`` does not need; all with
    ``None``. A finalizer failing here is not the test's verdict: it is ignored."""
    with contextlib.suppress(Exception):
        item.session._setupstate.teardown_exact(keep)
