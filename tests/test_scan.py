"""`testboost scan` end to end on the bundled example and its correct twin."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from testboost.cli import main

ROOT = Path(__file__).parent.parent
# Known misses of today's probe, each a strict xfail: fixing it flips the test.
NOT_FOUND_YET: dict[tuple[str, str, str], str] = {}


def scan(app: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / f"{app.split(':')[0]}.json"
    result = CliRunner().invoke(main, ["scan", "--app", app, "--json", str(out), *extra])
    return result.exit_code, json.loads(out.read_text()), result.output


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], str]:
    return scan(
        "examples.shopapi:create_app()", tmp_path_factory.mktemp("shop"), "--fail-on", "high"
    )


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], str]:
    return scan(
        "examples.shopapi_fixed:create_app()", tmp_path_factory.mktemp("fixed"), "--fail-on", "high"
    )


def known_defects() -> list[Any]:
    entries = json.loads((ROOT / "examples" / "shopapi" / "KNOWN_DEFECTS.json").read_text())
    params = []
    for entry in entries:
        key = (entry["check"], entry["method"], entry["rule"])
        marks = (
            [pytest.mark.xfail(strict=True, reason=NOT_FOUND_YET[key])]
            if key in NOT_FOUND_YET
            else []
        )
        params.append(pytest.param(key, id=" ".join(key), marks=marks))
    return params


@pytest.mark.parametrize("defect", known_defects())
def test_every_planted_defect_is_found(
    shop: tuple[int, dict[str, Any], str], defect: tuple[str, str, str]
) -> None:
    _, report, _ = shop
    # a finding names the first place of its cause; its routes list names every place
    found = {(f["check"], r["method"], r["rule"]) for f in report["findings"] for r in f["routes"]}
    assert defect in found


def test_the_correct_twin_has_no_high_or_critical_finding(
    fixed: tuple[int, dict[str, Any], str],
) -> None:
    code, report, _ = fixed
    serious = [f for f in report["findings"] if f["severity"] in ("critical", "high")]
    assert serious == []
    assert code == 0


def test_fail_on_high_makes_the_scan_a_gate(shop: tuple[int, dict[str, Any], str]) -> None:
    code, _, _ = shop
    assert code == 1


def test_report_follows_the_schema(shop: tuple[int, dict[str, Any], str]) -> None:
    _, report, _ = shop
    assert report["schema"] == "testboost.report/1"
    assert report["app"] == "examples.shopapi:create_app()"
    assert set(report["stats"]) == {"routes", "requests", "seconds", "seed"}
    route = next(r for r in report["routes"] if r["rule"] == "/api/users/<int:user_id>")
    assert route["methods"] == ["GET", "PUT", "DELETE"]
    assert route["requests"] > 10 and sum(route["statuses"].values()) == route["requests"]
    finding = next(
        f
        for f in report["findings"]
        if f["check"] == "server-error"
        and f["rule"] == "/api/users/<int:user_id>"
        and f["method"] == "GET"
    )
    assert finding["severity"] == "high" and finding["status"] == 500
    assert finding["message"].startswith(
        "AttributeError: 'NoneType' object has no attribute 'to_dict'"
    )
    assert finding["location"] == "examples/shopapi/users.py:27"
    assert finding["request"]["path"] == "/api/users/99999"
    assert finding["reproducer"]["curl"].startswith("curl -i -X GET")
    assert (
        "def test_get_api_users_user_id_server_error(client, auth_headers):"
        in finding["reproducer"]["pytest"]
    )


def test_findings_are_deterministic_for_a_seed(
    shop: tuple[int, dict[str, Any], str], tmp_path: Path
) -> None:
    _, first, _ = shop
    _, second, _ = scan("examples.shopapi:create_app()", tmp_path)

    # timing aside: the seconds, and the one check judged on time, are outside the promise
    def untimed(report: dict[str, Any]) -> dict[str, Any]:
        findings = [f for f in report["findings"] if f["check"] != "slow-route"]
        stats = {k: v for k, v in report["stats"].items() if k != "seconds"}
        return {**report, "findings": findings, "stats": stats}

    assert untimed(first) == untimed(second)


def test_terminal_output_groups_by_severity(shop: tuple[int, dict[str, Any], str]) -> None:
    _, report, output = shop
    lines = output.splitlines()
    assert lines[0].startswith("CRITICAL (")
    assert any(line.startswith("HIGH (") for line in lines)
    assert lines[-1].startswith(f"{len(report['findings'])} findings (")


def test_unknown_check_id_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["scan", "--app", "examples.shopapi:create_app()", "--select", "nope"]
    )
    assert result.exit_code == 2
    assert "Unknown check id 'nope'" in result.output


def test_demo_runs_the_pipeline_and_writes_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "== 1. routes of examples.shopapi:create_app() ==" in result.output
    assert "== 2. scan" in result.output
    written = sorted(p.name for p in (tmp_path / "testboost-demo").iterdir())
    assert written == ["report.html", "report.json", "routes.json", "tests"]
    assert "== 3. generate: a pytest suite in testboost-demo/tests ==" in result.output
    assert re.search(
        r"generated suite: \d+ passed, \d+ xfailed(, \d+ warnings?)? in", result.output
    )
    assert re.search(
        r"line coverage of examples/shopapi/ under the generated suite: \d", result.output
    )
    report = json.loads((tmp_path / "testboost-demo" / "report.json").read_text())
    assert report["schema"] == "testboost.report/1" and report["findings"]
    assert result.output.rstrip().endswith("HTML report: testboost-demo/report.html")
