"""An administrator made through an association table to the app's own admin role row.

tests/apps/auth/role_link.py links users to roles through ``ab_user_role`` (as Flask-AppBuilder
does) and makes its "Admin" role row itself; ``admin_role=False`` makes no such row, and then no
administrator may be made: the reach block says why, and nothing is invented.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from test_login import APPS, probe

from testboost.cli import main


def _linked(result: object, user: object) -> set[str]:
    facts = result.facts  # type: ignore[attr-defined]
    names = {k[0]: row["name"] for k, row in facts.seed_rows["ab_role"].items()}
    return {
        names[row["role_id"]]
        for row in facts.seed_rows["ab_user_role"].values()
        if row["user_id"] == user
    }


def test_the_administrator_is_linked_to_the_apps_admin_role_and_reaches_its_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe("auth.role_link:create_app()", monkeypatch)
    reach = result.reach
    assert reach is not None and reach.unreached == ()
    assert ("GET", "/roles") in reach.reached["admin"]
    assert ("GET", "/roles") not in reach.reached["A"]
    users = result.facts.users
    assert _linked(result, users["admin"]) == {"Admin", "Public"}
    # ordinary users get the role the app gives its users, never the administrators'
    assert _linked(result, users["A"]) == {"Public"} == _linked(result, users["B"])


def test_without_an_admin_role_row_none_is_made_and_the_reach_block_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe("auth.role_link:create_app(admin_role=False)", monkeypatch)
    reach = result.reach
    assert reach is not None and "admin" not in reach.identities
    assert reach.unreached == (("GET", "/roles"),)
    names = [row["name"] for row in result.facts.seed_rows["ab_role"].values()]
    assert not any("admin" in n.lower() for n in names)
    line = next(a for a in reach.attempts if a.startswith("admin: no administrator made"))
    assert "ab_user_role to ab_role (from the user model's relationship)" in line
    monkeypatch.chdir(APPS)
    run = CliRunner().invoke(main, ["scan", "--app", "auth.role_link:create_app(admin_role=False)"])
    assert run.exit_code == 0, run.output
    assert "1 of 2 guarded pairs were never reached" in run.output
    assert "admin: no administrator made: ab_user has no admin flag" in run.output


def test_when_the_users_role_lets_nobody_in_a_and_b_get_the_admin_role_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe("auth.role_link:create_app(public_grants=False)", monkeypatch)
    reach = result.reach
    assert reach is not None and reach.unreached == ()
    assert ("GET", "/profile") in reach.reached["A"]
    users = result.facts.users
    assert _linked(result, users["A"]) == {"Admin", "Public"} == _linked(result, users["B"])
    assert any("linked to its administrators' role as well" in a for a in reach.attempts)
