"""The README's ``[tool.testboost.auth]`` recipes, one per kind of login, each loaded as a project
would and tried on a small app of that kind: it logs in, and once the app refuses the password
the reach block says what was not reached."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from testboost.config import load_auth_config
from testboost.explore.runner import ProbeResult, explore
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app

ROOT = Path(__file__).parent.parent
APPS = Path(__file__).parent / "apps"

#: the first words of each README recipe's comment -> the app it logs into
RECIPE_APPS = {
    "token route: JSON": "auth.token_scheme:create_app({})",
    "token route behind HTTP Basic": "auth.basic_token:create_app({})",
    "form + CSRF": "auth.form_csrf:create_app({})",
    "custom header": "oddauth_app:create_app({})",
    "cookie": "auth.token_cookie:create_app({})",
    "Basic": "auth.basic:create_app({})",
    "Digest": "auth.digest:create_app({})",
    "API key in a header": "auth.api_key:create_app({})",
    "API key in the query string": "auth.api_key_query:create_app({})",
}
#: recipes that state no login, only what goes with the users' writes -> the app they fix
WRITE_RECIPES = {"CSRF value on writes": "auth.csrf_writes:create_app(hidden=True)"}


def readme_recipes() -> dict[str, str]:
    """The ``[tool.testboost.auth]`` blocks of the README's "Logging in", by their comment."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Logging in", 1)[1].split("\n## ", 1)[0]
    recipes = {}
    for block in re.findall(r"```toml\n(.*?)```", section, re.DOTALL):
        if "[tool.testboost.auth]" not in block:
            continue
        comment = block.splitlines()[0].removeprefix("# ")
        kinds = sorted([*RECIPE_APPS, *WRITE_RECIPES], key=len, reverse=True)
        key = next(k for k in kinds if comment.startswith(k))
        recipes[key] = block
    return recipes


def test_the_readme_has_a_recipe_for_every_kind_of_login() -> None:
    assert set(readme_recipes()) == {*RECIPE_APPS, *WRITE_RECIPES}


def probe_with(
    recipe: str, spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: bool = True
) -> ProbeResult:
    (tmp_path / "pyproject.toml").write_text(recipe, encoding="utf-8")
    config = load_auth_config(tmp_path)
    assert (config is not None) == auth
    monkeypatch.chdir(APPS)
    with Sandbox() as sandbox:
        app = load_app(spec, sandbox)
        routes = build_inventory(app)
        return explore(app, spec, routes, sandbox, timeout=2, fuzz_examples=0, auth=config)


def test_the_csrf_recipe_lets_logged_in_users_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = WRITE_RECIPES["CSRF value on writes"]
    without = probe_with("[tool.testboost]\n", spec, tmp_path, monkeypatch, auth=False)
    reach = without.reach
    assert reach is not None and reach.login != "none" and len(reach.unreached) == 4
    assert reach.attempts[0].startswith("writes: 4 guarded writes answered 403")
    assert "csrf_header" in reach.recipe
    result = probe_with(readme_recipes()["CSRF value on writes"], spec, tmp_path, monkeypatch)
    reach = result.reach
    assert reach is not None and reach.guarded and reach.unreached == ()
    assert any(a.startswith("writes: A, B send") for a in reach.attempts)
    assert result.recipe.csrf is not None and result.recipe.csrf.configured


@pytest.mark.parametrize("kind", sorted(RECIPE_APPS))
def test_each_readme_recipe_logs_in_and_a_refused_one_is_named(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = readme_recipes()[kind]
    result = probe_with(recipe, RECIPE_APPS[kind].format(""), tmp_path, monkeypatch)
    way = result.recipe.way
    assert way is not None and way.configured, result.recipe.attempts
    assert result.recipe.attempts[-1] != ""
    assert any(
        "[tool.testboost.auth]" in a and ": logged in (" in a for a in result.recipe.attempts
    )
    reach = result.reach
    assert reach is not None and reach.guarded and reach.unreached == ()
    if kind == "custom header":
        return  # the odd app has no refusing twin: tests/test_config.py runs it without a recipe
    refused = probe_with(recipe, RECIPE_APPS[kind].format("refuse=True"), tmp_path, monkeypatch)
    assert refused.recipe.credential == "none"
    reach = refused.reach
    assert reach is not None and reach.unreached == reach.guarded != ()
    configured = [a for a in reach.attempts if "[tool.testboost.auth]" in a]
    assert configured and all(": logged in (" not in a for a in configured)


def test_the_generated_suite_logs_in_with_the_digest_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess
    import sys

    from click.testing import CliRunner

    from testboost.cli import main

    shutil.copytree(APPS / "auth", tmp_path / "auth")
    (tmp_path / "pyproject.toml").write_text(readme_recipes()["Digest"], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    arguments = [
        "generate",
        "--app",
        "auth.digest:create_app()",
        "--out",
        "tests/generated",
        "--no-prove",
    ]
    run = CliRunner().invoke(main, arguments)
    assert run.exit_code == 0, run.output
    assert "(login: HTTP Digest on every request (username) ([tool.testboost.auth]))" in run.output
    assert "no tests as user A" not in run.output
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/generated"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert "user_client" in (tmp_path / "tests" / "generated" / "test_notes.py").read_text()
