"""The ``testboost`` command line, also available as ``flask testboost ...``.

This package is the only place that wires the stages together; each command (one module per
command or pair of commands) is a short recipe over ``target``, ``inventory``, ``analysis`` and
``report``.
"""

from __future__ import annotations

import click

from testboost import __version__
from testboost.cli.audit import audit, ci
from testboost.cli.demo import demo
from testboost.cli.generate import generate
from testboost.cli.load import load
from testboost.cli.scan import merge, routes, scan
from testboost.hashseed import pin_hash_seed

__all__ = ["flask_group", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="testboost")
def main() -> None:
    """Turn an untested Flask application into a tested one.

    testboost loads your app the way `flask --app` does, inside a sandbox (a temporary SQLite
    database, no outbound network, nothing written into your project): `routes` lists what it
    serves, `scan` finds its defects, `generate` writes a pytest suite for it, `audit` measures
    the tests you already have, and `ci init` puts the audit gate in CI. Try `testboost demo`
    in a testboost checkout.
    """
    pin_hash_seed()


for _command in (routes, demo, scan, merge, audit, ci, generate, load):
    main.add_command(_command)


flask_group = click.Group(
    "testboost",
    commands={
        "routes": routes,
        "scan": scan,
        "audit": audit,
        "ci": ci,
        "generate": generate,
        "load": load,
    },
    help="testboost commands on the app given to `flask --app` (see `testboost --help`).",
)
