"""n-plus-one and slow-route, both ways, on exchanges built by hand."""

from __future__ import annotations

from dataclasses import replace

from test_checks import exchange

from testboost.checks import run_checks
from testboost.explore.exchange import ProbeFacts

FACTS = ProbeFacts(app="example")
ORDERS = "/api/orders"


def listing(kind: str, items: int, statements: int) -> object:
    return replace(
        exchange(kind, rule=ORDERS, json_body=[{"id": i} for i in range(items)]),
        sql=tuple(
            ["SELECT orders.id FROM orders"]
            + [
                f"SELECT * FROM order_items WHERE order_items.order_id = {i}"
                for i in range(statements - 1)
            ]
        ),
    )


def test_n_plus_one_fires_when_statements_grow_with_rows() -> None:
    (finding,) = run_checks(
        [listing("valid", 1, 2), listing("more-rows", 11, 12)], FACTS, select={"n-plus-one"}
    )
    assert (finding.check, finding.method, finding.rule) == ("n-plus-one", "GET", ORDERS)
    assert finding.message.startswith("2 SQL statements with 1 items, 12 with 11 items")
    assert (
        "repeated 10 more times: SELECT * FROM order_items WHERE order_items.order_id = ?"
        in finding.message
    )


def test_n_plus_one_is_silent_when_the_statement_count_stays_flat() -> None:
    assert (
        run_checks(
            [listing("valid", 1, 2), listing("more-rows", 11, 2)], FACTS, select={"n-plus-one"}
        )
        == []
    )


def test_n_plus_one_is_silent_when_the_list_did_not_grow() -> None:
    # a paginated or filtered list that still shows one item says nothing about rows
    assert (
        run_checks(
            [listing("valid", 1, 2), listing("more-rows", 1, 12)], FACTS, select={"n-plus-one"}
        )
        == []
    )


def grown(rows: int | None, statements: int, loads: int = 0) -> object:
    kind = "valid" if rows is None else "more-rows"
    base = exchange(kind, rule=TASKS, json_body={"total": statements})
    return replace(
        base,
        case=replace(base.case, value=rows),
        sql=("SELECT * FROM task",) * statements,
        lazy_loads=(("Task.assignee", "app.py:42"),) * loads,
    )


TASKS = "/api/projects/<int:project_id>/tasks"


def test_n_plus_one_names_the_relationship_loaded_once_per_row_and_where() -> None:
    runs = [grown(None, 3), grown(1, 4, 1), grown(5, 8, 5), grown(20, 23, 20)]
    (finding,) = run_checks(runs, FACTS, select={"n-plus-one"})
    assert finding.rule == TASKS
    assert finding.message.startswith("4 SQL statements with 1 more row per parent, 23 with 20")
    assert "Task.assignee is lazy-loaded 19 more times (at app.py:42)" in finding.message
    assert finding.location == "app.py:42"


def test_n_plus_one_is_silent_when_more_rows_per_parent_add_no_statements() -> None:
    runs = [grown(None, 3), grown(1, 3), grown(5, 3), grown(20, 4)]
    assert run_checks(runs, FACTS, select={"n-plus-one"}) == []


def timed(rule: str, cpu_seconds: float, kind: str = "valid", wall: float | None = None) -> object:
    return replace(
        exchange(kind, rule=rule, json_body={}),
        cpu_seconds=cpu_seconds,
        seconds=cpu_seconds if wall is None else wall,
    )


def peers() -> list[object]:
    return [timed(f"/api/r{i}", 0.002) for i in range(5)]


def test_slow_route_fires_on_a_route_slow_three_times() -> None:
    runs = [
        timed("/api/report", 0.2),
        timed("/api/report", 0.15, "timing"),
        timed("/api/report", 0.18, "timing"),
    ]
    (finding,) = run_checks([*peers(), *runs], FACTS, select={"slow-route"})
    assert finding.rule == "/api/report"
    assert finding.message.startswith("10x slower than the median route (CPU time)")


def test_slow_route_is_silent_when_one_run_was_slow_by_chance() -> None:
    runs = [
        timed("/api/report", 0.2),
        timed("/api/report", 0.003, "timing"),
        timed("/api/report", 0.2, "timing"),
    ]
    assert run_checks([*peers(), *runs], FACTS, select={"slow-route"}) == []


def test_slow_route_leaves_login_out() -> None:
    runs = [timed("/api/auth/login", 0.3) for _ in range(2)] + [
        timed("/api/auth/login", 0.3, "timing")
    ]
    assert run_checks([*peers(), *runs], FACTS, select={"slow-route"}) == []


def test_slow_route_ignores_wall_time_spent_waiting_for_a_loaded_machine() -> None:
    # three runs that took long on the clock but little CPU: the machine was busy, not the route
    runs = [timed("/api/report", 0.002, kind, wall=0.4) for kind in ("valid", "timing", "timing")]
    assert run_checks([*peers(), *runs], FACTS, select={"slow-route"}) == []


def test_slow_route_is_judged_relative_to_the_apps_own_routes() -> None:
    # on a machine ten times faster everything shrinks together, and the verdict stays
    fast = [timed(f"/api/r{i}", 0.0002) for i in range(5)]
    runs = [timed("/api/report", 0.012, kind) for kind in ("valid", "timing", "timing")]
    (finding,) = run_checks([*fast, *runs], FACTS, select={"slow-route"})
    assert finding.rule == "/api/report"
