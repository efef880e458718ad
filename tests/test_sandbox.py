"""The sandbox: database policy, network guard, raw sqlite redirection, environment restore."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

import pytest

from testboost.errors import UsageError
from testboost.sandbox import Sandbox, environment, is_local_database, is_loopback
from testboost.target import load_app


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("sqlite:///app.db", True),
        ("sqlite://", True),
        ("postgresql://u:p@localhost/db", True),
        ("mysql+pymysql://u@127.0.0.1:3306/db", True),
        ("postgresql://u:p@db.internal:5432/db", False),
        ("postgresql://10.0.0.5/db", False),
    ],
)
def test_is_local_database(url: str, local: bool) -> None:
    assert is_local_database(url) is local


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("93.184.216.34") and not is_loopback("example.com")


def test_local_server_url_becomes_a_sandbox_sqlite_file(sandbox: Sandbox) -> None:
    url = sandbox.database_url("postgresql://localhost/shop")
    assert url.startswith(f"sqlite:///{sandbox.directory}")
    assert sandbox.redirects[0].original == "postgresql://localhost/shop"


def test_remote_url_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(UsageError, match="remote database"):
        sandbox.database_url("postgresql://db.example.com/prod")


def test_remote_url_named_by_allow_db_is_kept() -> None:
    url = "postgresql://shop:pw@db.prod.example.com:5432/shop"
    with Sandbox(allow_db=[url]) as box:
        config = {"SQLALCHEMY_DATABASE_URI": url}
        box.sandbox_config(config)
    assert config["SQLALCHEMY_DATABASE_URI"] == url


def test_config_binds_and_file_paths_are_sandboxed(sandbox: Sandbox) -> None:
    config = {
        "SQLALCHEMY_DATABASE_URI": "sqlite:///main.db",
        "SQLALCHEMY_BINDS": {"audit": "sqlite:///audit.db", "cache": {"url": "sqlite:///c.db"}},
        "DATABASE": "/home/me/project/instance/flaskr.sqlite",
        "SECRET_KEY": "sqlite:///not-a-db-setting",
    }
    sandbox.sandbox_config(config)
    assert sandbox.owns(config["SQLALCHEMY_DATABASE_URI"])
    assert sandbox.owns(config["SQLALCHEMY_BINDS"]["audit"])
    assert sandbox.owns(config["SQLALCHEMY_BINDS"]["cache"]["url"])
    assert sandbox.owns(config["DATABASE"])
    assert config["SECRET_KEY"] == "sqlite:///not-a-db-setting"


def test_network_guard_blocks_and_records_non_loopback(sandbox: Sandbox) -> None:
    with sandbox.active(), socket.socket() as sock, pytest.raises(OSError, match="blocked"):
        sock.connect(("93.184.216.34", 80))
    assert [(a.host, a.port, a.call) for a in sandbox.network_attempts] == [
        ("93.184.216.34", 80, "socket.connect")
    ]
    assert sandbox.network_attempts[0].location is not None
    assert "test_sandbox.py" in sandbox.network_attempts[0].location


def test_network_guard_blocks_name_lookups(sandbox: Sandbox) -> None:
    with sandbox.active(), pytest.raises(socket.gaierror):
        socket.getaddrinfo("example.com", 443)
    assert sandbox.network_attempts[0].host == "example.com"


def test_network_guard_lets_loopback_through(sandbox: Sandbox) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with sandbox.active(), socket.create_connection(server.getsockname(), timeout=2):
            pass
    assert sandbox.network_attempts == []


def test_network_guard_is_removed_afterwards(sandbox: Sandbox) -> None:
    real = socket.socket.connect
    with sandbox.active():
        assert socket.socket.connect is not real
    assert socket.socket.connect is real


def test_view_opening_a_socket_is_blocked_and_recorded(apps_dir: Path, sandbox: Sandbox) -> None:
    app = load_app("sqla_app:create_app()", sandbox)
    with sandbox.active():
        response = app.test_client().get("/call-home")
    assert response.status_code == 502
    assert "blocked" in response.get_json()["error"]
    attempt = sandbox.network_attempts[0]
    assert (attempt.host, attempt.port) == ("93.184.216.34", 80)
    assert attempt.location is not None and attempt.location.endswith("sqla_app.py:32")


def test_raw_sqlite_files_are_redirected(tmp_path: Path, sandbox: Sandbox) -> None:
    target = tmp_path / "user.sqlite"
    with sandbox.active():
        connection = sqlite3.connect(str(target))
        connection.execute("create table t (x)")
        connection.close()
    assert not target.exists()
    assert sandbox.redirects[0].original == str(target)


def test_environment_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://prod/db")
    monkeypatch.delenv("DB_URL", raising=False)
    with environment({"DATABASE_URL": "sqlite://", "DB_URL": "sqlite://"}):
        assert os.environ["DATABASE_URL"] == "sqlite://"
    assert os.environ["DATABASE_URL"] == "postgresql://prod/db"
    assert "DB_URL" not in os.environ


def test_directory_is_removed_on_exit() -> None:
    with Sandbox() as box:
        directory = box.directory
        (directory / "file").write_text("x")
    assert not directory.exists()


def test_raw_sqlite_statements_reach_the_listeners(sandbox: Sandbox) -> None:
    seen: list[str] = []
    sandbox.statement_listeners.append(seen.append)
    with sandbox.active():
        connection = sqlite3.connect(str(sandbox.new_sqlite_file()))
        connection.execute("create table t (x)")
        connection.execute("insert into t values (1)")
        connection.commit()
        connection.close()
        # testboost's own connections (the unpatched connect) are not the app's statements
        own = sqlite3.connect.__wrapped__(":memory:")  # type: ignore[attr-defined]
        own.execute("select 1")
        own.close()
    assert seen == ["create table t (x)", "insert into t values (1)"]
