"""`audit --prove`: routes broken through Flask's hooks, tests rerun under each break, verdicts."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from test_audit import ROOT, SHOP_TESTS, SHOPAPI, Audit, finish, start_audit

from testboost.audit.breaks import KINDS, Break, Breaker
from testboost.audit.proof import BreakResult, Proof, TestProof
from testboost.audit.prover import ORDER, Prover, _is_check
from testboost.audit.run import ProveOptions, SuiteRun, run_suite
from testboost.explore import timelimit
from testboost.explore.timelimit import WorkClock

PROVEAPP = Path(__file__).parent / "audit_projects" / "proveapp"


# -- the breaks, in process -------------------------------------------------------------------------


@pytest.fixture
def breaker() -> Iterator[Breaker]:
    breaker = Breaker()
    breaker.connect()
    yield breaker
    breaker.disconnect()


@pytest.fixture
def shop() -> tuple[Flask, SQLAlchemy, type]:
    app = Flask(__name__)
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI="sqlite://")
    db = SQLAlchemy(app)

    class Thing(db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20))

    with app.app_context():
        db.create_all()

    @app.post("/things")
    def create() -> tuple[object, int]:
        thing = Thing(name="mug")
        db.session.add(thing)
        db.session.commit()
        return jsonify(id=thing.id, name=thing.name, tags=["a"]), 201

    @app.get("/things")
    def listing() -> object:
        return jsonify([{"name": t.name} for t in Thing.query.all()])

    @app.get("/missing")
    def missing() -> tuple[object, int]:
        return jsonify(error="nope"), 404

    return app, db, Thing


def test_status_break_turns_2xx_into_500_and_errors_into_200(
    breaker: Breaker, shop: tuple[Flask, SQLAlchemy, type]
) -> None:
    client = shop[0].test_client()
    breaker.active = Break("POST", "/things", "create", "status")
    response = client.post("/things")
    assert response.status_code == 500 and response.get_json()["name"] == "mug"
    assert breaker.details == ["answers 500 instead of 201"]
    breaker.active = Break("GET", "/missing", "missing", "status")
    assert client.get("/missing").status_code == 200
    assert client.get("/things").status_code == 200  # another route is left alone


def test_body_breaks_empty_or_alter_the_json(
    breaker: Breaker, shop: tuple[Flask, SQLAlchemy, type]
) -> None:
    client = shop[0].test_client()
    breaker.active = Break("POST", "/things", "create", "body-empty")
    assert client.post("/things").get_json() == {}
    breaker.active = Break("POST", "/things", "create", "body-altered")
    assert client.post("/things").get_json() == {"id": 3, "name": "mug~", "tags": ["a~"]}
    assert breaker.applied == 2


def test_db_rollback_break_answers_as_usual_but_stores_nothing(
    breaker: Breaker, shop: tuple[Flask, SQLAlchemy, type]
) -> None:
    app, db, thing = shop
    client = app.test_client()
    breaker.active = Break("POST", "/things", "create", "db-rollback")
    response = client.post("/things")
    assert response.status_code == 201 and response.get_json()["id"] == 1
    breaker.active = None
    with app.app_context():
        assert db.session.query(thing).count() == 0
    client.post("/things")
    with app.app_context():
        assert db.session.query(thing).count() == 1


def test_raise_break_answers_the_apps_500_even_in_testing_mode(
    breaker: Breaker, shop: tuple[Flask, SQLAlchemy, type]
) -> None:
    client = shop[0].test_client()
    breaker.active = Break("GET", "/things", "listing", "raise")
    assert client.get("/things").status_code == 500
    assert shop[0].config["PROPAGATE_EXCEPTIONS"] is None  # put back after the request
    breaker.active = None
    assert client.get("/things").status_code == 200


def test_observed_routes_say_which_breaks_apply(
    breaker: Breaker, shop: tuple[Flask, SQLAlchemy, type]
) -> None:
    client = shop[0].test_client()
    client.post("/things")
    client.get("/missing")
    assert breaker.observed[("POST", "/things", "create")].kinds() == (
        "status",
        "body-empty",
        "body-altered",
        "db-rollback",
        "raise",
    )
    assert breaker.observed[("GET", "/missing", "missing")].kinds() == (
        "status",
        "body-empty",
        "body-altered",
        "raise",
    )


# -- verdicts -----------------------------------------------------------------------------------


def result(kind: str, outcome: str, phase: str = "call") -> BreakResult:
    detail = {"status": "answers 500 instead of 200", "raise": "raises"}.get(kind, "")
    return BreakResult("GET", "/x", "x", kind, outcome, detail, phase)


def test_a_test_catching_one_break_is_real_and_one_catching_none_is_hollow() -> None:
    real = TestProof("t::a", "passed", (result("status", "survived"), result("raise", "caught")))
    hollow = TestProof(
        "t::b", "passed", (result("raise", "survived"), result("status", "survived"))
    )
    crashed = TestProof("t::c", "passed", (result("body-empty", "crashed"),))
    flaky = TestProof("t::d", "failed", ())
    assert (real.verdict, real.message()) == ("real", "fails when GET /x raises")
    assert hollow.verdict == "hollow"
    assert hollow.message() == (
        "passes when GET /x answers 500 instead of 200 (and 1 more break of 1 route)"
    )
    assert crashed.verdict == "unproven"  # a KeyError on an emptied body is not a check
    assert flaky.verdict == "unproven" and "merely rerun" in flaky.message()
    proof = Proof("on", "done", None, 60, 1.0, 6, (real, hollow, crashed), ())
    assert proof.kill_scores()[("GET", "/x", "x")] == {
        "status": (0, 2),
        "raise": (1, 2),
        "body-empty": (0, 1),
    }


def test_a_tests_own_last_request_is_broken_first_then_its_fixtures_routes() -> None:
    prover = Prover("on", 60)
    login, orders, order = ("POST", "/login", "login"), ("GET", "/o", "o"), ("GET", "/o/1", "o1")
    prover.reached["t::a"] = [login, orders, order]
    prover.in_call["t::a"] = [orders, order, orders]  # the login was a fixture's
    assert prover._routes_in_order("t::a") == [orders, order, login]
    # the view raising is tried first: a status check and a body check both catch it
    assert ORDER[0] == "raise" and sorted(ORDER) == sorted(KINDS)


class Scripted(Prover):
    """A prover whose reruns answer from a script: (nodeid, kind or None) -> result."""

    def __init__(self, script: dict[tuple[str, str | None], str], budget: float = 60) -> None:
        super().__init__("on", budget)
        self.script = script
        self.tried: list[tuple[str, str | None]] = []

    def _rerun(self, item: Any, brk: Break | None) -> Any:
        key = (item.nodeid, brk.kind if brk else None)
        self.tried.append(key)
        outcome = {"result": self.script[key]}
        return outcome if brk is None else {**outcome, "kind": brk.kind, "phase": "call"}


def item(nodeid: str) -> Any:
    return SimpleNamespace(nodeid=nodeid, location=(nodeid, 1, nodeid))


def test_the_verdict_pass_stops_at_the_first_catch_and_the_kill_score_pass_does_the_rest() -> None:
    route = ("GET", "/x", "x")
    prover = Scripted(
        {
            ("t::real", None): "passed",
            ("t::real", "raise"): "survived",
            ("t::real", "status"): "caught",
            ("t::real", "body-empty"): "caught",
            ("t::hollow", None): "passed",
            ("t::hollow", "raise"): "survived",
            ("t::hollow", "status"): "survived",
        }
    )
    prover.in_call = {"t::real": [route], "t::hollow": [route]}
    kinds = [Break(*route, kind) for kind in ("raise", "status", "body-empty")]
    plan = [(item("t::real"), kinds), (item("t::hollow"), kinds[:2])]
    deferred = prover._verdict_pass(plan, WorkClock())  # type: ignore[arg-type]
    assert prover.tried == [
        ("t::real", None),
        ("t::real", "raise"),
        ("t::real", "status"),  # caught: the verdict is known, body-empty waits
        ("t::hollow", None),
        ("t::hollow", "raise"),
        ("t::hollow", "status"),
    ]
    assert [(i.nodeid, [b.kind for b in left]) for i, _, left in deferred] == [
        ("t::real", ["body-empty"])
    ]
    prover._kill_score_pass(deferred, WorkClock())
    assert prover.tried[-1] == ("t::real", "body-empty") and prover.reason is None
    assert [len(t["breaks"]) for t in prover.results] == [3, 2]
    # a budget spent before the kill score is done leaves every verdict and says so
    late = Scripted(prover.script, budget=1)
    late.in_call = prover.in_call
    deferred = late._verdict_pass(plan, WorkClock())  # type: ignore[arg-type]
    spent = WorkClock()
    spent.started, spent.waited_at_start = spent.started - 2, None  # 2 s of wall time ago
    late._kill_score_pass(deferred, spent)
    assert late.tried[-1] == ("t::hollow", "status") and "kill score" in (late.reason or "")
    assert late.unproven == [] and len(late.results) == 2


class Planned(Scripted):
    """A scripted prover with a fixed plan, each rerun taking a little wall time."""

    def __init__(self, script: dict[tuple[str, str | None], str], budget: float, plan: Any) -> None:
        super().__init__(script, budget)
        self.fixed = plan

    def plan(self) -> Any:
        return self.fixed

    def _rerun(self, item: Any, brk: Break | None) -> Any:
        time.sleep(0.01)
        return super()._rerun(item, brk)


def test_the_proofs_budget_and_estimate_do_not_count_the_machines_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a machine so loaded that every moment went to other processes
    monkeypatch.setattr(timelimit, "runqueue_wait", time.monotonic)
    monkeypatch.setattr(timelimit, "HARD_FACTOR", 1e9)
    route = ("GET", "/x", "x")
    script = {("t::a", None): "passed", ("t::a", "status"): "caught"}
    script |= {("t::b", None): "passed", ("t::b", "status"): "caught"}
    plan = [(item(n), [Break(*route, "status")]) for n in ("t::a", "t::b")]
    prover = Planned(script, 0.001, plan)
    prover.prove()
    assert prover.status == "done" and prover.unproven == []
    assert len(prover.tried) == 4
    # the auto estimate reads each test's own time, not the wall time a busy machine gave it
    auto = Planned(script, 0.001, plan)
    auto.mode = "auto"
    for entry, _ in plan:
        run = auto.pytest_runtest_protocol(entry)
        next(run)
        time.sleep(0.05)
        next(run, None)
    assert set(auto.durations) == {"t::a", "t::b"}
    assert all(seconds <= 0.001 for seconds in auto.durations.values())
    auto.prove()
    assert auto.status == "done"


def test_only_assertions_and_a_test_clients_own_status_check_are_checks() -> None:
    app_error = type("AppError", (Exception,), {"__module__": "webtest.app"})
    lookalike = type("AppError", (Exception,), {"__module__": "myapp.errors"})
    assert _is_check(AssertionError) and _is_check(pytest.fail.Exception)
    assert _is_check(app_error) and _is_check(type("Sub", (app_error,), {}))
    assert not _is_check(KeyError) and not _is_check(lookalike) and not _is_check(None)


def test_a_workers_partial_kill_score_is_said_by_the_controller() -> None:
    controller = Prover("on", 60)
    controller.merge({"status": "done", "runs": 4, "tests": []})
    assert (controller.status, controller.reason) == ("done", None)
    controller.merge(
        {"status": "done", "runs": 9, "verdict_runs": 5, "reason": "kill score partial"}
    )
    assert (controller.status, controller.reason, controller.runs) == (
        "done",
        "kill score partial",
        13,
    )
    assert controller.verdict_runs == 5
    controller.merge({"status": "partial", "reason": "the budget of 60 s ran out"})
    assert controller.status == "partial" and "ran out" in (controller.reason or "")


# -- the proof of a whole suite -----------------------------------------------------------------


def prove(**options: float) -> SuiteRun:
    prove_options = ProveOptions(
        "on", options.get("budget", 1800.0), int(options.get("workers", 1))
    )
    return run_suite(
        Path("tests"), root=PROVEAPP, timeout=1800, measure_files=[], prove=prove_options
    )


@pytest.fixture(scope="module")
def proven() -> SuiteRun:
    return prove()


def verdicts(run: SuiteRun) -> dict[str, str]:
    assert run.proof is not None
    return {t.nodeid: t.verdict for t in run.proof.tests}


def test_every_labelled_test_gets_its_verdict(proven: SuiteRun) -> None:
    labels = json.loads((PROVEAPP / "LABELS.json").read_text())
    assert proven.proof is not None and proven.proof.status == "done"
    assert verdicts(proven) == labels
    assert proven.counts.passed == len(labels)  # the reruns are not counted as tests


def test_the_database_break_is_what_a_db_check_catches(proven: SuiteRun) -> None:
    assert proven.proof is not None
    stores = proven.proof.by_test()["tests/test_notes.py::test_create_stores_the_note"]
    # only what stops the write reaches a check on the database: no status, no body
    assert {b.kind for b in stores.caught} == {"db-rollback", "raise"}
    assert {b.kind for b in stores.survived} == {"status", "body-empty", "body-altered"}
    caught = next(b for b in stores.caught if b.kind == "db-rollback")
    assert caught.says == "POST /notes has its database write rolled back"


def test_requests_are_credited_to_the_endpoint_dispatched(proven: SuiteRun) -> None:
    home = next(t for t in proven.tests if t.nodeid.endswith("test_home_says_hello"))
    assert [(h.method, h.rule, h.endpoint) for h in home.hits] == [("GET", "/", "home")]


def test_a_budget_too_small_leaves_tests_unproven_and_says_so() -> None:
    run = prove(budget=0.000001)
    assert run.proof is not None and run.proof.status == "partial"
    assert "budget" in (run.proof.reason or "")
    assert len(run.proof.unproven) >= 12
    assert run.counts.passed == 14


def test_xdist_workers_prove_their_own_tests_and_the_controller_merges(proven: SuiteRun) -> None:
    pytest.importorskip("xdist")
    run = prove(workers=2)
    assert verdicts(run) == verdicts(proven)


# -- the bundled example ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_proof(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    json_path = tmp_path_factory.mktemp("shop-proof") / "audit.json"
    process = start_audit(["--app", SHOPAPI, "--tests", SHOP_TESTS, "--prove"], ROOT, json_path)
    return finish(process, json_path)


def test_shop_proof_proves_every_planted_hollow_test_hollow_and_every_real_one_real(
    shop_proof: Audit,
) -> None:
    proof = shop_proof
    assert proof.code == 0, proof.stderr
    assert proof.document is not None
    labels = json.loads((ROOT / SHOP_TESTS / "LABELS.json").read_text())
    verdicts = {t["nodeid"]: t["verdict"] for t in proof.document["proof"]["tests"]}
    # a status-only test of a 2xx still catches the route answering 500: real, like the rest
    expected = {
        nodeid: "hollow" if smell not in (None, "status-only") else "real"
        for nodeid, smell in labels.items()
        if nodeid in verdicts
    }
    assert verdicts == expected
    # the skipped tests and the placeholder that reaches no route are not proven: 3 of 29
    assert len(verdicts) == len(labels) - 3
    hollow = {t["nodeid"]: t for t in proof.document["hollow_tests"]}
    items = hollow["examples/shopapi/tests/test_orders.py::test_order_items"]
    assert items["smell"] == "constant-assertion"
    assert (
        "proven: passes when GET /api/orders/<int:order_id>/items answers 500 instead of 200"
        in (items["detail"])
    )
    assert {r["nodeid"] for r in proof.document["proof"]["proven_real"]} == {
        "examples/shopapi/tests/test_auth.py::test_me",
        "examples/shopapi/tests/test_orders.py::test_list_orders",
    }
    orders = proof.pair("GET", "/api/orders")
    assert orders["kill_score"]["status"]["caught"] >= 2
    assert proof.document["proof"]["status"] == "done"
    assert "looks status-only but is real" in proof.stdout
