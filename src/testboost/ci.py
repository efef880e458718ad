"""``testboost ci init``: the files that run the audit gate in CI and before each push.

Writes a GitHub Actions workflow (``.github/workflows/testboost.yml``) and a pre-commit
configuration with a local pre-push hook (``.pre-commit-config.yaml``), both running::

    testboost audit --tests tests --baseline .testboost-baseline.json

The app comes from ``[tool.testboost] app`` in the project's ``pyproject.toml`` unless ``--app``
is given. Existing files are never overwritten without ``force``, and nothing is written unless
every file can be.

>>> written = write_ci_files(plan_ci_files(Path("."), tests="tests"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from testboost.config import read_pyproject
from testboost.errors import UsageError
from testboost.report.files import write_text_atomic

BASELINE = ".testboost-baseline.json"
WORKFLOW = Path(".github", "workflows", "testboost.yml")
PRE_COMMIT = Path(".pre-commit-config.yaml")
DEFAULT_PYTHON = "3.12"

_TEMPLATES = {WORKFLOW: "testboost.yml.j2", PRE_COMMIT: "pre-commit-config.yaml.j2"}


@dataclass(frozen=True)
class CiFile:
    """One file ``ci init`` writes: where (relative to the project) and its text."""

    path: Path
    text: str


@dataclass(frozen=True)
class CiPlan:
    """The files to write into ``directory`` and notes for the user (e.g. a missing app setting)."""

    directory: Path
    files: tuple[CiFile, ...]
    notes: tuple[str, ...]


def audit_command(tests: str, app: str | None = None, baseline: str = BASELINE) -> str:
    """The gate's command line, shell-quoted.

    >>> audit_command("tests")
    'testboost audit --tests tests --baseline .testboost-baseline.json'
    """
    words = ["testboost", "audit", "--tests", tests, "--baseline", baseline]
    if app:
        words += ["--app", app]
    return shlex.join(words)


def plan_ci_files(directory: Path, *, tests: str = "tests", app: str | None = None) -> CiPlan:
    """Render the workflow and the pre-commit configuration for the project in ``directory``."""
    if not directory.is_dir():
        raise UsageError(f"No such directory: {directory}. Pass --dir the root of your project.")
    notes = []
    if not app and not read_pyproject(directory).get("app"):
        notes.append(
            "[tool.testboost] app is not set in pyproject.toml: add it (e.g. "
            "app = \"myapi:create_app('testing')\") or rerun with --app, so the gate knows your app."
        )
    if not (directory / tests).exists():
        notes.append(f"{tests} does not exist in {directory}: rerun with --tests DIR if needed.")
    command = audit_command(tests, app)
    values = {
        "command": command,
        "command_yaml": json.dumps(command),
        "baseline": BASELINE,
        "python_version": _python_version(directory),
        "install": _install_lines(directory),
    }
    environment = jinja2.Environment(keep_trailing_newline=True, autoescape=False)
    files = tuple(
        CiFile(path, environment.from_string(_template(name)).render(**values))
        for path, name in _TEMPLATES.items()
    )
    return CiPlan(directory=directory, files=files, notes=tuple(notes))


def write_ci_files(plan: CiPlan, *, force: bool = False) -> tuple[Path, ...]:
    """Write the planned files; refuse (nothing written) when one exists and ``force`` is off."""
    existing = [f.path for f in plan.files if (plan.directory / f.path).exists()]
    if existing and not force:
        names = ", ".join(p.as_posix() for p in existing)
        raise UsageError(
            f"Not overwriting {names} in {plan.directory} (already there): pass --force to "
            "replace, or add the testboost step to your own file by hand."
        )
    written = []
    for file in plan.files:
        target = plan.directory / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, file.text)
        written.append(file.path)
    return tuple(written)


def _template(name: str) -> str:
    return resources.files("testboost").joinpath(f"templates/ci/{name}").read_text("utf-8")


def _python_version(directory: Path) -> str:
    path = directory / ".python-version"
    if path.is_file():
        words = path.read_text(encoding="utf-8").split()
        if words and words[0][:1].isdigit():
            return ".".join(words[0].split(".")[:2])
    return DEFAULT_PYTHON


def _install_lines(directory: Path) -> tuple[str, ...]:
    """How CI installs the project: its requirements files, else the project itself."""
    lines = [
        f"python -m pip install -r {name}"
        for name in ("requirements.txt", "requirements-dev.txt", "requirements/dev.txt")
        if (directory / name).is_file()
    ]
    if not lines and (
        _is_package(directory / "pyproject.toml") or (directory / "setup.py").is_file()
    ):
        lines.append("python -m pip install -e .")
    return tuple(lines)


def _is_package(pyproject: Path) -> bool:
    """Whether a ``pyproject.toml`` makes its directory installable (not just tool settings)."""
    if not pyproject.is_file():
        return False
    text = pyproject.read_text(encoding="utf-8", errors="replace")
    return any(table in text for table in ("[project]", "[build-system]", "[tool.poetry]"))
