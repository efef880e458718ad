"""How far the probe got behind the login, in the terminal: one line, and a block when it fell short.

The block names the guarded (method, rule) pairs no logged-in user reached, the logins tried and
how each ended, and the ``[tool.testboost.auth]`` text that states the login::

    12 of 21 guarded pairs were never reached with credentials: ...
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from testboost.explore.reach import Reach

#: How many unreached pairs and login attempts are listed before "... and N more".
SHOWN = 10


def reach_line(reach: Reach) -> str:
    """``reach: anonymous 9, A 27, B 27 of 30 pairs; 21/21 guarded pairs reached (login: ...)``."""
    counts = ", ".join(f"{name} {len(reach.reached.get(name, ()))}" for name in reach.identities)
    return (
        f"reach: {counts} of {reach.total} pairs; {reach.guarded_reached}/{len(reach.guarded)} "
        f"guarded pairs reached with credentials (login: {reach.login})"
    )


def render_reach(console: Console, reach: Reach | None) -> None:
    """Print the reach line, then, when guarded pairs were never reached, what and why."""
    if reach is None:
        return
    console.print(escape(reach_line(reach)), highlight=False)
    if not reach.unreached:
        return
    console.print()
    console.print(
        f"{len(reach.unreached)} of {len(reach.guarded)} guarded pairs were never reached with "
        "credentials, so nothing behind them was tested:",
        highlight=False,
    )
    for method, rule in reach.unreached[:SHOWN]:
        console.print(f"  {method} {escape(rule)}", highlight=False)
    if len(reach.unreached) > SHOWN:
        console.print(f"  ... and {len(reach.unreached) - SHOWN} more (see the JSON report)")
    if reach.by_behaviour:
        console.print(
            f"  ({len(reach.by_behaviour)} of them guarded by what they do: every request "
            "without credentials was answered 401/403 or sent to the login page)",
            highlight=False,
        )
    if reach.attempts:
        console.print("Logins tried:")
        for attempt in reach.attempts[:SHOWN]:
            console.print(f"  {escape(attempt)}", highlight=False, soft_wrap=True)
        if len(reach.attempts) > SHOWN:
            console.print(f"  ... and {len(reach.attempts) - SHOWN} more")
    intro = _recipe_intro(reach)
    if intro:
        console.print(intro, highlight=False)
        for line in reach.recipe.splitlines():
            console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    elif reach.login != "none":
        console.print(
            "Users logged in, but these routes still turned them away: they may need an "
            "administrator or a role testboost did not give its users.",
            highlight=False,
        )
    console.print()


def _recipe_intro(reach: Reach) -> str:
    """The sentence before the reach's recipe: what it states and why; empty without one."""
    if not reach.recipe:
        return ""
    if reach.recipe.startswith("[tool.testboost]\nsetup_form"):
        return (
            "Every request went to the app's first-run setup page, and testboost could not "
            "complete it. State its fields in pyproject.toml (adjust to your app):"
        )
    if reach.login == "none":
        return "State how your users log in, in pyproject.toml (adjust to your app):"
    if "csrf_header" in reach.recipe:
        return (
            "Users logged in, but their writes were turned away (403): the app may check a CSRF "
            "value testboost did not find. Name it in pyproject.toml (adjust to your app):"
        )
    return (
        "Users logged in, but these routes still turned them away: they need roles your "
        "own setup makes. In pyproject.toml (adjust to your app):"
    )
