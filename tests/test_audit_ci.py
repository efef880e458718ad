"""`testboost ci init`: the workflow and the pre-commit hook that run the gate."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from testboost.cli import flask_group, main

WORKFLOW = Path(".github/workflows/testboost.yml")
PRE_COMMIT = Path(".pre-commit-config.yaml")


def init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["ci", "init", *args])
    return result.exit_code, result.output


def test_ci_init_writes_workflow_and_pre_commit_hook(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.testboost]\napp = "shop:create_app()"\n'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / ".python-version").write_text("3.11.7\n")
    code, output = init("--dir", str(tmp_path))
    assert code == 0, output
    assert f"wrote {tmp_path.as_posix()}/.github/workflows/testboost.yml" in output
    assert "note:" not in output
    workflow = (tmp_path / WORKFLOW).read_text()
    assert "on:\n  push:\n  pull_request:\n" in workflow
    assert 'python-version: "3.11"' in workflow
    assert (
        "          python -m pip install -e .\n          python -m pip install testboost\n"
        in workflow
    )
    assert 'run: "testboost audit --tests tests --baseline .testboost-baseline.json"' in workflow
    hook = (tmp_path / PRE_COMMIT).read_text()
    assert 'entry: "testboost audit --tests tests --baseline .testboost-baseline.json"' in hook
    assert "stages: [pre-push]" in hook and "pass_filenames: false" in hook


def test_ci_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / PRE_COMMIT).write_text("repos: []\n")
    code, output = init("--dir", str(tmp_path))
    assert code == 2
    assert output.strip().splitlines() == [
        f"testboost: error: Not overwriting .pre-commit-config.yaml in {tmp_path} (already "
        "there): pass --force to replace, or add the testboost step to your own file by hand."
    ]
    assert not (tmp_path / WORKFLOW).exists()
    assert (tmp_path / PRE_COMMIT).read_text() == "repos: []\n"
    code, output = init("--dir", str(tmp_path), "--force")
    assert code == 0, output
    assert "testboost-audit" in (tmp_path / PRE_COMMIT).read_text()


def test_ci_init_names_the_app_and_warns_when_it_is_not_configured(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    code, output = init("--dir", str(tmp_path), "--tests", "spec")
    assert code == 0, output
    assert "note: [tool.testboost] app is not set in pyproject.toml" in output
    assert "note: spec does not exist" in output
    code, output = init("--dir", str(tmp_path), "--app", "shop:create_app('ci')", "--force")
    assert code == 0, output
    workflow = (tmp_path / WORKFLOW).read_text()
    assert "python -m pip install -r requirements.txt" in workflow
    assert (
        'run: "testboost audit --tests tests --baseline .testboost-baseline.json '
        "--app 'shop:create_app('\\\"'\\\"'ci'\\\"'\\\"')'\"" in workflow
    )
    assert "[tool.testboost] app is not set" not in output


def test_audit_and_ci_are_flask_commands_too() -> None:
    assert {"audit", "ci"} <= set(flask_group.commands)
