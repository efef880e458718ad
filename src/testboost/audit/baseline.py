"""The guard: a committed baseline of the audit that CI compares every later audit against.

A team adopts the gate today by writing the baseline (``testboost audit --baseline FILE`` when
FILE does not exist yet) and committing it. From then on the audit fails when

* route coverage drops below the baseline's,
* a hollow test appears that the baseline does not list, or
* a (method, rule) pair no test reaches is not listed as unreached in the baseline (a new route
  without a test, or a route whose only test was removed).

Improvements never fail the gate; they are reported so that the team can re-adopt the baseline
and ratchet up.

>>> check = compare(read_baseline(Path(".testboost-baseline.json")), baseline_of(result))  # doctest: +SKIP
>>> check.failed, check.new_hollow
(True, (('tests/test_x.py::test_new', 'no-assertion'),))
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testboost.audit.matrix import AuditResult, Pair, Ratio
from testboost.errors import UsageError

SCHEMA = "testboost.baseline/1"


@dataclass(frozen=True)
class Baseline:
    """The state the gate holds a suite to: route coverage, hollow tests, unreached pairs."""

    coverage: Ratio
    hollow: tuple[tuple[str, str], ...]
    unreached: tuple[Pair, ...]


@dataclass(frozen=True)
class BaselineCheck:
    """How an audit compares with the baseline: what got worse (fails) and what got better."""

    baseline: Baseline
    current: Baseline
    new_hollow: tuple[tuple[str, str], ...]
    new_unreached: tuple[Pair, ...]
    fixed_hollow: tuple[tuple[str, str], ...]
    newly_reached: tuple[Pair, ...]

    @property
    def coverage_dropped(self) -> bool:
        """Whether route coverage is lower than the baseline's."""
        return self.current.coverage.below(self.baseline.coverage)

    @property
    def failed(self) -> bool:
        """Whether the gate fails."""
        return self.coverage_dropped or bool(self.new_hollow) or bool(self.new_unreached)

    @property
    def improved(self) -> bool:
        """Whether something got better than the baseline records."""
        return bool(self.fixed_hollow or self.newly_reached) or self.baseline.coverage.below(
            self.current.coverage
        )


def baseline_of(result: AuditResult) -> Baseline:
    """The baseline an audit would write."""
    return Baseline(
        coverage=result.route_coverage,
        hollow=tuple(sorted((t.nodeid, t.smell) for t in result.hollow)),
        unreached=tuple(sorted(p.pair for p in result.unreached)),
    )


def compare(baseline: Baseline, current: Baseline) -> BaselineCheck:
    """Compare an audit's state with the committed baseline.

    Hollow tests are matched by node id (a test whose smell changes is still the same known
    hollow test); unreached pairs by (method, rule).
    """
    known_hollow = {nodeid for nodeid, _ in baseline.hollow}
    now_hollow = {nodeid for nodeid, _ in current.hollow}
    known_unreached = set(baseline.unreached)
    now_unreached = set(current.unreached)
    return BaselineCheck(
        baseline=baseline,
        current=current,
        new_hollow=tuple(t for t in current.hollow if t[0] not in known_hollow),
        new_unreached=tuple(p for p in current.unreached if p not in known_unreached),
        fixed_hollow=tuple(t for t in baseline.hollow if t[0] not in now_hollow),
        newly_reached=tuple(p for p in baseline.unreached if p not in now_unreached),
    )


def baseline_document(baseline: Baseline, *, app: str, tests_dir: str) -> dict[str, Any]:
    """The baseline as JSON data (``testboost.baseline/1``), sorted so that diffs stay small."""
    return {
        "schema": SCHEMA,
        "app": app,
        "tests": tests_dir,
        "route_coverage": {
            "covered": baseline.coverage.covered,
            "total": baseline.coverage.total,
            "percent": round(baseline.coverage.percent, 1),
        },
        "hollow_tests": [{"nodeid": n, "smell": s} for n, s in baseline.hollow],
        "unreached": [{"method": m, "rule": r} for m, r in baseline.unreached],
    }


def read_baseline(path: Path) -> Baseline:
    """Read a baseline file; a file that is not one is a :class:`UsageError` naming the fix."""
    fix = f"Delete {path} and rerun to write a fresh baseline."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"Cannot read the baseline {path}: {exc.strerror}. {fix}") from exc
    except ValueError as exc:
        raise UsageError(f"The baseline {path} is not valid JSON ({exc}). {fix}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(f"{path} is not a testboost baseline (schema {SCHEMA}). {fix}")
    try:
        coverage = data["route_coverage"]
        return Baseline(
            coverage=Ratio(int(coverage["covered"]), int(coverage["total"])),
            hollow=tuple(
                (str(t["nodeid"]), str(t.get("smell", ""))) for t in data.get("hollow_tests", [])
            ),
            unreached=tuple((str(p["method"]), str(p["rule"])) for p in data.get("unreached", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"The baseline {path} is incomplete (missing {exc}). {fix}") from exc
