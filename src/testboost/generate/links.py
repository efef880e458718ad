"""Which table a route is about, learned from its replays: the table a JSON answer's item or
list comes from, and the routes whose path variable names a row (read, updated or deleted)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from testboost.checks.rules import path_values
from testboost.generate.material import Group
from testboost.generate.naming import singular
from testboost.generate.planner import Material, replay_of
from testboost.generate.replay import Outcome, Seen
from testboost.generate.routes import consistent
from testboost.generate.world import World

_LIST_KEYS = ("items", "results", "data")


def _matches(item: Mapping[str, Any], row: Mapping[str, Any]) -> int:
    """How many of an item's scalar fields equal the row's columns of the same name."""
    return sum(
        1
        for key, value in item.items()
        if key in row
        and not isinstance(value, dict | list)
        and value is not None
        and row[key] == value
    )


def table_of_item(item: Any, world: World) -> tuple[str, Any] | None:
    """The seeded row a JSON object shows (table and ``id``), when it has an id and another match."""
    if not isinstance(item, Mapping) or "id" not in item:
        return None
    best: tuple[int, str, Any] | None = None
    for table, rows in _tables(world):
        for row in rows:
            if row.get("id") != item["id"]:
                continue
            score = _matches(item, row)
            if score >= 2 and (best is None or score > best[0]):
                best = (score, table, item["id"])
    return (best[1], best[2]) if best else None


def _tables(world: World) -> list[tuple[str, Sequence[Mapping[str, Any]]]]:
    tables: list[tuple[str, Sequence[Mapping[str, Any]]]] = list(world.seed_rows)
    if world.user_table and world.user_rows:
        tables.append((world.user_table, world.user_rows))
    return tables


def listed_items(value: Any) -> tuple[list[Any], tuple[str, ...]] | None:
    """The list a JSON answer carries, and where: the answer itself or under items/results/data."""
    if isinstance(value, list):
        return value, ()
    if isinstance(value, dict):
        for key in _LIST_KEYS:
            if isinstance(value.get(key), list):
                return value[key], (key,)
    return None


def table_of_list(value: Any, world: World) -> str | None:
    """The table whose seeded rows a listed answer shows."""
    found = listed_items(value)
    if found is None:
        return None
    tables = [table_of_item(item, world) for item in found[0]]
    named = [t[0] for t in tables if t is not None]
    return max(set(named), key=lambda t: (named.count(t), t)) if named else None


def page_table(text: str, world: World) -> str | None:
    """The table at least two of whose seeded rows a page shows (by a text value unique to each)."""
    best: tuple[int, str] | None = None
    for table, rows in _tables(world):
        shown = 0
        for row in rows:
            texts = [v for v in row.values() if isinstance(v, str) and len(v) >= 6 and " " in v]
            if texts and any(t in text for t in texts):
                shown += 1
        if shown >= 2 and (best is None or shown > best[0]):
            best = (shown, table)
    return best[1] if best else None


@dataclass(frozen=True)
class Link:
    """A route whose path variable ``param`` names a row of ``table``: how it touched it."""

    group: Group
    param: str
    table: str
    how: str  # "read" | "update" | "delete"


def links(material: Material, world: World) -> list[Link]:
    """Every (route, path variable) whose replay shows which table the variable names."""
    found: list[Link] = []
    for group in material.groups:
        valid = group.valid
        if valid is None or valid.defects or not group.route.params:
            continue
        pair = replay_of(material, valid.step)
        seen = consistent(pair)
        if pair is None or seen is None or seen.status >= 400:
            continue
        values = path_values(group.rule, valid.step.path)
        for param in reversed(group.route.params):
            raw = values.get(param.name)
            if raw is None:
                continue
            value: Any = int(raw) if raw.isdigit() else raw
            how = _how(group, param.name, pair[0], seen, value, world)
            if how is not None:
                found.append(Link(group, param.name, how[0], how[1]))
                break
    return found


def _named(param: str, table: str) -> bool:
    """Whether a path variable's name points at a table (``order_id`` at ``orders``): only a
    tie-break between tables the replay shows, never evidence on its own."""
    stem = re.sub(r"_?(id|pk|uuid|key)$", "", param.lower()) or param.lower()
    return singular(table.lower()) == stem or table.lower().endswith(stem + "s")


def _how(
    group: Group, param: str, outcome: Outcome, seen: Seen, value: Any, world: World
) -> tuple[str, str] | None:
    touched = [c for c in outcome.changes if c.key == (value,) and c.kind in ("update", "delete")]
    touched.sort(key=lambda c: not _named(param, c.table))
    for change in touched:
        return change.table, change.kind
    if group.method == "GET":
        if seen.is_json:
            shown = table_of_item(seen.json, world)
            if shown is not None and shown[1] == value:
                return shown[0], "read"
        elif seen.text:
            for table, rows in _tables(world):
                row = next((r for r in rows if r.get("id") == value), None)
                others = [r for r in rows if r is not row]
                texts = [v for v in (row or {}).values() if isinstance(v, str) and len(v) >= 6]
                unique = [t for t in texts if not any(t in str(o.values()) for o in others)]
                if unique and any(t in seen.text for t in unique):
                    return table, "read"
    return None
