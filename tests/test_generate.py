"""``testboost generate``: the suite it writes for the bundled apps, and the rules it writes by.

The suites are generated once per module (generation probes the app and replays every request,
a few seconds each) and shared by the tests below.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from testboost.audit.smells import scan_paths
from testboost.cli import main
from testboost.generate import TEST_LINES, function_lengths
from testboost.generate.render import HEADER_MARK

ROOT = Path(__file__).resolve().parent.parent
FIXED = "examples.shopapi_fixed:create_app()"
BROKEN = "examples.shopapi:create_app()"


def generate(out: Path, spec: str = FIXED, *extra: str) -> Result:
    """Run ``testboost generate`` from the project root, as a user does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        patch.setenv("NO_COLOR", "1")
        return CliRunner().invoke(
            main, ["generate", "--app", spec, "--out", str(out), *extra], catch_exceptions=False
        )


def run_suite(directory: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """pytest on a generated suite, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, str(directory)],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def fixed_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("fixed") / "generated"
    result = generate(out)
    assert result.exit_code == 0, result.output
    yield out


@pytest.fixture(scope="module")
def broken_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("broken") / "generated"
    result = generate(out, BROKEN, "--no-prove")  # the fixed app's suite is the proven one
    assert result.exit_code == 0, result.output
    yield out


def test_generate_writes_conftest_and_one_module_per_blueprint(fixed_suite: Path) -> None:
    names = {p.name for p in fixed_suite.iterdir() if p.suffix == ".py"}
    assert {"__init__.py", "conftest.py", "test_flows.py", "test_query_budgets.py"} <= names
    assert {"test_orders.py", "test_products.py", "test_users.py", "test_auth.py"} <= names
    for name in names:
        assert (fixed_suite / name).read_text().startswith(HEADER_MARK)


def test_generated_conftest_has_the_fixtures_tests_rely_on(fixed_suite: Path) -> None:
    source = (fixed_suite / "conftest.py").read_text()
    fixtures = {
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef)
        and any("fixture" in ast.unparse(d) for d in node.decorator_list)
    }
    assert {"app", "client", "database", "auth_headers", "other_auth_headers"} <= fixtures
    assert {"query_counter", "network_attempts"} <= fixtures
    assert "import testboost" not in source and "from testboost" not in source


def test_generated_suite_passes_on_the_app(fixed_suite: Path) -> None:
    completed = run_suite(fixed_suite, "-p", "no:randomly")
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert " passed" in completed.stdout and "failed" not in completed.stdout


def test_generated_suite_passes_in_random_order_and_in_parallel(fixed_suite: Path) -> None:
    shuffled = run_suite(fixed_suite, "-p", "randomly", "-n", "2")
    assert shuffled.returncode == 0, shuffled.stdout[-3000:]


def test_generated_suite_has_no_hollow_and_no_long_test(fixed_suite: Path) -> None:
    scanned = scan_paths([fixed_suite], fixed_suite)
    assert scanned.hollow == ()
    assert len(scanned.tests) > 100
    for module in fixed_suite.glob("test_*.py"):
        lengths = function_lengths(module.read_text())
        assert all(n <= TEST_LINES for n in lengths.values()), (module.name, lengths)


def test_generated_suite_is_ruff_clean(fixed_suite: Path) -> None:
    pytest.importorskip("ruff")
    for arguments in (["check"], ["format", "--check"]):
        completed = subprocess.run(
            [sys.executable, "-m", "ruff", *arguments, str(fixed_suite)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout


def test_flows_and_budgets_are_generated(fixed_suite: Path) -> None:
    flows = (fixed_suite / "test_flows.py").read_text()
    assert "def test_product_can_be_created_read" in flows
    assert "== 404" in flows  # read after delete
    budgets = (fixed_suite / "test_query_budgets.py").read_text()
    assert "def test_get_orders_runs_at_most_" in budgets
    assert "xfail" not in budgets  # the fixed app has no N+1 query


def test_regenerating_writes_the_same_bytes_and_force_keeps_foreign_files(
    fixed_suite: Path, tmp_path: Path
) -> None:
    out = tmp_path / "again"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n")
    (out / "test_pages.py").write_text("def test_mine():\n    assert 1 + 1 == 2\n")
    (out / "test_gone.py").write_text(f"{HEADER_MARK} earlier run\n")
    refused = generate(out)
    assert refused.exit_code == 2
    assert "did not write" in refused.output and "--force" in refused.output
    forced = generate(out, FIXED, "--force")
    assert forced.exit_code == 0, forced.output
    assert (out / "notes.txt").read_text() == "my notes\n"
    assert (out / "test_pages.py").read_text().startswith("def test_mine")
    assert not (out / "test_gone.py").exists()
    for path in fixed_suite.glob("*.py"):
        if path.name != "test_pages.py":
            assert (out / path.name).read_bytes() == path.read_bytes(), path.name


def test_suite_catches_a_regression_in_a_view(fixed_suite: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "shopapi_fixed", project / "examples" / "shopapi_fixed")
    (project / "examples" / "__init__.py").write_text("")
    orders = project / "examples" / "shopapi_fixed" / "orders.py"
    source = orders.read_text()
    assert 'jsonify({"message": "Order deleted"})' in source
    orders.write_text(
        source.replace(
            'jsonify({"message": "Order deleted"})', 'jsonify({"message": "Order deleted"}), 202'
        )
    )
    suite = tmp_path / "suite"
    shutil.copytree(fixed_suite, suite)
    conftest = suite / "conftest.py"
    text = conftest.read_text()
    lines = [
        f"PROJECT_ROOT = Path({str(project)!r})" if line.startswith("PROJECT_ROOT =") else line
        for line in text.splitlines()
    ]
    conftest.write_text("\n".join(lines) + "\n")
    completed = run_suite(suite, "-p", "no:randomly")
    assert completed.returncode == 1, completed.stdout[-2000:]
    assert "test_delete_order_returns_200_with_json" in completed.stdout


def test_findings_become_strict_xfail_tests_and_the_suite_passes(broken_suite: Path) -> None:
    orders = (broken_suite / "test_orders.py").read_text()
    assert "@pytest.mark.xfail(" in orders and "strict=True" in orders
    budgets = (broken_suite / "test_query_budgets.py").read_text()
    n_plus_one = budgets.split("def test_get_orders_runs_at_most_")[2]
    assert "with_20_orders" in n_plus_one
    assert "xfail" in budgets.split("def test_get_orders_runs_at_most_")[1]  # the 20-row test
    completed = run_suite(broken_suite, "-p", "no:randomly")
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert "xfailed" in completed.stdout and "xpassed" not in completed.stdout


ALL_500 = """
from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.get("/items")
    def items():
        raise RuntimeError("the database is down")

    @app.post("/items")
    def add_item():
        raise RuntimeError("the database is down")

    return app
"""


def test_an_app_whose_routes_all_crash_still_gets_a_suite(tmp_path: Path) -> None:
    (tmp_path / "crashing.py").write_text(ALL_500)
    out = tmp_path / "generated"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        patch.syspath_prepend(str(tmp_path))
        result = CliRunner().invoke(
            main, ["generate", "--app", "crashing:create_app()", "--out", str(out)]
        )
    assert result.exit_code == 0, result.output
    module = next(out.glob("test_*.py")).read_text()
    assert "strict=True" in module and "RuntimeError: the database is down" in module
    assert scan_paths([out], out).hollow == ()
    completed = run_suite(out, "-p", "no:randomly")
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert "xfailed" in completed.stdout
