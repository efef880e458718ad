"""``broken-object-auth``: user B reads or changes user A's object.

Judged on ``other-user`` exchanges (user B's credentials, user A's object in the path) answered
2xx on a route that demands credentials — marked guarded by the inventory, or refusing the
anonymous request with 401/403. The request shows the defect when

- it inserted, updated or deleted one of A's rows: A's row of the user table, or a row whose owner
  column holds A's id; or
- it changed nothing and its JSON body carries A's object: on a rule ending with the id, the
  object (or a list item, or an object one level inside a wrapper) whose ``id`` is the id in the
  path; on a rule whose path names A as owner (``/users/<user_id>/orders``), objects whose owner
  column holds A's id. A read the anonymous request gets too is public, not A's. Reads of
  sub-collections of A's objects (``/products/<id>/reviews``) are not judged: they are often
  meant to be shared.

A read is reported only with evidence that the object is not B's to see otherwise: no answer to
B or to a request without credentials shows the same object (its ``id`` and its other fields),
and no list route the acting user A read shows other users' objects of that table (a list that
does would show A's object to B as well: the app has no read-ownership rule). The message says
what was checked.

A 403 or 404 for B is the correct answer and never fires. Critical: another user's data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from testboost.checks import Finding, register
from testboost.checks.compare import loosely_equal
from testboost.checks.describe import describe_changes
from testboost.checks.missing_auth import UNGUARDED
from testboost.checks.rules import family, path_values
from testboost.explore.exchange import Exchange, ProbeFacts, RowChange, listed

CHECK = "broken-object-auth"
_REFUSED = (401, 403)


@register(CHECK)
def broken_object_auth(exchanges: Sequence[Exchange], facts: ProbeFacts) -> Iterator[Finding]:
    """User B's requests on user A's objects that succeed on guarded routes."""
    owner = facts.users.get("A")
    if owner is None:
        return
    anonymous = {(e.method, e.rule): e.status for e in exchanges if e.case.kind == "anonymous"}
    for exchange in exchanges:
        if exchange.case.kind != "other-user" or not exchange.ok:
            continue
        pair = (exchange.method, exchange.rule)
        guarded = facts.guarded.get(pair, "none") not in UNGUARDED
        if not guarded and anonymous.get(pair) not in _REFUSED:
            continue
        touched = [c for c in exchange.changes if _belongs_to(c, owner, facts)]
        if touched:
            yield Finding.from_exchange(
                CHECK,
                "critical",
                exchange,
                f"user B {describe_changes(touched)} owned by user A (answered {exchange.status})",
            )
            continue
        public = 200 <= anonymous.get(pair, 0) < 300
        if exchange.changes or public or not exchange.is_json:
            continue
        shown = _owned_object(exchange, owner, facts)
        if shown is None:
            continue
        label, item = shown
        column = facts.owner_columns.get(exchange.case.table or "")
        if column and column in item and f"{column} =" not in label:
            label += f", {column} = {item[column]}"
        if _visible_to_b(item, exchange, exchanges) or _lists_show_everyones(
            exchange, exchanges, owner, facts
        ):
            continue
        refused = anonymous.get(pair)
        evidence = f"without credentials it answers {refused}, and " if refused in _REFUSED else ""
        yield Finding.from_exchange(
            CHECK,
            "critical",
            exchange,
            f"user B got user A's object ({label}) with {exchange.status}; {evidence}no list, "
            "search or public answer shows it to B",
        )


def _belongs_to(change: RowChange, owner: Any, facts: ProbeFacts) -> bool:
    rows = [row for row in (change.before, change.after) if row is not None]
    if change.table == facts.user_table:
        return bool(change.key) and loosely_equal(change.key[0], owner)
    column = facts.owner_columns.get(change.table)
    return column is not None and any(loosely_equal(row.get(column), owner) for row in rows)


def _owned_object(
    exchange: Exchange, owner: Any, facts: ProbeFacts
) -> tuple[str, dict[str, Any]] | None:
    """How the body shows A's object (``id = 5``, ``user_id = 1``) and the object, or None."""
    parameter = exchange.case.field or ""
    value = path_values(exchange.rule, exchange.request.path).get(parameter)
    if value is None:
        return None
    if exchange.rule.rstrip("/").endswith(">"):
        for item in _outer_objects(exchange.json):
            if "id" in item and loosely_equal(item["id"], value):
                return f"id = {item['id']}", item
    owner_names = {c for t, c in facts.owner_columns.items() if t != facts.user_table}
    if parameter in owner_names and loosely_equal(value, owner):
        for item in _outer_objects(exchange.json):
            if loosely_equal(item.get(parameter), owner):
                return f"{parameter} = {item[parameter]}", item
    return None


def _visible_to_b(item: dict[str, Any], read: Exchange, exchanges: Sequence[Exchange]) -> bool:
    """Whether another answer to B, or to no one, shows the same object."""
    for other in exchanges:
        if other is read or not other.ok or not other.is_json or other.method != "GET":
            continue
        if other.request.identity not in (None, "B"):
            continue
        if any(_same_object(item, seen) for seen in _all_objects(other.json)):
            return True
    return False


def _lists_show_everyones(
    read: Exchange, exchanges: Sequence[Exchange], owner: Any, facts: ProbeFacts
) -> bool:
    """Whether a list route read by A shows objects of the table that other users own."""
    table = read.case.table
    column = facts.owner_columns.get(table or "")
    if table is None or column is None or table == facts.user_table:
        return False
    for other in exchanges:
        if other.case.kind != "valid" or other.request.identity != "A" or other.method != "GET":
            continue
        if not other.ok or not other.is_json or family(other.rule) != family(read.rule):
            continue
        items = listed(other.json)
        if any(
            isinstance(item, dict)
            and item.get(column) is not None
            and not loosely_equal(item[column], owner)
            for item in items
        ):
            return True
    return False


def _same_object(item: dict[str, Any], seen: dict[str, Any]) -> bool:
    """Same ``id``, the same kind of object (at least half of the fields of the smaller one in
    common, two when both have two) and the same values in most of those fields."""
    if "id" not in seen or not loosely_equal(seen["id"], item.get("id")):
        return False
    mine, theirs = _scalar_keys(item), _scalar_keys(seen)
    common = mine & theirs
    smaller = min(len(mine), len(theirs))
    if not common or len(common) < min(2, smaller) or len(common) * 2 < smaller:
        return False
    same = [k for k in common if loosely_equal(item[k], seen[k])]
    return len(same) * 2 > len(common)


def _scalar_keys(item: dict[str, Any]) -> set[str]:
    return {k for k, v in item.items() if k != "id" and not isinstance(v, (dict, list))}


def _all_objects(body: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every object of a JSON body, a few levels deep."""
    if depth > 3:
        return
    if isinstance(body, dict):
        yield body
        for value in body.values():
            yield from _all_objects(value, depth + 1)
    elif isinstance(body, list):
        for value in body:
            yield from _all_objects(value, depth + 1)


def _outer_objects(body: Any) -> Iterator[dict[str, Any]]:
    """The objects a body is about: itself, the items of a list, or one level inside a wrapper."""
    if isinstance(body, list):
        for item in body:
            if isinstance(item, dict):
                yield item
    elif isinstance(body, dict):
        yield body
        for value in body.values():
            if isinstance(value, dict):
                yield value
            elif isinstance(value, list):
                yield from (item for item in value if isinstance(item, dict))
