"""Tests that catch a break of a route no generated test caught.

``testboost generate`` proves the suite it wrote (:mod:`testboost.generate.selfproof`): each test
is rerun with each route it reaches broken the way a regression breaks it
(:mod:`testboost.audit.breaks`). For a (route, kind of break) that every test survived, this
module writes one more test from the requests already replayed for that route, with the check the
break defeats:

==============  ===================================================================================
``status``      the status the route answers today (and what its body says)
``raise``       the same: a view that raises answers 500
``body-empty``  what the body holds: its JSON (or its keys, or its length), a line of its text
``body-altered`` a JSON value both replays agreed on
``db-rollback`` the row the request wrote: a row added, a row changed (``!= before``), a row gone
==============  ===================================================================================

Every line holds for both replays of the request, so the new test passes on today's app.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from testboost.generate.assertions import (
    body_lines,
    content_type_line,
    json_lines,
    key_columns,
    status_line,
)
from testboost.generate.builder import ModuleBuilder
from testboost.generate.expect import Known, snippets, stable
from testboost.generate.material import Group, Sample
from testboost.generate.naming import make_test_name, resource_slug
from testboost.generate.plan import PlannedTest
from testboost.generate.pycode import Name, literal, string
from testboost.generate.replay import Change, Seen
from testboost.generate.routes import (
    Context,
    Pair,
    _call,
    _fixtures,
    _when,
    consistent,
    known_for,
)

#: Statuses a test built here may pin: what the route answers when it works (never a 5xx).
_PINNABLE = range(200, 500)


@dataclass(frozen=True)
class Checks:
    """Assertion lines about one replayed request and the kinds of break they catch."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    kills: frozenset[str]
    database: bool = False


def witnesses(group: Group) -> list[Sample]:
    """The requests of a (route, method) a test may pin, its valid request and 2xx answers first:
    none behind a defect (a passing test never pins a defect), no wrong method (never the view)."""
    found = [group.valid, *group.cases]
    return [s for s in found if s is not None and not s.defects and s.kind != "wrong-method"]


def checks_for(
    context: Context, module: ModuleBuilder, group: Group, sample: Sample, pair: Pair | None
) -> Checks | None:
    """Every check a test of ``sample`` can make that holds in both replays, or ``None``."""
    seen = consistent(pair)
    if pair is None or seen is None or seen.status not in _PINNABLE:
        return None
    first, second = pair[0].last, pair[1].last
    known = known_for(context, sample, pair)
    hint = f"{resource_slug(group.rule)} {seen.status}"
    kills = {"status", "raise"}
    after = [status_line(seen), *content_type_line(first, second)]
    body = _body_checks(first, second, known, module, hint)
    after += body[0]
    kills |= body[1]
    stored_before, stored_after = _stored_checks(pair[0].changes, pair[1].changes)
    if stored_after:
        kills.add("db-rollback")
    return Checks(
        tuple(stored_before),
        tuple(after + stored_after),
        frozenset(kills),
        database=bool(stored_after),
    )


def _body_checks(
    first: Seen, second: Seen, known: Known, module: ModuleBuilder, hint: str
) -> tuple[list[str], set[str]]:
    """Lines about the body and the breaks of the body they catch."""
    if first.is_json and second.is_json:
        value = stable(first.json, second.json, known)
        lines = json_lines(first.json, second.json, known, module, hint)
        if lines and _has_value(value):
            return lines, {"body-empty", "body-altered"}
        if lines and value not in ({}, []):
            return lines, {"body-empty"}
        return _shape_checks(first.json, second.json)
    lines = body_lines(first, second, known, module, hint)
    if first.binary or second.binary:
        return lines, {"body-empty"} if lines and first.size else set()
    if not first.text:
        return lines, set()
    if any("get_data" in line for line in lines):
        return lines, {"body-empty"}
    chosen = snippets(first.text, second.text, known, limit=1)
    if chosen:
        return [*lines, f"assert {string(chosen[0])} in response.get_data(as_text=True)"], {
            "body-empty"
        }
    return lines, set()


