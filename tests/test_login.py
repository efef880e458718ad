"""Logging in the way each app's users do, and the reach block that says how far the probe got.

Each app under tests/apps/auth/ logs in one way; ``create_app(refuse=True)`` makes it refuse
every login, and then the reach must say which guarded pairs were not reached and why.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from testboost.cli import main
from testboost.explore.reach import is_denied
from testboost.explore.runner import ProbeResult, explore
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app

APPS = Path(__file__).parent / "apps"

#: app module -> (credential, how the login line describes it)
WAYS = {
    "token_scheme": ("bearer", "token data.session.token as Authorization: Token"),
    "basic_token": ("bearer", "POST /api/tokens with HTTP Basic (email), token access_token"),
    "form_csrf": ("cookie", "(csrf_token from the page), session cookie"),
    "api_key": ("api-key", "API key in api_key, sent as X-API-Key"),
    "basic": ("basic", "HTTP Basic on every request (email)"),
    "digest": ("digest", "HTTP Digest on every request (username)"),
    "token_cookie": ("bearer", "token auth_token as cookie auth_token"),
    "jwt_scheme": (
        "bearer",
        "POST /auth with a form (username, password), token jwt as Authorization: JWT",
    ),
    "custom_header": ("bearer", "token result.auth_token as X-Auth-Token"),
    "api_key_query": ("api-key", "API key in api_key, sent as query ?key="),
    "session_nonce": ("cookie", "(nonce from the page), session cookie"),
    # Flask-WTF's CSRF check is off while testing (WTF_CSRF_ENABLED=False, as in every test
    # setup): Flask-Security's form, read as JSON by Flask-WTF, logs in without the page
    "security_form": (
        "cookie",
        "POST /login with JSON (email, username, password), session cookie",
    ),
    "passlib_login": ("bearer", "POST /login with JSON (email, password), token access_token"),
    "nested_body": ("bearer", 'nested under "user", token user.token as Authorization: Token'),
}


def probe(spec: str, monkeypatch: pytest.MonkeyPatch) -> ProbeResult:
    monkeypatch.chdir(APPS)
    with Sandbox() as sandbox:
        app = load_app(spec, sandbox)
        routes = build_inventory(app)
        # no view of these apps hangs: a time-out far past what a loaded machine needs
        return explore(app, spec, routes, sandbox, timeout=60, fuzz_examples=0)


@pytest.mark.parametrize("module", sorted(WAYS))
def test_each_way_logs_in_and_reaches_every_guarded_pair(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = probe(f"auth.{module}:create_app()", monkeypatch)
    credential, described = WAYS[module]
    assert result.recipe.credential == credential
    assert any(described in a and "logged in" in a for a in result.recipe.attempts)
    reach = result.reach
    assert reach is not None and reach.guarded
    assert reach.unreached == ()
    assert set(reach.guarded) <= set(reach.reached["A"]) | set(reach.reached.get("admin", ()))
    assert not set(reach.guarded) & set(reach.reached["anonymous"])


@pytest.mark.parametrize("module", sorted(WAYS))
def test_a_refused_login_is_named_with_what_was_tried(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = probe(f"auth.{module}:create_app(refuse=True)", monkeypatch)
    assert result.recipe.credential == "none"
    reach = result.reach
    assert reach is not None
    assert reach.login == "none"
    assert reach.unreached == reach.guarded != ()
    assert reach.attempts and all(": logged in (" not in a for a in reach.attempts)
    assert reach.recipe.startswith("[tool.testboost.auth]")


def test_form_login_sends_the_csrf_token_of_the_page_and_gives_the_admin_its_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe("auth.form_csrf:create_app()", monkeypatch)
    reach = result.reach
    assert reach is not None
    assert ("GET", "/admin/users") in reach.reached["admin"]
    assert ("GET", "/admin/users") not in reach.reached["A"]
    assert result.recipe.checks["admin"] == "/admin/users"


def test_a_user_keeps_every_way_in_and_a_hook_for_logged_in_users_guards_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe("auth.two_ways:create_app()", monkeypatch)
    assert [w.kind for w in result.recipe.ways] == ["cookie", "basic"]
    assert "session cookie + HTTP Basic on every request" in result.recipe.describe()
    reach = result.reach
    assert reach is not None
    assert {("GET", "/"), ("GET", "/api/posts")} <= set(reach.reached["A"])
    # B follows A's ways and keeps both
    assert any(a.startswith("B: kept beside the earlier login") for a in result.recipe.attempts)
    # the before_request hook only redirects unconfirmed logged-in users: /about is open
    assert ("GET", "/about") not in reach.guarded
    assert ("GET", "/about") in reach.reached["anonymous"]
    assert reach.unreached == ()


def test_with_one_way_refused_the_pairs_behind_it_are_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every password is refused: a Flask-Login session written directly still opens the pages,
    # HTTP Basic does not open the API, and the reach says so
    result = probe("auth.two_ways:create_app(refuse=True)", monkeypatch)
    assert [w.kind for w in result.recipe.ways] == ["session-direct"]
    reach = result.reach
    assert reach is not None
    assert set(reach.unreached) == {("GET", "/api/posts"), ("GET", "/api/users/<int:user_id>")}
    assert any("HTTP Basic on every request" in a and "not logged in" in a for a in reach.attempts)


def test_a_login_redirect_is_a_denial() -> None:
    assert is_denied(302, "/login?next=%2Fbooks")
    assert is_denied(302, "http://localhost/auth/signin")
    assert is_denied(401, None)
    assert not is_denied(302, "/books")
    assert not is_denied(404, None)


def test_scan_prints_the_reach_block_and_writes_it_to_json_and_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(APPS)
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    run = CliRunner().invoke(
        main,
        [
            "scan",
            "--app",
            "auth.basic_token:create_app(refuse=True)",
            "--json",
            str(report),
            "--html",
            str(page),
        ],
    )
    assert run.exit_code == 0, run.output
    assert "3 of 3 guarded pairs were never reached with credentials" in run.output
    assert "  GET /api/me" in run.output
    assert "A: POST /api/tokens with HTTP Basic (username): answered 401" in run.output
    assert 'login = "/api/tokens"' in run.output and "basic = true" in run.output
    assert run.output.splitlines()[-1].startswith("0 findings")
    reach = json.loads(report.read_text())["reach"]
    assert reach["login"] == "none"
    assert reach["guarded"] == 3 and reach["guarded_reached"] == 0
    assert {"method": "GET", "rule": "/api/me"} in reach["unreached"]
    assert set(reach["identities"]) == {"anonymous", "A", "B"}
    assert reach["recipe"].startswith("[tool.testboost.auth]")
    html = page.read_text()
    assert "<h2>Reach</h2>" in html and "GET /api/me" in html


def test_scan_of_an_app_it_logs_into_has_no_reach_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(APPS)
    run = CliRunner().invoke(main, ["scan", "--app", "auth.basic_token:create_app()"])
    assert run.exit_code == 0, run.output
    assert "3/3 guarded pairs reached with credentials" in run.output
    assert "never reached" not in run.output


def test_users_made_directly_get_the_rows_their_foreign_keys_need(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe("auth.group_forum:create_app()", monkeypatch)
    users = result.facts.seed_rows["users"]
    groups = result.facts.seed_rows["groups"]
    assert all(row["primary_group_id"] in {k[0] for k in groups} for row in users.values())
    linked = {row["user_id"] for row in result.facts.seed_rows["user_roles"].values()}
    assert {result.facts.users["A"], result.facts.users["B"]} <= linked
    crashes = [e for e in result.exchanges if e.status >= 500 and e.rule == "/permissions"]
    assert crashes == []
    assert result.reach is not None and result.reach.unreached == ()


def run_suite(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(directory)],
        capture_output=True,
        text=True,
        cwd=APPS,
    )


#: what makes each generated conftest's login log nobody in (a wrong token, key or password)
BREAK_LOGIN = (
    ('f"Bearer {token}"', '"Bearer not-a-token"'),
    ('f"Token {token}"', '"Token not-a-token"'),
    ("session.cookies[user] = {**session.cookies.get(user, {}), **cookies}", "pass"),
    ('"auth_token": token}', '"auth_token": "not-a-token"}'),
    ('{"X-Auth-Token": token}', '{"X-Auth-Token": "not-a-token"}'),
    ('{"key": row["api_key"]}', '{"key": "not-a-key"}'),
    (
        'session.digest[user] = (login["username"], login["password"])',
        'session.digest[user] = (login["username"], "not-the-password")',
    ),
)


@pytest.mark.parametrize(
    "module",
    [
        "basic_token",
        "form_csrf",
        "two_ways",
        "passlib_login",
        "digest",
        "token_cookie",
        "custom_header",
        "api_key_query",
        "session_nonce",
    ],
)
def test_the_generated_suite_logs_in_the_same_way_and_checks_it(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(APPS)
    out = tmp_path / "suite"
    run = CliRunner().invoke(
        main, ["generate", "--app", f"auth.{module}:create_app()", "--out", str(out), "--no-prove"]
    )
    assert run.exit_code == 0, run.output
    assert "guarded pairs reached with credentials" in run.output
    conftest = (out / "conftest.py").read_text()
    assert "LOGGED_IN_CHECKS = {" in conftest
    passed = run_suite(out)
    assert passed.returncode == 0, passed.stdout[-3000:]
    # a login that no longer logs in fails every logged-in test with a message saying so
    broken = conftest
    for old, new in BREAK_LOGIN:
        broken = broken.replace(old, new)
    assert broken != conftest
    (out / "conftest.py").write_text(broken)
    failed = run_suite(out)
    assert failed.returncode == 1
    assert "is not logged in: GET /" in failed.stdout


#: the generated conftest's session fixture before logins were checked when the session starts
LAZY_CHECKS = "def _session(_guard: Guard, _directory: Path) -> Session:\n    return start_session(_directory)\n"


def test_logins_are_checked_when_the_session_starts_as_when_the_suite_was_generated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the page a login is checked on logs a visit: checked first thing in the session, as the
    # replays did, no test finds that visit, whichever tests run and in whatever order
    monkeypatch.chdir(APPS)
    out = tmp_path / "suite"
    spec = "auth.check_visits:create_app()"
    run = CliRunner().invoke(main, ["generate", "--app", spec, "--out", str(out), "--no-prove"])
    assert run.exit_code == 0, run.output
    conftest = (out / "conftest.py").read_text()
    assert "LOGGED_IN_CHECKS = {" in conftest
    visits = out / "test_visits.py"
    assert '"/api/visits"}]' in visits.read_text()  # the one visit: the request's own
    for run_of in (out, visits):  # the whole suite, and the visits alone (no user test first)
        passed = run_suite(run_of)
        assert passed.returncode == 0, passed.stdout[-3000:]
    # checked in the first test of each user instead, that test finds the check's visit
    start = conftest.index("def _session(")
    end = conftest.index("@pytest.fixture", start)
    (out / "conftest.py").write_text(conftest[:start] + LAZY_CHECKS + "\n\n" + conftest[end:])
    failed = run_suite(visits)
    assert failed.returncode == 1, failed.stdout[-3000:]


def test_the_generated_suite_signs_up_and_logs_in_with_nested_bodies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(APPS)
    out = tmp_path / "suite"
    run = CliRunner().invoke(
        main,
        ["generate", "--app", "auth.nested_body:create_app()", "--out", str(out), "--no-prove"],
    )
    assert run.exit_code == 0, run.output
    conftest = (out / "conftest.py").read_text()
    # user A signs up and logs in with its credentials nested under "user"
    assert conftest.count('"user": {"email": "tb-user-a@example.com"') == 2
    passed = run_suite(out)
    assert passed.returncode == 0, passed.stdout[-3000:]


def test_users_written_directly_get_the_apps_own_password_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe("auth.passlib_login:create_app()", monkeypatch)
    assert result.recipe.hasher.startswith("passlib CryptContext")
    rows = result.facts.seed_rows["member"].values()
    assert all(row["hashed_password"].startswith("$pbkdf2-sha256$") for row in rows)
    assert any("with a passlib CryptContext (" in a for a in result.recipe.attempts)


def test_users_turned_away_for_want_of_roles_are_told_the_apps_own_setup_command() -> None:
    from flask import Flask

    from testboost.explore.database import TableInfo
    from testboost.explore.exchange import ForeignKey
    from testboost.explore.identity import setup_hint

    app = Flask(__name__)

    @app.cli.command("deploy")
    def deploy() -> None:
        """Make the roles."""

    users = TableInfo(Path("db"), "users", (), (ForeignKey("users", "role_id", "roles", "id"),))
    hint = setup_hint(app, users)
    assert hint.startswith("[tool.testboost]") and 'setup = ["flask deploy"]' in hint
    # both ways: no role table, or no command of the app's that sets up, gives no hint
    assert setup_hint(app, TableInfo(Path("db"), "users", (), ())) == ""
    assert setup_hint(Flask(__name__), users) == ""
