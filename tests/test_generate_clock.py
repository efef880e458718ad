"""Values derived from the current time are never pinned: the second replay runs at another time.

``clock_app`` puts hashes of its start minute and hour, the day number and the year in its
answers (as CTFd's asset URLs carry its start minute). A suite is generated for it once per
module and run with the machine's clock and with a clock moved ahead (``python -m
testboost.timeshift``): it passes both ways, and still fails when the app's stable text changes.
A suite generated with both replays at the real time (the generator before the shift) pins the
time-derived values: it passes now and fails with the clock moved, which is what the moved run
catches.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from testboost.cli import main
from testboost.generate import replay

APPS = Path(__file__).parent / "apps"
SPEC = "clock_app:create_app()"
#: How far ahead the moved runs read the clock: 3 days, 5 hours, 7 minutes and 11 seconds (not
#: the generator's own shift, so that the suite is not checked at the very time it was made for).
MOVED = 3 * 86400 + 5 * 3600 + 7 * 60 + 11


def _environment(project: Path) -> dict[str, str]:
    environment = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(project.parent)}
    if "PYTHONPATH" in os.environ:  # a checkout's src/ put first: its testboost, not the venv's
        environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return environment


def _project(tmp: Path, source: str | None = None) -> Path:
    project = tmp / "project"
    project.mkdir()
    (project / "clock_app.py").write_text(source or (APPS / "clock_app.py").read_text())
    return project


def _pytest(suite: Path, *, moved: float = 0) -> subprocess.CompletedProcess[str]:
    """pytest on ``suite`` in a process of its own, its wall clock ``moved`` seconds ahead."""
    clock = ["-m", "testboost.timeshift", str(moved), "pytest"] if moved else ["-m", "pytest"]
    return subprocess.run(
        [sys.executable, *clock, "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(suite)],
        cwd=suite.parent,
        capture_output=True,
        text=True,
        env=_environment(suite.parent),
        timeout=1800,  # a hang guard, far past a loaded machine
        check=False,
    )


def _retarget(suite: Path, project: Path, tmp: Path) -> Path:
    """A copy of ``suite`` whose conftest points at ``project``."""
    copy = tmp / f"suite-{project.parent.name}"
    shutil.copytree(suite, copy)
    conftest = copy / "conftest.py"
    lines = conftest.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("PROJECT_ROOT = "))
    assert lines[index].rstrip().endswith(")"), lines[index]
    lines[index] = f"PROJECT_ROOT = Path({str(project)!r})\n"
    conftest.write_text("".join(lines))
    return copy


def _asserts(suite: Path) -> list[str]:
    """Every assert statement of the suite's test modules, as source."""
    found = []
    for path in sorted(suite.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        found += [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    return found


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite ``testboost generate`` writes for the clock app, run as a user runs it."""
    tmp = tmp_path_factory.mktemp("clock")
    project = _project(tmp)
    completed = subprocess.run(
        [sys.executable, "-m", "testboost", "generate", "--app", SPEC, "--out", str(tmp / "suite")],
        cwd=project,
        capture_output=True,
        text=True,
        env=_environment(project),
        timeout=1800,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    return tmp / "suite"


@pytest.fixture(scope="module")
def same_time_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite written when both replays run at the real time, as before the shift."""
    tmp = tmp_path_factory.mktemp("clock-same-time")
    project = _project(tmp)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replay, "REPLICAS", tuple((h, r, 0) for h, r, _ in replay.REPLICAS))
        patch.chdir(project)
        patch.syspath_prepend(str(project))
        patch.setenv("NO_COLOR", "1")
        result = CliRunner().invoke(
            main, ["generate", "--app", SPEC, "--out", str(tmp / "suite")], catch_exceptions=False
        )
        sys.modules.pop("clock_app", None)
    assert result.exit_code == 0, result.output
    yield tmp / "suite"


def test_the_second_replay_reads_the_clock_a_year_and_more_ahead() -> None:
    hash_seeds = [hash_seed for hash_seed, _, _ in replay.REPLICAS]
    assert len(set(hash_seeds)) == len(hash_seeds)
    assert replay.REPLICAS[0][2] == 0  # the answers the tests assert are the real time's
    assert all(later > 366 * 86400 for _, _, later in replay.REPLICAS[1:])


@pytest.mark.parametrize("moved", [0, MOVED], ids=["now", "moved"])
def test_the_suite_passes_now_and_with_the_clock_moved(suite: Path, moved: float) -> None:
    completed = _pytest(suite, moved=moved)
    assert completed.returncode == 0, completed.stdout[-3000:]
    summary = completed.stdout.strip().splitlines()[-1]
    assert " passed" in summary and " failed" not in summary and "error" not in summary


def test_time_derived_values_are_not_pinned_and_stable_ones_are(suite: Path) -> None:
    asserts = "\n".join(_asserts(suite))
    assert "Welcome to the clock app" in asserts
    assert "'app': 'clock'" in asserts
    assert "'build': ANY" in asserts and "'day': ANY" in asserts
    assert "main.css?d=" not in asserts
    assert "Clock, 2" not in asserts


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Welcome to the clock app", "Welcome to the watch app"),
        ('{"app": "clock",', '{"app": "watch",'),
    ],
)
def test_the_suite_still_fails_when_a_stable_value_changes(
    suite: Path, tmp_path: Path, old: str, new: str
) -> None:
    source = (APPS / "clock_app.py").read_text()
    assert old in source
    mutant = _retarget(suite, _project(tmp_path, source.replace(old, new)), tmp_path)
    completed = _pytest(mutant)
    assert completed.returncode == 1, completed.stdout[-2000:]


def test_replays_at_one_time_pin_time_derived_values_which_a_moved_clock_catches(
    same_time_suite: Path,
) -> None:
    asserts = "\n".join(_asserts(same_time_suite))
    assert "'build': ANY" not in asserts or "'day': ANY" not in asserts, asserts
    assert _pytest(same_time_suite).returncode == 0
    completed = _pytest(same_time_suite, moved=MOVED)
    assert completed.returncode == 1, completed.stdout[-2000:]
    assert "test_get_build_returns_200" in completed.stdout, completed.stdout[-2000:]
