"""The probe's speed: a whole scan of the example app, and the explorer's per-request overhead.

Targets (issue "Probe"): a scan of examples/shopapi finishes in under 20 s; on a trivial route the
explorer sends at least half as many requests per second as a bare loop over
``app.test_client()`` measured in the same run (tool overhead at most 2x).

    .venv/bin/python benchmarks/probe_speed.py
"""

from __future__ import annotations

import time

from flask import Flask, jsonify

from testboost.checks import run_checks
from testboost.explore.cases import Planned
from testboost.explore.database import SandboxDatabase
from testboost.explore.exchange import Case, ProbeRequest
from testboost.explore.runner import _Recorder, explore
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app

REQUESTS = 2000
EXAMPLE = "examples.shopapi:create_app()"


def scan_seconds() -> tuple[float, int, int]:
    """Wall time of load + inventory + exploration + checks on the example app."""
    started = time.perf_counter()
    with Sandbox() as sandbox:
        app = load_app(EXAMPLE, sandbox)
        routes = build_inventory(app)
        result = explore(app, EXAMPLE, routes, sandbox)
    findings = run_checks(result.exchanges, result.facts)
    return time.perf_counter() - started, result.requests, len(findings)


def trivial_app() -> Flask:
    app = Flask("trivial")

    @app.get("/ping")
    def ping() -> object:
        return jsonify(ok=True)

    return app


def rates(app: Flask, sandbox: Sandbox, rule: str) -> tuple[float, float]:
    """Requests per second: a bare test-client loop, then the explorer's recorder, same route."""
    client = app.test_client()
    started = time.perf_counter()
    for _ in range(REQUESTS):
        client.get(rule).close()
    bare = REQUESTS / (time.perf_counter() - started)

    route = next(r for r in build_inventory(app) if r.rule == rule)
    database = SandboxDatabase.discover(sandbox.directory)
    recorder = _Recorder(app, sandbox, database, timeout=5.0)
    planned = Planned(Case("valid", "a valid request"), ProbeRequest("GET", rule))
    with sandbox.active(), recorder.listening():
        started = time.perf_counter()
        for _ in range(REQUESTS):
            recorder.send(route, planned, {})
        explorer = REQUESTS / (time.perf_counter() - started)
    database.close()
    return bare, explorer


def main() -> None:
    seconds, exchanges, findings = scan_seconds()
    print(
        f"scan of {EXAMPLE}: {seconds:.2f} s, {exchanges} requests, {findings} findings (target < 20 s)"
    )
    with Sandbox() as sandbox:
        bare, explorer = rates(trivial_app(), sandbox, "/ping")
    print(
        f"trivial route, app without database: bare loop {bare:,.0f} req/s, "
        f"explorer {explorer:,.0f} req/s, ratio {explorer / bare:.2f} (target >= 0.5)"
    )
    with Sandbox() as sandbox:
        app = load_app(EXAMPLE, sandbox)
        from testboost.explore.seeding import create_schema

        with sandbox.active():
            create_schema(app)
        bare, explorer = rates(app, sandbox, "/health")
    print(
        f"trivial route of the example app (database restored and diffed per request): "
        f"bare loop {bare:,.0f} req/s, explorer {explorer:,.0f} req/s, ratio {explorer / bare:.2f}"
    )


if __name__ == "__main__":
    main()
