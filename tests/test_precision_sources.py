"""Precision from the app's own source and from the run: public defaults, JSON columns, walls."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_checks import exchange, facts, raised

from testboost.analysis.json_columns import json_columns
from testboost.analysis.literals import public_literals
from testboost.checks import run_checks
from testboost.checks.environment import setup_wall, setup_wall_notes
from testboost.explore.database import ColumnInfo, SandboxDatabase, TableInfo
from testboost.explore.seeding import column_value
from testboost.hashseed import pin_hash_seed

CONFIG = """
import os

class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "top-secret!")
"""

MODELS = """
import json

class Notification:
    def payload(self):
        return json.loads(str(self.payload_json))

def notify(user, data):
    return Notification(name="n", payload_json=json.dumps(data), user=user)

def tag(post, names):
    post.tags = json.dumps([n.lower() for n in names])
    post.title = "plain"
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "config.py").write_text(CONFIG)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "models.py").write_text(MODELS)
    venv = tmp_path / ".venv" / "lib"
    venv.mkdir(parents=True)
    (venv / "other.py").write_text('KEY = "deployed-secret-value"\nx.data = json.dumps({})\n')
    return tmp_path


def test_a_config_default_written_in_the_source_is_public_a_deployed_one_is_not(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path)
    found = public_literals({"top-secret!", "deployed-secret-value", "kX9v-real"}, [root])
    assert found == {"top-secret!"}  # the venv's files are not the app's source
    assert public_literals(set(), [root]) == set()


def test_a_default_with_quotes_or_escapes_in_its_spelling_is_still_found(tmp_path: Path) -> None:
    # only files holding a value's bytes are parsed; a value whose spelling may differ from its
    # text (quotes, backslashes) has every file parsed
    (tmp_path / "settings.py").write_text('KEY = "it\'s-\\secret"\nOTHER = "plain-default"\n')
    (tmp_path / "unrelated.py").write_text("x = 1\n")
    found = public_literals({"it's-\\secret", "plain-default", "deployed-value"}, [tmp_path])
    assert found == {"it's-\\secret", "plain-default"}


def test_json_columns_come_from_dumps_writes_and_loads_reads(tmp_path: Path) -> None:
    columns = json_columns([_project(tmp_path)])
    assert columns == {"payload_json": "{}", "tags": "[]"}  # not title, not the venv's data


def test_a_json_text_column_is_seeded_with_json_and_an_enum_with_its_value() -> None:
    text = ColumnInfo("payload_json", "TEXT", True, False, False, False)
    number = ColumnInfo("payload_json", "INTEGER", True, False, False, False)
    assert column_value(text, 1, {}, "notification", {"payload_json": "{}"}) == "{}"
    assert column_value(text, 1, {}, "notification") != "{}"
    assert column_value(number, 1, {}, "notification", {"payload_json": "{}"}) != "{}"
    gender = ColumnInfo("gender", "VARCHAR(6)", False, False, False, False)
    assert column_value(gender, 1, {("contact", "gender"): ("Male", "Female")}, "contact") == "Male"


def _redirect(rule: str, to: str, method: str = "GET") -> object:
    return exchange(rule=rule, method=method, status=302, headers=(("Location", to),), body="")


def test_routes_that_all_redirect_to_a_setup_page_are_noted_and_not_judged() -> None:
    rules = [f"/page{i}" for i in range(6)]
    walled = [_redirect(rule, "http://localhost/setup") for rule in rules]
    setup = exchange(rule="/setup", status=200, body="<form></form>")
    crash = exchange(rule="/page0", status=500, body="boom")  # only redirects count as a wall
    assert setup_wall([*walled, setup]) == ("/setup", frozenset(rules))
    (note,) = setup_wall_notes([*walled, setup])
    assert note.startswith("the app looks unconfigured: 6 routes answer every request with a ")
    assert setup_wall([*walled, setup, crash]) == ("/setup", frozenset(rules[1:]))
    # a route that answered anything but the redirect is judged as usual
    assert [f.rule for f in run_checks([*walled, setup, crash], facts())] == ["/page0"]


def test_a_login_redirect_or_a_few_redirects_are_no_wall() -> None:
    rules = [f"/page{i}" for i in range(6)]
    login = [_redirect(rule, "/auth/login?next=/x") for rule in rules]
    assert setup_wall(login) is None
    few = [_redirect(rule, "/setup") for rule in rules[:2]]
    pages = [exchange(rule=f"/open{i}", status=200, body="ok") for i in range(6)]
    assert setup_wall([*few, *pages]) is None
    assert setup_wall_notes([*few, *pages]) == []


