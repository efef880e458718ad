"""compat: one interface over the supported Flask / Werkzeug / click / SQLAlchemy versions.

These tests run on the project's own (newest) versions; the oldest ones are exercised end to end
by the version matrix (``make compat``). The last test asks pip's resolver whether testboost
installs beside the oldest supported pins without moving any of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.declarative import declarative_base  # sqlalchemy.orm only from 1.4

from testboost import compat

ROOT = Path(__file__).parent.parent

#: The oldest versions testboost supports (README, "Supported versions"), as an app pins them.
OLDEST_PINS = dict(
    line.split("==")
    for line in (ROOT / "pins" / "oldest.txt").read_text().splitlines()
    if line and not line.startswith("#")
)


def test_version_reads_installed_distributions_as_numbers() -> None:
    assert compat.version("flask") >= (1, 1)
    assert compat.version("Flask-SQLAlchemy") == compat.version("flask_sqlalchemy") != ()
    assert compat.version("no-such-distribution-testboost") == ()


def test_path_option_type_gives_a_pathlib_path() -> None:
    seen: list[object] = []

    @click.command()
    @click.option("--out", type=compat.path_option_type(file_okay=False))
    def command(out: Path) -> None:
        seen.append(out)

    result = CliRunner().invoke(command, ["--out", "some/dir"])
    assert result.exit_code == 0, result.output
    assert seen == [Path("some/dir")]


def test_path_option_type_keeps_the_file_and_dir_checks(tmp_path: Path) -> None:
    afile = tmp_path / "a.txt"
    afile.write_text("x")

    @click.command()
    @click.option("--out", type=compat.path_option_type(file_okay=False))
    def command(out: Path) -> None:
        pass

    result = CliRunner().invoke(command, ["--out", str(afile)])
    assert result.exit_code == 2
    assert "is a file" in result.output


def test_url_text_keeps_the_password() -> None:
    url = make_url("postgresql://me:secret@db.internal/app")
    assert compat.url_text(url) == "postgresql://me:secret@db.internal/app"
    assert compat.url_text("sqlite:///x.db") == "sqlite:///x.db"


def test_mappers_and_autoincrement_column_of_a_declarative_base() -> None:
    base = declarative_base()

    class Thing(base):  # type: ignore[misc, valid-type]
        __tablename__ = "thing"
        id = sa.Column(sa.Integer, primary_key=True)
        name = sa.Column(sa.String(20))

    registry = compat.declarative_registry(Thing)
    assert registry is not None
    assert compat.declarative_registry(base) is registry
    assert compat.declarative_registry("not a class") is None
    assert compat.declarative_registry(int) is None
    mappers = compat.configured_mappers([registry])
    assert [m.class_ for m in mappers] == [Thing]
    assert compat.autoincrement_column(Thing.__table__) is Thing.__table__.c.id


def _flask_sqlalchemy_app() -> tuple[Flask, SQLAlchemy]:
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SQLALCHEMY_TRACK_MODIFICATIONS=False)
    db = SQLAlchemy(app)
    return app, db


def test_flask_sqlalchemy_extension_and_engines() -> None:
    app, db = _flask_sqlalchemy_app()
    assert compat.sqlalchemy_extension(app) is db
    with app.app_context():
        (engine,) = compat.sqlalchemy_engines(app)
        assert str(engine.url) == "sqlite://"
    assert compat.sqlalchemy_engines(Flask("bare")) == []
    assert compat.sqlalchemy_extension(Flask("bare")) is None


def test_client_cookies_can_be_kept_and_put_back() -> None:
    app = Flask(__name__)

    @app.route("/set")
    def set_cookie() -> object:
        response = app.make_response("ok")
        response.set_cookie("session", "abc")
        return response

    @app.route("/read")
    def read_cookie() -> str:
        from flask import request

        return request.cookies.get("session", "none")

    client = app.test_client()
    client.get("/set")
    kept = compat.client_cookies(client)
    assert len(kept) == 1
    compat.set_client_cookies(client, ())
    assert compat.client_cookies(client) == []
    assert client.get("/read").get_data(as_text=True) == "none"
    compat.set_client_cookies(client, kept)
    assert client.get("/read").get_data(as_text=True) == "abc"


def test_generated_source_for_the_db_and_a_cookie_runs_on_these_versions() -> None:
    app, db = _flask_sqlalchemy_app()
    assert eval(compat.sqlalchemy_db_source("app"), {"app": app}) is db

    @app.route("/read")
    def read_cookie() -> str:
        from flask import request

        return request.cookies.get("session", "none")

    client = app.test_client()
    names = {"client": client, "name": "session", "value": "abc"}
    exec(compat.set_cookie_source("client", "name", "value"), names)
    assert client.get("/read").get_data(as_text=True) == "abc"


def test_tables_are_created_through_flask_sqlalchemy(tmp_path: Path) -> None:
    from testboost.explore.schema import create_schema

    app = Flask(__name__)
    database = tmp_path / "app.sqlite"
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}", SQLALCHEMY_TRACK_MODIFICATIONS=False
    )
    db = SQLAlchemy(app)

    class Item(db.Model):  # type: ignore[name-defined, misc]
        id = db.Column(db.Integer, primary_key=True)

    setup = create_schema(app, tmp_path)
    assert setup.recipe == "Flask-SQLAlchemy create_all()"
    assert setup.steps == ("create_all",)
    with app.app_context():
        assert Item.query.count() == 0


def test_missing_signals_names_blinker_for_flask_before_2_3(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    versions = {"flask": (1, 1, 4), "blinker": ()}
    monkeypatch.setattr(compat, "version", lambda name: versions[name])
    assert compat.missing_signals() == (
        "Flask 1.1.4 needs blinker for its signals, which testboost listens to: pip install blinker"
    )
    versions["blinker"] = (1, 9)
    assert compat.missing_signals() is None
    versions.update(flask=(3, 1), blinker=())
    assert compat.missing_signals() is None


# -- the install moves none of the app's pins -------------------------------------------------

_OFFLINE_SIGNS = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Could not fetch URL",
    "ConnectionError",
    "ProxyError",
    "Max retries exceeded",
)


@pytest.mark.network
def test_install_beside_the_oldest_pins_moves_none_of_them(tmp_path: Path) -> None:
    """pip's resolver, asked to install testboost with the oldest pins, keeps every pin."""
    if os.environ.get("TESTBOOST_OFFLINE"):
        pytest.skip("TESTBOOST_OFFLINE is set: pip's resolver needs the package index")
    report = tmp_path / "report.json"
    pins = [f"{name}=={version}" for name, version in OLDEST_PINS.items()]
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet"]
    command += ["--report", str(report), "--ignore-installed", "-e", str(ROOT), *pins]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0 and any(sign in done.stderr for sign in _OFFLINE_SIGNS):
        pytest.skip(f"the package index is unreachable (offline?): {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stderr
    installs = {
        item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    assert "testboost" in installs
    assert {name: installs.get(name) for name in OLDEST_PINS} == OLDEST_PINS
    assert "blinker" in installs  # Flask < 2.3 does not bring it; scan and audit need signals


def test_relationship_loads_are_seen_from_sqlalchemy_1_4() -> None:
    session = compat.orm_execute_session()
    if compat.version("sqlalchemy") >= (1, 4):
        from sqlalchemy.orm import Session

        assert session is Session
    else:
        assert session is None
