"""`testboost audit` as a user runs it: the matrix, the hollow tests, the JSON, the bad inputs.

Every audit runs the audited suite in a pytest subprocess (about a second each), so the runs of
a module are started together by one module-scoped fixture and their results shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
MINIAPP = Path(__file__).parent / "audit_projects" / "miniapp"
SHOPAPI = "examples.shopapi:create_app()"
SHOP_TESTS = "examples/shopapi/tests"


@dataclass(frozen=True)
class Audit:
    code: int
    stdout: str
    stderr: str
    document: dict[str, Any] | None

    def pair(self, method: str, rule: str) -> dict[str, Any]:
        assert self.document is not None
        return next(
            p for p in self.document["pairs"] if p["method"] == method and p["rule"] == rule
        )


def start_audit(args: list[str], cwd: Path, json_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "testboost", "audit", *args, "--json", str(json_path)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def finish(process: subprocess.Popen[str], json_path: Path) -> Audit:
    stdout, stderr = process.communicate(timeout=1800)  # a hang guard, far past a loaded machine
    document = json.loads(json_path.read_text()) if json_path.exists() else None
    return Audit(process.returncode, stdout, stderr, document)


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Audit]]:
    """All the audits of this module, run side by side."""
    out = tmp_path_factory.mktemp("audits")
    miniapp = ["--app", "itemsapp:create_app()"]
    plans = {
        # the hang first: it mostly sleeps; 90 s lets its first test finish on a loaded machine
        "hang": (MINIAPP, [*miniapp, "--tests", "hanging_tests", "--timeout", "90", "--no-prove"]),
        "shop": (ROOT, ["--app", SHOPAPI, "--tests", SHOP_TESTS, "--no-prove"]),
        "mini": (MINIAPP, [*miniapp, "--tests", "tests", "--fail-under", "90", "--no-prove"]),
        "broken": (MINIAPP, [*miniapp, "--tests", "broken_tests"]),
        "empty": (MINIAPP, [*miniapp, "--tests", "empty_tests"]),
        "crash": (MINIAPP, [*miniapp, "--tests", "crashing_tests"]),
        "nostart": (MINIAPP, [*miniapp, "--tests", "unstartable_tests"]),
        "missing": (MINIAPP, [*miniapp, "--tests", "no_such_dir"]),
    }
    before = _snapshot(MINIAPP) | _snapshot(ROOT / "examples")
    started = {
        name: (start_audit(args, cwd, out / f"{name}.json"), out / f"{name}.json")
        for name, (cwd, args) in plans.items()
    }
    yield {name: finish(process, path) for name, (process, path) in started.items()}
    after = _snapshot(MINIAPP) | _snapshot(ROOT / "examples")
    assert after == before, "an audit changed files in the audited project"


def _snapshot(directory: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in directory.rglob("*")}


# -- the bundled example's own suite ----------------------------------------------------------


SHOP_UNREACHED = {
    ("GET", "/"),
    ("DELETE", "/api/categories/<int:category_id>"),
    ("GET", "/api/categories/<int:category_id>/products"),
    ("PUT", "/api/orders/<int:order_id>"),
    ("POST", "/api/orders/<int:order_id>/cancel"),
    ("POST", "/api/orders/<int:order_id>/items"),
    ("DELETE", "/api/orders/<int:order_id>/items/<int:item_id>"),
    ("PATCH", "/api/orders/<int:order_id>/status"),
    ("GET", "/api/payments"),
    ("POST", "/api/payments"),
    ("GET", "/api/payments/<int:payment_id>"),
    ("DELETE", "/api/products/<int:product_id>"),
    ("GET", "/api/products/<int:product_id>/reviews"),
    ("POST", "/api/products/<int:product_id>/reviews"),
    ("GET", "/api/reports/low-stock"),
    ("GET", "/api/reports/sales"),
    ("GET", "/api/reports/top-products"),
    ("DELETE", "/api/reviews/<int:review_id>"),
    ("GET", "/api/users"),
    ("GET", "/api/users/<int:user_id>"),
    ("PUT", "/api/users/<int:user_id>"),
    ("DELETE", "/api/users/<int:user_id>"),
    ("GET", "/api/users/<int:user_id>/orders"),
    ("GET", "/contact"),
    ("POST", "/contact"),
    ("GET", "/health"),
    ("GET", "/login-redirect"),
}


def test_shop_audit_counts_route_coverage_over_method_rule_pairs(audits: dict[str, Audit]) -> None:
    shop = audits["shop"]
    assert shop.code == 0, shop.stderr
    assert shop.document is not None
    assert shop.document["schema"] == "testboost.audit/1"
    assert shop.document["route_coverage"] == {"covered": 17, "total": 44, "percent": 38.6}
    unreached = {(p["method"], p["rule"]) for p in shop.document["unreached"]}
    assert unreached == SHOP_UNREACHED
    assert {(p["method"], p["rule"]) for p in shop.document["pairs"] if not p["tests"]} == unreached
    assert "Route coverage: 17/44 (method, rule) pairs reached (38.6%)" in shop.stdout


def test_shop_audit_lists_who_reached_each_pair_and_the_statuses(audits: dict[str, Audit]) -> None:
    shop = audits["shop"]
    orders = "examples/shopapi/tests/test_orders.py::"
    listing = shop.pair("GET", "/api/orders")
    assert listing["tests"] == [f"{orders}test_orders_require_login", f"{orders}test_list_orders"]
    assert listing["statuses"] == {"200": 1, "401": 1}
    detail = shop.pair("GET", "/api/orders/<int:order_id>")
    assert detail["tests"] == [f"{orders}test_get_own_order", f"{orders}test_delete_order"]
    assert detail["statuses"] == {"200": 1, "404": 1}  # a 404 for a deleted order reaches the rule
    assert shop.pair("DELETE", "/api/orders/<int:order_id>")["statuses"] == {"200": 1}
    categories = "examples/shopapi/tests/test_categories.py::CategoryApiTests::"
    assert shop.pair("POST", "/api/categories") == {
        **shop.pair("POST", "/api/categories"),
        "tests": [f"{categories}test_create_requires_token"],
        "statuses": {"401": 1},
    }
    assert shop.pair("GET", "/api/categories/<int:category_id>")["statuses"] == {"404": 1}
    # requests made by fixtures count for the test that requested them
    products = shop.pair("POST", "/api/products")
    assert f"{orders}test_create_order_computes_total" in products["tests"]
    assert len(products["tests"]) == 13
    assert products["statuses"] == {"201": 46}
    pages = [t for t in shop.pair("GET", "/api/products")["tests"] if "pagination" in t]
    assert pages == [
        "examples/shopapi/tests/test_products.py::test_pagination_pages[1-5]",
        "examples/shopapi/tests/test_products.py::test_pagination_pages[2-5]",
        "examples/shopapi/tests/test_products.py::test_pagination_pages[3-2]",
    ]


def test_shop_audit_measures_view_lines(audits: dict[str, Audit]) -> None:
    shop = audits["shop"]
    source = (ROOT / "examples/shopapi/auth.py").read_text().splitlines()
    start = source.index("def change_password():")
    not_found = source.index('        return jsonify({"error": "User not found"}), 404', start) + 1
    change = shop.pair("POST", "/api/auth/change-password")["view_line_coverage"]
    assert 0 < change["covered"] < change["lines"]
    assert not_found in change["missing"]
    assert shop.pair("GET", "/api/users")["view_line_coverage"]["covered"] == 0
    assert shop.pair("GET", "/api/orders")["view_line_coverage"]["percent"] == 100.0
    assert shop.document is not None
    total = shop.document["view_line_coverage"]
    assert 0 < total["covered"] < total["total"]


def test_shop_audit_finds_exactly_the_labelled_hollow_tests(audits: dict[str, Audit]) -> None:
    shop = audits["shop"]
    labels = json.loads((ROOT / SHOP_TESTS / "LABELS.json").read_text())
    assert shop.document is not None
    found = {t["nodeid"]: t["smell"] for t in shop.document["hollow_tests"]}
    assert found == {nodeid: smell for nodeid, smell in labels.items() if smell}
    me = next(t for t in shop.document["hollow_tests"] if t["nodeid"].endswith("::test_me"))
    assert me["file"] == f"{SHOP_TESTS}/test_auth.py" and me["line"] == 47
    assert "examples/shopapi/tests/test_auth.py:47" in shop.stdout


def test_shop_audit_reports_pytest_outcomes(audits: dict[str, Audit]) -> None:
    shop = audits["shop"]
    assert shop.document is not None
    assert shop.document["tests"] == {
        "passed": 27,
        "failed": 0,
        "errors": 0,
        "skipped": 2,
        "xfailed": 0,
        "xpassed": 0,
    }
    assert shop.document["run"]["complete"] is True
    assert "pytest: 27 passed, 0 failed, 0 errors (2 skipped)" in shop.stdout


def test_shop_audit_terminal_matrix_rows(audits: dict[str, Audit]) -> None:
    lines = audits["shop"].stdout.splitlines()
    assert lines[0].split() == [
        "method",
        "rule",
        "tests",
        "statuses",
        "view",
        "lines",
        "reached",
        "by",
    ]
    row = next(line for line in lines if line.split()[:2] == ["GET", "/api/orders"])
    assert row.split()[2:5] == ["2", "2xx:1", "4xx:1"]
    assert "test_orders.py::test_orders_require_login" in row
    unreached = lines.index("Not reached by any test (27 of 44 pairs):")
    assert lines[unreached + 1].split() == ["GET", "/", "examples/shopapi/pages.py:22"]


# -- a small app: statuses, 405/unmatched URLs, exceptions, empty bodies ----------------------


def test_miniapp_matrix_maps_statuses_and_exceptions(audits: dict[str, Audit]) -> None:
    mini = audits["mini"]
    assert mini.document is not None
    tests = "tests/test_items.py::"
    assert mini.pair("GET", "/items")["tests"] == [f"{tests}test_list_items"]
    assert mini.pair("POST", "/items")["statuses"] == {"400": 1}
    assert mini.pair("GET", "/items/<int:item_id>")["statuses"] == {"404": 1}
    assert mini.pair("DELETE", "/items/<int:item_id>")["statuses"] == {"204": 1}
    # an exception the testing app propagates into the test is a 500
    assert mini.pair("GET", "/boom")["statuses"] == {"500": 1}
    # the 405 on PUT /items and the unmatched /nowhere reach no (method, rule) pair of the app
    assert all(
        f"{tests}test_wrong_method_and_unknown_url" not in p["tests"]
        for p in mini.document["pairs"]
    )
    assert mini.document["unreached"] == [
        {"method": "GET", "rule": "/health", "endpoint": "health"}
    ]
    assert mini.document["route_coverage"] == {"covered": 5, "total": 6, "percent": 83.3}


def test_miniapp_view_line_coverage_shows_the_branch_not_run(audits: dict[str, Audit]) -> None:
    mini = audits["mini"]
    source = (MINIAPP / "itemsapp.py").read_text().splitlines()
    returned = source.index("        return jsonify(item)") + 1
    detail = mini.pair("GET", "/items/<int:item_id>")["view_line_coverage"]
    assert detail == {"lines": 4, "covered": 3, "percent": 75.0, "missing": [returned]}


def test_status_only_is_dropped_when_every_response_had_no_body(audits: dict[str, Audit]) -> None:
    mini = audits["mini"]
    assert mini.document is not None
    hollow = {t["nodeid"]: t["smell"] for t in mini.document["hollow_tests"]}
    # asserting a 404 is the behaviour under test, not a status-only check
    assert hollow == {"tests/test_items.py::test_todo": "placeholder"}
    assert mini.document["status_only_cleared"] == ["tests/test_items.py::test_delete_item"]


def test_fail_under_exits_1(audits: dict[str, Audit]) -> None:
    mini = audits["mini"]
    assert mini.code == 1
    assert "Route coverage 83.3% is under --fail-under 90%." in mini.stdout
    assert mini.stderr == ""


# -- unusable input: one line, exit 2 -----------------------------------------------------------


def test_collection_error_is_one_line_with_pytests_error(audits: dict[str, Audit]) -> None:
    broken = audits["broken"]
    assert broken.code == 2
    assert broken.stdout == ""
    assert broken.stderr.strip().splitlines() == [
        "testboost: error: The suite in broken_tests fails to collect: "
        "broken_tests/test_broken.py: ModuleNotFoundError: No module named "
        "'not_a_module_testboost'. Fix it so that `pytest` can import the tests, then rerun."
    ]
    # the JSON says the run is not an audit, with no verdict on tests that did not run
    assert broken.document is not None
    assert broken.document["run"]["complete"] is False
    assert broken.document["run"]["reason"].startswith("The suite in broken_tests fails to collect")
    assert broken.document["hollow_tests"] == [] and broken.document["tests"] is None


def test_hanging_suite_is_stopped_and_the_partial_matrix_shown(audits: dict[str, Audit]) -> None:
    hang = audits["hang"]
    assert hang.code == 2
    assert hang.stderr.strip().splitlines() == [
        "testboost: error: The suite in hanging_tests did not finish within --timeout 90 s: "
        "stopped it while running hanging_tests/test_hang.py::test_hangs. The results above are "
        "partial (1 test finished); fix the hang or raise --timeout."
    ]
    assert "pytest: 1 passed, 0 failed, 0 errors" in hang.stdout
    assert hang.document is not None
    assert hang.document["run"]["complete"] is False
    assert hang.pair("GET", "/items")["tests"] == ["hanging_tests/test_hang.py::test_fast"]
    assert hang.pair("GET", "/health")["tests"] == ["hanging_tests/test_hang.py::test_hangs"]


def test_no_tests_found(audits: dict[str, Audit]) -> None:
    empty = audits["empty"]
    assert empty.code == 2
    assert empty.stderr.strip().splitlines() == [
        "testboost: error: No tests found in empty_tests: pytest collected nothing (it looks for "
        "test_*.py and *_test.py files). Pass --tests the directory of your test suite."
    ]


def test_a_suite_that_kills_pytest_is_not_reported_as_tests(audits: dict[str, Audit]) -> None:
    crash = audits["crash"]
    assert crash.code == 2
    assert crash.stdout == ""  # no matrix, no "0 passed", no hollow list
    assert crash.stderr.startswith("testboost: error: pytest crashed running the suite in ")
    assert crash.document is not None
    assert crash.document["run"]["complete"] is False
    assert crash.document["tests"] is None and crash.document["hollow_tests"] == []


def test_a_suite_pytest_cannot_start_is_not_reported_as_tests(audits: dict[str, Audit]) -> None:
    nostart = audits["nostart"]
    assert nostart.code == 2
    assert nostart.stdout == ""
    assert "not_a_module_testboost_conftest" in nostart.stderr
    assert nostart.stderr.count("\n") == 1 and "Traceback" not in nostart.stderr
    assert nostart.document is not None
    assert nostart.document["run"]["complete"] is False
    assert "not_a_module_testboost_conftest" in nostart.document["run"]["reason"]


def test_tests_directory_that_does_not_exist(audits: dict[str, Audit]) -> None:
    missing = audits["missing"]
    assert missing.code == 2
    assert missing.stderr.strip().splitlines() == [
        "testboost: error: No such tests directory: no_such_dir. Pass --tests the directory of "
        "your test suite (run testboost from the project's root)."
    ]
