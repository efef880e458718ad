"""Run one load test: serve the app, write its locustfile, run Locust, read what it measured.

:func:`run_load` starts the server process (:mod:`testboost.load.serve`) on a free loopback port,
waits until it answers, writes the locustfile from the plan the server made, runs Locust headless
(one process, or a master and ``workers`` worker processes), then stops the server and gathers
Locust's CSV, the SQL statements per request and the growth of list routes. Every process is
ended when it returns or raises (Ctrl-C included), and every wait has a limit.

>>> result = run_load(LoadOptions(spec="myapi:create_app()", time=10), say=print)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from testboost.errors import UsageError
from testboost.load.locustfile import render_locustfile
from testboost.load.plan import LoadPlan, plan_from_document
from testboost.load.processes import (
    LOOPBACK,
    Processes,
    accepts,
    free_port,
    port_is_free,
    tail,
)
from testboost.load.rows import Growth
from testboost.load.server import INSTALL, server_name
from testboost.load.stats import RouteLoad, read_exceptions, read_stats

#: Seconds the server may take to build, explore and start serving the app.
START_LIMIT = 240.0
#: Seconds Locust may run past ``--time`` (spawning, waiting for workers, stopping) before it is ended.
LOCUST_GRACE = 30.0


@dataclass(frozen=True)
class LoadOptions:
    """The settings of one load test (the ``testboost load`` options)."""

    spec: str
    users: int = 50
    spawn_rate: float = 10.0
    time: float = 30.0
    workers: int = 0
    csv_prefix: Path | None = None
    writes: bool = False
    seed: int = 0
    rows: int = 0
    port: int = 8000
    allow_db: tuple[str, ...] = ()
    locust: str | None = None
    server_processes: int = 2
    wait: float = 0.5


@dataclass(frozen=True)
class LoadResult:
    """What a load test measured, per route and in total, with the plan it followed."""

    plan: LoadPlan
    routes: tuple[RouteLoad, ...]
    total: RouteLoad | None
    growth: tuple[Growth, ...]
    server: str
    port: int
    workers: int
    csv: Path | None
    rows: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def locust_command(explicit: str | None) -> list[str]:
    """How to run Locust: ``--locust``, this Python's Locust, or ``locust`` on PATH."""
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise UsageError(f"--locust {explicit}: no such program.")
        return [found]
    if importlib.util.find_spec("locust") is not None:
        return [sys.executable, "-m", "locust"]
    on_path = shutil.which("locust")
    if on_path is not None:
        return [on_path]
    raise UsageError(f"Locust is not installed: {INSTALL}")


def _choose_port(wanted: int, say: Callable[[str], None]) -> int:
    if port_is_free(wanted):
        return wanted
    port = free_port()
    say(f"port {wanted} is in use: serving on {LOOPBACK}:{port} instead")
    return port


def _server_argv(options: LoadOptions, port: int, out: Path) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "testboost.load.serve",
        "--app",
        options.spec,
        "--port",
        str(port),
        "--out",
        str(out),
        "--seed",
        str(options.seed),
        "--rows",
        str(options.rows),
        "--processes",
        str(options.server_processes),
    ]
    if options.writes:
        argv.append("--writes")
    for url in options.allow_db:
        argv += ["--allow-db", url]
    return argv


def _wait_for_server(processes: Processes, server: Any, port: int, out: Path, log: Path) -> None:
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            processes.stop(server)
            output = tail(log)
            message = output.splitlines()[-1] if output else ""
            if server.returncode == 2 and message.startswith("testboost: error: "):
                raise UsageError(message.removeprefix("testboost: error: "))
            raise UsageError(
                f"the server did not start (exit {server.returncode}). Its output:\n{output}"
            )
        if (out / "plan.json").exists() and accepts(port):
            return
        time.sleep(0.2)
    raise UsageError(
        f"the server did not answer on {LOOPBACK}:{port} within {START_LIMIT:g} s. "
        f"Its output:\n{tail(log)}"
    )


