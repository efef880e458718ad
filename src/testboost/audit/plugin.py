"""The pytest plugin: which (method, rule) pairs each test reaches, and the statuses it sees.

Installed as the ``testboost`` ``pytest11`` entry point and idle until asked for::

    pytest --testboost-routes                       # summary at the end of the run
    pytest --testboost-routes --testboost-json routes.json

While active it listens to Flask's ``request_finished`` and ``got_request_exception`` signals for
*every* app (the receivers are connected without a sender), so it sees requests made through any
test client, fixture or helper, whichever app instance the test builds. Each request costs one
dict update: the pair it reached (``request.url_rule``; for a 405 the rule its URL matches, a URL
matching no rule reaches nothing) and its status, filed under the test that is running. An
exception a testing app propagates into the test counts as a 500.

The pairs a run can reach are the union of the url maps of the apps seen (through requests and
through an ``app`` fixture), without ``static`` and HEAD/OPTIONS; when no app was seen at all,
``[tool.testboost] app`` in the rootdir's ``pyproject.toml`` is loaded for its url map.

``--testboost-json FILE`` writes the data (schema ``testboost.routes-run/1``) at the end;
``--testboost-log FILE`` appends one JSON line per finished test (and one per pair and status a
test reaches, as it happens), which is what ``testboost audit``
reads back when it has to stop a suite that hangs. Under pytest-xdist each worker records its own
tests and the controller merges them.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from flask import Flask, got_request_exception, request, request_finished
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect, Rule
from werkzeug.wrappers import Response

from testboost.audit.prover import Prover
from testboost.compat import missing_signals

#: The schema of ``--testboost-json``.
SCHEMA = "testboost.routes-run/1"
#: Methods that say nothing about a route (Flask answers them for every rule).
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
#: pytest's test categories that testboost reports (``pytest_report_teststatus``).
CATEGORIES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")

_RECORDER = "testboost-route-recorder"
_PROVER = "testboost-prover"
_XDIST_KEY = "testboost_routes"

Pair = tuple[str, str]
#: A pair with the endpoint the request was dispatched to (two rules may share a path).
Hit = tuple[str, str, str]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--testboost-routes``, ``--testboost-json FILE`` and ``--testboost-log FILE``."""
    group = parser.getgroup("testboost", "testboost route coverage")
    group.addoption(
        "--testboost-routes",
        action="store_true",
        default=False,
        help="Record which Flask routes (method, rule) each test reaches and print a summary.",
    )
    group.addoption(
        "--testboost-json",
        metavar="FILE",
        default=None,
        help="Write the per-test route data as JSON to FILE (implies --testboost-routes).",
    )
    group.addoption(
        "--testboost-log",
        metavar="FILE",
        default=None,
        help="Append one JSON line per finished test to FILE (used by `testboost audit`).",
    )
    group.addoption(
        "--testboost-prove",
        metavar="MODE",
        choices=("on", "auto"),
        default=None,
        help="Rerun each passing test with each route it reaches broken (on, or auto: only "
        "when the estimate fits the budget); the results go into --testboost-json.",
    )
    group.addoption(
        "--testboost-prove-budget",
        metavar="SECONDS",
        type=float,
        default=300.0,
        help="Seconds the proof may take (default 300); tests left are reported unproven.",
    )
    group.addoption(
        "--testboost-prove-first-catch",
        action="store_true",
        default=False,
        help="Stop trying a (route, kind of break) once a test caught it: which breaks no test "
        "catches, not each test's verdict (what `testboost generate` asks of its own suite).",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Start recording when ``--testboost-routes`` or ``--testboost-json`` is given."""
    json_path = config.getoption("testboost_json")
    if not (config.getoption("testboost_routes") or json_path):
        return
    problem = missing_signals()
    if problem is not None:
        raise pytest.UsageError(f"testboost: {problem}")
    log_path = config.getoption("testboost_log")
    worker = hasattr(config, "workerinput")
    recorder = RouteRecorder(
        config,
        json_path=None if worker or not json_path else Path(json_path),
        log_path=None if worker or not log_path else Path(log_path),
    )
    config.pluginmanager.register(recorder, _RECORDER)
    recorder.connect()
    mode = config.getoption("testboost_prove")
    if mode:
        prover = Prover(
            mode,
            float(config.getoption("testboost_prove_budget")),
            first_catch=bool(config.getoption("testboost_prove_first_catch")),
        )
        config.pluginmanager.register(prover, _PROVER)
        prover.connect()
        recorder.prover = prover
    if config.pluginmanager.hasplugin("xdist") and not worker:
        config.pluginmanager.register(_XdistController(recorder), f"{_RECORDER}-xdist")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Disconnect the signal receivers and close the log."""
    recorder = config.pluginmanager.get_plugin(_RECORDER)
    if isinstance(recorder, RouteRecorder):
        recorder.disconnect()
    prover = config.pluginmanager.get_plugin(_PROVER)
    if isinstance(prover, Prover):
        prover.disconnect()


class RouteRecorder:
    """Files every request under the running test: ``hits[nodeid][(method, rule)][status]``.

    Registered as a pytest plugin by :func:`pytest_configure` only when the option is given, so
    a run without it pays nothing.
    """

    def __init__(self, config: pytest.Config, *, json_path: Path | None, log_path: Path | None):
        self.config = config
        self.json_path = json_path
        self.rootdir = str(config.rootpath)
        self.current: str | None = None
        self.in_call = False
        self.interrupted_in: str | None = None
        self.hits: dict[str, dict[Hit, dict[int, int]]] = {}
        #: node id -> [responses seen in the call phase, how many of them had a body]
        self.bodies: dict[str, list[int]] = {}
        self.outcomes: dict[str, str] = {}
        self.counts: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
        self.collection_errors: list[dict[str, str]] = []
        self.routes: dict[Pair, str] = {}
        self.unmatched = 0
        self.prover: Prover | None = None
        self._apps: weakref.WeakSet[Flask] = weakref.WeakSet()
        self._log: IO[str] | None = None
        if log_path is not None:
            self._log = log_path.open("a", encoding="utf-8")
            self._write({"rootdir": self.rootdir})

    # -- signals ----------------------------------------------------------------------------------

    def connect(self) -> None:
        """Listen to every app's requests (no sender: blinker delivers all of them)."""
        request_finished.connect(self.on_request_finished, weak=False)
        got_request_exception.connect(self.on_exception, weak=False)

    def disconnect(self) -> None:
        """Stop listening and close the log file."""
        request_finished.disconnect(self.on_request_finished)
        got_request_exception.disconnect(self.on_exception)
        if self._log is not None:
            self._log.close()
            self._log = None

    def on_request_finished(self, sender: Any, response: Response, **extra: Any) -> None:
        """Record the pair a finished request reached and its status."""
        if not isinstance(sender, Flask) or (self.prover is not None and self.prover.proving):
            return
        pair = self._pair(sender)
        if pair is None:
            self.unmatched += 1
            return
        self._record(pair, response.status_code)
        node = self.current
        if self.in_call and node is not None:
            seen = self.bodies.get(node)
            if seen is None:
                seen = self.bodies[node] = [0, 0]
            seen[0] += 1
            if _has_body(response):
                seen[1] += 1

    def on_exception(self, sender: Any, exception: BaseException, **extra: Any) -> None:
        """Record a 500 for an exception the app propagates into the test (testing mode)."""
        if not isinstance(sender, Flask):
            return
        propagate = sender.config.get("PROPAGATE_EXCEPTIONS")
        if propagate is None:
            propagate = sender.testing or sender.debug
        if not propagate:
            return  # the app answers 500 itself and request_finished records it
        pair = self._pair(sender)
        if pair is not None:
            self._record(pair, 500)

    def _pair(self, app: Flask) -> Hit | None:
        if app not in self._apps:
            self.see_app(app)
        method = request.method
        if method == "HEAD":
            method = "GET"
        rule = request.url_rule
        if rule is None:
            rule = _rule_of_unrouted(app)
        return (method, rule.rule, rule.endpoint) if rule is not None else None

    def _record(self, pair: Hit, status: int) -> None:
        if self.prover is not None and self.prover.proving:
            return
        node = self.current or ""
        per_test = self.hits.get(node)
        if per_test is None:
            per_test = self.hits[node] = {}
        statuses = per_test.get(pair)
        if statuses is None:
            statuses = per_test[pair] = {}
        if status not in statuses and self._log is not None:
            # logged as it happens: a run killed inside this test still shows what it reached
            method, rule, endpoint = pair
            hit = {"method": method, "rule": rule, "endpoint": endpoint, "status": status}
            self._write({"hit": {"nodeid": node, **hit}})
        statuses[status] = statuses.get(status, 0) + 1

    def see_app(self, app: Flask) -> None:
        """Add the (method, rule) pairs of ``app``'s url map to the pairs the run can reach."""
        self._apps.add(app)
        for pair, endpoint in url_map_pairs(app):
            self.routes.setdefault(pair, endpoint)

    # -- pytest hooks -----------------------------------------------------------------------------

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        """File the requests from now on under ``nodeid``."""
        self.current = nodeid
        self.in_call = False
        self._write({"start": nodeid})

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        """The call phase starts; an ``app`` fixture's url map joins the reachable pairs."""
        self.in_call = True
        app = getattr(item, "funcargs", {}).get("app")
        if isinstance(app, Flask) and app not in self._apps:
            self.see_app(app)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        """The call phase is over (teardown requests still count as reaching routes)."""
        self.in_call = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Tally the report the way pytest's summary line does."""
        category = self.config.hook.pytest_report_teststatus(report=report, config=self.config)[0]
        if category in self.counts:
            self.counts[category] += 1
            previous = self.outcomes.get(report.nodeid)
            if previous is None or previous == "passed":
                self.outcomes[report.nodeid] = category

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        """Append the finished test's record to the log."""
        if self._log is not None:
            self._write({"test": self.test_entry(nodeid)})
        self.current = None
        self.in_call = False

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Keep the line that says why a module failed to collect."""
        if report.failed:
            self.counts["error"] += 1
            entry = {"nodeid": report.nodeid, "message": error_line(report.longreprtext)}
            self.collection_errors.append(entry)
            self._write({"collection_error": entry})

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Remember the test that was running when the run was interrupted."""
        self.interrupted_in = self.current

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the JSON document (or hand a worker's records to the xdist controller)."""
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[_XDIST_KEY] = json.dumps(self.worker_data())
            return
        if not self.routes and not self._apps:
            self._configured_routes()
        if self.json_path is not None:
            _write_json(self.json_path, self.document(exitstatus))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print route coverage and the pairs no test reached."""
        if hasattr(self.config, "workerinput"):
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("-", "testboost route coverage")
        reached = self.reached()
        total = len(self.routes)
        if not total:
            write("no Flask app was seen: no test made a request through a Flask test client")
            return
        covered = sum(1 for pair in self.routes if pair in reached)
        write(
            f"{covered}/{total} (method, rule) pairs reached by tests "
            f"({percent(covered, total):.1f}%)"
        )
        unreached = sorted(pair for pair in self.routes if pair not in reached)
        if unreached:
            write(f"not reached by any test ({len(unreached)}):")
            for method, rule in sorted(unreached, key=lambda p: (p[1], p[0])):
                write(f"  {method:<7} {rule}")
        if self.json_path is not None:
            write(f"route data written to {self.json_path}")

    # -- data -------------------------------------------------------------------------------------

    def reached(self) -> set[Pair]:
        """Every pair some request of the run reached."""
        return {(hit[0], hit[1]) for per_test in self.hits.values() for hit in per_test}

    def test_entry(self, nodeid: str) -> dict[str, Any]:
        """One test's record: outcome, pairs with statuses, call-phase responses and bodies."""
        responses, with_body = self.bodies.get(nodeid, (0, 0))
        return {
            "nodeid": nodeid,
            "outcome": self.outcomes.get(nodeid),
            "hits": _hits_entries(self.hits.get(nodeid, {})),
            "responses": responses,
            "with_body": with_body,
        }

    def worker_data(self) -> dict[str, Any]:
        """What an xdist worker hands to the controller."""
        return {
            "proof": self.prover.document() if self.prover is not None else None,
            "hits": {node: _hits_entries(per_test) for node, per_test in self.hits.items()},
            "bodies": self.bodies,
            "routes": [[m, r, e] for (m, r), e in self.routes.items()],
            "unmatched": self.unmatched,
        }

    def merge_worker(self, data: dict[str, Any]) -> None:
        """Fold an xdist worker's records into this (the controller's) recorder."""
        for node, entries in data.get("hits", {}).items():
            per_test = self.hits.setdefault(node, {})
            for entry in entries:
                hit = (entry["method"], entry["rule"], entry.get("endpoint", ""))
                statuses = per_test.setdefault(hit, {})
                for status, count in entry["statuses"].items():
                    statuses[int(status)] = statuses.get(int(status), 0) + count
        for node, (responses, with_body) in data.get("bodies", {}).items():
            seen = self.bodies.setdefault(node, [0, 0])
            seen[0] += responses
            seen[1] += with_body
        for method, rule, endpoint in data.get("routes", []):
            self.routes.setdefault((method, rule), endpoint)
        self.unmatched += int(data.get("unmatched", 0))
        if self.prover is not None and data.get("proof"):
            self.prover.merge(data["proof"])

    def document(self, exitstatus: int) -> dict[str, Any]:
        """Everything recorded, as the ``testboost.routes-run/1`` JSON document."""
        reached = self.reached()
        covered = sum(1 for pair in self.routes if pair in reached)
        nodes = [*self.outcomes, *(n for n in self.hits if n and n not in self.outcomes)]
        return {
            "schema": SCHEMA,
            "rootdir": self.rootdir,
            "exitstatus": int(exitstatus),
            "interrupted_in": self.interrupted_in,
            "route_coverage": {
                "covered": covered,
                "total": len(self.routes),
                "percent": round(percent(covered, len(self.routes)), 1),
            },
            "routes": [
                {"method": m, "rule": r, "endpoint": e, "reached": (m, r) in reached}
                for (m, r), e in sorted(self.routes.items(), key=lambda i: (i[0][1], i[0][0]))
            ],
            "tests": [self.test_entry(node) for node in nodes],
            "outside_tests": _hits_entries(self.hits.get("", {})),
            "unmatched_requests": self.unmatched,
            "outcomes": {"errors" if k == "error" else k: v for k, v in self.counts.items()},
            "collection_errors": self.collection_errors,
            "proof": self.prover.document() if self.prover is not None else None,
        }

    def _configured_routes(self) -> None:
        """Load ``[tool.testboost] app`` for its url map when the run saw no app at all."""
        try:
            from testboost.config import read_pyproject
            from testboost.errors import UsageError
            from testboost.sandbox import Sandbox
            from testboost.target import load_app
        except ImportError:  # pragma: no cover - testboost is always importable here
            return
        try:
            spec = read_pyproject(Path(self.rootdir)).get("app")
            if not isinstance(spec, str) or not spec:
                return
            with Sandbox() as sandbox:
                app = load_app(spec, sandbox)
                for pair, endpoint in url_map_pairs(app):
                    self.routes.setdefault(pair, endpoint)
        except UsageError:
            return

    def _write(self, entry: dict[str, Any]) -> None:
        if self._log is not None:
            self._log.write(json.dumps(entry) + "\n")
            self._log.flush()


class _XdistController:
    """Receives each xdist worker's records when the worker shuts down."""

    def __init__(self, recorder: RouteRecorder) -> None:
        self.recorder = recorder

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Merge a worker's records as it shuts down."""
        data = getattr(node, "workeroutput", {}).get(_XDIST_KEY)
        if data:
            self.recorder.merge_worker(json.loads(data))


def url_map_pairs(app: Flask) -> Iterator[tuple[Pair, str]]:
    """Every (method, rule) pair of ``app`` with its endpoint, without static files and HEAD/OPTIONS.

    >>> sorted(pair for pair, _ in url_map_pairs(app))              # doctest: +SKIP
    [('GET', '/items'), ('POST', '/items')]
    """
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in rule.methods or ():
            if method not in IMPLICIT_METHODS:
                yield (method, rule.rule), rule.endpoint


def percent(covered: int, total: int) -> float:
    """``covered`` out of ``total`` as a percentage (0 when there is nothing to cover)."""
    return 100.0 * covered / total if total else 0.0


def error_line(text: str) -> str:
    """The line of a pytest error report that says what went wrong (its last ``E`` line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    if errors:
        return errors[-1]
    return lines[-1] if lines else "unknown error"


def _rule_of_unrouted(app: Flask) -> Rule | None:
    """The rule a request that failed routing belongs to: only a 405's URL matches one."""
    error = request.routing_exception
    if not isinstance(error, MethodNotAllowed) or not error.valid_methods:
        return None
    adapter = app.create_url_adapter(request)
    if adapter is None:
        return None
    # valid_methods may be a set: its order changes with the hash seed, so pick one that does not
    valid = set(error.valid_methods)
    method = "GET" if "GET" in valid else min(valid)
    try:
        rule, _ = adapter.match(method=method, return_rule=True)
    except (HTTPException, RequestRedirect):
        return None
    return rule


def _has_body(response: Response) -> bool:
    length = response.content_length
    if length is None:
        if response.is_streamed:
            return True
        length = response.calculate_content_length()
    return bool(length)


def _hits_entries(per_test: dict[Hit, dict[int, int]]) -> list[dict[str, Any]]:
    return [
        {
            "method": method,
            "rule": rule,
            "endpoint": endpoint,
            "statuses": {str(s): n for s, n in sorted(statuses.items())},
        }
        for (method, rule, endpoint), statuses in per_test.items()
    ]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
