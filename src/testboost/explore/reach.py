"""How far the probe got behind the login: per identity, the (method, rule) pairs it reached.

A pair is *reached* by an identity when one of that identity's requests got an answer other than
401, 403 or a redirect to a login page. A pair is *guarded* when the inventory found a guard on
it, or when every request sent to it without credentials was turned away (a guard found by what
it does, whatever its name). Guarded pairs that no logged-in identity reached are what the scan
could not see; the report names them with the logins tried and a ``[tool.testboost.auth]`` recipe.

>>> reach = compute_reach(routes, exchanges, attempts=("POST /login answered 401",))
...                                                                    # doctest: +SKIP
>>> reach.unreached
(('GET', '/api/me'),)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from testboost.explore.exchange import Exchange
from testboost.inventory import Route

#: The identity name used in reach for requests sent without credentials.
ANONYMOUS = "anonymous"
#: Statuses that mean "not without credentials" (or "not with these").
DENIED_STATUSES = (401, 403)
_LOGIN_PAGE = re.compile(
    r"(log-?in|sign-?in|sign_in|auth(enticate)?|session/new|account/enter)", re.IGNORECASE
)
#: Case kinds whose answer says nothing about the credentials (the method itself is refused).
_NOT_ABOUT_AUTH = ("wrong-method",)

Pair = tuple[str, str]


def is_login_redirect(status: int, location: str | None, login_rules: Iterable[str] = ()) -> bool:
    """Whether a response is a redirect to a login page (``/login?next=...``, ``/auth/signin``)."""
    if not 300 <= status < 400 or not location:
        return False
    path = urlsplit(location).path
    return bool(_LOGIN_PAGE.search(path)) or path in set(login_rules)


def is_denied(status: int, location: str | None, login_rules: Iterable[str] = ()) -> bool:
    """Whether an answer turns the caller away: 401, 403 or a redirect to a login page."""
    return status in DENIED_STATUSES or is_login_redirect(status, location, login_rules)


@dataclass(frozen=True)
class Reach:
    """How far each identity got: pairs reached, pairs guarded, guarded pairs never reached.

    ``attempts`` says, one line each, which logins were tried and how each ended; ``recipe`` is
    the ``[tool.testboost.auth]`` text that states the login when none worked (empty when one did).
    ``by_behaviour`` are guarded pairs the inventory listed as unguarded: every anonymous request
    to them was turned away; ``open_by_behaviour`` the other way round: pairs the inventory saw a
    guard on that answered a request without credentials (not counted as guarded).
    """

    identities: tuple[str, ...]
    reached: dict[str, tuple[Pair, ...]]
    guarded: tuple[Pair, ...]
    unreached: tuple[Pair, ...]
    by_behaviour: tuple[Pair, ...] = ()
    open_by_behaviour: tuple[Pair, ...] = ()
    attempts: tuple[str, ...] = ()
    login: str = "none"
    recipe: str = ""
    total: int = 0
    checked: dict[str, str] = field(default_factory=dict)

    @property
    def guarded_reached(self) -> int:
        """How many guarded pairs some logged-in identity reached."""
        return len(self.guarded) - len(self.unreached)


def _location(exchange: Exchange) -> str | None:
    return next((v for k, v in exchange.headers if k.lower() == "location"), None)


def compute_reach(
    routes: Sequence[Route],
    exchanges: Sequence[Exchange],
    *,
    identities: Sequence[str] = (),
    login_rules: Iterable[str] = (),
    attempts: Sequence[str] = (),
    login: str = "none",
    recipe: str = "",
    checked: dict[str, str] | None = None,
) -> Reach:
    """The reach of one probe from its exchanges; ``identities`` are the users that logged in."""
    rules = tuple(login_rules)
    pairs: list[Pair] = [(h.method, r.rule) for r in routes if r.kind == "view" for h in r.handlers]
    statically = {
        (h.method, r.rule)
        for r in routes
        if r.kind == "view"
        for h in r.handlers
        if h.auth.kind != "none" and not h.auth.optional
    }
    reached: dict[str, set[Pair]] = {name: set() for name in (ANONYMOUS, *identities)}
    anonymous_seen: dict[Pair, bool] = {}
    anonymous_through: set[Pair] = set()
    for exchange in exchanges:
        if exchange.case.kind in _NOT_ABOUT_AUTH:
            continue
        pair = (exchange.method, exchange.rule)
        who = exchange.request.identity or ANONYMOUS
        denied = is_denied(exchange.status, _location(exchange), rules)
        if who == ANONYMOUS:
            anonymous_seen[pair] = anonymous_seen.get(pair, True) and denied
        if not denied:
            reached.setdefault(who, set()).add(pair)
            if who == ANONYMOUS and exchange.status < 500:
                anonymous_through.add(pair)
    # a login route refuses bad credentials: that is its job, not a guard
    behaviour = {
        pair
        for pair, all_denied in anonymous_seen.items()
        if all_denied
        and pair not in statically
        and pair not in reached[ANONYMOUS]
        and pair[1] not in rules
    }
    # a guard found in the source that lets a caller without credentials through guards nothing
    opened = statically & anonymous_through
    guarded = [p for p in pairs if (p in statically and p not in opened) or p in behaviour]
    with_credentials = set().union(*(v for k, v in reached.items() if k != ANONYMOUS))
    unreached = tuple(p for p in guarded if p not in with_credentials)
    return Reach(
        identities=(ANONYMOUS, *identities),
        reached={name: tuple(p for p in pairs if p in found) for name, found in reached.items()},
        guarded=tuple(guarded),
        unreached=unreached,
        by_behaviour=tuple(p for p in pairs if p in behaviour),
        open_by_behaviour=tuple(p for p in pairs if p in opened),
        attempts=tuple(attempts),
        login=login,
        recipe=recipe if unreached else "",
        total=len(pairs),
        checked=dict(checked or {}),
    )


def reach_document(reach: Reach) -> dict[str, object]:
    """The reach as JSON data (the ``reach`` block of ``testboost.report/1``)."""
    return {
        "login": reach.login,
        "identities": {
            name: {
                "reached": len(reach.reached.get(name, ())),
                "pairs": [{"method": m, "rule": r} for m, r in reach.reached.get(name, ())],
            }
            for name in reach.identities
        },
        "pairs": reach.total,
        "guarded": len(reach.guarded),
        "guarded_pairs": [{"method": m, "rule": r} for m, r in reach.guarded],
        "guarded_reached": reach.guarded_reached,
        "guarded_by_behaviour": [{"method": m, "rule": r} for m, r in reach.by_behaviour],
        "open_by_behaviour": [{"method": m, "rule": r} for m, r in reach.open_by_behaviour],
        "unreached": [{"method": m, "rule": r} for m, r in reach.unreached],
        "attempts": list(reach.attempts),
        "recipe": reach.recipe or None,
    }
