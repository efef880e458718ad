"""Query budgets for list routes: a GET that lists rows of a table is sent with the table
holding 1 row and 20 rows; the number of SQL statements with 20 must not exceed the number with
1 (and :data:`BUDGET_HEADROOM`), so an N+1 regression fails. When it already grows the test is
an ``xfail(strict=True)`` naming the counts."""

from __future__ import annotations

from testboost.generate.builder import ModuleBuilder
from testboost.generate.calls import Caller
from testboost.generate.links import listed_items, table_of_list
from testboost.generate.material import Group
from testboost.generate.naming import make_test_name, singular
from testboost.generate.plan import PlannedTest
from testboost.generate.planner import BUDGETS_MODULE, Material, replay_of
from testboost.generate.pycode import string
from testboost.generate.replay import Job, Replayer, Seen
from testboost.generate.routes import consistent
from testboost.generate.world import World

BUDGET_ROWS = (1, 20)
#: Statements a budget allows over the most the replays counted with 1 row. A list's count can
#: differ by one with the hash seed alone, which replays under a few seeds need not see: CTFd's
#: awards run 7 statements under most seeds and 8 under others (the user of an award is in the
#: request's SQLAlchemy session already, or is lazy-loaded, by set order). An N+1 query adds a
#: statement per row, 19 with 20 rows, far past it.
BUDGET_HEADROOM = 1


def budget_module(material: Material, world: World, replayer: Replayer) -> ModuleBuilder | None:
    """A statement budget for each list route, with 1 and with 20 rows of the listed table."""
    candidates: list[tuple[Group, str]] = []
    for group in material.groups:
        valid = group.valid
        if group.method != "GET" or valid is None or valid.defects:
            continue
        if group.rule.rstrip("/").endswith(">"):
            continue  # one object, not a list
        seen = consistent(replay_of(material, valid.step))
        if seen is None or seen.status != 200 or not seen.is_json:
            continue
        table = table_of_list(seen.json, world)
        if table is not None:
            candidates.append((group, table))
    if not candidates:
        return None
    jobs = [
        Job((group.valid.step,), fill=(table, rows))  # type: ignore[union-attr]
        for group, table in candidates
        for rows in BUDGET_ROWS
    ]
    pairs = replayer.run_twice(jobs)
    module = ModuleBuilder(
        BUDGETS_MODULE,
        "Query budgets: a list must not run more SQL statements as its table grows (N+1 queries).",
    )
    caller = material.context.caller
    for index, (group, table) in enumerate(candidates):
        one, twenty = pairs[2 * index], pairs[2 * index + 1]
        seen_one, seen_twenty = consistent(one), consistent(twenty)
        if (
            seen_one is None
            or seen_twenty is None
            or seen_one.status != 200
            or seen_twenty.status != 200
        ):
            continue
        ones, twenties = ([p.last.statements for p in pair] for pair in (one, twenty))
        if (
            max(ones) - min(ones) > BUDGET_HEADROOM
            or max(twenties) - min(twenties) > BUDGET_HEADROOM
        ):
            continue  # the replays disagree by more than chance: no stable count to hold to
        found_one, found_twenty = listed_items(seen_one.json), listed_items(seen_twenty.json)
        if found_one is None or found_twenty is None or len(found_twenty[0]) <= len(found_one[0]):
            continue
        counted = max(ones)
        budget = counted + BUDGET_HEADROOM
        finding = next(
            (
                f
                for f in material.findings
                if f.check == "n-plus-one" and f.rule == group.rule and f.method == group.method
            ),
            None,
        )
        for rows, seen, count in ((1, seen_one, counted), (20, seen_twenty, max(twenties))):
            reason = finding.message if finding is not None else None
            if count > budget:
                reason = reason or (
                    f"N+1 queries: {group.method} {group.rule} runs {counted} SQL statements with 1 "
                    f"{singular(table)} and {count} with {rows} {table}"
                )
                module.add(_budget_test(module, caller, group, table, rows, seen, budget, reason))
            else:
                module.add(_budget_test(module, caller, group, table, rows, seen, budget))
    return module if module.tests else None


def _budget_test(
    module: ModuleBuilder,
    caller: Caller,
    group: Group,
    table: str,
    rows: int,
    seen: Seen,
    budget: int,
    reason: str | None = None,
) -> PlannedTest:
    """The test of one budget: an ``xfail(strict=True)`` for ``reason`` when it is given."""
    assert group.valid is not None
    step = group.valid.step
    found = listed_items(seen.json)
    assert found is not None
    access = "".join(f"[{string(k)}]" for k in found[1])
    noun = table if rows > 1 else singular(table)
    statements = "statement" if budget == 1 else "statements"
    name = module.name(
        make_test_name(
            group.method, group.rule, f"runs_at_most_{budget}_{statements}_with_{rows}_{noun}"
        )
    )
    lines = (
        f"database.fill({string(table)}, {rows})",
        "with query_counter:",
        f"    response = {caller.call(step)}",
        "assert response.status_code == 200",
        f"assert len(response.get_json(){access}) == {len(found[0])}",
        f"assert query_counter.count <= {budget}",
    )
    marks: tuple[str, ...] = ()
    if reason is not None:
        marks = (f"@pytest.mark.xfail(strict=True, reason={string(reason)})",)
    fixtures = (*caller.fixtures(step.identity), "database", "query_counter")
    return PlannedTest(name, fixtures, lines, marks=marks)
