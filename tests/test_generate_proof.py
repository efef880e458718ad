"""``testboost generate`` proves the suite it wrote and adds what catches the breaks that survive.

End to end on ``tests/apps/proof_app.py``: its first suite lets a lost database write and an
emptied redirect body go unseen; the suite generate ends with catches both (shown by ``audit
--prove``'s JSON on it), and its delete route, whose valid request crashes (a strict xfail),
keeps a passing test that the proof shows catching a broken route. Both ways: on an app whose
first suite catches every break, nothing is added. The orchestration and the prover's
first-catch mode are also checked on their own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from test_generate_shapes import _testboost

from testboost.audit.proof import BreakResult, Proof, TestProof
from testboost.audit.run import PairHit, ProveOptions, SuiteRun, TestCounts, TestRecord, run_suite
from testboost.generate.builder import ModuleBuilder
from testboost.generate.material import Group, Sample
from testboost.generate.plan import PlannedTest
from testboost.generate.replay import Step
from testboost.generate.selfproof import Draft, prove_draft, survivors
from testboost.inventory import Route

APPS = Path(__file__).parent / "apps"
PROVEAPP = Path(__file__).parent / "audit_projects" / "proveapp"
SPEC = "proof_app:create_app()"
ROTATE = ("POST", "/secrets/<int:secret_id>/rotate")


def _generate(project: Path, spec: str, out: str, *extra: str) -> str:
    result = _testboost(project, "generate", "--app", spec, "--out", out, "--seed", "1", *extra)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _kill_scores(project: Path, spec: str, suite: str) -> dict[tuple[str, str], dict[str, int]]:
    """(method, rule) -> kind -> tests that caught it, from ``audit --prove --json``."""
    report = project / f"{suite}.audit.json"
    result = _testboost(
        project, "audit", "--app", spec, "--tests", suite, "--prove", "--json", str(report)
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    document = json.loads(report.read_text())
    assert document["proof"]["status"] == "done"
    return {
        (pair["method"], pair["rule"]): {
            kind: score["caught"] for kind, score in (pair.get("kill_score") or {}).items()
        }
        for pair in document["pairs"]
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("proof") / "project"
    directory.mkdir()
    shutil.copy(APPS / "proof_app.py", directory)
    return directory


@pytest.fixture(scope="module")
def generated(project: Path) -> dict[str, str]:
    """The output of generate with its proof, and without."""
    return {
        "proven": _generate(project, SPEC, "proven", "--prove"),
        "plain": _generate(project, SPEC, "plain", "--no-prove"),
    }


def test_the_proven_suite_catches_the_breaks_the_first_suite_let_survive(
    project: Path, generated: dict[str, str]
) -> None:
    plain = _kill_scores(project, SPEC, "plain")
    assert plain[ROTATE]["db-rollback"] == 0  # the token is random: the row is pinned with ANY
    assert plain[("GET", "/go")]["body-empty"] == 0  # the redirect's body is never read
    proven = _kill_scores(project, SPEC, "proven")
    assert proven[ROTATE]["db-rollback"] >= 1
    assert proven[("GET", "/go")]["body-empty"] >= 1
    assert all(caught for kinds in proven.values() for caught in kinds.values()), proven
    added = (project / "proven" / "test_secrets.py").read_text()
    assert 'before = database.row("secret", id=1)' in added
    assert 'assert database.row("secret", id=1) != before' in added
    output = generated["proven"]
    assert "2 breaks of 2 routes that no test caught; added 2 test(s)" in output
    assert "no generated test catches" not in output
    assert "proof of the generated suite" not in generated["plain"]


def test_a_route_whose_valid_request_is_an_xfail_keeps_a_passing_test(
    project: Path, generated: dict[str, str]
) -> None:
    source = (project / "proven" / "test_secrets.py").read_text()
    tests = source.split("\n\n\n")
    deletes = [t for t in tests if 'client.delete("/secrets/' in t]
    assert any("xfail(" in t for t in deletes)  # the planted crash
    assert any("xfail" not in t and "def test_" in t for t in deletes)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "proven"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    scores = _kill_scores(project, SPEC, "proven")
    # the passing test of DELETE is proven: the route turned into a 500 fails it
    assert scores[("DELETE", "/secrets/<int:secret_id>")]["status"] >= 1


def test_a_suite_that_catches_every_break_gets_nothing_added(project: Path) -> None:
    spec = "proof_app:create_covered_app()"
    output = _generate(project, spec, "covered", "--prove")
    assert "no break that no test caught" in output
    assert "added" not in output
    _generate(project, spec, "covered_plain", "--no-prove")
    for path in sorted((project / "covered_plain").glob("test_*.py")):
        assert (project / "covered" / path.name).read_text() == path.read_text(), path.name


# -- the orchestration, with a stand-in for the suite's runs ----------------------------------


def _route(rule: str, endpoint: str, method: str) -> Route:
    return Route(rule, endpoint, (method,), (), None, (), "view")


def _run(
    tests: Sequence[tuple[str, str, str, str]],
    breaks: Mapping[str, Sequence[tuple[str, str]]] = {},
) -> SuiteRun:
    """A run of ``(nodeid, outcome, method, rule)`` tests; ``breaks`` gives the (kind, result)
    of each proven test's breaks (of the route it reached)."""
    records = tuple(
        TestRecord(nodeid, outcome, (PairHit(method, rule, ((200, 1),), rule),), 1, 1)
        for nodeid, outcome, method, rule in tests
    )
    proven = tuple(
        TestProof(
            nodeid,
            "passed",
            tuple(
                BreakResult(method, rule, rule, kind, result, "")
                for kind, result in breaks.get(nodeid, ())
            ),
        )
        for nodeid, outcome, method, rule in tests
        if nodeid in breaks
    )
    proof = Proof("on", "done", None, 60.0, 1.0, 3, proven, ())
    return SuiteRun(
        tests_dir="out",
        command=(),
        exit_code=0,
        tests=records,
        counts=TestCounts(passed=len(records)),
        collection_errors=(),
        timed_out=False,
        timeout=None,
        stopped_in=None,
        seconds=1.0,
        complete=True,
        output="",
        proof=proof,
    )


