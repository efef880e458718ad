"""Reading a suite's run back: the plugin's log of a killed run, node ids, view lines."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from test_audit_plugin import MINIAPP, plugin_env

from testboost.audit.coverage import FileLines, code_lines, coverage_config, view_line_coverage
from testboost.audit.matrix import Ratio
from testboost.audit.run import (
    SuiteRun,
    TestCounts,
    _from_log,
    _prefix,
    base_nodeid,
    plugin_arguments,
    unusable_reason,
)


def test_log_of_a_killed_run_gives_the_finished_tests_and_the_one_running(tmp_path: Path) -> None:
    log = tmp_path / "routes.log"
    entries = [
        {"rootdir": str(tmp_path / "project")},
        {"start": "tests/test_a.py::test_one"},
        {
            "test": {
                "nodeid": "tests/test_a.py::test_one",
                "outcome": "passed",
                "hits": [{"method": "GET", "rule": "/items", "statuses": {"200": 2}}],
                "responses": 2,
                "with_body": 2,
            }
        },
        {"start": "tests/test_a.py::test_two"},
        # logged as the killed test made its request: the one trace of what it reached
        {
            "hit": {
                "nodeid": "tests/test_a.py::test_two",
                "method": "GET",
                "rule": "/health",
                "endpoint": "health",
                "status": 200,
            }
        },
    ]
    log.write_text("".join(json.dumps(e) + "\n" for e in entries) + '{"test": {"nodeid"')
    records, counts, errors, running = _from_log(log, tmp_path)
    assert [(r.nodeid, r.outcome) for r in records] == [
        ("project/tests/test_a.py::test_one", "passed"),
        ("project/tests/test_a.py::test_two", None),
    ]
    assert records[0].hits[0].statuses == ((200, 2),)
    assert [(h.method, h.rule, h.statuses) for h in records[1].hits] == [
        ("GET", "/health", ((200, 1),))
    ]
    assert (counts.passed, counts.failed, counts.errors) == (1, 0, 0)
    assert errors == ()
    assert running == "project/tests/test_a.py::test_two"


def test_a_test_killed_after_its_request_still_shows_the_pair_it_reached(tmp_path: Path) -> None:
    # SIGKILL leaves no document and no record of the running test: only the log's hit lines
    project = tmp_path / "project"
    shutil.copytree(MINIAPP, project, ignore=shutil.ignore_patterns("*_tests", "tests"))
    (project / "killed_tests").mkdir()
    (project / "killed_tests" / "test_killed.py").write_text(
        "import os\n\n\ndef test_killed(client):\n"
        '    assert client.get("/health").status_code == 200\n'
        "    os._exit(9)\n"
    )
    log = tmp_path / "routes.log"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "killed_tests",
            "-p",
            "no:cacheprovider",
            "--testboost-routes",
            f"--testboost-log={log}",
        ],
        cwd=project,
        env=plugin_env(tmp_path / "site"),
        capture_output=True,
        timeout=1800,  # a hang guard
        check=False,
    )
    records, counts, _, running = _from_log(log, tmp_path)
    assert running == "project/killed_tests/test_killed.py::test_killed"
    assert [(r.nodeid, r.outcome) for r in records] == [(running, None)]
    assert [(h.method, h.rule, h.statuses) for h in records[0].hits] == [
        ("GET", "/health", ((200, 1),))
    ]
    assert counts.passed == 0


def test_node_ids_are_made_relative_to_the_project(tmp_path: Path) -> None:
    assert _prefix(str(tmp_path), tmp_path) == ""
    assert _prefix(str(tmp_path / "sub"), tmp_path) == "sub/"
    assert _prefix(str(tmp_path.parent), tmp_path) == ""
    assert base_nodeid("t.py::test_x[1-2]") == "t.py::test_x"
    assert base_nodeid("t.py::C::test_y") == "t.py::C::test_y"


def test_plugin_is_loaded_by_entry_point_name_or_module() -> None:
    assert plugin_arguments() in (["-p", "testboost"], ["-p", "testboost.audit.plugin"])


def view(item_id: int) -> str:
    found = {1: "mug"}.get(item_id)
    if found is None:
        return "missing"
    return found


def test_view_lines_leave_out_the_def_line_and_keep_the_missed_branch() -> None:
    first = view.__code__.co_firstlineno
    lines = code_lines(view)
    assert lines == {first + 1, first + 2, first + 3, first + 4}
    measured = {
        str(Path(__file__).resolve()): FileLines(
            statements=frozenset({first, *lines}), missing=frozenset({first + 3})
        )
    }
    coverage = view_line_coverage(view, measured)
    assert coverage is not None
    assert (coverage.covered, len(coverage.lines), coverage.missing) == (3, 4, (first + 3,))
    assert coverage.percent == 75.0
    assert view_line_coverage(view, {}) is None


def test_coverage_config_traces_only_the_view_files(tmp_path: Path) -> None:
    text = coverage_config(tmp_path / "data", ["/app/views.py", "/app/[odd].py"])
    assert f"data_file = {tmp_path / 'data'}" in text
    assert "include =\n    /app/[[]odd].py\n    /app/views.py\n" in text


def test_ratio_compares_exactly() -> None:
    assert Ratio(1, 3).below(Ratio(2, 5))
    assert not Ratio(2, 6).below(Ratio(1, 3))
    assert Ratio(0, 0).percent == 0.0


def test_a_run_that_crashed_without_the_plugins_report_is_not_an_audit() -> None:
    output = (
        "INTERNALERROR> Traceback (most recent call last):\n"
        "INTERNALERROR> RuntimeError: Signalling support is unavailable because the blinker "
        "library is not installed.\n"
    )
    run = SuiteRun(
        tests_dir="tests",
        command=("pytest",),
        exit_code=1,
        tests=(),
        counts=TestCounts(),
        collection_errors=(),
        timed_out=False,
        timeout=None,
        stopped_in=None,
        seconds=1.0,
        complete=False,
        output=output,
    )
    assert unusable_reason(run) == (
        "pytest crashed running the suite in tests: RuntimeError: Signalling support is "
        "unavailable because the blinker library is not installed."
    )
