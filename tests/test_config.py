"""[tool.testboost] settings: the auth recipe, and refusing a malformed one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from testboost.config import AuthConfig, load_auth_config
from testboost.errors import UsageError
from testboost.explore.runner import explore
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app

RECIPE = """
[tool.testboost.auth]
login = "/session/new"
body = { login_name = "{username}", secret = "{password}" }
form = true
token = "data.key"
header = "X-Auth-Token"
scheme = ""
"""


@pytest.fixture
def odd_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(Path(__file__).parent / "apps" / "oddauth_app.py", tmp_path / "oddauth_app.py")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def me_status(directory: Path, auth: AuthConfig | None) -> int:
    with Sandbox() as sandbox:
        app = load_app("oddauth_app:create_app()", sandbox)
        result = explore(app, "oddauth_app", build_inventory(app), sandbox, auth=auth)
    (valid,) = [e for e in result.exchanges if e.rule == "/me" and e.case.kind == "valid"]
    return valid.status


def test_without_a_recipe_the_odd_login_is_not_found(odd_project: Path) -> None:
    assert me_status(odd_project, None) == 401


def test_the_recipe_logs_users_in(odd_project: Path) -> None:
    (odd_project / "pyproject.toml").write_text(RECIPE)
    config = load_auth_config(odd_project)
    assert config == AuthConfig(
        login="/session/new",
        body={"login_name": "{username}", "secret": "{password}"},
        form=True,
        token="data.key",
        header="X-Auth-Token",
        scheme="",
    )
    assert me_status(odd_project, config) == 200


def test_fill_replaces_placeholders() -> None:
    config = AuthConfig(login="/l", body={"u": "{email}", "p": "{password}", "n": 3})
    assert config.fill({"email": "a@b.c", "password": "pw"}) == {"u": "a@b.c", "p": "pw", "n": 3}


def test_no_auth_table_means_no_recipe(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.testboost]\napp = "x"\n')
    assert load_auth_config(tmp_path) is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[tool.testboost.auth]\nform = true\n", "needs login"),
        ('[tool.testboost.auth]\nlogin = "/l"\ntokn = "x"\n', "unknown key 'tokn'"),
        ('[tool.testboost.auth]\nlogin = "/l"\nform = "yes"\n', "form must be a bool"),
        ('[tool.testboost.auth]\nlogin = "/l"\ndigest = true\n', "leave login out"),
        ("[tool.testboost.auth]\napi_key = 3\n", "api_key must be a str"),
        ('[tool.testboost.auth]\ncsrf_session = "nonce"\n', "goes with csrf_header"),
        ("[tool.testboost.auth]\ncsrf_header = true\n", "csrf_header must be a str"),
    ],
)
def test_a_malformed_recipe_is_a_usage_error(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(table)
    with pytest.raises(UsageError, match=message):
        load_auth_config(tmp_path)


def test_a_csrf_header_alone_states_no_login(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.testboost.auth]\ncsrf_header = "X-CSRF"\n')
    config = load_auth_config(tmp_path)
    assert config is not None and config.csrf_header == "X-CSRF" and not config.states_login
    (tmp_path / "pyproject.toml").write_text(
        '[tool.testboost.auth]\nlogin = "/login"\ncsrf_header = "X-CSRF"\n'
    )
    both = load_auth_config(tmp_path)
    assert both is not None and both.states_login and both.csrf_header == "X-CSRF"


def test_credentials_on_every_request_need_no_login_route(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.testboost.auth]\nbasic = true\nbody = { username = "{email}" }\n'
    )
    basic = load_auth_config(tmp_path)
    assert basic is not None and basic.login is None and basic.basic
    assert basic.user_field == "email"
    (tmp_path / "pyproject.toml").write_text('[tool.testboost.auth]\napi_key = "key"\n')
    key = load_auth_config(tmp_path)
    # an API key is sent as it is: no "Bearer" before it unless a scheme is given
    assert (
        key is not None
        and key.api_key == "key"
        and key.scheme == ""
        and key.user_field == "username"
    )
