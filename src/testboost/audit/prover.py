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
or ``auto`` (prove only when the estimate — each test's duration times its runs — fits the
budget). The results go into the plugin's JSON document under ``proof``.

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

#: What a test raises when one of its checks fails.
_CHECKS = (AssertionError, Failed)


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
        self.proving = False
        self._at_teardown: tuple[int, list[str]] = (0, [])
        self._call_error: type[BaseException] | None = None
        self._in_check = False
        self._in_setup = 0
        self.in_call: dict[str, set[RouteKey]] = {}

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
            self.in_call[item.nodeid] = set(self.breaker.reached[self._in_setup :])
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
        """Keep each test's duration and whether it passed (reruns are not logged)."""
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.failed or (report.when == "call" and not report.passed):
            self.failed.add(report.nodeid)
        elif report.when == "call" and report.passed and not hasattr(report, "wasxfail"):
            self.passed.add(report.nodeid)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        """Remember the items this process ran, in order."""
        self.items.append(item)
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, Any, None]:
        """After the run loop, the proof."""
        outcome = yield
        if outcome.excinfo is None and not session.shouldfail and not session.shouldstop:
            self.prove()

    # -- the proof --------------------------------------------------------------------------------

    def plan(self) -> list[tuple[pytest.Item, list[Break]]]:
        """Each provable test with the breaks to try on it: the routes its own body reaches
        first, then the ones only its fixtures reach (tried until one is caught)."""
        plan: list[tuple[pytest.Item, list[Break]]] = []
        for item in self.items:
            nodeid = item.nodeid
            if nodeid not in self.passed or nodeid in self.failed:
                continue
            if not isinstance(item, pytest.Function):
                continue
            in_call = self.in_call.get(nodeid, set())
            routes = sorted(self.reached.get(nodeid, []), key=lambda route: route not in in_call)
            breaks = [
                Break(method, rule, endpoint, kind)
                for method, rule, endpoint in routes
                for kind in self.breaker.observed.get((method, rule, endpoint), Observed()).kinds()
            ]
            if breaks:
                plan.append((item, breaks))
        return plan

    def prove(self) -> None:
        """Rerun every planned test: control first, then each break; stop at the budget."""
        plan = self.plan()
        if not plan:
            if self.status == "not-run":
                self.status = "done"
            return
        estimate = self._estimate(plan)
        if self.mode == "auto" and estimate > self.budget:
            self.status = "skipped"
            self.reason = (
                f"estimated {estimate:.0f} s for {sum(1 + len(b) for _, b in plan)} reruns, "
                f"over the budget of {self.budget:g} s"
            )
            self.unproven = [{"nodeid": i.nodeid, "reason": "over budget"} for i, _ in plan]
            return
        self.proving = True
        self.breaker.observing = False
        started = time.monotonic()
        runs = [(item, brk) for item, breaks in plan for brk in (None, *breaks)]
        plan_of = {item.nodeid: breaks for item, breaks in plan}
        current: dict[str, Any] | None = None
        try:
            for index, (item, brk) in enumerate(runs):
                if brk is None:
                    if current is not None:
                        self.results.append(current)
                        current = None
                    if self._nothing_left(plan_of[item.nodeid]):
                        continue
                    line = item.location[1]
                    current = {
                        "nodeid": item.nodeid,
                        "line": line + 1 if line is not None else 0,
                        "control": None,
                        "breaks": [],
                    }
                elif (
                    current is None
                    or current["control"] != "passed"
                    or self._settled(current, item, brk)
                    or self._caught_before(brk)
                ):
                    continue
                if time.monotonic() - started > self.budget:
                    self._out_of_budget(runs[index:], current)
                    current = None
                    break
                result = self._rerun(item, brk)
                if brk is None:
                    current["control"] = result["result"]
                else:
                    current["breaks"].append(result)
                    if result["result"] == "caught":
                        self.caught.add((brk.method, brk.rule, brk.endpoint, brk.kind))
            if current is not None:
                self.results.append(current)
        finally:
            if runs:
                _teardown_all_but(runs[0][0], None)
            self.breaker.active = None
            self.proving = False
            self.seconds = time.monotonic() - started
        if self.status != "partial":
            self.status = "done"

    def _estimate(self, plan: list[tuple[pytest.Item, list[Break]]]) -> float:
        """Seconds the reruns should take: each test's duration times its runs; under
        ``first_catch``, one control and one break per (route, kind) not yet seen."""
        if not self.first_catch:
            return sum(self.durations.get(i.nodeid, 0.0) * (1 + len(b)) for i, b in plan)
        seen: set[Break] = set()
        estimate = 0.0
        for item, breaks in plan:
            new = [b for b in breaks if b not in seen]
            seen.update(new)
            if new:
                estimate += self.durations.get(item.nodeid, 0.0) * (1 + len(new))
        return estimate

    def _caught_before(self, brk: Break) -> bool:
        """Under ``first_catch``: whether another test already caught this (route, kind)."""
        key = (brk.method, brk.rule, brk.endpoint, brk.kind)
        return self.first_catch and key in self.caught

    def _nothing_left(self, breaks: list[Break]) -> bool:
        """Under ``first_catch``: whether every break of a test was caught by earlier tests (its
        control rerun would prove nothing new)."""
        return self.first_catch and all(self._caught_before(b) for b in breaks)

    def _settled(self, current: dict[str, Any], item: pytest.Item, brk: Break) -> bool:
        """A route only the test's fixtures reach is not broken once the test caught a break:
        the verdict is known, and the kill score counts the routes a test's body reaches."""
        if (brk.method, brk.rule, brk.endpoint) in self.in_call.get(item.nodeid, ()):
            return False
        return any(b["result"] == "caught" for b in current["breaks"])

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
            error = self._call_error
            checked = error is not None and issubclass(error, _CHECKS)
            result = "caught" if checked or self._in_check else "crashed"
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

    def _out_of_budget(
        self, left: list[tuple[pytest.Item, Break | None]], current: dict[str, Any] | None
    ) -> None:
        self.status = "partial"
        self.reason = f"the budget of {self.budget:g} s ran out"
        names = list(dict.fromkeys(item.nodeid for item, _ in left))
        if current is not None and current["nodeid"] in names:
            names.remove(current["nodeid"])
            self.unproven.append({"nodeid": current["nodeid"], "reason": "over budget"})
        self.unproven += [{"nodeid": n, "reason": "over budget"} for n in names]

    def document(self) -> dict[str, Any]:
        """The ``proof`` part of the plugin's JSON document."""
        return {
            "mode": self.mode,
            "status": self.status,
            "reason": self.reason,
            "budget": self.budget,
            "seconds": round(self.seconds, 2),
            "runs": self.runs,
            "tests": self.results,
            "unproven": self.unproven,
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Fold an xdist worker's proof into this (the controller's)."""
        self.results += data.get("tests", [])
        self.unproven += data.get("unproven", [])
        self.runs += int(data.get("runs", 0))
        self.seconds = max(self.seconds, float(data.get("seconds", 0.0)))
        status = data.get("status")
        if status in ("partial", "skipped") or self.status == "not-run":
            self.status = str(status)
            self.reason = data.get("reason") or self.reason


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