class _Stand:
    """The runs a stand-in runner gives, and what it was asked."""

    def __init__(self, *runs: SuiteRun) -> None:
        self.runs = list(runs)
        self.asked: list[tuple[tuple[str, ...], float | None]] = []

    def __call__(
        self, files: Mapping[str, str], only: Sequence[str], budget: float | None
    ) -> SuiteRun:
        self.asked.append((tuple(only), budget))
        return self.runs.pop(0)


def _draft(groups: Sequence[Group], pins: bool = True) -> tuple[Draft, ModuleBuilder]:
    module = ModuleBuilder("test_things.py", "Things.")

    def killers(
        builder: ModuleBuilder, group: Group, kinds: set[str]
    ) -> tuple[list[PlannedTest], set[str]]:
        words = "_".join(sorted(kinds)).replace("-", "_")
        name = builder.name(f"test_{group.method.lower()}_catches_{words}")
        return [PlannedTest(name, ("client",), ("assert True",))], set(kinds)

    def pin(builder: ModuleBuilder, group: Group) -> PlannedTest | None:
        if not pins:
            return None
        test = PlannedTest(builder.name("test_pinned"), ("client",), ("assert True",))
        builder.add(test)
        return test

    draft = Draft(
        modules={"test_things.py": module},
        groups=groups,
        module_of={(g.route.endpoint, g.rule): "test_things.py" for g in groups},
        render=lambda: {"test_things.py": "\n".join(t.name for t in module.tests)},
        killers=killers,
        pin=pin,
        out="out",
    )
    return draft, module


GET = Group(_route("/things", "/things", "GET"), "GET", Sample("valid", "", Step("GET", "/things")))
DELETE = Group(
    _route("/things/<id>", "/things/<id>", "DELETE"),
    "DELETE",
    Sample("valid", "", Step("DELETE", "/things/1")),
)


def test_nothing_is_added_or_rerun_when_every_break_is_caught() -> None:
    first = _run(
        [("t::a", "passed", "GET", "/things"), ("t::b", "passed", "DELETE", "/things/<id>")],
        {"t::a": [("status", "caught")], "t::b": [("status", "caught"), ("raise", "caught")]},
    )
    runner = _Stand(first)
    draft, module = _draft([GET, DELETE])
    _, proof = prove_draft(draft, runner, 60.0)
    assert len(runner.asked) == 1 and module.tests == []
    assert proof.added == () and proof.left == () and proof.pinned == ()
    assert "no break that no test caught" in proof.lines()[0]


def test_a_surviving_break_gets_a_test_and_what_still_survives_is_said() -> None:
    first = _run(
        [("t::a", "passed", "GET", "/things")],
        {"t::a": [("status", "caught"), ("body-empty", "survived"), ("body-altered", "survived")]},
    )
    second = _run(
        [
            (
                "out/test_things.py::test_get_catches_body_altered_body_empty",
                "passed",
                "GET",
                "/things",
            )
        ],
        {
            "out/test_things.py::test_get_catches_body_altered_body_empty": [
                ("body-empty", "caught"),
                ("body-altered", "survived"),
            ]
        },
    )
    runner = _Stand(first, second)
    draft, _ = _draft([GET])
    files, proof = prove_draft(draft, runner, 60.0)
    assert survivors(first) == [
        ("GET", "/things", "/things", "body-altered"),
        ("GET", "/things", "/things", "body-empty"),
    ]
    assert runner.asked[1][0] == ("out/test_things.py::test_get_catches_body_altered_body_empty",)
    assert "test_get_catches_body_altered_body_empty" in files["test_things.py"]
    assert proof.left == (("GET", "/things", "/things", "body-altered"),)
    assert any(
        line == "no generated test catches GET /things answering altered values"
        for line in proof.lines()
    )