def _run_locust(
    processes: Processes, options: LoadOptions, locustfile: Path, port: int, csv: Path, out: Path
) -> None:
    command = locust_command(options.locust)
    host = f"http://{LOOPBACK}:{port}"
    master = [
        *command,
        "-f",
        str(locustfile),
        "--headless",
        "--users",
        str(options.users),
        "--spawn-rate",
        f"{options.spawn_rate:g}",
        "--run-time",
        f"{max(1, round(options.time))}s",
        "--host",
        host,
        "--csv",
        str(csv),
        "--only-summary",
        "--stop-timeout",
        "2",
        "--exit-code-on-error",
        "0",
        "--loglevel",
        "WARNING",
    ]
    env = {"LOAD_WAIT": f"{options.wait:g}", "PYTHONDONTWRITEBYTECODE": "1"}
    log = out / "locust.log"
    workers = []
    bus = free_port() if options.workers else 0
    if options.workers:
        master += [
            "--master",
            "--master-bind-host",
            LOOPBACK,
            "--master-bind-port",
            str(bus),
            "--expect-workers",
            str(options.workers),
        ]
    # run where no locust.conf or pyproject.toml of the project can change what was asked
    running = processes.start(master, log=log, env=env, cwd=out)
    for _ in range(options.workers):
        worker = [*command, "-f", str(locustfile), "--worker", "--master-host", LOOPBACK]
        worker += ["--master-port", str(bus), "--loglevel", "WARNING"]
        workers.append(processes.start(worker, log=log, env=env, cwd=out))
    code = processes.wait(running, options.time + LOCUST_GRACE)
    for process in (running, *workers):
        processes.stop(process)
    if code is None:
        raise UsageError(
            f"Locust did not stop within {options.time + LOCUST_GRACE:g} s; it was ended. "
            f"Its output:\n{tail(log)}"
        )
    if not Path(f"{csv}_stats.csv").exists():
        raise UsageError(f"Locust wrote no statistics (exit {code}). Its output:\n{tail(log)}")


def _with_sql(
    routes: list[RouteLoad], counts: dict[tuple[str, str], tuple[int, int]]
) -> tuple[RouteLoad, ...]:
    joined = []
    for route in routes:
        count = counts.get((route.method, route.rule))
        sql = round(count[1] / count[0], 1) if count and count[0] else None
        joined.append(replace(route, sql=sql))
    return tuple(joined)


def run_load(options: LoadOptions, say: Callable[[str], None]) -> LoadResult:
    """Serve the app, load it with Locust, and return what was measured."""
    locust_command(options.locust)  # fail before anything starts
    if server_name() is None:
        raise UsageError(f"No WSGI server to serve the app (gunicorn or waitress): {INSTALL}")
    port = _choose_port(options.port, say)
    out = Path(tempfile.mkdtemp(prefix="testboost-load-"))
    csv = (options.csv_prefix or out / "locust").absolute()
    csv.parent.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    try:
        with Processes() as processes:
            log = out / "server.log"
            server = processes.start(_server_argv(options, port, out), log=log)
            say(f"building, exploring and serving {options.spec} on {LOOPBACK}:{port} ...")
            _wait_for_server(processes, server, port, out, log)
            plan = plan_from_document(json.loads((out / "plan.json").read_text()))
            if not plan.requests:
                raise UsageError("the probe found no route to load (no valid request answered).")
            locustfile = out / "locustfile.py"
            locustfile.write_text(render_locustfile(plan, header="# written by testboost load"))
            mode = f"{options.workers} worker processes" if options.workers else "one process"
            say(
                f"Locust: {options.users} users, {options.spawn_rate:g}/s, {options.time:g} s, "
                f"{mode}, {len(plan.requests)} routes"
            )
            _run_locust(processes, options, locustfile, port, csv, out)
            early = server.poll()
            code = processes.stop(server)
            last = " | ".join(line.strip() for line in tail(log, 3).splitlines())
            if early is not None:
                notes.append(f"the server ended before the load test did (exit {early}): {last}")
            elif code not in (0, -15):
                notes.append(f"the server exited {code} when stopped: {last}")
        counts: dict[tuple[str, str], tuple[int, int]] = {}
        server_used = server_name() or ""
        sql_file = out / "sql.json"
        if sql_file.exists():
            document = json.loads(sql_file.read_text())
            server_used = document["server"]
            counts = {(m, r): (n, s) for m, r, n, s in document["counts"]}
        else:
            notes.append(f"the server wrote no SQL counts (it did not stop cleanly): {last}")
        grown = json.loads((out / "growth.json").read_text())
        growth = tuple(
            Growth(**{**g, **{k: tuple(g[k]) for k in ("rows", "milliseconds", "statements")}})
            for g in grown["growth"]
        )
        routes, total = read_stats(Path(f"{csv}_stats.csv"))
        notes.extend(
            f"Locust's users raised {message} ({count} times)"
            for count, message in read_exceptions(Path(f"{csv}_exceptions.csv"))
        )
        return LoadResult(
            plan=plan,
            routes=_with_sql(routes, counts),
            total=total,
            growth=growth,
            server=server_used,
            port=port,
            workers=options.workers,
            csv=options.csv_prefix,
            rows=dict(grown.get("rows", {})),
            notes=tuple(notes),
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
