"""The server process of ``testboost load``: the app in its sandbox, explored, then served.

Run as ``python -m testboost.load.serve --app SPEC --port N --out DIR``. It builds the app in a
:class:`~testboost.sandbox.Sandbox` exactly as ``scan`` does, explores it (seeded rows, logged-in
users), writes the load plan (``plan.json``) and the list routes' growth with rows
(``growth.json``) into DIR, then serves the app on 127.0.0.1:N with the sandbox active (no
outbound network, nothing written outside it) until SIGTERM or SIGINT. On the way out it writes
the SQL statements counted per (method, rule) to ``sql.json``. A problem the user can fix is
one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from testboost.errors import UsageError
from testboost.sandbox import Sandbox


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m testboost.load.serve")
    parser.add_argument("--app", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--writes", action="store_true")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--allow-db", action="append", default=[])
    return parser.parse_args(argv)


def _dispose_engines() -> None:
    """Close every SQLAlchemy pool: a SQLite connection must not cross a fork."""
    try:
        from sqlalchemy.engine import Engine
    except ImportError:
        return
    for thing in gc.get_objects():
        if isinstance(thing, Engine):
            thing.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Explore, write the plan, serve until told to stop; the process's exit code."""
    arguments = _arguments(argv)
    try:
        return _serve(arguments)
    except UsageError as exc:
        print(f"testboost: error: {exc.message}", file=sys.stderr)
        return 2


def _serve(arguments: argparse.Namespace) -> int:
    from testboost.checks import run_checks
    from testboost.config import load_auth_config, load_setup
    from testboost.explore.runner import explore
    from testboost.inventory import build_inventory
    from testboost.load.plan import build_plan, plan_document
    from testboost.load.rows import add_rows, measure_growth
    from testboost.load.server import serve
    from testboost.load.sqlcount import StatementCounter, merge_counts
    from testboost.target import load_app

    out: Path = arguments.out
    with Sandbox(allow_db=arguments.allow_db) as sandbox:
        app = load_app(arguments.app, sandbox)
        inventory = build_inventory(app)
        result = explore(
            app,
            arguments.app,
            inventory,
            sandbox,
            seed=arguments.seed,
            budget=arguments.budget,
            fuzz_examples=0,
            auth=load_auth_config(),
            setup=load_setup(),
        )
        findings = run_checks(result.exchanges, result.facts)
        plan = build_plan(result, findings, spec=arguments.app, writes=arguments.writes)
        growth = measure_growth(app, sandbox, result, plan)
        rows = add_rows(app, sandbox, result, arguments.rows) if arguments.rows else {}
        (out / "plan.json").write_text(json.dumps(plan_document(plan), default=str))
        (out / "growth.json").write_text(
            json.dumps({"growth": [asdict(g) for g in growth], "rows": rows})
        )
        counter = StatementCounter(app, sandbox, sandbox.directory)
        _dispose_engines()
        with sandbox.active(), sandbox.host.forking():
            name = serve(
                counter,
                "127.0.0.1",
                arguments.port,
                processes=arguments.processes,
                threads=arguments.threads,
                before_fork=_dispose_engines,
                on_exit=counter.flush,
            )
        counter.flush()
        counts = merge_counts(sandbox.directory)
        (out / "sql.json").write_text(
            json.dumps(
                {"server": name, "counts": [[m, r, n, s] for (m, r), (n, s) in counts.items()]}
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
