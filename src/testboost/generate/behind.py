"""Every guarded pair the probe reached as a user gets a test that sends that user's credentials.

A route's usual tests can all be without credentials: its valid request flagged by a finding
(so never pinned as the expected answer), that finding folded into another route's (one finding
per cause, its xfail test written there), and the one passing test left the "requires
credentials" one. The suite would then never show the route behind its login. For such a pair
this writes one test as the user the probe reached it with: what today's answer is (status and
content type, nothing a finding is about), else, when the route crashes for that user, the
xfail test of the crash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from testboost.explore.identity import CLIENT_FIXTURES, HEADER_FIXTURES
from testboost.explore.reach import is_denied
from testboost.generate.builder import ModuleBuilder
from testboost.generate.defects import Defect, defect_test
from testboost.generate.material import Group, Sample
from testboost.generate.plan import PlannedTest
from testboost.generate.routes import consistent, pinning_test

if TYPE_CHECKING:
    from testboost.generate.planner import Material

#: The fixtures that carry a user's credentials.
IDENTITY_FIXTURES = frozenset({*CLIENT_FIXTURES.values(), *HEADER_FIXTURES.values()})

PairKey = tuple[str, str]


def credentialed(tests: Sequence[PlannedTest]) -> bool:
    """Whether one of the tests sends a user's credentials."""
    return any(IDENTITY_FIXTURES & set(test.fixtures) for test in tests)


def _as_users(group: Group) -> list[Sample]:
    """The group's requests sent as a logged-in user, the valid one first."""
    samples = [group.valid, *group.cases]
    return [
        s
        for s in samples
        if s is not None and s.step.identity is not None and s.kind != "wrong-method"
    ]


def _crash_message(material: Material, group: Group, sample: Sample, status: int) -> str:
    """The message of the finding behind the crash (folded under another route or not)."""
    for finding in material.findings:
        if finding.check != "server-error":
            continue
        places = {(finding.method, finding.rule), *((p.method, p.rule) for p in finding.routes)}
        if (group.method, group.rule) == (finding.method, finding.rule):
            return finding.message
        if (group.method, group.rule) in places:
            cause = finding.cause or finding.message.split(" for ", 1)[0]
            return (
                f"{cause} for {group.method} {group.rule} "
                f"(the cause of the finding on {finding.method} {finding.rule})"
            )
    return f"answered {status} when {sample.description} as user {sample.step.identity}"


def behind_login(
    material: Material,
    modules: Mapping[str, ModuleBuilder],
    layout: Mapping[tuple[str, str], str],
    covered: set[PairKey],
    notes: list[str] | None,
) -> None:
    """Add a credentialed test to each guarded pair that has none (``covered`` are those that do)."""
    from testboost.generate.planner import replay_of

    for group in material.groups:
        key = (group.method, group.rule)
        if key not in material.guarded or key in covered:
            continue
        module = modules.get(layout[(group.route.endpoint, group.rule)])
        if module is None:
            continue
        crashed: tuple[Sample, int] | None = None
        test: PlannedTest | None = None
        for sample in _as_users(group):
            pair = replay_of(material, sample.step)
            seen = consistent(pair)
            if pair is None or seen is None or is_denied(seen.status, seen.location):
                continue
            if seen.status >= 500 and not sample.answered_on_purpose(seen.status):
                crashed = crashed or (sample, seen.status)
                continue
            test = pinning_test(material.context, module, group, sample, pair)
            if test is not None:
                break
        if test is None and crashed is not None:
            sample, status = crashed
            message = _crash_message(material, group, sample, status)
            defect = Defect("crash", message, group.method, group.rule, sample)
            test = defect_test(material.context, module, defect, replay_of(material, sample.step))
        if test is not None:
            module.add(test)
            covered.add(key)
        elif notes is not None and _as_users(group):
            notes.append(
                f"no test as a logged-in user for {group.method} {group.rule}: none of its "
                "requests as a user got an answer both replays agreed on"
            )
