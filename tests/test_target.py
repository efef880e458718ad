"""Loading apps from every spec form, with a sandboxed database, and refusing what is unusable."""

from __future__ import annotations

from pathlib import Path

import pytest

from testboost.errors import UsageError
from testboost.sandbox import Sandbox
from testboost.target import load_app, resolve_spec


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ("pkgapp", "/api/items"),
        ("single_file:app", "/hello/<name>"),
        ("pkgapp:create_app('testing')", "/api/items"),
        ("single_file.py", "/hello/<name>"),
        ("restx_app", "/api/todos/"),
    ],
    ids=["package", "module-attribute", "factory-call", "file-path", "module-app"],
)
def test_load_app_accepts_every_flask_spec_form(
    apps_dir: Path, sandbox: Sandbox, spec: str, rule: str
) -> None:
    app = load_app(spec, sandbox)
    assert rule in {r.rule for r in app.url_map.iter_rules()}
    assert app.config["TESTING"] is True


def test_factory_arguments_are_passed(apps_dir: Path, sandbox: Sandbox) -> None:
    app = load_app("pkgapp:create_app('testing')", sandbox)
    assert app.config["CONFIG_NAME"] == "testing"


def test_factory_reading_database_url_gets_the_sandbox_file(
    apps_dir: Path, sandbox: Sandbox
) -> None:
    app = load_app("sqla_app:create_app()", sandbox)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith(f"sqlite:///{sandbox.directory}")
    from sqla_app import db  # type: ignore[import-not-found]

    with app.app_context():
        assert str(db.engine.url.database).startswith(str(sandbox.directory))
    assert not (apps_dir / "notes.db").exists()
    assert not (apps_dir / "instance").exists()


def test_hard_coded_sqlite_file_is_redirected_into_the_sandbox(
    apps_dir: Path, sandbox: Sandbox
) -> None:
    app = load_app("sqla_app:create_hardcoded_app()", sandbox)
    assert sandbox.owns(app.config["SQLALCHEMY_DATABASE_URI"])
    assert [r.original for r in sandbox.redirects] == ["sqlite:///hardcoded.db"]
    assert not (apps_dir / "instance" / "hardcoded.db").exists()


def test_remote_database_is_refused(apps_dir: Path, sandbox: Sandbox) -> None:
    with pytest.raises(UsageError, match=r"remote database \(db.prod.example.com\).*--allow-db"):
        load_app("sqla_app:create_remote_app()", sandbox)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "broken_import",
            r"Cannot import the app 'broken_import': ModuleNotFoundError: No module named 'flask_nonexistent_extension'",
        ),
        ("nosuchmodule", r"Cannot find the module of 'nosuchmodule'"),
        ("single_file:nothere", r"Failed to find attribute 'nothere'"),
        ("broken_apps:create_failing_app()", r"failed: RuntimeError: cannot reach redis"),
        ("broken_apps:create_empty_app()", r"has no routes"),
        ("broken_apps:needs_args", r"could not be called with the specified arguments"),
        ("missing/app.py", r"No such file: missing/app.py"),
    ],
    ids=[
        "import-error",
        "no-module",
        "no-attribute",
        "factory-raises",
        "no-routes",
        "factory-args",
        "no-file",
    ],
)
def test_unusable_app_is_one_clear_usage_error(
    apps_dir: Path, sandbox: Sandbox, spec: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message) as info:
        load_app(spec, sandbox)
    assert "\n" not in info.value.message


def test_loading_writes_no_bytecode_into_the_project(apps_dir: Path, sandbox: Sandbox) -> None:
    load_app("single_file.py", sandbox)
    assert not (apps_dir / "__pycache__").exists()


def test_spec_falls_back_to_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_APP", raising=False)
    (tmp_path / "pyproject.toml").write_text('[tool.testboost]\napp = "shop:create_app()"\n')
    assert resolve_spec(None, tmp_path) == "shop:create_app()"
    assert resolve_spec("other", tmp_path) == "other"


def test_spec_falls_back_to_flask_app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_APP", "wsgi:app")
    assert resolve_spec(None, tmp_path) == "wsgi:app"


def test_no_spec_anywhere_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_APP", raising=False)
    with pytest.raises(UsageError, match="No app given"):
        resolve_spec(None, tmp_path)
