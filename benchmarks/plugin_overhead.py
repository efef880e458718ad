"""What the route plugin adds to a suite's wall time (target: at most 15%).

Generates a suite of 500 fast tests (10 modules of 50) hitting a small Flask app through its test
client — a session-scoped app, a client per test, one or two requests per test, the fast end of
real suites, where a fixed per-request cost shows most — in a temporary directory. Then runs
``python -m pytest`` on it with and without ``--testboost-routes``, alternating, several times
each, and prints the median wall time of both, the median of pytest's own session time, and the
overhead.

    .venv/bin/python benchmarks/plugin_overhead.py [--runs 5]

Exits 1 when the overhead on wall time is above the target.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from testboost.audit.run import plugin_arguments

TESTS = 500
MODULES = 10
TARGET_PERCENT = 15.0

APP = """
from flask import Flask, abort, jsonify, request


def create_app():
    app = Flask(__name__)
    items = {i: {"id": i, "name": f"item {i}"} for i in range(1, 51)}

    @app.get("/items")
    def list_items():
        page = request.args.get("page", 1, type=int)
        return jsonify(items=list(items.values())[(page - 1) * 10 : page * 10], page=page)

    @app.post("/items")
    def create_item():
        data = request.get_json(silent=True) or {}
        if "name" not in data:
            return jsonify(error="name is required"), 400
        return jsonify(id=len(items) + 1, name=data["name"]), 201

    @app.get("/items/<int:item_id>")
    def get_item(item_id):
        if item_id not in items:
            abort(404)
        return jsonify(items[item_id])

    @app.delete("/items/<int:item_id>")
    def delete_item(item_id):
        return "", 204

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app
"""

CONFTEST = """
import pytest
from benchapp import create_app


@pytest.fixture(scope="session")
def app():
    app = create_app()
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()
"""

TEST_KINDS = (
    """
def test_get_item_{n}(client):
    resp = client.get("/items/{item}")
    assert resp.get_json()["id"] == {item}
""",
    """
def test_list_page_{n}(client):
    resp = client.get("/items?page={page}")
    assert resp.get_json()["page"] == {page}
""",
    """
def test_create_{n}(client):
    resp = client.post("/items", json={{"name": "n{n}"}})
    assert resp.status_code == 201 and resp.get_json()["name"] == "n{n}"
""",
    """
def test_missing_{n}(client):
    assert client.get("/items/{missing}").status_code == 404
    assert client.post("/items", json={{}}).get_json()["error"]
""",
    """
def test_delete_{n}(client):
    assert client.delete("/items/{item}").data == b""
""",
)


def write_suite(directory: Path) -> None:
    """The app, its conftest and TESTS tests over MODULES modules."""
    (directory / "benchapp.py").write_text(textwrap.dedent(APP).lstrip())
    (directory / "conftest.py").write_text(textwrap.dedent(CONFTEST).lstrip())
    (directory / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    per_module = TESTS // MODULES
    for m in range(MODULES):
        tests = []
        for t in range(per_module):
            n = m * per_module + t
            kind = TEST_KINDS[n % len(TEST_KINDS)]
            tests.append(kind.format(n=n, item=n % 50 + 1, page=n % 5 + 1, missing=1000 + n))
        (directory / f"test_bench_{m}.py").write_text("".join(tests).lstrip())


def run_suite(directory: Path, with_plugin: bool) -> tuple[float, float]:
    """One pytest run: (wall seconds, pytest's own session seconds)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    command += plugin_arguments()
    if with_plugin:
        command.append("--testboost-routes")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if result.returncode != 0 or f"{TESTS} passed" not in result.stdout:
        raise SystemExit(f"the benchmark suite failed:\n{result.stdout}\n{result.stderr}")
    if with_plugin and "testboost route coverage" not in result.stdout:
        raise SystemExit("the plugin did not run:\n" + result.stdout)
    session = re.findall(r"passed in ([0-9.]+)s", result.stdout)
    return wall, float(session[-1]) if session else wall


def main() -> int:
    """Run the comparison and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant (default 5)")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="testboost-overhead-") as scratch:
        directory = Path(scratch)
        write_suite(directory)
        run_suite(directory, False)  # warm the file system cache
        plain: list[tuple[float, float]] = []
        plugin: list[tuple[float, float]] = []
        for _ in range(runs):
            plain.append(run_suite(directory, False))
            plugin.append(run_suite(directory, True))
    wall_plain = statistics.median(w for w, _ in plain)
    wall_plugin = statistics.median(w for w, _ in plugin)
    session_plain = statistics.median(s for _, s in plain)
    session_plugin = statistics.median(s for _, s in plugin)
    overhead = 100.0 * (wall_plugin - wall_plain) / wall_plain
    session_overhead = 100.0 * (session_plugin - session_plain) / session_plain
    print(f"{TESTS} tests, {runs} alternating runs each, medians")
    print(
        f"  without --testboost-routes: wall {wall_plain:.2f} s, pytest session {session_plain:.2f} s"
    )
    print(
        f"  with    --testboost-routes: wall {wall_plugin:.2f} s, pytest session {session_plugin:.2f} s"
    )
    print(
        f"  overhead: {overhead:+.1f}% wall, {session_overhead:+.1f}% session (target <= {TARGET_PERCENT:g}%)"
    )
    return 0 if overhead <= TARGET_PERCENT else 1


if __name__ == "__main__":
    sys.exit(main())