def test_the_database_remembers_only_the_rows_testboost_wrote(tmp_path: Path) -> None:
    import sqlite3

    file = tmp_path / "app.sqlite"
    with sqlite3.connect(file) as connection:
        connection.execute("CREATE TABLE role (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("CREATE TABLE link (a INTEGER, b INTEGER)")
        connection.execute("INSERT INTO role (name) VALUES ('Admin')")  # the app's own row
    database = SandboxDatabase.discover(tmp_path)
    role = database.table("role")
    link = database.table("link")
    assert isinstance(role, TableInfo) and isinstance(link, TableInfo)
    key = database.insert(role, {"name": "tb name 101"})
    database.update(role, key, {"name": "tb name 102"})
    database.update(role, (1,), {"name": "Changed by testboost, made by the app"})
    database.insert(link, {"a": 1, "b": 2})
    assert database.written_rows() == {
        "role": {(2,): {"id": 2, "name": "tb name 102"}},
        "link": {(1,): {"rowid": 1, "a": 1, "b": 2}},
    }
    database.close()


def test_scan_and_generate_restart_under_a_fixed_hash_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[str], dict[str, str]]] = []
    monkeypatch.setattr(os, "execve", lambda exe, args, env: calls.append((exe, args, env)))
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    pin_hash_seed(["/venv/bin/testboost", "scan", "--app", "app.py"])
    ((_, args, env),) = calls
    assert args[1:] == ["-m", "testboost", "scan", "--app", "app.py"]
    assert env["PYTHONHASHSEED"] == "0"
    calls.clear()
    pin_hash_seed(["/venv/bin/testboost", "routes", "--app", "app.py"])  # not covered
    pin_hash_seed(["/usr/lib/pytest/__main__.py", "scan"])  # a caller's own process
    monkeypatch.setenv("PYTHONHASHSEED", "123")
    pin_hash_seed(["/src/testboost/__main__.py", "generate"])  # the user's own seed
    assert calls == []


def test_ids_past_64_bits_overflowing_on_many_lines_are_one_finding() -> None:
    message = "Python int too large to convert to SQLite INTEGER"
    crashes = [
        exchange(
            "wrong-type",
            rule=rule,
            field="id",
            location="path",
            value=2**64,
            status=500,
            error=raised("OverflowError", message, location=where),
        )
        for rule, where in (
            ("/api/posts/<int:id>", "api/posts.py:36"),
            ("/api/users/<int:id>", "api/users.py:42"),
        )
    ]
    (finding,) = run_checks(crashes, facts(), select={"server-error"})
    assert {route.rule for route in finding.routes} == {
        "/api/posts/<int:id>",
        "/api/users/<int:id>",
    }
    other = exchange(
        "wrong-type",
        rule="/api/tags/<int:id>",
        field="id",
        location="path",
        value="abc",
        status=500,
        error=raised("OverflowError", "math range error", location="api/tags.py:9"),
    )
    assert len(run_checks([*crashes, other], facts(), select={"server-error"})) == 2


def test_text_for_a_bytes_column_goes_in_as_bytes(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "app.sqlite") as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, password BLOB, bio TEXT)")
    database = SandboxDatabase.discover(tmp_path)
    users = database.table("users")
    assert isinstance(users, TableInfo)
    database.insert(users, {"password": "tb hash", "bio": "tb bio"})
    assert database.read()["users"][(1,)] == {"id": 1, "password": b"tb hash", "bio": "tb bio"}
    database.close()


def test_the_user_tables_parents_are_seeded_whole_before_users_are_made(tmp_path: Path) -> None:
    import sqlite3

    from testboost.explore.seeding import Seed, seed_user_parents

    with sqlite3.connect(tmp_path / "app.sqlite") as connection:
        connection.execute(
            "CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(64) UNIQUE, permissions INTEGER)"
        )
        connection.execute(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, password_hash TEXT,"
            " role_id INTEGER REFERENCES roles(id))"
        )
    database = SandboxDatabase.discover(tmp_path)
    users = database.table("users")
    assert isinstance(users, TableInfo)
    seed_user_parents(database, users, Seed(), {})
    roles = list(database.read()["roles"].values())
    assert len(roles) == 2 and all(role["permissions"] is not None for role in roles)
    assert not database.read()["users"]  # the users themselves are the identities' to make
    database.close()
