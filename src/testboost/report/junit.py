"""The diagnosis and the audit as JUnit XML, the format CI test tabs read.

``scan``: one test suite per check id that ran, one test case per (method, rule) pair in it,
failing when the check found a defect there (a finding on several routes fails each of them).
``audit``: one test case per (method, rule) pair, failing when no test reaches it, and one per
hollow test, failing with its smell::

    testboost scan --app app.py --junit testboost-junit.xml
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from testboost import __version__
from testboost.audit.matrix import AuditResult
from testboost.checks import Finding, load_checks
from testboost.report.files import MARKER
from testboost.report.model import Report
from testboost.report.reproducer import curl

#: Characters XML 1.0 cannot carry.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Pair = tuple[str, str]


def render_junit(report: Report) -> str:
    """The scan as JUnit XML text: suites per check, cases per (method, rule) pair."""
    checks = sorted({*(report.checks or load_checks()), *(f.check for f in report.findings)})
    pairs = [(m, r.rule) for r in report.routes for m in r.methods]
    failing: dict[tuple[str, Pair], Finding] = {}
    for finding in report.findings:
        for place in finding.places:
            key = (finding.check, (place.method, place.rule))
            failing.setdefault(key, finding)
            if (place.method, place.rule) not in pairs:
                pairs.append((place.method, place.rule))
    root = _root(f"testboost scan {report.app}", report.seconds)
    for check in checks:
        suite = ET.SubElement(root, "testsuite", name=check)
        for method, rule in pairs:
            case = _case(suite, f"testboost.{check}", f"{method} {rule}")
            found = failing.get((check, (method, rule)))
            if found is not None:
                failure = ET.SubElement(
                    case, "failure", type=found.severity, message=_clean(found.message)
                )
                failure.text = _clean(_finding_text(found, method, rule))
        _count(suite)
    return _text(root, f"scan of {report.app}")


def render_audit_junit(result: AuditResult) -> str:
    """The audit as JUnit XML text: one case per (method, rule) pair, one per hollow test."""
    root = _root(f"testboost audit {result.app}", result.seconds)
    coverage = ET.SubElement(root, "testsuite", name="route coverage")
    for pair in result.pairs:
        case = _case(coverage, "testboost.route-coverage", f"{pair.method} {pair.rule}")
        if pair.reached:
            ET.SubElement(case, "system-out").text = _clean("reached by " + ", ".join(pair.tests))
        else:
            ET.SubElement(
                case,
                "failure",
                type="unreached-route",
                message=f"no test of {result.tests_dir} reaches {pair.method} {pair.rule}",
            ).text = _clean(f"view: {pair.view or '-'}")
    _count(coverage)
    hollow = ET.SubElement(root, "testsuite", name="hollow tests")
    for test in result.hollow:
        case = _case(hollow, "testboost.hollow-test", test.nodeid)
        case.set("file", test.file)
        case.set("line", str(test.line))
        ET.SubElement(
            case, "failure", type=test.smell, message=_clean(f"{test.smell}: {test.detail}")
        ).text = _clean(f"{test.file}:{test.line} {test.nodeid}: {test.detail}")
    _count(hollow)
    return _text(root, f"audit of {result.app}")


def _root(name: str, seconds: float) -> ET.Element:
    return ET.Element("testsuites", name=_clean(name), time=f"{seconds:.2f}")


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=_clean(name), time="0")


def _count(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", "0")
    suite.set("skipped", "0")


def _text(root: ET.Element, what: str) -> str:
    _totals(root, root.findall("testsuite"))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    comment = _clean(f"{MARKER} {__version__}: {what}").replace("--", "- -")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<!-- {comment} -->\n{body}\n'


def _totals(root: ET.Element, suites: Iterable[ET.Element]) -> None:
    listed = list(suites)
    for attribute in ("tests", "failures", "errors", "skipped"):
        root.set(attribute, str(sum(int(s.get(attribute, "0")) for s in listed)))


def _finding_text(finding: Finding, method: str, rule: str) -> str:
    place = next(p for p in finding.places if (p.method, p.rule) == (method, rule))
    lines = [
        f"{finding.check} ({finding.severity}): {method} {rule} -> "
        f"{place.status if place.status is not None else '-'}",
        finding.message,
    ]
    if finding.location:
        lines.append(f"at {finding.location}")
    lines.append(curl(place.request))
    return "\n".join(lines)


def _clean(text: str) -> str:
    return _NOT_XML.sub("?", text)
