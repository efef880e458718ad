"""`testboost load`: the example app served on loopback and loaded by Locust for a few seconds.

One load run of the example app is shared by the tests that read what it wrote; each run is
bounded (--time), and every process it started must be gone when it ends, also after Ctrl-C and
when the app kills its own server. Processes are found by a tag in their environment, which every
child of the run inherits.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from testboost.cli import main
from testboost.load.locustfile import render_locustfile
from testboost.load.plan import LoadPlan, LoadRequest, LoginStep, request_kind
from testboost.load.sqlcount import StatementCounter, merge_counts
from testboost.sandbox import Sandbox

ROOT = Path(__file__).parent.parent
BROKEN = "examples.shopapi:create_app()"
_HAS_LOCUST = importlib.util.find_spec("locust") is not None or shutil.which("locust") is not None
needs_locust = pytest.mark.skipif(
    not _HAS_LOCUST or not Path("/proc").is_dir(),
    reason="Locust is not installed here (pip install 'testboost[load]'; it needs Flask>=2), "
    "or there is no /proc to find the run's processes in",
)

_CRASHING_APP = """
import os
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(ok=True)


@app.get("/boom")
def boom():
    os._exit(3)  # the worker serving it dies
"""


@dataclass(frozen=True)
class Run:
    """One `testboost load` run: exit code, output, its CSV prefix, the tag of its processes."""

    code: int
    out: str
    err: str
    csv: Path
    tag: str


def _tagged(tag: str) -> list[int]:
    """The processes whose environment carries ``tag`` (this run's children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"TESTBOOST_TEST_TAG={tag}".encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _locust_running(tag: str) -> bool:
    for pid in _tagged(tag):
        try:
            if b"locustfile.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def _gone(tag: str, seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _command(app: str, csv_prefix: Path, *extra: str) -> list[str]:
    """A short run; one user per route, each starting at its own route (so each gets traffic)."""
    return [
        sys.executable,
        "-m",
        "testboost",
        "load",
        "--app",
        app,
        "--time",
        "3s",
        "--users",
        "30",
        "--spawn-rate",
        "30",
        "--csv",
        str(csv_prefix),
        *extra,
    ]


def _environment(tag: str) -> dict[str, str]:
    return {**os.environ, "TESTBOOST_TEST_TAG": tag, "NO_COLOR": "1"}


def _load(app: str, csv_prefix: Path, cwd: Path, *extra: str) -> Run:
    tag = uuid.uuid4().hex
    done = subprocess.run(
        _command(app, csv_prefix, *extra),
        cwd=cwd,
        env=_environment(tag),
        capture_output=True,
        text=True,
        timeout=1800,  # a hang guard, far past a loaded machine
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr, csv_prefix, tag)


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    """A loopback port something already listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory, busy_port: int) -> Run:
    if not _HAS_LOCUST:
        pytest.skip("Locust is not installed")
    out = tmp_path_factory.mktemp("load")
    return _load(BROKEN, out / "shop", ROOT, "--port", str(busy_port))


def _rows(run: Run) -> list[dict[str, str]]:
    with Path(f"{run.csv}_stats.csv").open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]


def _unsent(output: str) -> set[str]:
    """The routes a load run says no request reached."""
    text = " ".join(output.split())
    found = re.search(
        r"no request reached \d+ route\(s\) of the mix before the run ended: (.*?);", text
    )
    return set(found.group(1).split(", ")) if found else set()


def _get_rules() -> set[str]:
    from flask import Flask

    sys.path.insert(0, str(ROOT))
    try:
        from examples.shopapi import create_app

        app: Flask = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    finally:
        sys.path.remove(str(ROOT))
    return {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint != "static"
    }


@needs_locust
def test_load_run_of_the_example(example_run: Run, busy_port: int) -> None:
    """One run, several facts (each run costs half a minute of two busy cores)."""
    assert example_run.code == 0, example_run.err + example_run.out
    # Locust's CSV: every GET route of the app got requests, or the run names it as not reached
    # (a 3 s run on a loaded machine may end before some users' first pass)
    loaded = {row["Name"] for row in _rows(example_run) if row["Type"] == "GET"}
    unsent = _unsent(example_run.out)
    assert len(loaded) >= len(_get_rules()) // 2, example_run.out
    assert all(rule in loaded or f"GET {rule}" in unsent for rule in _get_rules()), unsent
    assert not {f"GET {rule}" for rule in loaded} & unsent
    assert all(int(row["Request Count"]) > 0 for row in _rows(example_run))
    # failures only on routes the scan found a defect on (the line ends with its check ids)
    lines = {
        " ".join(line.split()[:2]): line
        for line in example_run.out.splitlines()
        if re.match(r"(GET|POST|PUT|PATCH|DELETE) /", line)
    }
    for row in _rows(example_run):
        if int(row["Failure Count"]):
            line = lines[f"{row['Type']} {row['Name']}"]
            assert re.search(r"[a-z]+-[a-z0-9-]+$", line.strip()), line
    # SQL per request beside the figures; the N+1 list named, a flat list not
    assert re.search(r"req/s\s+SQL/req", example_run.out)
    assert "latency grows with rows: GET /api/orders " in example_run.out
    assert "latency grows with rows: GET /api/products " not in example_run.out
    # loopback only; the busy port was swapped for a free one, and said so
    assert "served by gunicorn on 127.0.0.1:" in example_run.out
    assert f"port {busy_port} is in use: serving on 127.0.0.1:" in example_run.err
    # nothing left running
    assert _gone(example_run.tag, seconds=2) == []


@needs_locust
def test_load_run_of_the_fixed_twin_has_no_failure(tmp_path: Path) -> None:
    run = _load("examples.shopapi_fixed:create_app()", tmp_path / "fixed", ROOT)
    assert run.code == 0, run.err + run.out
    assert [row["Name"] for row in _rows(run) if int(row["Failure Count"])] == []
    assert "latency grows with rows" not in run.out


@needs_locust
def test_load_leaves_no_process_behind_when_the_app_kills_its_server(tmp_path: Path) -> None:
    (tmp_path / "crashing.py").write_text(_CRASHING_APP)
    run = _load("crashing.py", tmp_path / "crash", tmp_path)
    assert run.code == 0, run.err + run.out
    assert "GET /boom" in run.out
    assert _gone(run.tag) == []


@needs_locust
def test_ctrl_c_ends_the_server_and_locust(tmp_path: Path) -> None:
    (tmp_path / "crashing.py").write_text(_CRASHING_APP)
    tag = uuid.uuid4().hex
    command = _command("crashing.py", tmp_path / "stopped")
    command[command.index("3s")] = "60s"
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=_environment(tag),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not _locust_running(tag):
            time.sleep(0.2)
        time.sleep(1)
        process.send_signal(signal.SIGINT)
        process.wait(600)  # a hang guard: stopping Locust and the server is slower under load
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert _gone(tag) == []


def test_an_app_that_will_not_build_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise RuntimeError('no database configured')\n")
    if not _HAS_LOCUST:
        pytest.skip("Locust is not installed")
    run = _load("broken.py", tmp_path / "x", tmp_path)
    assert run.code == 2
    assert "no database configured" in run.err
    assert "Traceback" not in run.err


def test_missing_locust_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import testboost.load.runner as runner

    real = importlib.util.find_spec
    monkeypatch.setattr(
        runner.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "locust" else real(name, *a),
    )
    monkeypatch.setattr(runner.shutil, "which", lambda name: None)
    result = CliRunner().invoke(main, ["load", "--app", BROKEN])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "testboost: error: Locust is not installed: pip install 'testboost[load]'"
    ]


def test_bad_duration_is_refused() -> None:
    result = CliRunner().invoke(main, ["load", "--app", BROKEN, "--time", "soon"])
    assert result.exit_code == 2
    assert "use seconds" in result.output


def test_request_kinds_weigh_reads_above_writes() -> None:
    assert request_kind("GET", "/api/orders", None) == "read"
    assert request_kind("POST", "/api/auth/login", "/api/auth/login") == "login"
    assert request_kind("POST", "/api/orders", None, ["insert"]) == "create"
    assert request_kind("POST", "/api/auth/change-password", None, ["update"]) == "write"
    assert request_kind("POST", "/api/orders/<int:id>/cancel", None) == "write"
    assert request_kind("DELETE", "/api/orders/<int:id>", None) == "write"


def _plan() -> LoadPlan:
    read = LoadRequest(
        "GET", "/api/orders", "/api/orders", (), (("Authorization", "Bearer t0k3n"),),
        None, None, "read", 10, 200,
    )  # fmt: skip
    login = LoginStep(
        "/api/auth/login", "json", {"email": "a@example.com", "password": "pw"}, (), "bearer",
        ("access_token",), "header", "Authorization", "Bearer",
    )  # fmt: skip
    return LoadPlan("app:create_app()", (read,), login, {("GET", "/api/orders"): ("n-plus-one",)})


def test_kept_locustfile_logs_in_instead_of_carrying_the_probes_tokens() -> None:
    kept = render_locustfile(_plan(), header="# h", keep_credentials=False)
    compile(kept, "locustfile.py", "exec")
    assert "t0k3n" not in kept
    assert "'access_token'" in kept and "--master" in kept and "--worker" in kept
    served = render_locustfile(_plan(), header="# h")
    assert "t0k3n" in served


def test_statement_counter_counts_sql_per_route_and_adds_processes_up(sandbox: Sandbox) -> None:
    from flask import Flask
    from werkzeug.test import Client

    app = Flask(__name__)
    database = str(sandbox.directory / "count.sqlite")

    @app.get("/items/<int:n>")
    def items(n: int) -> dict[str, int]:
        connection = sqlite3.connect(database)
        for _ in range(n):
            connection.execute("SELECT 1").fetchall()
        connection.close()
        return {"n": n}

    counter = StatementCounter(app, sandbox, sandbox.directory)  # files the sandbox allows
    with sandbox.active():
        client = Client(counter)
        for n in (1, 3, 3):
            assert client.get(f"/items/{n}").status_code == 200
        assert client.get("/nowhere").status_code == 404
    counter.flush()
    (sandbox.directory / "sql-1.json").write_text('[["GET", "/items/<int:n>", 1, 5]]')  # a worker
    counts = merge_counts(sandbox.directory)
    assert counts[("GET", "/items/<int:n>")] == (4, 12)
    assert counts[("GET", "(no route)")] == (1, 0)


def test_kept_locustfile_signs_its_user_up_where_the_server_lacks_it() -> None:
    from dataclasses import replace

    plan = _plan()
    assert plan.login is not None
    signing = replace(
        plan,
        login=replace(
            plan.login,
            register_path="/api/auth/register",
            register_body={"email": "a@example.com", "password": "pw", "name": "A"},
        ),
    )
    kept = render_locustfile(signing, header="# h", keep_credentials=False)
    compile(kept, "locustfile.py", "exec")
    assert "'register_path': '/api/auth/register'" in kept
    without = render_locustfile(plan, header="# h", keep_credentials=False)
    assert "'register_path': None" in without


def test_routes_no_request_reached_are_named_and_none_when_all_were() -> None:
    from rich.console import Console

    from testboost.load.render import render_load
    from testboost.load.runner import LoadResult
    from testboost.load.stats import RouteLoad

    def planned(rule: str) -> LoadRequest:
        return LoadRequest("GET", rule, rule, (), (), None, None, "read", 10, 200)

    plan = LoadPlan("app", (planned("/a"), planned("/b"), planned("/c")), None, {})

    def printed(reached: list[str]) -> str:
        routes = tuple(RouteLoad("GET", rule, 5, 0, 1, 2, 3, 4.0) for rule in reached)
        result = LoadResult(plan, routes, None, (), "gunicorn", 8000, 0, None)
        console = Console(record=True, width=200, no_color=True)
        render_load(console, result)
        return console.export_text()

    assert _unsent(printed(["/a"])) == {"GET /b", "GET /c"}
    assert "run longer (--time) or with more --users" in printed(["/a"])
    assert "no request reached" not in printed(["/a", "/b", "/c"])
