"""The generated suite proves itself: which breaks of a route no generated test catches.

After writing the suite, ``testboost generate`` runs it under ``audit --prove``'s machinery
(:mod:`testboost.audit.prover`, in its ``first_catch`` form: a (route, kind of break) is tried
until one test catches it). For every (route, kind) that every test survived it adds a test that
catches it (:mod:`testboost.generate.killers`), and for every (route, method) that no passing test
reaches (all its tests xfails or 405s) a passing test of what it answers today; then it proves
the added tests. What still survives is said plainly, and so is what the budget left unproven.

>>> files, proof = prove_draft(draft, runner(out, "auto", force=False), 300)  # doctest: +SKIP
>>> proof.lines()[0]
'proof of the generated suite: 364 reruns with routes broken in 102 s; 3 breaks of 3 routes that no test caught; added 2 test(s) that catch them'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from testboost.audit.run import SuiteRun, unusable_reason
from testboost.generate.builder import ModuleBuilder
from testboost.generate.material import Group
from testboost.generate.plan import PlannedTest

#: A break of one route: (method, rule, endpoint, kind).
Survivor = tuple[str, str, str, str]
#: Writes the files (name → text) and runs the suite under the proof, within ``budget`` seconds;
#: with node ids (``dir/test_x.py::test_y``) only those tests. ``budget`` ``None``: no proof.
Runner = Callable[[Mapping[str, str], Sequence[str], float | None], SuiteRun]
#: The least budget worth a second proof (of the added tests).
MIN_BUDGET = 5.0
#: Seconds the generated suite may take to run once, beside its proof.
SUITE_SECONDS = 600.0


@dataclass(frozen=True)
class SelfProof:
    """How the generated suite's proof went and what it added.

    ``status`` is ``done``, ``partial`` (the budget ran out), ``skipped`` (not run: the estimate
    was over the budget) or ``failed`` (the suite could not be run); ``survived`` the breaks the
    first proof found no test catching, ``left`` those no test catches in the end.
    """

    status: str
    reason: str | None = None
    seconds: float = 0.0
    runs: int = 0
    survived: tuple[Survivor, ...] = ()
    added: tuple[str, ...] = ()
    left: tuple[Survivor, ...] = ()
    pinned: tuple[str, ...] = ()
    unpinned: tuple[str, ...] = ()
    unproven: int = 0
    dropped: tuple[str, ...] = field(default_factory=tuple)
    reproven: bool = True
    #: why the added tests were not proven (the budget ran out, pytest could not run them)
    not_reproven: str = "the budget ran out (raise --prove-budget)"

    def lines(self) -> list[str]:
        """What generate prints about the proof."""
        if self.status == "failed":
            return [f"proof of the generated suite: not run: {self.reason}"]
        if self.status == "skipped":
            lines = [
                f"proof of the generated suite: not run: {self.reason} (--prove proves within "
                "--prove-budget anyway)"
            ]
        else:
            caught = len(self.added) - len(self.pinned)
            lines = [
                f"proof of the generated suite: {self.runs} reruns with routes broken in "
                f"{self.seconds:.0f} s; {_breaks(self.survived)} no test caught"
                + (f"; added {caught} test(s) that catch them" if caught else "")
            ]
        if self.pinned:
            lines.append(
                f"added a passing test for {len(self.pinned)} route(s) whose tests were all "
                f"xfails or 405s: {', '.join(self.pinned)}"
            )
        for route in self.unpinned:
            lines.append(f"no passing test for {route}: none of its requests could be pinned")
        if not self.reproven and self.status != "skipped":
            lines.append(f"the added tests were not proven: {self.not_reproven}")
        for method, rule, _endpoint, kind in self.left:
            lines.append(
                f"no generated test catches {method} {rule} {_KIND_WORDS.get(kind, kind)}"
                + ("" if self.reproven else " (before the added tests)")
            )
        for name in self.dropped:
            lines.append(f"left out {name}: it failed on the app when proven")
        if self.status == "partial":
            lines.append(
                f"proof incomplete: {self.reason}; {self.unproven} test(s) left unproven "
                "(raise --prove-budget)"
            )
        return lines

    def document(self) -> dict[str, object]:
        """The proof as JSON."""
        return {
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 2),
            "runs": self.runs,
            "survived": [_survivor(s) for s in self.survived],
            "added": list(self.added),
            "left": [_survivor(s) for s in self.left],
            "pinned": list(self.pinned),
            "unpinned": list(self.unpinned),
            "unproven": self.unproven,
        }


_KIND_WORDS = {
    "status": "answering another status",
    "raise": "raising in its view",
    "body-empty": "answering an empty body",
    "body-altered": "answering altered values",
    "db-rollback": "losing its database write",
}


def _survivor(survivor: Survivor) -> dict[str, str]:
    method, rule, endpoint, kind = survivor
    return {"method": method, "rule": rule, "endpoint": endpoint, "kind": kind}


def _breaks(survivors: Sequence[Survivor]) -> str:
    routes = {(m, r) for m, r, _, _ in survivors}
    if not survivors:
        return "no break that"
    return (
        f"{len(survivors)} break{'s' if len(survivors) != 1 else ''} of {len(routes)} "
        f"route{'s' if len(routes) != 1 else ''} that"
    )


def survivors(run: SuiteRun) -> list[Survivor]:
    """The (route, kind) that some passing test was rerun under and none caught."""
    if run.proof is None:
        return []
    found = []
    for (method, rule, endpoint), kinds in sorted(run.proof.kill_scores().items()):
        for kind, (caught, tried) in sorted(kinds.items()):
            if tried and not caught:
                found.append((method, rule, endpoint, kind))
    return found


def caught(run: SuiteRun) -> set[Survivor]:
    """The (route, kind) some test of the run caught."""
    if run.proof is None:
        return set()
    return {
        (method, rule, endpoint, kind)
        for (method, rule, endpoint), kinds in run.proof.kill_scores().items()
        for kind, (count, _tried) in kinds.items()
        if count
    }


def pinned_pairs(run: SuiteRun) -> set[tuple[str, str]]:
    """The (method, rule) pairs a passing test reached with an answer other than 405."""
    return {
        (hit.method, hit.rule)
        for test in run.tests
        if test.outcome == "passed"
        for hit in test.hits
        if any(status != 405 for status, _ in hit.statuses)
    }


@dataclass
class Draft:
    """The suite before it is rendered: its modules, the groups of requests and their replays,
    and how to render it and to add a passing test to a group that has none."""

    modules: dict[str, ModuleBuilder]
    groups: Sequence[Group]
    module_of: Mapping[tuple[str, str], str]
    render: Callable[[], dict[str, str]]
    killers: Callable[[ModuleBuilder, Group, set[str]], tuple[list[PlannedTest], set[str]]]
    #: adds a passing test of what the group answers today to the module, and returns it
    pin: Callable[[ModuleBuilder, Group], PlannedTest | None]
    out: str = ""


def prove_draft(draft: Draft, run: Runner, budget: float) -> tuple[dict[str, str], SelfProof]:
    """Prove the suite, add what catches the survivors, prove that; the final files and the proof."""
    started = time.monotonic()
    files = draft.render()
    first = run(files, (), budget)
    problem = unusable_reason(first)
    if problem is not None or first.proof is None:
        return files, SelfProof("failed", problem or "the proof did not run")
    # a proof over the budget still leaves the plain run: every route gets its passing test
    proved = first.proof.status not in ("skipped", "not-run")
    survived = survivors(first) if proved else []
    added: dict[str, tuple[str, PlannedTest]] = {}
    by_route: dict[tuple[str, str, str], set[str]] = {}
    for method, rule, endpoint, kind in survived:
        by_route.setdefault((method, rule, endpoint), set()).add(kind)
    groups = {(g.method, g.rule, g.route.endpoint): g for g in draft.groups}
    for route, kinds in sorted(by_route.items()):
        group = groups.get(route)
        if group is None:
            continue
        module = draft.modules[draft.module_of[(group.route.endpoint, group.rule)]]
        tests, _ = draft.killers(module, group, kinds)
        for test in tests:
            module.add(test)
            added[f"{module.filename}::{test.name}"] = (module.filename, test)
    pinned: list[str] = []
    unpinned: list[str] = []
    reached = pinned_pairs(first)
    for group in draft.groups:
        if (group.method, group.rule) in reached or not _answers(first, group):
            continue
        module = draft.modules[draft.module_of[(group.route.endpoint, group.rule)]]
        pin = draft.pin(module, group)
        if pin is None:
            unpinned.append(f"{group.method} {group.rule}")
            continue
        added[f"{module.filename}::{pin.name}"] = (module.filename, pin)
        pinned.append(f"{group.method} {group.rule}")
    runs = first.proof.runs
    unproven = len(first.proof.unproven)
    left = list(survived)
    dropped: list[str] = []
    reproven = True
    not_reproven = SelfProof.not_reproven
    if added:
        files = draft.render()
        remaining = budget - (time.monotonic() - started)
        second = run(
            files,
            [f"{draft.out}/{name}" for name in added],
            remaining if proved and remaining >= MIN_BUDGET else None,
        )
        failed = {
            name
            for name in added
            if any(
                t.nodeid.endswith(name) and t.outcome not in ("passed", None) for t in second.tests
            )
        }
        if failed:  # never leave a test that fails on today's app
            for name in sorted(failed):
                filename, test = added.pop(name)
                draft.modules[filename].tests.remove(test)
                dropped.append(name)
            files = draft.render()
        problem = unusable_reason(second)
        if problem is not None:
            reproven, not_reproven = False, problem
        elif second.proof is not None and second.proof.status not in ("skipped", "not-run"):
            runs += second.proof.runs
            now_caught = caught(second)
            left = [s for s in survived if s not in now_caught]
        else:
            reproven = False
    return files, SelfProof(
        status=first.proof.status if proved else "skipped",
        reason=first.proof.reason or (None if proved else "no test to prove"),
        seconds=time.monotonic() - started,
        runs=runs,
        survived=tuple(survived),
        added=tuple(added),
        left=tuple(left),
        pinned=tuple(pinned),
        unpinned=tuple(unpinned),
        unproven=unproven,
        dropped=tuple(dropped),
        reproven=reproven,
        not_reproven=not_reproven,
    )


def runner(out: Path, mode: str, *, force: bool) -> Runner:
    """The :data:`Runner` of ``testboost generate``: writes the suite into ``out`` and runs it
    from the current directory under the proof (``mode`` ``on`` or ``auto`` for the whole suite;
    the added tests are always proven), a (route, kind) tried until one test catches it."""
    from testboost.audit.run import ProveOptions, run_suite
    from testboost.explore.timelimit import HARD_FACTOR
    from testboost.generate.writer import write_suite

    def run(files: Mapping[str, str], only: Sequence[str], budget: float | None) -> SuiteRun:
        write_suite(out, files, force=force)
        options = None
        if budget is not None:
            options = ProveOptions("on" if only else mode, budget, 1, first_catch=True)
        return run_suite(
            out,
            root=Path.cwd(),
            # a hang guard: the proof stops itself after its budget of work (see WorkClock)
            timeout=(budget or 0.0) * HARD_FACTOR + SUITE_SECONDS,
            measure_files=(),
            prove=options,
            only=only,
        )

    return run


def _answers(run: SuiteRun, group: Group) -> bool:
    """Whether some test of the run reached the (method, rule) at all (an xfail, say)."""
    return any(
        hit.method == group.method and hit.rule == group.rule
        for test in run.tests
        for hit in test.hits
    )
