"""The audit of a test suite in the terminal and as JSON (``testboost.audit/1``, a contract).

Both read one :class:`~testboost.audit.matrix.AuditResult`; the baseline check has its own short
renderer.

>>> render_audit(make_console(), result)                          # doctest: +SKIP
>>> write_json_atomic(Path("audit.json"), audit_document(result))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from testboost.audit.baseline import BaselineCheck
from testboost.audit.coverage import LineCoverage
from testboost.audit.matrix import AuditResult, PairCoverage, Ratio
from testboost.report.console import is_plain, make_table

SCHEMA = "testboost.audit/1"
#: Node ids shown per pair in the terminal; the JSON lists all of them.
SHOWN_TESTS = 2


def render_audit(console: Console, result: AuditResult) -> None:
    """Print the matrix, the unreached pairs, the hollow tests and the summary lines."""
    plain = is_plain(console)
    table = make_table(console)
    proved = result.proof is not None and result.proof.runs > 0
    columns = ["method", "rule", "tests", "statuses", "view lines"]
    columns += ["caught by (tests per break)"] if proved else []
    for column in [*columns, "reached by"]:
        table.add_column(column, overflow="fold", justify="right" if column == "tests" else "left")
    prefix = _common_prefix(result)
    for pair in result.pairs:
        cells = [
            pair.method,
            escape(pair.rule),
            str(len(pair.tests)),
            _statuses(pair, plain),
            _lines(pair.lines),
        ]
        if proved:
            cells.append(_kills(pair))
        table.add_row(
            *cells,
            escape(_tests(pair, prefix)),
            style=None if pair.reached or plain else "dim",
        )
    console.print(table)

    unreached = result.unreached
    if unreached:
        console.print(f"\nNot reached by any test ({len(unreached)} of {len(result.pairs)} pairs):")
        width = max(len(p.rule) for p in unreached)
        for pair in unreached:
            line = f"  {pair.method:<7} {pair.rule:<{width}}  {pair.view or ''}".rstrip()
            console.print(escape(line), highlight=False)

    if result.hollow:
        console.print(f"\nHollow tests ({len(result.hollow)}):")
        width = max(len(f"{t.file}:{t.line}") for t in result.hollow)
        for test in result.hollow:
            where = f"{test.file}:{test.line}"
            name = test.nodeid.split("::", 1)[-1]
            smell = f"{test.smell:<18}"
            if not plain:
                smell = f"[yellow]{smell}[/]"
            console.print(
                f"  {escape(f'{where:<{width}}')}  {smell}  {escape(name)}"
                f"  ({escape(test.detail)})",
                highlight=False,
            )
    else:
        console.print("\nNo hollow tests found.")
    for test in result.status_only_cleared:
        console.print(
            f"  note: {escape(test.nodeid)} only checks the status, but every response it saw "
            "had an empty body: not counted as hollow",
            highlight=False,
        )
    for test, message in result.proven_real:
        console.print(
            f"  note: {escape(test.nodeid)} looks {test.smell} but is real: it {escape(message)}",
            highlight=False,
        )
    for unreadable in result.unreadable:
        console.print(
            f"  note: could not scan {escape(unreadable.file)}: {escape(unreadable.reason)}",
            highlight=False,
        )
    if result.failed_tests:
        console.print(f"\nFailing tests ({len(result.failed_tests)}):")
        for nodeid in result.failed_tests:
            console.print(f"  {escape(nodeid)}", highlight=False)

    console.print()
    console.print(_pytest_line(result), highlight=False)
    if result.proof is not None:
        console.print(_proof_line(result), highlight=False)
    coverage = result.route_coverage
    lines = result.view_lines
    console.print(
        f"Route coverage: {coverage.covered}/{coverage.total} (method, rule) pairs reached "
        f"({coverage.percent:.1f}%)"
        + (
            f"; view lines run: {lines.covered}/{lines.total} ({lines.percent:.1f}%)"
            if lines is not None
            else ""
        )
        + f"; {_plural(len(result.hollow), 'hollow test')}",
        highlight=False,
    )


def audit_document(result: AuditResult) -> dict[str, Any]:
    """The audit as JSON data in the ``testboost.audit/1`` schema.

    The contract's fields (``route_coverage``, per pair ``tests`` and ``statuses``,
    ``hollow_tests``, ``tests``) are extended with the view line coverage, the unreached pairs and
    how the run went.
    """
    lines = result.view_lines
    return {
        "schema": SCHEMA,
        "app": result.app,
        "tests_dir": result.tests_dir,
        "route_coverage": _ratio(result.route_coverage),
        "view_line_coverage": _ratio(lines) if lines is not None else None,
        "pairs": [_pair_document(pair) for pair in result.pairs],
        "unreached": [
            {"method": p.method, "rule": p.rule, "endpoint": p.endpoint} for p in result.unreached
        ],
        "hollow_tests": [
            {
                "nodeid": t.nodeid,
                "file": t.file,
                "line": t.line,
                "smell": t.smell,
                "detail": t.detail,
            }
            for t in result.hollow
        ],
        "status_only_cleared": [t.nodeid for t in result.status_only_cleared],
        "proof": _proof_document(result),
        "tests": {
            "passed": result.counts.passed,
            "failed": result.counts.failed,
            "errors": result.counts.errors,
            "skipped": result.counts.skipped,
            "xfailed": result.counts.xfailed,
            "xpassed": result.counts.xpassed,
        },
        "failed_tests": list(result.failed_tests),
        "unreadable": [{"file": u.file, "reason": u.reason} for u in result.unreadable],
        "run": {
            "complete": not result.partial,
            "reason": None,
            "stopped_in": result.stopped_in,
            "tests_run": result.tests_run,
            "seconds": round(result.seconds, 2),
        },
    }


def render_baseline_written(console: Console, path: Path, result: AuditResult) -> None:
    """Say that a baseline was adopted and what it holds the suite to."""
    coverage = result.route_coverage
    console.print(
        f"\nBaseline written to {escape(str(path))}: route coverage {coverage.percent:.1f}%, "
        f"{_plural(len(result.hollow), 'hollow test')}, "
        f"{_plural(len(result.unreached), 'unreached pair')}. "
        "Commit it: later audits with --baseline fail when coverage drops, a new hollow test "
        "appears or a pair without a test is added.",
        highlight=False,
    )


def render_baseline_check(console: Console, path: Path, check: BaselineCheck) -> None:
    """Print what changed against the baseline, failures first."""
    before, after = check.baseline.coverage, check.current.coverage
    verdict = "FAILED" if check.failed else "passed"
    console.print(f"\nBaseline {escape(str(path))}: {verdict}", highlight=False)
    if check.coverage_dropped:
        console.print(
            f"  route coverage dropped: {before.percent:.1f}% ({before.covered}/{before.total}) "
            f"-> {after.percent:.1f}% ({after.covered}/{after.total})",
            highlight=False,
        )
    for nodeid, smell in check.new_hollow:
        console.print(f"  new hollow test: {escape(nodeid)} ({smell})", highlight=False)
    for method, rule in check.new_unreached:
        console.print(
            f"  not reached by any test and not in the baseline: {method} {escape(rule)}",
            highlight=False,
        )
    if not check.failed:
        console.print(
            f"  route coverage {after.percent:.1f}% (baseline {before.percent:.1f}%), "
            "no new hollow test, no new unreached pair",
            highlight=False,
        )
    for nodeid, _ in check.fixed_hollow:
        console.print(f"  no longer hollow: {escape(nodeid)}", highlight=False)
    for method, rule in check.newly_reached:
        console.print(f"  now reached: {method} {escape(rule)}", highlight=False)
    if check.improved and not check.failed:
        console.print(
            f"  better than the baseline: delete {escape(str(path))} and rerun to ratchet it up.",
            highlight=False,
        )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _ratio(ratio: Ratio) -> dict[str, Any]:
    return {"covered": ratio.covered, "total": ratio.total, "percent": round(ratio.percent, 1)}


def _pair_document(pair: PairCoverage) -> dict[str, Any]:
    lines = pair.lines
    return {
        "method": pair.method,
        "rule": pair.rule,
        "endpoint": pair.endpoint,
        "view": pair.view,
        "tests": list(pair.tests),
        "statuses": {str(status): count for status, count in pair.statuses},
        "kill_score": {
            kind: {"caught": caught, "tried": tried} for kind, caught, tried in pair.kill_score
        },
        "view_line_coverage": (
            {
                "lines": len(lines.lines),
                "covered": lines.covered,
                "percent": round(lines.percent, 1),
                "missing": list(lines.missing),
            }
            if lines is not None
            else None
        ),
    }


def unusable_document(app: str, tests_dir: str, reason: str) -> dict[str, Any]:
    """The audit of a run that could not be used: no verdict on tests that did not run.

    Same schema, with ``run.complete`` false and ``run.reason`` saying why; no hollow test, no
    pytest tally (``tests`` is ``null``), no pairs.
    """
    return {
        "schema": SCHEMA,
        "app": app,
        "tests_dir": tests_dir,
        "route_coverage": None,
        "view_line_coverage": None,
        "pairs": [],
        "unreached": [],
        "hollow_tests": [],
        "status_only_cleared": [],
        "proof": None,
        "tests": None,
        "failed_tests": [],
        "unreadable": [],
        "run": {
            "complete": False,
            "reason": reason,
            "stopped_in": None,
            "tests_run": 0,
            "seconds": None,
        },
    }


def _proof_document(result: AuditResult) -> dict[str, Any] | None:
    proof = result.proof
    if proof is None:
        return None
    verdicts = [t.verdict for t in proof.tests]
    return {
        "mode": proof.mode,
        "status": proof.status,
        "reason": proof.reason,
        "budget": proof.budget,
        "seconds": round(proof.seconds, 2),
        "runs": proof.runs,
        "verdict_seconds": round(proof.verdict_seconds, 2),
        "verdict_runs": proof.verdict_runs,
        "tests_proven": len(proof.tests),
        "real": verdicts.count("real"),
        "hollow": verdicts.count("hollow"),
        "unproven": [
            *(
                {"nodeid": t.nodeid, "reason": t.message()}
                for t in proof.tests
                if t.verdict == "unproven"
            ),
            *({"nodeid": nodeid, "reason": reason} for nodeid, reason in proof.unproven),
        ],
        "proven_real": [
            {"nodeid": t.nodeid, "smell": t.smell, "message": message}
            for t, message in result.proven_real
        ],
        "tests": [
            {
                "nodeid": t.nodeid,
                "verdict": t.verdict,
                "message": t.message(),
                "control": t.control,
                "breaks": [
                    {
                        "method": b.method,
                        "rule": b.rule,
                        "endpoint": b.endpoint,
                        "kind": b.kind,
                        "phase": b.phase,
                        "result": b.result,
                        "detail": b.detail,
                    }
                    for b in t.breaks
                ],
            }
            for t in proof.tests
        ],
    }


def _proof_line(result: AuditResult) -> str:
    proof = result.proof
    assert proof is not None
    if proof.status == "skipped":
        return f"Proof skipped: {proof.reason}. Rerun with --prove --budget SECONDS to prove."
    verdicts = [t.verdict for t in proof.tests]
    unproven = verdicts.count("unproven") + len(proof.unproven)
    line = (
        f"Proof: {len(proof.tests)} tests rerun {proof.runs} times with their routes broken in "
        f"{proof.seconds:.1f} s: {verdicts.count('real')} catch a broken route, "
        f"{verdicts.count('hollow')} catch none" + (f", {unproven} unproven" if unproven else "")
    )
    if proof.status == "partial":
        line += f" ({proof.reason}: {len(proof.unproven)} tests left unproven)"
    elif proof.reason:
        line += f" ({proof.reason})"
    return line


_KIND_LABELS = {
    "status": "status",
    "body-empty": "empty",
    "body-altered": "altered",
    "db-rollback": "db",
    "raise": "raise",
}


def _kills(pair: PairCoverage) -> str:
    if not pair.kill_score:
        return "-"
    return " ".join(
        f"{_KIND_LABELS.get(kind, kind)}:{caught}/{tried}"
        for kind, caught, tried in pair.kill_score
    )


def _statuses(pair: PairCoverage, plain: bool) -> str:
    if not pair.statuses:
        return "-"
    groups: dict[str, int] = {}
    for status, count in pair.statuses:
        group = f"{status // 100}xx"
        groups[group] = groups.get(group, 0) + count
    parts = []
    for group, count in sorted(groups.items()):
        text = f"{group}:{count}"
        if not plain and group == "5xx":
            text = f"[red]{text}[/]"
        parts.append(text)
    return " ".join(parts)


def _lines(lines: LineCoverage | None) -> str:
    if lines is None:
        return "-"
    return f"{lines.percent:.0f}% ({lines.covered}/{len(lines.lines)})"


def _tests(pair: PairCoverage, prefix: str) -> str:
    if not pair.tests:
        return "-"
    shown = [t.removeprefix(prefix) for t in pair.tests[:SHOWN_TESTS]]
    more = len(pair.tests) - SHOWN_TESTS
    return ", ".join(shown) + (f" +{more} more" if more > 0 else "")


def _common_prefix(result: AuditResult) -> str:
    """The tests directory as it starts node ids, left out of the matrix to keep rows short."""
    directory = Path(result.tests_dir).as_posix().strip("/")
    return "" if directory in ("", ".") else directory + "/"


def _pytest_line(result: AuditResult) -> str:
    counts = result.counts
    extra = [
        f"{n} {name}"
        for n, name in (
            (counts.skipped, "skipped"),
            (counts.xfailed, "xfailed"),
            (counts.xpassed, "xpassed"),
        )
        if n
    ]
    partial = " (stopped before the end)" if result.partial else ""
    return (
        f"pytest: {counts.passed} passed, {counts.failed} failed, {counts.errors} errors"
        + (f" ({', '.join(extra)})" if extra else "")
        + f" in {result.seconds:.1f} s{partial}"
    )
