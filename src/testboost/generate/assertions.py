"""Assertion lines about one answer, taken from two replays of the request.

Every line returned holds for both replays, so it holds when the generated test runs; what
changed between the replays, or looks volatile, is left out or written as ``ANY``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from testboost.generate.builder import ModuleBuilder
from testboost.generate.expect import Known, is_pinned, snippets, stable, volatile_line
from testboost.generate.naming import singular
from testboost.generate.pycode import string
from testboost.generate.replay import Change, Seen

#: A JSON body longer than this (as source) is checked by its length and first item only.
BODY_LIMIT = 3000
#: A body of bytes this short is compared byte for byte when both replays sent the same bytes.
EXACT_BYTES = 32
#: The most first bytes of a body of bytes pinned (a file's magic number), and the fewest.
MAGIC_BYTES = (4, 8)
#: How a test reads a compressed body, by Content-Encoding (the standard library's modules only).
DECOMPRESS = {"gzip": "gzip.decompress", "deflate": "zlib.decompress"}


def status_line(seen: Seen, var: str = "response") -> str:
    """``assert response.status_code == 200``."""
    return f"assert {var}.status_code == {seen.status}"


def content_type_line(first: Seen, second: Seen, var: str = "response") -> list[str]:
    """The content type, when both replays agree and there is a body."""
    if first.content_type != second.content_type or not first.content_type:
        return []
    if not first.text and not (first.binary and first.size):
        return []
    return [f"assert {var}.content_type == {string(first.content_type)}"]


def body_lines(
    first: Seen,
    second: Seen,
    known: Known,
    module: ModuleBuilder,
    hint: str,
    *,
    usual: Seen | None = None,
    var: str = "response",
) -> list[str]:
    """Lines that check what an answer says: its JSON, its redirect target or lines of its text."""
    if first.binary or second.binary:
        return binary_lines(first, second, known, module, hint, var=var)
    if first.is_json and second.is_json:
        return json_lines(first.json, second.json, known, module, hint, var=var)
    if 300 <= first.status < 400 and first.location:
        if first.location == second.location and not volatile_line(first.location, known):
            return [f'assert {var}.headers["Location"] == {string(first.location)}']
        return []
    if not first.text and not second.text:
        return [f'assert {var}.get_data() == b""']
    text = first.text.strip()
    if (
        first.text == second.text
        and len(text) <= 120
        and "\n" not in text
        and "<" not in text
        and not volatile_line(text, known)
    ):
        return [f"assert {var}.get_data(as_text=True) == {string(first.text)}"]
    chosen = snippets(first.text, second.text, known, usual=usual.text if usual else None)
    if not chosen:
        return []
    if len(chosen) == 1:
        return [f"assert {string(chosen[0])} in {var}.get_data(as_text=True)"]
    return [
        f"text = {var}.get_data(as_text=True)",
        *(f"assert {string(line)} in text" for line in chosen),
    ]


def binary_lines(
    first: Seen,
    second: Seen,
    known: Known,
    module: ModuleBuilder,
    hint: str,
    *,
    var: str = "response",
) -> list[str]:
    """Checks of a body of bytes by what is stable about it, never by decoding it as text.

    A compressed body (gzip, deflate) is checked by its Content-Encoding and what it decompresses
    to (its bytes carry a timestamp); other bytes by the bytes themselves when short and equal in
    both replays, else by their length and first bytes where the replays agree on them.
    """
    if not (first.binary and second.binary):
        return []  # bytes once, text the other time: nothing about the body is stable
    lines: list[str] = []
    if first.encoding or second.encoding:
        if first.encoding != second.encoding:
            return []
        lines.append(f'assert {var}.headers["Content-Encoding"] == {string(first.encoding)}')
        decompress = DECOMPRESS.get(first.encoding)
        if decompress is None:
            return lines
        if first.decoded_is_json and second.decoded_is_json:
            value = stable(first.decoded_json, second.decoded_json, known)
            if is_pinned(value):
                source = module.value(value, hint)
                lines.append(f"assert json.loads({decompress}({var}.get_data())) == {source}")
        elif first.decoded_text is not None and first.decoded_text == second.decoded_text:
            text = first.decoded_text
            if len(text) <= 120 and not volatile_line(text, known):
                lines.append(f"assert {decompress}({var}.get_data()) == {text.encode()!r}")
        return lines
    if first.digest == second.digest and first.size <= EXACT_BYTES:
        return [f"assert {var}.get_data() == {first.head[: first.size]!r}"]
    if first.size == second.size:
        lines.append(f"assert len({var}.get_data()) == {first.size}")
    common = 0
    low, high = MAGIC_BYTES
    while common < min(high, first.size, second.size) and (
        first.head[common : common + 1] == second.head[common : common + 1]
    ):
        common += 1
    if common >= low:
        lines.append(f"assert {var}.get_data().startswith({first.head[:common]!r})")
    return lines


def json_lines(
    first: Any,
    second: Any,
    known: Known,
    module: ModuleBuilder,
    hint: str,
    *,
    var: str = "response",
) -> list[str]:
    """``assert response.get_json() == {...}`` with volatile parts as ANY."""
    value = stable(first, second, known)
    if not is_pinned(value):
        return []
    source = module.value(value, hint)
    if len(source) > BODY_LIMIT and isinstance(value, list) and value:
        return [
            f"assert len({var}.get_json()) == {len(value)}",
            f"assert {var}.get_json()[0] == {module.value(value[0], hint + ' first')}",
        ]
    return [f"assert {var}.get_json() == {source}"]


def key_columns(change: Change) -> dict[str, Any] | None:
    """The columns that name a changed row (its primary key), for ``database.row(table, ...)``."""
    row = change.before or change.after or {}
    columns: dict[str, Any] = {}
    remaining = list(change.key)
    for name in ("id", *row):
        if not remaining:
            break
        if name in row and row[name] == remaining[0] and name not in columns:
            columns[name] = remaining.pop(0)
    return columns if not remaining and columns else None


def stored_lines(
    pairs: Sequence[tuple[Sequence[Change], Sequence[Change]]],
    known: Known,
    module: ModuleBuilder,
    prefer: str,
    limit: int = 3,
) -> list[str]:
    """Checks of what a request stored: the rows it added, changed or deleted (up to ``limit``,
    the table the route is about first)."""
    first, second = pairs[0]
    if [(c.table, c.kind, c.key) for c in first] != [(c.table, c.kind, c.key) for c in second]:
        return []
    ordered = sorted(
        range(len(first)),
        key=lambda i: (first[i].table.rstrip("s") != prefer.rstrip("s"), i),
    )
    lines: list[str] = []
    added_tables: set[str] = set()
    for index in ordered:
        if len(lines) >= limit:
            break
        a, b = first[index], second[index]
        if a.kind == "insert":
            if a.table in added_tables:
                continue
            added_tables.add(a.table)
            rows = [
                stable(dict(x.after or {}), dict(y.after or {}), known)
                for x, y in zip(first, second, strict=True)
                if x.table == a.table and x.kind == "insert"
            ]
            if all(is_pinned(row) for row in rows):
                source = module.value(rows, f"added {a.table}")
                lines.append(f"assert database.added({string(a.table)}) == {source}")
            continue
        where = key_columns(a)
        if where is None:
            continue
        arguments = ", ".join(f"{name}={value!r}" for name, value in where.items())
        if a.kind == "delete":
            lines.append(f"assert database.row({string(a.table)}, {arguments}) is None")
        elif a.kind == "update":
            row = stable(dict(a.after or {}), dict(b.after or {}), known)
            if is_pinned(row):
                source = module.value(row, f"stored {singular(a.table)}")
                lines.append(f"assert database.row({string(a.table)}, {arguments}) == {source}")
    return lines


def message_of(seen: Seen) -> Mapping[str, Any] | str | None:
    """The error an answer carries: its JSON, else its text."""
    if seen.is_json:
        return seen.json if isinstance(seen.json, dict) else None
    return seen.text
