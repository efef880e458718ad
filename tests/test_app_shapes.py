"""Apps shaped like real ones, run as a user runs testboost: scan, generate, the suite, clean dir.

Each app is copied into a project directory of its own; the directory must be byte-for-byte the
same after scan and generate, the scan must report no defect testboost's own setup caused, and
the generated suite must pass on the unchanged app.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_hostguard import tree

APPS = Path(__file__).parent / "apps"

SHAPES = {
    # raw sqlite3; the factory runs executescript(SCHEMA) on app.config["DATABASE"]
    "rawsqlite_app": "rawsqlite_app:create_app()",
    # Flask-SQLAlchemy with an association table that has no primary key, seeded with rows
    "tags_app": "tags_app:create_app()",
    # models behind an object whose engine is made on first use (Alchemical)
    "holder_app": "holder_app:create_app()",
}


def run_testboost(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "testboost", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(project.parent / "home")},
        timeout=1800,  # a hang guard, far past a loaded machine
        check=False,
    )


def run_suite(suite: Path) -> subprocess.CompletedProcess[str]:
    """pytest on a generated suite, in a process of its own, from outside the project."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
        cwd=suite.parent,
        capture_output=True,
        text=True,
        timeout=1800,  # a hang guard, far past a loaded machine
        check=False,
    )


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_scan_generate_and_the_suite_work_and_leave_the_project_alone(
    name: str, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "home").mkdir()
    shutil.copy(APPS / f"{name}.py", project)
    before = tree(project)
    report = tmp_path / "report.json"

    scan = run_testboost(project, "scan", "--app", SHAPES[name], "--json", str(report))
    assert scan.returncode == 0, scan.stderr
    document = json.loads(report.read_text())
    findings = document["findings"]
    # "no such table" and the like are testboost's setup failing, never the app's defect
    assert not [f for f in findings if "no such table" in f["message"]]
    assert not [n for n in document["notes"] if "could not set the app up" in n]
    assert not document["setup"]["schema"].startswith("none")

    generate = run_testboost(
        project, "generate", "--app", SHAPES[name], "--out", str(tmp_path / "g"), "--no-prove"
    )
    assert generate.returncode == 0, generate.stderr
    assert "Traceback" not in scan.stderr + generate.stderr
    assert tree(project) == before

    suite = run_suite(tmp_path / "g")
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout.splitlines()[-1]
    assert tree(project) == before


def test_a_schema_testboost_cannot_make_is_one_note_not_findings(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "home").mkdir()
    shutil.copy(APPS / "schema_cmd_app.py", project)
    report = tmp_path / "report.json"
    scan = run_testboost(
        project, "scan", "--app", "schema_cmd_app:create_app()", "--json", str(report)
    )
    assert scan.returncode == 0, scan.stderr
    document = json.loads(report.read_text())
    assert document["findings"] == []
    (note,) = [n for n in document["notes"] if n.startswith("testboost could not set the app up")]
    assert "2 method-route pairs failed with no such table: bookmark" in note
    assert '[tool.testboost] setup = ["flask init-db"]' in note


def test_setup_states_the_schema_command_for_scan_and_the_generated_suite(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "home").mkdir()
    shutil.copy(APPS / "schema_cmd_app.py", project)
    (project / "pyproject.toml").write_text(
        '[tool.testboost]\nsetup = ["flask bootstrap-bookmarks"]\n'
    )
    before = tree(project)
    report = tmp_path / "report.json"
    spec = "schema_cmd_app:create_app()"
    scan = run_testboost(project, "scan", "--app", spec, "--json", str(report))
    assert scan.returncode == 0, scan.stderr
    document = json.loads(report.read_text())
    assert not [n for n in document["notes"] if "could not set the app up" in n]
    statuses = {r["rule"]: r["statuses"] for r in document["routes"]}
    assert "200" in statuses["/bookmarks/<int:bookmark_id>"]
    generate = run_testboost(
        project, "generate", "--app", spec, "--out", str(tmp_path / "g"), "--no-prove"
    )
    assert generate.returncode == 0, generate.stderr
    assert "bootstrap-bookmarks" in (tmp_path / "g" / "conftest.py").read_text()
    suite = run_suite(tmp_path / "g")
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert tree(project) == before
