"""`testboost ci init`: the workflow and the pre-commit hook that run the gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from testboost.cli import flask_group, main

ROOT = Path(__file__).parent.parent
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


# -- how the project installs, and its Python ----------------------------------------------------


def _workflow(tmp_path: Path, files: dict[str, str]) -> tuple[str, str]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    code, output = init("--dir", str(tmp_path), "--app", "app:create_app()", "--force")
    assert code == 0, output
    return (tmp_path / WORKFLOW).read_text(), output


def _install_step(workflow: str) -> list[str]:
    block = workflow.split("      - name: Install the project and testboost\n        run: |\n")[1]
    return [line.strip() for line in block.split("      - name:")[0].splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("files", "install"),
    [
        pytest.param(
            {"requirements.txt": "flask\n", "requirements-dev.txt": "pytest\n"},
            [
                "python -m pip install -r requirements.txt",
                "python -m pip install -r requirements-dev.txt",
            ],
            id="requirements-files",
        ),
        pytest.param(
            {"requirements/base.txt": "flask\n", "requirements/dev.txt": "-r base.txt\n"},
            ["python -m pip install -r requirements/dev.txt"],
            id="requirements-folder",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "a"\n[project.optional-dependencies]\ntest = ["pytest"]\n'
            },
            ['python -m pip install -e ".[test]"'],
            id="pyproject-test-extra",
        ),
        pytest.param(
            {"setup.py": "from setuptools import setup\nsetup(name='a')\n"},
            ["python -m pip install -e ."],
            id="setup-py",
        ),
        pytest.param(
            {
                "poetry.lock": "",
                "pyproject.toml": "[tool.poetry]\nname = 'a'\n",
                "requirements.txt": "x\n",
            },
            [
                "python -m pip install poetry",
                "poetry config virtualenvs.create false",
                "poetry install --no-interaction --all-extras",
            ],
            id="poetry-lock-first",
        ),
        pytest.param(
            {"uv.lock": ""},
            [
                "python -m pip install uv",
                'uv export --frozen --no-hashes --all-extras -o "$RUNNER_TEMP/requirements.txt"',
                'python -m pip install -r "$RUNNER_TEMP/requirements.txt"',
            ],
            id="uv-lock",
        ),
        pytest.param(
            {"Pipfile.lock": "{}"},
            ["python -m pip install pipenv", "pipenv install --system --deploy --dev"],
            id="pipfile-lock",
        ),
    ],
)
def test_ci_init_installs_the_project_the_way_it_installs(
    tmp_path: Path, files: dict[str, str], install: list[str]
) -> None:
    workflow, _ = _workflow(tmp_path, files)
    assert _install_step(workflow) == [
        "python -m pip install --upgrade pip",
        *install,
        "python -m pip install testboost",
    ]


@pytest.mark.parametrize(
    ("files", "python"),
    [
        pytest.param(
            {".python-version": "3.11.7\n", "runtime.txt": "python-3.13.0"},
            "3.11",
            id="python-version",
        ),
        pytest.param({"runtime.txt": "python-3.12.4\n"}, "3.12", id="runtime-txt"),
        pytest.param(
            {"pyproject.toml": '[project]\nname = "a"\nrequires-python = ">=3.11,<4"\n'},
            "3.11",
            id="requires-python",
        ),
        pytest.param(
            {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.13"\n'},
            "3.13",
            id="poetry-python",
        ),
        pytest.param({"setup.py": "setup(python_requires='>=3.10')\n"}, "3.10", id="setup-py"),
        pytest.param({"Pipfile": '[requires]\npython_version = "3.12"\n'}, "3.12", id="pipfile"),
        pytest.param({}, "3.12", id="default"),
    ],
)
def test_ci_init_runs_the_gate_on_the_projects_python(
    tmp_path: Path, files: dict[str, str], python: str
) -> None:
    workflow, output = _workflow(tmp_path, files)
    assert f'python-version: "{python}"' in workflow
    assert "testboost needs" not in output


def test_ci_init_raises_an_older_python_to_what_testboost_needs(tmp_path: Path) -> None:
    workflow, output = _workflow(tmp_path, {"setup.py": "setup(python_requires='>=3.8')\n"})
    assert 'python-version: "3.10"' in workflow
    assert (
        "note: setup.py says Python 3.8; testboost needs 3.10+, so the workflow uses 3.10: "
        "check that the project installs there." in output
    )


def test_ci_init_says_when_it_found_no_way_to_install_the_project(tmp_path: Path) -> None:
    workflow, output = _workflow(tmp_path, {"app.py": "from flask import Flask\n"})
    assert _install_step(workflow) == [
        "python -m pip install --upgrade pip",
        "python -m pip install testboost",
    ]
    assert "note: found no requirements file, lock file or installable project" in output


def test_written_workflow_passes_the_github_workflow_schema(tmp_path: Path) -> None:
    """check-jsonschema's vendored schema of GitHub workflows: no network needed."""
    _workflow(tmp_path, {"requirements.txt": "flask\n", ".python-version": "3.11\n"})
    schema = ["--builtin-schema", "vendor.github-workflows"]
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *schema, str(tmp_path / WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


_SAMPLE_APP = """\
from flask import Flask, jsonify


def create_app():
    app = Flask(__name__)

    @app.route("/ping")
    def ping():
        return jsonify({"pong": True})

    @app.route("/items/<int:item_id>")
    def item(item_id):
        return jsonify({"id": item_id})

    return app
"""
_SAMPLE_TEST = """\
from app import create_app


def test_ping():
    response = create_app().test_client().get("/ping")
    assert response.get_json() == {"pong": True}
"""


@pytest.mark.network
def test_written_workflow_steps_run_the_gate_on_a_sample_project(tmp_path: Path) -> None:
    """The install step and the gate, run as CI runs them, in a fresh virtualenv."""
    if os.environ.get("TESTBOOST_OFFLINE"):
        pytest.skip("TESTBOOST_OFFLINE is set: the workflow's install step needs the package index")
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("flask>=2.2\n")
    (project / "pyproject.toml").write_text('[tool.testboost]\napp = "app:create_app()"\n')
    (project / "app.py").write_text(_SAMPLE_APP)
    (project / "tests").mkdir()
    (project / "tests" / "test_app.py").write_text(_SAMPLE_TEST)
    code, output = init("--dir", str(project))
    assert code == 0, output
    workflow = (project / WORKFLOW).read_text()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    for line in _install_step(workflow):
        # the workflow installs testboost from the package index; here, this checkout
        line = line.replace("pip install testboost", f"pip install {ROOT}")
        done = subprocess.run(
            line, shell=True, cwd=project, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0 and "Could not fetch URL" in done.stderr:
            pytest.skip(f"the package index is unreachable (offline?): {line}")
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    gate = json.loads(
        workflow.split("      - name: testboost audit (route coverage gate)\n")[1]
        .split("run: ", 1)[1]
        .splitlines()[0]
    )
    for _ in range(2):  # the first run writes the baseline, the second holds the suite to it
        done = subprocess.run(
            gate, shell=True, cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert (project / ".testboost-baseline.json").is_file()
    assert "Route coverage: 1/2" in done.stdout
