"""The command line as a user runs it: output, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from testboost.cli import main

TESTBOOST = [sys.executable, "-m", "testboost"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TESTBOOST, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **env},
        timeout=1800,  # a hang guard, far past a loaded machine
    )


def test_routes_prints_the_inventory_table(apps_dir: Path) -> None:
    result = CliRunner().invoke(main, ["routes", "--app", "pkgapp:create_app()"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "rule",
        "methods",
        "endpoint",
        "blueprint",
        "view",
        "auth",
        "inputs",
    ]
    row = next(line for line in lines if line.startswith("/api/items "))
    assert "GET,POST" in row and "pkgapp/__init__.py:41" in row
    assert "json: name*" in row and "query: page:int" in row
    assert (
        lines[-1] == "15 routes (18 method-route pairs, 10 guarded by auth), 1 static/docs routes"
    )


def test_routes_json_lists_handlers_auth_and_inputs(apps_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "routes.json"
    result = CliRunner().invoke(
        main, ["routes", "--app", "pkgapp:create_app()", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["schema"] == "testboost.routes/1"
    user = next(r for r in document["routes"] if r["rule"] == "/api/users/<int:user_id>")
    assert user["methods"] == ["GET", "PUT", "DELETE"]
    assert user["params"] == [{"name": "user_id", "converter": "int", "type": "int"}]
    put = user["handlers"][1]
    assert put["view"] == "pkgapp.UserAPI.put"
    assert put["auth"] == {"kind": "jwt", "source": "@jwt_required", "optional": False}
    assert put["inputs"] == ["json: **body"]


def test_routes_uses_pyproject_app_when_no_app_is_given(tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n\n@app.get('/hi')\ndef hi():\n    return 'hi'\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.testboost]\napp = "hello:app"\n')
    result = run(["routes"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "/hi " in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hello.py", "pyproject.toml"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["routes", "--app", "broken_import"], "No module named 'flask_nonexistent_extension'"),
        (["routes", "--app", "sqla_app:create_remote_app()"], "remote database"),
        (
            ["routes", "--app", "broken_apps:create_failing_app()"],
            "RuntimeError: cannot reach redis",
        ),
    ],
    ids=["import-error", "remote-db", "factory-raises"],
)
def test_bad_input_is_one_line_and_exit_2(
    apps_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "routes.json"
    result = run([*args, "--json", str(out)], apps_dir)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("testboost: error: ") and message in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_debug_shows_the_traceback(apps_dir: Path) -> None:
    result = run(["routes", "--app", "broken_apps:create_failing_app()", "--debug"], apps_dir)
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("testboost: error: ")


def test_json_into_a_missing_directory_is_a_usage_error(apps_dir: Path, tmp_path: Path) -> None:
    result = run(
        ["routes", "--app", "single_file.py", "--json", str(tmp_path / "no" / "r.json")], apps_dir
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_flask_subcommand_uses_flask_app(apps_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "single_file.py", "testboost", "routes"],
        cwd=apps_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=1800,  # a hang guard, far past a loaded machine
    )
    assert result.returncode == 0, result.stderr
    assert "/hello/<name>" in result.stdout


def test_help_explains_the_app_option() -> None:
    result = CliRunner().invoke(main, ["routes", "--help"])
    assert result.exit_code == 0
    assert "flask --app" in result.output and "--allow-db" in result.output


def test_a_bug_of_testboost_is_one_line_naming_the_stage_and_exit_3(
    apps_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import testboost.checks

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise KeyError("rowid")

    monkeypatch.setattr(testboost.checks, "run_checks", broken)
    result = CliRunner().invoke(main, ["scan", "--app", "single_file.py"])
    assert result.exit_code == 3
    assert result.output.strip().splitlines()[-1] == (
        "testboost: internal error in checks: KeyError: 'rowid' "
        "(rerun with --debug for the traceback, and report it)"
    )
    assert "Traceback" not in result.output
    debug = CliRunner().invoke(main, ["scan", "--app", "single_file.py", "--debug"])
    assert debug.exit_code == 3 and "Traceback (most recent call last)" in debug.output
