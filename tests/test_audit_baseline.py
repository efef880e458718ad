"""The guard: adopt a baseline, then fail on lower coverage, a new hollow test, a new untested route."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testboost.audit.baseline import Baseline, compare, read_baseline
from testboost.audit.matrix import Ratio
from testboost.errors import UsageError

MINIAPP = Path(__file__).parent / "audit_projects" / "miniapp"
BASELINE = ".testboost-baseline.json"

BASE = Baseline(
    coverage=Ratio(5, 6),
    hollow=(("tests/test_a.py::test_todo", "placeholder"),),
    unreached=(("GET", "/health"),),
)


def test_unchanged_state_passes() -> None:
    check = compare(BASE, BASE)
    assert not check.failed and not check.improved


def test_new_hollow_test_fails() -> None:
    now = Baseline(
        BASE.coverage, (*BASE.hollow, ("tests/test_a.py::test_new", "no-assertion")), BASE.unreached
    )
    check = compare(BASE, now)
    assert check.failed and check.new_hollow == (("tests/test_a.py::test_new", "no-assertion"),)


def test_known_hollow_test_with_another_smell_is_not_new() -> None:
    now = Baseline(BASE.coverage, (("tests/test_a.py::test_todo", "no-assertion"),), BASE.unreached)
    assert not compare(BASE, now).failed


def test_new_unreached_pair_fails_even_when_coverage_rises() -> None:
    now = Baseline(Ratio(6, 7), BASE.hollow, (("GET", "/health"), ("POST", "/stats")))
    check = compare(BASE, now)
    assert check.failed and not check.coverage_dropped
    assert check.new_unreached == (("POST", "/stats"),)


def test_coverage_drop_fails() -> None:
    now = Baseline(Ratio(4, 6), BASE.hollow, BASE.unreached)
    check = compare(BASE, now)
    assert check.failed and check.coverage_dropped


def test_improvements_pass_and_are_reported() -> None:
    now = Baseline(Ratio(6, 6), (), ())
    check = compare(BASE, now)
    assert not check.failed and check.improved
    assert check.newly_reached == (("GET", "/health"),)
    assert check.fixed_hollow == BASE.hollow


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"schema": "other"}', "is not a testboost baseline"),
        ('{"schema": "testboost.baseline/1"}', "is incomplete"),
    ],
    ids=["malformed", "wrong-schema", "incomplete"],
)
def test_unreadable_baseline_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / BASELINE
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        read_baseline(path)


# -- end to end: adopt, then one unchanged and one changed project, run side by side ------------


def audit(project: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "testboost",
            "audit",
            "--app",
            "itemsapp:create_app()",
            "--tests",
            "tests",
            "--baseline",
            BASELINE,
        ],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "NO_COLOR": "1"},
    )


def result(process: subprocess.Popen[str]) -> tuple[int, str]:
    stdout, stderr = process.communicate(timeout=1800)  # a hang guard, far past a loaded machine
    return process.returncode, stdout + stderr


def change(project: Path) -> None:
    """A new route no test reaches, a new hollow test, and a test removed."""
    app = project / "itemsapp.py"
    app.write_text(
        app.read_text().replace(
            "    return app\n",
            '    @app.get("/stats")\n    def stats():\n        return jsonify(count=len(items))\n\n'
            "    return app\n",
        )
    )
    (project / "tests" / "test_more.py").write_text("def test_later():\n    pass\n")
    tests = project / "tests" / "test_items.py"
    text = tests.read_text()
    start = text.index("def test_list_items")
    end = text.index("def test_create_item_requires_name")
    tests.write_text(text[:start] + text[end:])


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    work = tmp_path_factory.mktemp("guard")
    same, changed = work / "same", work / "changed"
    shutil.copytree(MINIAPP, same, ignore=shutil.ignore_patterns("__pycache__"))
    before = {str(p.relative_to(same)) for p in same.rglob("*")}
    adopted = result(audit(same))
    shutil.copytree(same, changed)
    change(changed)
    runs = {"same": audit(same), "changed": audit(changed)}
    yield {
        "adopted": adopted,
        "baseline": json.loads((same / BASELINE).read_text()),
        "same": result(runs["same"]),
        "changed": result(runs["changed"]),
        "files_before": before,
        "files_after": {str(p.relative_to(same)) for p in same.rglob("*")},
    }


def test_first_run_writes_the_baseline(guarded: dict[str, object]) -> None:
    code, output = guarded["adopted"]  # type: ignore[misc]
    assert code == 0, output
    assert (
        "Baseline written to .testboost-baseline.json: route coverage 83.3%, 1 hollow test, "
        "1 unreached pair." in output
    )
    assert guarded["baseline"] == {
        "schema": "testboost.baseline/1",
        "app": "itemsapp:create_app()",
        "tests": "tests",
        "route_coverage": {"covered": 5, "total": 6, "percent": 83.3},
        "hollow_tests": [
            {"nodeid": "tests/test_items.py::test_todo", "smell": "placeholder"},
        ],
        "unreached": [{"method": "GET", "rule": "/health"}],
    }


def test_unchanged_suite_passes_the_gate(guarded: dict[str, object]) -> None:
    code, output = guarded["same"]  # type: ignore[misc]
    assert code == 0, output
    assert "Baseline .testboost-baseline.json: passed" in output


def test_changed_suite_fails_and_says_what_changed(guarded: dict[str, object]) -> None:
    code, output = guarded["changed"]  # type: ignore[misc]
    assert code == 1, output
    lines = output.splitlines()
    start = lines.index("Baseline .testboost-baseline.json: FAILED")
    assert lines[start + 1 : start + 5] == [
        "  route coverage dropped: 83.3% (5/6) -> 57.1% (4/7)",
        "  new hollow test: tests/test_more.py::test_later (placeholder)",
        "  not reached by any test and not in the baseline: GET /items",
        "  not reached by any test and not in the baseline: GET /stats",
    ]


def test_audit_writes_nothing_into_the_project_but_the_baseline(
    guarded: dict[str, object],
) -> None:
    before = guarded["files_before"]
    assert isinstance(before, set)
    assert guarded["files_after"] == before | {BASELINE}
