"""The HTML report of a large app: its size, and how fast a browser shows it.

Targets (issue "The diagnostic report"): a 300-route report stays under 2 MB and renders in under
1 s in the browser. The report is made up here (300 routes of 1-3 methods, one finding per
route with a 1,500-character response excerpt, a traceback and both reproducers), rendered by
testboost, then opened in headless Chromium (Debian's ``chromium``; the browser figures are left
out when it is absent)::

    .venv/bin/python benchmarks/report_render.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from testboost.checks import SEVERITIES, Finding
from testboost.explore.exchange import ProbeRequest
from testboost.explore.reach import Reach
from testboost.report.evidence import Evidence
from testboost.report.html import render_html
from testboost.report.model import Report, RouteStats

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from headless import Chromium, chromium_path

ROUTES = 300
CHECKS = ("server-error", "validation-gap", "missing-404", "broken-object-auth", "n-plus-one")
MAX_BYTES = 2_000_000
MAX_SECONDS = 1.0


def big_report(routes: int = ROUTES) -> Report:
    """A report of ``routes`` routes, each with one finding carrying full evidence."""
    stats, findings, evidence = [], [], []
    traceback = "Traceback (most recent call last):\n" + "".join(
        f'  File "app/views/part{i}.py", line {10 + i}, in handler_{i}\n    value = load(item)\n'
        for i in range(8)
    )
    for i in range(routes):
        rule = f"/api/v1/resource{i}/<int:item_id>"
        methods = ("GET", "PUT", "DELETE")[: 1 + i % 3]
        stats.append(
            RouteStats(
                rule,
                f"resource{i}.detail",
                methods,
                40,
                {"200": 20, "400": 12, "404": 6, "500": 2},
                f"app/views/resource{i}.py:{20 + i % 50}",
            )
        )
        request = ProbeRequest(
            "PUT",
            f"/api/v1/resource{i}/1",
            headers=(("Authorization", "Bearer token"),),
            json={"name": "x" * 30, "quantity": -5, "tags": ["a", "b"], "owner_id": 2},
            has_json=True,
            identity="A",
        )
        findings.append(
            Finding(
                CHECKS[i % len(CHECKS)],
                SEVERITIES[i % 4],
                "PUT",
                rule,
                f"resource{i}.detail",
                500,
                f"KeyError: 'quantity' when the JSON field 'quantity' is -5 (route {i})",
                f"app/views/resource{i}.py:{30 + i % 50}",
                request,
                count=3,
            )
        )
        evidence.append(
            Evidence(
                500,
                "application/json",
                '{"error": "' + "e" * 1480 + '"}',
                traceback + "KeyError: 'quantity'",
            )
        )
    pairs = tuple((m, s.rule) for s in stats for m in s.methods)
    reach = Reach(
        identities=("anonymous", "A", "B"),
        reached={"anonymous": pairs[:50], "A": pairs, "B": pairs[::2]},
        guarded=pairs[50:],
        unreached=(),
        login="POST /api/login with JSON",
        total=len(pairs),
    )
    return Report(
        app="bigapp:create_app()",
        routes=tuple(stats),
        findings=tuple(findings),
        seed=0,
        seconds=120.0,
        requests=routes * 40,
        reach=reach,
        evidence=tuple(evidence),
        checks=CHECKS,
    )


def main() -> int:
    report = big_report()
    started = time.perf_counter()
    html = render_html(report)
    render_seconds = time.perf_counter() - started
    size = len(html.encode())
    print(f"{ROUTES} routes, {len(report.findings)} findings")
    print(f"rendered by testboost in {render_seconds:.2f} s")
    print(f"size: {size / 1e6:.2f} MB (target < {MAX_BYTES / 1e6:.0f} MB)")
    ok = size < MAX_BYTES
    executable = chromium_path()
    if executable is None:
        print("browser: chromium not installed, browser figures skipped")
        return 0 if ok else 1
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "report.html"
        page_path.write_text(html, encoding="utf-8")
        with Chromium.start(executable) as browser:
            page = browser.open("about:blank")
            loads = []
            for _ in range(3):
                seconds = page.navigate(page_path.as_uri())
                # the first frame drawn after the load: the page is on screen
                timing = page.evaluate(
                    "new Promise(done => requestAnimationFrame(() => done(["
                    "performance.getEntriesByType('navigation')[0].loadEventEnd,"
                    " performance.now()])))"
                )
                loads.append((seconds, timing[0] / 1000, timing[1] / 1000))
            filter_ms = page.evaluate(
                "(() => { const t = performance.now();"
                " document.querySelector('#filters input[value=critical]').click();"
                " document.body.offsetHeight; return performance.now() - t; })()"
            )
    best = min(loads, key=lambda load: load[0])
    print(
        f"browser (best of 3): load event {best[0]:.2f} s after navigate; in the page, "
        f"loadEventEnd {best[1]:.2f} s, first frame after it {best[2]:.2f} s "
        f"(target < {MAX_SECONDS:.0f} s)"
    )
    print(f"severity filter on {len(report.findings)} findings: {filter_ms:.0f} ms")
    ok = ok and max(best[0], best[2]) < MAX_SECONDS
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
