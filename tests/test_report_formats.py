"""The report formats CI and people read: SARIF, JUnit XML, Markdown and the HTML page.

One scan of the example app and one audit of the small audit project write every format; the
tests read the files back with the tools CI uses (a SARIF 2.1.0 schema validator, an XML parser)
and compare their numbers with the JSON report. Rendering a report that has no findings, and
writing to paths that must be refused, use reports built in the test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from headless import Chromium, Page, chromium_path

from testboost.audit.matrix import Ratio
from testboost.checks import Finding
from testboost.cli import main
from testboost.explore.exchange import ProbeRequest
from testboost.report import files
from testboost.report.html import render_html
from testboost.report.junit import render_junit
from testboost.report.markdown import render_markdown
from testboost.report.model import Report, RouteStats
from testboost.report.sarif import render_sarif
from testboost.report.summary import summarize

ROOT = Path(__file__).parent.parent
MINIAPP = Path(__file__).parent / "audit_projects" / "miniapp"
SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text()
)
MINIAPP_AUDIT = ("--app", "itemsapp:create_app()", "--tests", "tests")
FORMATS = {"json": "json", "html": "html", "sarif": "sarif", "junit": "xml", "markdown": "md"}


def validate_sarif(document: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One scan of the example app writing every format, in a GitHub Actions-like env."""
    out = tmp_path_factory.mktemp("formats")
    paths = {name: out / f"report.{ext}" for name, ext in FORMATS.items()}
    summary = out / "step-summary.md"
    summary.write_text("earlier step\n")
    options = [part for name, path in paths.items() for part in (f"--{name}", str(path))]
    result = CliRunner().invoke(
        main,
        ["scan", "--app", "examples.shopapi:create_app()", *options],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 0, result.output
    return {**paths, "step-summary": summary}


@pytest.fixture(scope="module")
def document(shop: dict[str, Path]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(shop["json"].read_text())
    return loaded


def places(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(check, method, rule) of every place a finding shows on."""
    return {
        (f["check"], place["method"], place["rule"])
        for f in document["findings"]
        for place in (f["routes"] or [f])
    }


# SARIF


def test_sarif_validates_against_the_sarif_2_1_0_schema(shop: dict[str, Path]) -> None:
    validate_sarif(json.loads(shop["sarif"].read_text()))


def test_sarif_has_a_rule_per_check_and_a_result_per_finding(
    shop: dict[str, Path], document: dict[str, Any]
) -> None:
    run = json.loads(shop["sarif"].read_text())["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules)) and {"server-error", "missing-404"} <= set(rules)
    results = run["results"]
    assert len(results) == len(document["findings"])
    for result, finding in zip(results, document["findings"], strict=True):
        assert result["ruleId"] == finding["check"] == rules[result["ruleIndex"]]
        assert finding["message"] in result["message"]["text"]
        assert result["level"] == {"critical": "error", "high": "error", "medium": "warning"}.get(
            finding["severity"], "note"
        )


def test_sarif_locations_are_the_users_file_and_line_relative_to_the_project(
    shop: dict[str, Path], document: dict[str, Any]
) -> None:
    results = json.loads(shop["sarif"].read_text())["runs"][0]["results"]
    crash = next(
        r
        for r, f in zip(results, document["findings"], strict=True)
        if f["check"] == "server-error" and f["location"]
    )
    location = crash["locations"][0]["physicalLocation"]
    finding = next(f for f in document["findings"] if f["message"] in crash["message"]["text"])
    file, line = finding["location"].rsplit(":", 1)
    assert location["artifactLocation"] == {"uri": file, "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == int(line)
    # every result points at a file of the project, at the finding's line or its view's
    for result in results:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert (ROOT / artifact["uri"]).is_file(), artifact


# JUnit


def test_junit_has_one_case_per_route_and_check_failing_where_a_finding_is(
    shop: dict[str, Path], document: dict[str, Any]
) -> None:
    root = ET.parse(shop["junit"]).getroot()
    suites = root.findall("testsuite")
    pairs = {(m, r["rule"]) for r in document["routes"] for m in r["methods"]}
    pairs |= {(method, rule) for _, method, rule in places(document)}
    assert {s.get("name") for s in suites} >= {f["check"] for f in document["findings"]}
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases) == len(pairs)
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None for c in cases)
    failing = {
        (suite.get("name"), *case.get("name", "").split(" ", 1))
        for suite in suites
        for case in suite.findall("testcase")
        if case.find("failure") is not None
    }
    assert failing == places(document)
    assert int(root.get("tests", "")) == len(suites) * len(pairs)
    assert int(root.get("failures", "")) == len(failing)


# Markdown


def test_markdown_shows_the_numbers_of_the_json(
    shop: dict[str, Path], document: dict[str, Any]
) -> None:
    text = shop["markdown"].read_text()
    counts = Counter(f["severity"] for f in document["findings"])
    total = len(document["findings"])
    assert f"**{total} findings** (" in text
    assert ", ".join(f"{n} {s}" for s, n in counts.items()) in text
    header, _, values = text.split("\n\n")[2].splitlines()
    row = dict(
        zip(
            header.strip("|").split("|"),
            (v.strip() for v in values.strip("|").split("|")),
            strict=True,
        )
    )
    assert row[" routes "] == str(len(document["routes"]))
    assert row[" critical "] == str(counts["critical"])
    # one table row per finding, each naming its check and route
    assert len(re.findall(r"^\| (critical|high|medium|low|info) \|", text, re.M)) == total


def test_markdown_is_appended_to_the_github_step_summary(shop: dict[str, Path]) -> None:
    summary = shop["step-summary"].read_text()
    assert summary.startswith("earlier step\n<!-- generated by testboost")
    assert summary.removeprefix("earlier step\n") == shop["markdown"].read_text()


# HTML (what a browser shows is tested below, in headless Chromium)


def test_html_is_self_contained_and_carries_the_summary_numbers(
    shop: dict[str, Path], document: dict[str, Any]
) -> None:
    html = shop["html"].read_text()
    assert html.startswith("<!doctype html>")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html
    assert f'<span class="n" id="n-findings">{len(document["findings"])}</span>' in html
    assert f'<span class="n" id="n-routes">{len(document["routes"])}</span>' in html
    assert html.count('<details class="finding') == len(document["findings"])
    assert "broken-object-auth" in html and "/api/orders/&lt;int:order_id&gt;" in html
    # the reach block, the route map and the charts
    assert "<h2>Reach</h2>" in html and 'id="routes"' in html
    assert html.count("<svg") >= 3
    # the N+1 route's statement counts: one more statement per listed item
    (growth,) = [f for f in document["findings"] if f["check"] == "n-plus-one"]
    assert f"N+1: <code>{growth['method']} {growth['rule']}</code>" in html


def test_html_finding_shows_request_response_traceback_and_reproducers(
    shop: dict[str, Path],
) -> None:
    html = shop["html"].read_text()
    crash = html[html.index("KeyError: &#39;email&#39;") :]
    crash = crash[: crash.index("</details>")]
    assert "<h3>Request" in crash and "POST /api/auth/login" in crash
    assert "<h3>Response</h3>" in crash and "500" in crash
    assert "Traceback into your code" in crash and "examples/shopapi/auth.py" in crash
    assert "site-packages" not in crash
    assert crash.count('class="copy"') == 2 and "curl -i -X POST" in crash and "def test_" in crash


# in a real browser

CHROMIUM = chromium_path()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium); "
    "the HTML report's browser tests need it",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    assert CHROMIUM is not None
    with Chromium.start(CHROMIUM) as started:
        yield started


def visible(page: Page) -> int:
    count: int = page.evaluate(
        "[...document.querySelectorAll('#findings [data-severity]')]"
        ".filter(e => e.offsetParent !== null).length"
    )
    return count


@needs_chromium
def test_browser_shows_the_json_numbers_and_the_severity_filter_changes_the_list(
    shop: dict[str, Path], document: dict[str, Any], browser: Chromium, tmp_path: Path
) -> None:
    page = browser.open(shop["html"].resolve().as_uri())
    text = "document.getElementById('{}').textContent.trim()".format
    total = len(document["findings"])
    pairs = sum(len(r["methods"]) for r in document["routes"])
    assert page.evaluate(text("n-findings")) == str(total)
    assert page.evaluate(text("n-routes")) == str(len(document["routes"]))
    assert page.evaluate(text("n-pairs")) == str(pairs)
    counts = Counter(f["severity"] for f in document["findings"])
    for severity, n in counts.items():
        assert page.evaluate(text(f"n-{severity}")) == f"{n} {severity}"
    assert visible(page) == total and page.evaluate(text("shown")) == f"{total} of {total} shown"

    page.evaluate("document.querySelector('#filters input[value=critical]').click()")
    assert visible(page) == total - counts["critical"]
    assert page.evaluate(text("shown")) == f"{total - counts['critical']} of {total} shown"
    page.evaluate(
        "(() => { const s = document.querySelector('#filters select');"
        " s.value = 'server-error'; s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    crashes = [f for f in document["findings"] if f["check"] == "server-error"]
    assert visible(page) == sum(f["severity"] != "critical" for f in crashes) > 0

    # a finding opens to its reproducers
    page.evaluate("document.querySelector('#findings details:not([hidden]) summary').click()")
    assert page.evaluate(
        "document.querySelector('#findings details[open] pre[id$=-curl]').offsetHeight"
    )
    shot = page.screenshot(tmp_path / "report.png")
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000


@needs_chromium
def test_browser_without_javascript_shows_every_finding(
    shop: dict[str, Path], document: dict[str, Any], browser: Chromium
) -> None:
    page = browser.open("about:blank")
    page.send("Emulation.setScriptExecutionDisabled", {"value": True})
    page.navigate(shop["html"].resolve().as_uri())
    assert visible(page) == len(document["findings"])
    assert page.evaluate("getComputedStyle(document.getElementById('filters')).display") == "none"


@needs_chromium
def test_browser_page_fits_a_phone_screen(shop: dict[str, Path], browser: Chromium) -> None:
    page = browser.open(shop["html"].resolve().as_uri(), width=390, height=844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


# audit


@pytest.fixture(scope="module")
def audit_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("audit-formats")
    paths = {name: out / f"audit.{ext}" for name, ext in FORMATS.items()}
    options = [part for name, path in paths.items() for part in (f"--{name}", str(path))]
    run = subprocess.run(
        [sys.executable, "-m", "testboost", "audit", *MINIAPP_AUDIT, *options],
        cwd=MINIAPP,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"},
        timeout=1800,  # a hang guard, far past a loaded machine
    )
    assert run.returncode == 0, run.stderr
    return paths


def test_audit_formats_count_the_matrix_and_the_hollow_tests(audit_files: dict[str, Path]) -> None:
    audit = json.loads(audit_files["json"].read_text())
    hollow, pairs = audit["hollow_tests"], audit["pairs"]
    assert hollow and audit["unreached"]
    root = ET.parse(audit_files["junit"]).getroot()
    coverage, hollow_suite = root.findall("testsuite")
    assert len(coverage.findall("testcase")) == len(pairs)
    assert int(coverage.get("failures", "")) == len(audit["unreached"])
    assert [c.get("name") for c in hollow_suite.findall("testcase")] == [
        t["nodeid"] for t in hollow
    ]
    sarif = json.loads(audit_files["sarif"].read_text())
    validate_sarif(sarif)
    assert len(sarif["runs"][0]["results"]) == len(hollow) + len(audit["unreached"])
    markdown = audit_files["markdown"].read_text()
    covered = audit["route_coverage"]
    assert f"**Route coverage {covered['covered']}/{covered['total']}" in markdown
    assert f"**{len(hollow)} hollow test" in markdown
    html = audit_files["html"].read_text()
    assert f'<span class="n" id="n-hollow">{len(hollow)}</span>' in html
    assert html.count('<details class="finding') == len(hollow)


# a report with nothing to say


def quiet_report() -> Report:
    route = RouteStats(
        "/items", "items.list", ("GET", "POST"), 12, {"200": 8, "400": 4}, "app.py:9"
    )
    return Report(app="app.py", routes=(route,), findings=(), seed=0, seconds=1.5, requests=12)


def test_a_report_with_no_findings_says_so_in_every_format() -> None:
    report = quiet_report()
    html = render_html(report)
    assert "<strong>No findings.</strong>" in html and 'id="filters"' not in html
    assert "No findings: no check found a defect on any route." in render_markdown(report)
    sarif = json.loads(render_sarif(report))
    validate_sarif(sarif)
    assert sarif["runs"][0]["results"] == []
    root = ET.fromstring(render_junit(report))
    assert root.get("failures") == "0" and int(root.get("tests", "")) == 2 * len(
        root.findall("testsuite")
    )


def test_formats_carry_odd_text_safely(tmp_path: Path) -> None:
    request = ProbeRequest("POST", "/items", json={"name": "a|b\x00<x>"}, has_json=True)
    finding = Finding(
        "server-error",
        "high",
        "POST",
        "/items",
        "items.create",
        500,
        "ValueError: bad \x00 value | <script>alert(1)</script>",
        str(tmp_path / "app.py") + ":3",
        request,
    )
    report = Report(
        app="app.py",
        routes=quiet_report().routes,
        findings=(finding,),
        seed=0,
        seconds=1.0,
        requests=1,
    )
    assert "<script>alert(1)" not in render_html(report)
    ET.fromstring(render_junit(report))  # parses despite the NUL
    row = next(line for line in render_markdown(report).splitlines() if "ValueError" in line)
    assert "\\|" in row and "<script>" not in row
    # a location outside the project is an absolute file URI, not a broken relative path
    sarif = json.loads(render_sarif(report, root=ROOT))
    validate_sarif(sarif)
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": (tmp_path / "app.py").as_uri()}
    assert summarize(report).coverage is None and summarize(report).severity_line == "1 high"


def test_summary_counts_pairs_reached_for_route_coverage() -> None:
    assert summarize(quiet_report()).pairs == 2
    assert Ratio(1, 2).percent == 50.0


# where the files go


def test_an_existing_file_testboost_did_not_write_is_left_alone(tmp_path: Path) -> None:
    mine = tmp_path / "notes.md"
    mine.write_text("my notes\n")
    result = CliRunner().invoke(
        main, ["scan", "--app", "examples.shopapi:create_app()", "--markdown", str(mine)]
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"testboost: error: Cannot write {mine}: the file exists and testboost did not write "
        "it; remove it or choose another path."
    ]
    assert mine.read_text() == "my notes\n"


def test_a_file_testboost_wrote_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    files.write_output(target, render_markdown(quiet_report()))
    files.write_output(target, "<!-- generated by testboost -->\nnew\n")
    assert target.read_text().endswith("new\n")
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


@pytest.mark.parametrize("where", ["missing", "file", "read-only"])
def test_an_unwritable_path_fails_before_the_scan_in_one_line(tmp_path: Path, where: str) -> None:
    (tmp_path / "file").write_text("")
    locked = tmp_path / "read-only"
    locked.mkdir(mode=0o500)
    # root writes into a read-only directory: /sys refuses even root
    directory = Path("/sys") if where == "read-only" and os.access(locked, os.W_OK) else locked
    target = {"missing": tmp_path / "missing", "file": tmp_path / "file"}.get(where, directory)
    target = target / "report.sarif"
    # the app does not exist: the path is refused before testboost looks for it
    result = CliRunner().invoke(
        main, ["scan", "--app", "no_such_app_module", "--sarif", str(target)]
    )
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"testboost: error: Cannot write {target}: the directory")
    assert line.endswith(("does not exist.", "is not a directory.", "(Permission denied)."))
    assert not target.exists()


def test_a_failed_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"
    target.write_text("<!-- generated by testboost -->\nold\n")

    def broken_replace(source: str, destination: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(files.UsageError, match="No space left on device"):
        files.write_output(target, "new")
    assert target.read_text() == "<!-- generated by testboost -->\nold\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
