"""The pytest plugin on its own: `pytest --testboost-routes` in a project whose conftest builds the app."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from flask import Flask

from testboost.audit.plugin import error_line, percent, url_map_pairs

MINIAPP = Path(__file__).parent / "audit_projects" / "miniapp"


def plugin_env(directory: Path) -> dict[str, str]:
    """The environment of a user's pytest run, with the ``pytest11`` entry point installed.

    A checkout installed before the entry point was added lacks it in its metadata; a
    ``.dist-info`` declaring it on ``PYTHONPATH`` is what an install would provide.
    """
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    if not any(ep.name == "testboost" for ep in metadata.entry_points(group="pytest11")):
        info = directory / "testboost_entry_point-0.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: testboost-entry-point\nVersion: 0\n"
        )
        (info / "entry_points.txt").write_text("[pytest11]\ntestboost = testboost.audit.plugin\n")
        paths = [str(directory), *filter(None, [env.get("PYTHONPATH")])]
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def start_pytest(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[int, str]]]:
    """Plain, xdist, idle and config-only runs of the plugin, started side by side."""
    work = tmp_path_factory.mktemp("plugin")
    env = plugin_env(work / "site")
    configured = work / "configured"
    configured.mkdir()
    shutil.copy(MINIAPP / "itemsapp.py", configured)
    (configured / "pyproject.toml").write_text(
        '[tool.testboost]\napp = "itemsapp:create_app()"\n\n'
        '[tool.pytest.ini_options]\npythonpath = ["."]\n'
    )
    (configured / "test_plain.py").write_text("def test_math():\n    assert 1 + 1 == 2\n")
    plans = {
        "plain": (MINIAPP, ["tests", "--testboost-routes"]),
        "xdist": (MINIAPP, ["tests", "-n", "2", f"--testboost-json={work / 'xdist.json'}"]),
        "idle": (MINIAPP, ["tests"]),
        "configured": (configured, ["--testboost-routes"]),
    }
    started = {name: start_pytest(args, cwd, env) for name, (cwd, args) in plans.items()}
    results = {}
    for name, process in started.items():
        output, _ = process.communicate(timeout=1800)  # a hang guard, far past a loaded machine
        results[name] = (process.returncode, output)
    results["xdist.json"] = (0, (work / "xdist.json").read_text())
    yield results


def test_plugin_prints_the_route_summary(runs: dict[str, tuple[int, str]]) -> None:
    code, output = runs["plain"]
    assert code == 0, output
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "testboost route coverage" in line)
    assert lines[start + 1 : start + 4] == [
        "5/6 (method, rule) pairs reached by tests (83.3%)",
        "not reached by any test (1):",
        "  GET     /health",
    ]


def test_plugin_is_idle_without_its_option(runs: dict[str, tuple[int, str]]) -> None:
    code, output = runs["idle"]
    assert code == 0, output
    assert "testboost route coverage" not in output


def test_plugin_merges_xdist_workers(runs: dict[str, tuple[int, str]]) -> None:
    code, output = runs["xdist"]
    assert code == 0, output
    assert "5/6 (method, rule) pairs reached by tests (83.3%)" in output
    document = json.loads(runs["xdist.json"][1])
    assert document["schema"] == "testboost.routes-run/1"
    assert document["route_coverage"] == {"covered": 5, "total": 6, "percent": 83.3}
    tests = {t["nodeid"]: t for t in document["tests"]}
    assert tests["tests/test_items.py::test_list_items"]["hits"] == [
        {"method": "GET", "rule": "/items", "endpoint": "list_items", "statuses": {"200": 1}}
    ]
    assert tests["tests/test_items.py::test_boom_propagates"]["hits"] == [
        {"method": "GET", "rule": "/boom", "endpoint": "boom", "statuses": {"500": 1}}
    ]
    # the 405 maps back to its rule (a method the route does not accept); /nowhere reaches nothing
    assert tests["tests/test_items.py::test_wrong_method_and_unknown_url"]["hits"] == [
        {"method": "PUT", "rule": "/items", "endpoint": "list_items", "statuses": {"405": 1}}
    ]
    assert document["unmatched_requests"] == 1
    delete = tests["tests/test_items.py::test_delete_item"]
    assert (delete["responses"], delete["with_body"]) == (1, 0)
    assert document["outcomes"]["passed"] == 7


def test_plugin_falls_back_to_the_configured_app(runs: dict[str, tuple[int, str]]) -> None:
    code, output = runs["configured"]
    assert code == 0, output
    assert "0/6 (method, rule) pairs reached by tests (0.0%)" in output


def test_url_map_pairs_leave_out_static_head_and_options() -> None:
    app = Flask(__name__)
    app.add_url_rule("/items", "items", lambda: "", methods=["GET", "POST"])
    assert sorted(pair for pair, _ in url_map_pairs(app)) == [("GET", "/items"), ("POST", "/items")]


def test_error_line_picks_the_last_E_line() -> None:
    text = "ImportError while importing test module\nE   first\nE   ModuleNotFoundError: x\n"
    assert error_line(text) == "ModuleNotFoundError: x"
    assert error_line("just a line\n") == "just a line"
    assert percent(1, 3) == pytest.approx(33.333, rel=1e-3) and percent(0, 0) == 0.0