def _shape_checks(first: Any, second: Any) -> tuple[list[str], set[str]]:
    """A JSON body none of whose values is stable: its keys, or its length, when both agree."""
    if isinstance(first, dict) and isinstance(second, dict) and first and set(first) == set(second):
        keys = sorted(first)
        return [f"assert sorted(response.get_json()) == {literal(keys)}"], {"body-empty"}
    if isinstance(first, list) and isinstance(second, list) and first and len(first) == len(second):
        return [f"assert len(response.get_json()) == {len(first)}"], {"body-empty"}
    return [], set()


def _has_value(value: Any) -> bool:
    """Whether a stable JSON value pins at least one scalar that ``alter`` would change."""
    if isinstance(value, Name):
        return False
    if isinstance(value, dict):
        return any(_has_value(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_value(v) for v in value)
    return True


def _stored_checks(
    first: Sequence[Change], second: Sequence[Change], limit: int = 2
) -> tuple[list[str], list[str]]:
    """Lines before and after the request that fail when its write is rolled back: a row added
    (by count), a row changed (differs from before the request), a row deleted."""
    shape = [(c.table, c.kind, c.key) for c in first]
    if not first or shape != [(c.table, c.kind, c.key) for c in second]:
        return [], []
    before: list[str] = []
    after: list[str] = []
    inserted: dict[str, int] = {}
    for change in first:
        if change.kind == "insert":
            inserted[change.table] = inserted.get(change.table, 0) + 1
    for table, count in inserted.items():
        if len(after) < limit:
            after.append(f"assert len(database.added({string(table)})) == {count}")
    for change in first:
        if len(after) >= limit or change.kind == "insert":
            continue
        where = key_columns(change)
        if where is None:
            continue
        arguments = ", ".join(f"{name}={value!r}" for name, value in where.items())
        row = f"database.row({string(change.table)}, {arguments})"
        if change.kind == "delete":
            after.append(f"assert {row} is None")
        elif change.kind == "update":
            name = f"before_{len(before) + 1}" if before else "before"
            before.append(f"{name} = {row}")
            after.append(f"assert {row} != {name}")
    return before, after


def killing_tests(
    context: Context,
    module: ModuleBuilder,
    group: Group,
    kinds: Collection[str],
    replays: Any,
) -> tuple[list[PlannedTest], set[str]]:
    """Tests of ``group`` that catch the ``kinds`` of break no test caught, and the kinds they
    catch. ``replays(step)`` gives the two replays of a one-step request."""
    remaining = set(kinds)
    tests: list[PlannedTest] = []
    for sample in sorted(witnesses(group), key=_preference):
        if not remaining:
            break
        pair = replays(sample.step)
        checks = checks_for(context, module, group, sample, pair)
        if checks is None or not (checks.kills & remaining):
            continue
        seen = consistent(pair)
        assert seen is not None
        caught = checks.kills & remaining
        name = module.name(
            make_test_name(sample.step.method, group.rule, _behaviour(sample, seen, caught))
        )
        call = f"response = {_call(context, module, sample, resource_slug(group.rule))}"
        extra = ("database",) if checks.database else ()
        tests.append(
            PlannedTest(
                name,
                _fixtures(context, sample, *extra),
                (*checks.before, call, *checks.after),
            )
        )
        remaining -= caught
    return tests, set(kinds) - remaining


def _preference(sample: Sample) -> tuple[int, int]:
    """The valid request first, then answers the probe saw succeed."""
    status = sample.probe_status or 0
    return (sample.kind != "valid", 0 if 200 <= status < 300 else 1)


def _behaviour(sample: Sample, seen: Seen, caught: Collection[str]) -> str:
    when = "" if sample.kind == "valid" else f"_{_when(sample)}"
    if "db-rollback" in caught:
        return f"keeps_what_it_writes{when}"
    if "body-altered" in caught:
        return f"answers_{seen.status}_with_the_same_values{when}"
    if "body-empty" in caught:
        return f"answers_{seen.status}_with_its_body{when}"
    return f"answers_{seen.status}{when}"
