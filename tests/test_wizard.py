"""A first-run setup page every request is sent to: completed through the app's own form.

``tests/apps/wizard_app.py`` sends every request to ``/setup`` until its form (with a session
nonce) has been sent; ``create_app(licence=True)`` also wants a value testboost cannot guess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testboost.checks.environment import setup_wall
from testboost.config import SetupFormConfig, load_setup_form
from testboost.errors import UsageError
from testboost.explore.runner import ProbeResult, explore
from testboost.explore.wizard import _post_form, fill_form
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app

APPS = Path(__file__).parent / "apps"


def probe(spec: str, config: SetupFormConfig | None = None) -> ProbeResult:
    with Sandbox() as sandbox:
        app = load_app(spec, sandbox)
        routes = build_inventory(app)
        return explore(app, spec, routes, sandbox, timeout=2, fuzz_examples=0, setup_form=config)


def test_the_setup_page_is_completed_and_users_log_in_behind_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(APPS)
    result = probe("wizard_app:create_app()")
    form = result.setup_form
    assert form is not None and form.done
    assert (form.page, form.action) == ("/setup", "/setup")
    assert form.filled == ("name", "email", "password") and form.hidden == ("nonce",)
    # what the page holds is sent as it is: the checked radio, the selected option, the
    # read-only field empty; the file field is not sent
    assert form.body["mode"] == "teams" and form.body["visibility"] == "private"
    assert form.body["start"] == "" and "logo" not in form.body
    assert any("completed it through the app's own form" in n for n in result.notes)
    reach = result.reach
    assert reach is not None and reach.login != "none"
    assert {("GET", "/notes"), ("GET", "/profile")} <= set(reach.reached["A"])
    assert ("GET", "/admin") in reach.reached["admin"]
    assert ("GET", "/notes") not in reach.reached["anonymous"]
    # the routes are reached, not sent to the setup page any more
    assert setup_wall(result.exchanges) is None


def test_a_form_it_cannot_complete_is_undone_and_named_with_the_line_that_fixes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(APPS)
    result = probe("wizard_app:create_app(licence=True)")
    form = result.setup_form
    assert form is not None and not form.done
    assert "requests still go to /setup" in form.detail
    # both fillings were tried: the required fields, then every empty text field
    assert "licence" in form.filled and "site_name" in form.filled
    # nothing the refused posts wrote is left: the app is still not set up
    assert all(e.status == 302 for e in result.exchanges if e.rule == "/about")
    reach = result.reach
    assert reach is not None and reach.login == "none"
    assert reach.recipe.startswith('[tool.testboost]\nsetup_form = { page = "/setup", fields = {')
    assert 'licence = "testboost"' in reach.recipe
    assert any(a.startswith("setup page: POST /setup answered 200") for a in reach.attempts)
    assert any("State the fields it needs" in n for n in result.notes)

    stated = probe(
        "wizard_app:create_app(licence=True)",
        SetupFormConfig(page="/setup", fields={"licence": "WIZ-4242"}),
    )
    assert stated.setup_form is not None and stated.setup_form.done
    assert stated.reach is not None and ("GET", "/notes") in stated.reach.reached["A"]


def test_the_pyproject_line_states_the_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "wizard_app.py").write_text((APPS / "wizard_app.py").read_text())
    (tmp_path / "pyproject.toml").write_text(
        '[tool.testboost]\nsetup_form = { page = "/setup", fields = { licence = "WIZ-4242" } }\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_setup_form() == SetupFormConfig("/setup", {"licence": "WIZ-4242"})
    result = probe("wizard_app:create_app(licence=True)")
    assert result.setup_form is not None and result.setup_form.done
    assert result.setup_form.configured


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("setup_form = 3", "must be"),
        ('setup_form = { page = "setup" }', "page is a path"),
        ("setup_form = { fields = { n = 1 } }", "fields are text"),
        ('setup_form = { url = "/setup" }', "must be"),
    ],
)
def test_a_wrong_setup_form_line_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.testboost]\n{text}\n")
    with pytest.raises(UsageError, match=message):
        load_setup_form(tmp_path)


def test_false_leaves_the_page_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.testboost]\nsetup_form = false\n")
    assert load_setup_form(tmp_path) == SetupFormConfig(off=True)
    monkeypatch.chdir(APPS)
    result = probe("wizard_app:create_app()", SetupFormConfig(off=True))
    assert result.setup_form is None
    wall = setup_wall(result.exchanges)  # the report's note: routes sent to /setup, not judged
    assert wall is not None and wall[0] == "/setup"


def test_an_app_whose_routes_go_to_its_login_page_has_no_setup_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(APPS)
    assert probe("auth.form_csrf:create_app()").setup_form is None
    assert probe("sqla_app:create_app()").setup_form is None


def test_a_form_is_filled_as_a_person_fills_it() -> None:
    html = """<form method="post" action="/go">
    <input name="title" value="kept"><input name="site"><input name="user_name" required>
    <input name="count" type="number" required><input name="ro" readonly required>
    <input name="agree" type="checkbox"><input name="news" type="checkbox" checked value="y">
    <select name="plan"><option>basic</option><option>pro</option></select>
    <textarea name="bio" required></textarea><input type="hidden" name="csrf" value="t">
    <button name="go" value="1">Go</button><button name="cancel" value="0">No</button>
    </form><form method="get"><input name="q"></form>"""
    form = _post_form(html)
    assert form is not None and form.action == "/go"
    body, filled = fill_form(form, every_field=False)
    assert body == {
        "title": "kept",
        "site": "",
        "user_name": "tbsetupadmin",
        "count": "1",
        "ro": "",
        "news": "y",
        "plan": "basic",
        "bio": "testboost",
        "go": "1",
    }
    assert filled == ("user_name", "count", "bio")
    body, filled = fill_form(form, every_field=True)
    assert body["site"] == "testboost" and "site" in filled and body["ro"] == ""


def test_the_generated_suite_sends_the_setup_page_first_and_is_green(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "wizard_app.py").write_text((APPS / "wizard_app.py").read_text())
    monkeypatch.chdir(tmp_path)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "testboost",
            "generate",
            "--app",
            "wizard_app:create_app()",
            "--out",
            "tests/generated",
            "--no-prove",
            "--seed",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    conftest = (tmp_path / "tests" / "generated" / "conftest.py").read_text()
    assert 'SETUP_PAGE = "/setup"' in conftest and "_hidden_fields(setup, SETUP_PAGE)" in conftest
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/generated"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout and " failed" not in suite.stdout
    # users logged in behind the setup page: their tests are in the suite
    assert "user_client" in "".join(
        p.read_text() for p in (tmp_path / "tests" / "generated").glob("test_*.py")
    )
