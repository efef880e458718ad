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
import re
import shlex
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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
    python_version, python_note = _python_version(directory)
    if python_note:
        notes.append(python_note)
    install = _install_lines(directory)
    if not install:
        notes.append(
            "found no requirements file, lock file or installable project: the workflow installs "
            "only testboost; add your install step to it."
        )
    values = {
        "command": command,
        "command_yaml": json.dumps(command),
        "baseline": BASELINE,
        "python_version": python_version,
        "install": install,
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


#: The oldest Python testboost runs on: the gate's Python is never older.
MIN_PYTHON = (3, 10)
_VERSION = re.compile(r"(?<![\d.])(3)\.(\d+)")


def _python_version(directory: Path) -> tuple[str, str | None]:
    """The Python the project targets, as ``"3.11"``, and a note when it had to be raised.

    Read from ``.python-version``, ``runtime.txt``, then the lower bound of ``requires-python``
    (``[project]``), Poetry's ``python`` dependency, ``python_requires`` (setup.py / setup.cfg)
    and the Pipfile's ``python_version``; :data:`DEFAULT_PYTHON` when none says.
    """
    found: tuple[str, tuple[int, int]] | None = None
    for name, text in _python_declarations(directory):
        match = _VERSION.search(text)
        if match:
            found = (name, (int(match.group(1)), int(match.group(2))))
            break
    if found is None:
        return DEFAULT_PYTHON, None
    name, version = found
    if version < MIN_PYTHON:
        wanted = f"{version[0]}.{version[1]}"
        chosen = f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]}"
        return chosen, (
            f"{name} says Python {wanted}; testboost needs {chosen}+, so the workflow uses "
            f"{chosen}: check that the project installs there."
        )
    return f"{version[0]}.{version[1]}", None


def _python_declarations(directory: Path) -> list[tuple[str, str]]:
    """``(file, text declaring the Python version)`` pairs, the most specific first."""
    found: list[tuple[str, str]] = []
    for name in (".python-version", "runtime.txt"):
        text = _read(directory / name)
        if text.strip():
            found.append((name, text.split()[0]))
    pyproject = _pyproject(directory)
    project = pyproject.get("project", {})
    if isinstance(project, dict) and isinstance(project.get("requires-python"), str):
        found.append(("pyproject.toml", project["requires-python"]))
    poetry = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {})
    if isinstance(poetry, dict) and isinstance(poetry.get("python"), str):
        found.append(("pyproject.toml", poetry["python"]))
    for name in ("setup.py", "setup.cfg"):
        match = re.search(r"python_requires\s*=\s*[\"']?([^\"'\n]+)", _read(directory / name))
        if match:
            found.append((name, match.group(1)))
    match = re.search(r"python_version\s*=\s*[\"']([^\"']+)", _read(directory / "Pipfile"))
    if match:
        found.append(("Pipfile", match.group(1)))
    return found


#: Lock files and the commands that install exactly what they pin into the runner's Python.
_LOCKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "uv.lock",
        (
            "python -m pip install uv",
            'uv export --frozen --no-hashes --all-extras -o "$RUNNER_TEMP/requirements.txt"',
            'python -m pip install -r "$RUNNER_TEMP/requirements.txt"',
        ),
    ),
    (
        "poetry.lock",
        (
            "python -m pip install poetry",
            "poetry config virtualenvs.create false",
            "poetry install --no-interaction --all-extras",
        ),
    ),
    (
        "Pipfile.lock",
        ("python -m pip install pipenv", "pipenv install --system --deploy --dev"),
    ),
    (
        "pdm.lock",
        (
            "python -m pip install pdm",
            'pdm export --without-hashes -G :all -o "$RUNNER_TEMP/requirements.txt"',
            'python -m pip install -r "$RUNNER_TEMP/requirements.txt"',
        ),
    ),
)
_DEV_REQUIREMENTS = ("dev.txt", "development.txt", "test.txt", "tests.txt", "testing.txt")
_BASE_REQUIREMENTS = ("base.txt", "common.txt", "requirements.txt", "prod.txt", "production.txt")
_TEST_EXTRAS = ("test", "tests", "testing", "dev")


def _install_lines(directory: Path) -> tuple[str, ...]:
    """How CI installs the project: its lock file, else its requirements files, else itself."""
    for lock, lines in _LOCKS:
        if (directory / lock).is_file():
            return lines
    requirements = _requirements(directory)
    if requirements:
        return tuple(f"python -m pip install -r {name}" for name in requirements)
    if _is_package(directory / "pyproject.toml") or any(
        (directory / name).is_file() for name in ("setup.py", "setup.cfg")
    ):
        extras = _test_extras(directory)
        target = f'".[{",".join(extras)}]"' if extras else "."
        return (f"python -m pip install -e {target}",)
    return ()


def _requirements(directory: Path) -> list[str]:
    """``requirements*.txt`` at the root (``requirements.txt`` first), else one of requirements/."""
    root = sorted(
        (p.name for p in directory.glob("requirements*.txt") if p.is_file()),
        key=lambda name: (name != "requirements.txt", name),
    )
    if root:
        return root
    folder = directory / "requirements"
    for group in (_DEV_REQUIREMENTS, _BASE_REQUIREMENTS):
        for name in group:
            if (folder / name).is_file():
                return [f"requirements/{name}"]
    return []


def _test_extras(directory: Path) -> list[str]:
    """The project's extras that hold its test dependencies (``[project.optional-dependencies]``)."""
    project = _pyproject(directory).get("project", {})
    extras = project.get("optional-dependencies", {}) if isinstance(project, dict) else {}
    return [name for name in _TEST_EXTRAS if isinstance(extras, dict) and name in extras][:1]


def _pyproject(directory: Path) -> dict[str, Any]:
    """The whole of ``directory/pyproject.toml``; empty when absent or unreadable."""
    try:
        data = tomllib.loads(_read(directory / "pyproject.toml"))
    except tomllib.TOMLDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _is_package(pyproject: Path) -> bool:
    """Whether a ``pyproject.toml`` makes its directory installable (not just tool settings)."""
    if not pyproject.is_file():
        return False
    text = pyproject.read_text(encoding="utf-8", errors="replace")
    return any(table in text for table in ("[project]", "[build-system]", "[tool.poetry]"))
