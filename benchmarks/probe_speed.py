"""The probe's speed: whole scans, cheap password hashing, the explorer's overhead, large apps.

Targets (issues "Probe" and #12), each measured side by side in one run:

- a scan of examples/shopapi finishes in under 20 s;
- with password hashing made cheap (:mod:`testboost.hashing`) a scan takes at most 40% of the
  full-cost scan where the app hashes with scrypt (an HTTP-Basic app, tests/apps/scrypt_basic.py,
  verifies the hash on every request);
- on a trivial route the explorer sends at least half as many requests per second as a bare loop
  over ``app.test_client()`` (tool overhead at most 2x);
- time per route stays flat from 50 to 300 routes (a generated CRUD app, one table per 5 routes).

    .venv/bin/python benchmarks/probe_speed.py [--skip-large]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from flask import Flask, jsonify

from testboost.checks import run_checks
from testboost.explore.cases import Planned
from testboost.explore.database import SandboxDatabase
from testboost.explore.exchange import Case, ProbeRequest
from testboost.explore.runner import _Recorder, explore
from testboost.explore.schema import create_schema
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app

REQUESTS = 2000
EXAMPLE = "examples.shopapi:create_app()"
BASIC = "scrypt_basic:create_app()"
ROOT = Path(__file__).resolve().parent.parent
SIZES = (50, 150, 300)
#: No scan here may stop early: a loaded machine would otherwise skip routes of the large apps.
BUDGET = 36_000.0


def scan_seconds(spec: str, *, cheap_hashing: bool = True) -> tuple[float, int, int, int]:
    """Wall time of load + inventory + exploration + checks; requests, findings, routes."""
    started = time.perf_counter()
    with Sandbox(cheap_hashing=cheap_hashing) as sandbox:
        app = load_app(spec, sandbox)
        routes = build_inventory(app)
        result = explore(app, spec, routes, sandbox, budget=BUDGET)
    findings = run_checks(result.exchanges, result.facts)
    own = sum(1 for r in routes if r.kind == "view")
    return time.perf_counter() - started, result.requests, len(findings), own


def hashing_side_by_side(spec: str, label: str, target: str) -> None:
    """The same scan with full-cost and with cheap password hashing, alternated; best of 2."""
    runs = [scan_seconds(spec, cheap_hashing=cheap) for _ in range(2) for cheap in (False, True)]
    full, requests, findings, _ = min(runs[0::2])
    cheap, requests_cheap, findings_cheap, _ = min(runs[1::2])
    same = "same" if (requests, findings) == (requests_cheap, findings_cheap) else "DIFFERENT"
    print(
        f"{label}: full-cost hashing {full:.2f} s, cheap hashing {cheap:.2f} s, "
        f"ratio {cheap / full:.2f}{target}; {requests} requests, {findings} findings ({same} "
        "both ways)"
    )


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


def write_crud_app(directory: Path, routes: int) -> str:
    """A Flask-SQLAlchemy app with ``routes`` routes: per table, list/create/get/update/delete."""
    tables = routes // 5
    models = []
    for t in range(tables):
        models.append(
            textwrap.dedent(
                f"""\
                class Item{t}(db.Model):
                    id = db.Column(db.Integer, primary_key=True)
                    name = db.Column(db.String(80), nullable=False)
                    count = db.Column(db.Integer, nullable=False, default=0)

                    def to_dict(self):
                        return {{"id": self.id, "name": self.name, "count": self.count}}


                @app.get("/t{t}")
                def list_{t}():
                    return jsonify([i.to_dict() for i in Item{t}.query.order_by(Item{t}.id)])


                @app.post("/t{t}")
                def create_{t}():
                    item = Item{t}(**_fields())
                    db.session.add(item)
                    db.session.commit()
                    return jsonify(item.to_dict()), 201


                @app.get("/t{t}/<int:item_id>")
                def get_{t}(item_id):
                    return jsonify(db.get_or_404(Item{t}, item_id).to_dict())


                @app.put("/t{t}/<int:item_id>")
                def update_{t}(item_id):
                    item = db.get_or_404(Item{t}, item_id)
                    for key, value in _fields().items():
                        setattr(item, key, value)
                    db.session.commit()
                    return jsonify(item.to_dict())


                @app.delete("/t{t}/<int:item_id>")
                def delete_{t}(item_id):
                    db.session.delete(db.get_or_404(Item{t}, item_id))
                    db.session.commit()
                    return "", 204
                """
            )
        )
    name = f"crud{routes}"
    (directory / f"{name}.py").write_text(
        textwrap.dedent(
            """\
            from flask import Flask, abort, jsonify, request
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///crud.db"
            db = SQLAlchemy(app)


            def _fields():
                data = request.get_json(silent=True)
                if not isinstance(data, dict) or not isinstance(data.get("name"), str):
                    abort(400)
                count = data.get("count", 0)
                if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                    abort(400)
                return {"name": data["name"][:80], "count": count}


            @app.errorhandler(400)
            @app.errorhandler(404)
            @app.errorhandler(405)
            def error(exc):
                return jsonify(error=exc.name), exc.code


            """
        )
        + "\n\n".join(models)
        + "\n\nwith app.app_context():\n    db.create_all()\n"
    )
    return f"{name}:app"


def per_route(sizes: tuple[int, ...]) -> None:
    """Scan time per route of generated CRUD apps of growing size."""
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, tmp)
        rows = []
        for size in sizes:
            spec = write_crud_app(Path(tmp), size)
            seconds, requests, _, routes = scan_seconds(spec)
            rows.append((size, routes, seconds, requests))
    print("large apps (generated CRUD app, one table per 5 routes):")
    print("  routes   scan s   requests   ms per route   ms per request")
    for size, routes, seconds, requests in rows:
        print(
            f"  {size:>6} {seconds:>8.2f} {requests:>10} {1000 * seconds / routes:>14.1f}"
            f" {1000 * seconds / requests:>16.2f}"
        )
    first, last = rows[0], rows[-1]
    growth = (last[2] / last[1]) / (first[2] / first[1])
    print(
        f"  time per route at {last[0]} routes / at {first[0]} routes: {growth:.2f} "
        "(target: flat, <= 1.25)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-large", action="store_true", help="skip the 50-300 route apps")
    arguments = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests" / "apps"))

    seconds, exchanges, findings, _ = scan_seconds(EXAMPLE)
    print(
        f"scan of {EXAMPLE}: {seconds:.2f} s, {exchanges} requests, {findings} findings (target < 20 s)"
    )
    hashing_side_by_side(EXAMPLE, f"{EXAMPLE} (JWT; hashes cheaply itself when TESTING)", "")
    hashing_side_by_side(BASIC, f"{BASIC} (HTTP Basic, scrypt)", " (target <= 0.40)")
    with Sandbox() as sandbox:
        bare, explorer = rates(trivial_app(), sandbox, "/ping")
    print(
        f"trivial route, app without database: bare loop {bare:,.0f} req/s, "
        f"explorer {explorer:,.0f} req/s, ratio {explorer / bare:.2f} (target >= 0.5)"
    )
    with Sandbox() as sandbox:
        app = load_app(EXAMPLE, sandbox)
        with sandbox.active():
            create_schema(app, sandbox.directory, engines=sandbox.engines)
        bare, explorer = rates(app, sandbox, "/health")
    print(
        f"trivial route of the example app (database restored and diffed per request): "
        f"bare loop {bare:,.0f} req/s, explorer {explorer:,.0f} req/s, ratio {explorer / bare:.2f}"
    )
    if not arguments.skip_large:
        per_route(SIZES)


if __name__ == "__main__":
    main()
