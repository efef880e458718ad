"""The diagnosis and the audit as SARIF 2.1.0, the format GitHub code scanning reads.

One rule per check id (``server-error``, ``missing-404``, ...; for the audit, one per hollow-test
smell and ``unreached-route``), one result per finding, located at the user's ``file:line``
relative to the project root (the current directory), or at the view's ``file:line`` when the
finding has no line of its own::

    testboost scan --app app.py --sarif testboost.sarif
    # then, in a GitHub workflow: github/codeql-action/upload-sarif with sarif_file: testboost.sarif
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path, PurePosixPath
from typing import Any

from testboost import __version__
from testboost.audit.matrix import AuditResult
from testboost.checks import Finding, load_checks
from testboost.report.files import MARKER, json_text
from testboost.report.model import Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: SARIF levels by testboost severity.
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
#: GitHub's ``security-severity`` (0-10) by severity, for the checks that are about security.
_SECURITY_SCORES = {"critical": "9.0", "high": "7.0", "medium": "5.0", "low": "3.0", "info": "1.0"}
_SECURITY = {
    "broken-object-auth",
    "data-leak",
    "mass-assignment",
    "missing-auth",
    "open-redirect",
    "sql-injection",
}
_AUDIT_RULES = {
    "unreached-route": "No test of the suite sends a request to this (method, rule) pair.",
    "no-assertion": "A test runs code but asserts nothing.",
    "constant-assertion": "A test only asserts a constant, which always passes.",
    "placeholder": "A test body is a placeholder (pass, ..., a TODO).",
    "print-only": "A test only prints what it gets.",
    "skipped-todo": "A test is skipped with a TODO reason.",
    "status-only": "A test only checks the status code of a response that has a body to check.",
}


def render_sarif(report: Report, root: Path | None = None) -> str:
    """The scan's findings as a SARIF 2.1.0 log (text), paths relative to ``root`` (cwd)."""
    root = root or Path.cwd()
    checks = sorted({*(report.checks or load_checks()), *(f.check for f in report.findings)})
    index = {check: i for i, check in enumerate(checks)}
    views = {r.endpoint: r.view for r in report.routes}
    results = [
        _finding_result(finding, index[finding.check], views.get(finding.endpoint), root)
        for finding in report.findings
    ]
    return _log([_check_rule(check) for check in checks], results, report.app)


def render_audit_sarif(result: AuditResult, root: Path | None = None) -> str:
    """The audit's hollow tests and unreached pairs as a SARIF 2.1.0 log (text)."""
    root = root or Path.cwd()
    rules = list(_AUDIT_RULES)
    results = [
        _result(
            "unreached-route",
            rules.index("unreached-route"),
            "warning",
            f"{pair.method} {pair.rule} is not reached by any test of {result.tests_dir}",
            _split_location(_view_for(pair.view, pair.method)),
            root,
            {"method": pair.method, "rule": pair.rule, "endpoint": pair.endpoint},
        )
        for pair in result.unreached
    ]
    results += [
        _result(
            test.smell,
            rules.index(test.smell),
            "warning",
            f"{test.nodeid}: {test.detail}",
            (test.file, test.line),
            root,
            {"nodeid": test.nodeid},
        )
        for test in result.hollow
        if test.smell in _AUDIT_RULES
    ]
    descriptors = [
        {
            "id": rule,
            "name": _camel(rule),
            "shortDescription": {"text": text},
            "defaultConfiguration": {"level": "warning"},
        }
        for rule, text in _AUDIT_RULES.items()
    ]
    return _log(descriptors, results, result.app)


def _log(rules: list[dict[str, Any]], results: list[dict[str, Any]], app: str) -> str:
    document = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        # first in the file, so that testboost recognises its own file before overwriting it
        "properties": {"generator": f"{MARKER} {__version__}", "app": app},
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "testboost",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"testboost/{app}/"},
                "results": results,
            }
        ],
    }
    return json_text(document)


def _check_rule(check: str) -> dict[str, Any]:
    summary = check_description(check)
    short = summary.split(". ")[0].rstrip(".") + "."
    rule: dict[str, Any] = {"id": check, "name": _camel(check), "shortDescription": {"text": short}}
    if summary != short:
        rule["fullDescription"] = {"text": summary}
    rule["properties"] = {"tags": ["security"] if check in _SECURITY else ["correctness"]}
    return rule


def check_description(check: str) -> str:
    """The first paragraph of the check module's docstring, without the ``check-id:`` prefix."""
    function = load_checks().get(check)
    module = sys.modules.get(getattr(function, "__module__", ""), None)
    doc = (getattr(module, "__doc__", None) or "").strip()
    first = " ".join(doc.split("\n\n")[0].split())
    prefix = f"``{check}``:"
    text = first.removeprefix(prefix).strip().replace("``", "")
    return text[:1].upper() + text[1:] if text else f"testboost check {check}."


def _finding_result(finding: Finding, index: int, view: str | None, root: Path) -> dict[str, Any]:
    where = _split_location(finding.location or _view_for(view, finding.method))
    status = finding.status if finding.status is not None else "-"
    message = f"{finding.method} {finding.rule} -> {status}: {finding.message}"
    others = [f"{p.method} {p.rule}" for p in finding.places[1:]]
    if others:
        message += f" (also on {', '.join(others)})"
    result = _result(
        finding.check,
        index,
        LEVELS[finding.severity],
        message,
        where,
        root,
        {
            "severity": finding.severity,
            "method": finding.method,
            "rule": finding.rule,
            "endpoint": finding.endpoint,
            "status": finding.status,
            "count": finding.count,
        },
    )
    if finding.check in _SECURITY:
        result["properties"]["security-severity"] = _SECURITY_SCORES[finding.severity]
    return result


def _result(
    rule: str,
    index: int,
    level: str,
    message: str,
    where: tuple[str, int | None] | None,
    root: Path,
    properties: dict[str, Any],
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": rule,
        "ruleIndex": index,
        "level": level,
        "message": {"text": message},
    }
    if where is not None:
        result["locations"] = [_location(where, root)]
    key = json.dumps([rule, properties.get("method"), properties.get("rule"), message[:200]])
    result["partialFingerprints"] = {
        "testboostFinding/v1": hashlib.sha256(key.encode()).hexdigest()[:32]
    }
    result["properties"] = properties
    return result


def _location(where: tuple[str, int | None], root: Path) -> dict[str, Any]:
    file, line = where
    artifact = _artifact(file, root)
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line is not None and line > 0:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _artifact(file: str, root: Path) -> dict[str, Any]:
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(root.resolve())
        except ValueError:
            return {"uri": path.as_uri()}
    return {"uri": PurePosixPath(*path.parts).as_posix(), "uriBaseId": "%SRCROOT%"}


def _split_location(location: str | None) -> tuple[str, int | None] | None:
    """``("app/views.py", 12)`` from ``app/views.py:12``."""
    if not location or location == "-":
        return None
    file, _, line = location.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return location, None


def _view_for(view: str | None, method: str) -> str | None:
    """The view's ``file:line`` for ``method`` from a label like ``GET: a.py:3; POST: a.py:9``."""
    if not view or "; " not in view:
        return view
    places = dict(part.split(": ", 1) for part in view.split("; ") if ": " in part)
    return places.get(method) or next(iter(places.values()), None)


def _camel(identifier: str) -> str:
    return "".join(part.capitalize() for part in identifier.split("-"))