def test_a_route_reached_only_by_xfails_gets_a_passing_pin_test() -> None:
    first = _run(
        [("t::a", "passed", "GET", "/things"), ("t::x", "xfailed", "DELETE", "/things/<id>")],
        {"t::a": [("status", "caught")]},
    )
    second = _run([("out/test_things.py::test_pinned", "passed", "DELETE", "/things/<id>")])
    draft, module = _draft([GET, DELETE])
    _, proof = prove_draft(draft, _Stand(first, second), 60.0)
    assert [t.name for t in module.tests] == ["test_pinned"]
    assert proof.pinned == ("DELETE /things/<id>",)
    assert "whose tests were all xfails or 405s: DELETE /things/<id>" in "\n".join(proof.lines())
    # both ways: a route that cannot be pinned is named, not silently left
    draft, module = _draft([GET, DELETE], pins=False)
    _, proof = prove_draft(draft, _Stand(first), 60.0)
    assert proof.unpinned == ("DELETE /things/<id>",) and module.tests == []


def test_an_added_test_that_fails_on_the_app_is_left_out() -> None:
    first = _run([("t::a", "passed", "GET", "/things")], {"t::a": [("status", "survived")]})
    second = _run([("out/test_things.py::test_get_catches_status", "failed", "GET", "/things")])
    draft, module = _draft([GET])
    files, proof = prove_draft(draft, _Stand(first, second), 60.0)
    assert module.tests == [] and files["test_things.py"] == ""
    assert proof.dropped == ("test_things.py::test_get_catches_status",)


def test_a_proof_not_run_is_said_and_adds_nothing() -> None:
    over = Proof("auto", "skipped", "estimated 900 s, over the budget", 60.0, 0.0, 0, (), ())
    run = replace(_run([("t::a", "passed", "GET", "/things")]), proof=over)
    draft, module = _draft([GET, DELETE])
    _, proof = prove_draft(draft, _Stand(run), 60.0)
    assert (proof.status, proof.reason, proof.added, module.tests) == (
        "skipped",
        "estimated 900 s, over the budget",
        (),
        [],
    )
    assert proof.lines() == [
        "proof of the generated suite: not run: estimated 900 s, over the budget (--prove "
        "proves within --prove-budget anyway)"
    ]


def test_a_proof_over_the_budget_still_pins_every_route() -> None:
    over = Proof("auto", "skipped", "estimated 900 s, over the budget", 60.0, 0.0, 0, (), ())
    first = replace(
        _run([("t::a", "passed", "GET", "/things"), ("t::x", "xfailed", "DELETE", "/things/<id>")]),
        proof=over,
    )
    second = _run([("out/test_things.py::test_pinned", "passed", "DELETE", "/things/<id>")])
    runner = _Stand(first, second)
    draft, module = _draft([GET, DELETE])
    _, proof = prove_draft(draft, runner, 60.0)
    assert [t.name for t in module.tests] == ["test_pinned"]
    assert runner.asked[1] == (("out/test_things.py::test_pinned",), None)  # run, not proven
    assert proof.status == "skipped" and proof.pinned == ("DELETE /things/<id>",)
    assert len(proof.lines()) == 2 and "not run" in proof.lines()[0]


# -- the prover's first-catch mode --------------------------------------------------------------


def test_first_catch_finds_the_same_survivors_in_fewer_reruns() -> None:
    def proved(first_catch: bool) -> SuiteRun:
        options = ProveOptions("on", 120.0, 1, first_catch=first_catch)
        return run_suite(Path("tests"), root=PROVEAPP, timeout=300, measure_files=[], prove=options)

    full, quick = proved(False), proved(True)
    assert full.proof is not None and quick.proof is not None
    assert survivors(quick) == survivors(full)
    caught_full = {
        (route, kind)
        for route, kinds in full.proof.kill_scores().items()
        for kind, (caught, _) in kinds.items()
        if caught
    }
    caught_quick = {
        (route, kind)
        for route, kinds in quick.proof.kill_scores().items()
        for kind, (caught, _) in kinds.items()
        if caught
    }
    assert caught_quick == caught_full
    assert quick.proof.runs < full.proof.runs


def test_added_tests_pytest_cannot_run_are_said_unproven() -> None:
    first = _run([("t::a", "passed", "GET", "/things")], {"t::a": [("status", "survived")]})
    broken = replace(_run([]), exit_code=4, proof=None, output="ERROR: not found: out/x.py")
    _, proof = prove_draft(_draft([GET])[0], _Stand(first, broken), 60.0)
    assert not proof.reproven and "not found" in proof.not_reproven
    assert proof.left == (("GET", "/things", "/things", "status"),)
    assert "the added tests were not proven: pytest could not run" in "\n".join(proof.lines())
