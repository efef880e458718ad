"""The N+1 probe end to end: 1, 5 and 20 rows per parent, found both ways on tests/apps/nplus_app.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from probing import explored

from testboost.checks import Finding, run_checks
from testboost.compat import version
from testboost.explore.runner import ProbeResult

SPEC = "nplus_app:create_app()"


@pytest.fixture(scope="module")
def result() -> Iterator[ProbeResult]:
    with explored(SPEC, fuzz_examples=0) as probed:
        yield probed


@pytest.fixture(scope="module")
def findings(result: ProbeResult) -> dict[str, Finding]:
    found = run_checks(result.exchanges, result.facts, select={"n-plus-one"})
    return {f.rule: f for f in found}


def test_children_go_under_the_parent_the_path_names(result: ProbeResult) -> None:
    grown = [
        e
        for e in result.exchanges
        if e.rule == "/fixed/projects/<int:project_id>/tasks" and e.case.kind == "more-rows"
    ]
    assert [e.case.value for e in grown] == [1, 5, 20]
    valid = next(
        e
        for e in result.exchanges
        if e.rule == "/fixed/projects/<int:project_id>/tasks" and e.case.kind == "valid"
    )
    assert [len(e.json) - len(valid.json) for e in grown] == [1, 5, 20]


def test_a_nested_list_under_a_parent_id_is_found(findings: dict[str, Finding]) -> None:
    finding = findings["/projects/<int:project_id>/tasks"]
    assert finding.request.path == "/projects/1/tasks"
    if version("sqlalchemy") >= (1, 4):
        assert "Task.assignee is lazy-loaded" in finding.message
        assert finding.location == "nplus_app.py:55"


def test_a_report_aggregating_over_a_relationship_is_found(findings: dict[str, Finding]) -> None:
    finding = findings["/reports/projects"]
    if version("sqlalchemy") >= (1, 4):
        assert "Project.tasks is lazy-loaded" in finding.message
        assert finding.location == "nplus_app.py:72"


def test_the_fixed_twins_are_silent(findings: dict[str, Finding]) -> None:
    assert sorted(findings) == ["/projects/<int:project_id>/tasks", "/reports/projects"]
