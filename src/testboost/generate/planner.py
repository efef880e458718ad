"""Turn the probe's exchanges and findings into the generated suite's modules.

The stages, in order:

1. sort the exchanges into one :class:`Group` per (route, method), marking those behind a finding;
2. complete valid requests the app rejected, from its own error messages (:mod:`.repair`), and
   derive one invalid variant per field of each completed body;
3. replay every request twice in the suite's own world (:mod:`.replay`);
4. write the tests of each route into the module of its blueprint, each finding as an xfail test,
   then the flows and the query budgets (:mod:`.flows`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from testboost.analysis.inputs import value_type
from testboost.checks import Finding, request_json
from testboost.explore.runner import ProbeResult
from testboost.explore.values import invalid_variants
from testboost.generate.behind import behind_login, credentialed
from testboost.generate.builder import ModuleBuilder
from testboost.generate.calls import Caller
from testboost.generate.defects import Defect, defect_test, defects_of
from testboost.generate.expect import Known
from testboost.generate.material import (
    PERFORMANCE_CHECKS,
    Group,
    Sample,
    defects_by_request,
    groups,
)
from testboost.generate.naming import resource_prefix
from testboost.generate.plan import ModulePlan, PlannedTest
from testboost.generate.pycode import identifier
from testboost.generate.repair import Values, html_text, message_text, propose
from testboost.generate.replay import Job, Outcome, Replayer, Step
from testboost.generate.routes import (
    Context,
    Pair,
    case_test,
    consistent,
    is_rejection,
    pinning_test,
    rejection_tests,
    success_test,
)
from testboost.generate.world import World
from testboost.inventory import Route

#: Statuses of a valid request that an error message may explain.
REPAIRABLE = frozenset({400, 409, 415, 422})
REPAIR_ROUNDS = 6
FLOWS_MODULE = "test_flows.py"
BUDGETS_MODULE = "test_query_budgets.py"


@dataclass(frozen=True)
class Material:
    """The groups after repair, every sample's two replays, and the defects to write."""

    groups: tuple[Group, ...]
    replays: Mapping[str, Pair]
    defects: tuple[Defect, ...]
    context: Context
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    #: the (method, rule) pairs the probe found guarded
    guarded: frozenset[tuple[str, str]] = frozenset()


def gather(
    routes: Sequence[Route],
    result: ProbeResult,
    findings: Sequence[Finding],
    world: World,
    replayer: Replayer,
) -> Material:
    """Stages 1 to 3: groups, repaired requests, variants, and all replays."""
    defects = defects_by_request(result.exchanges, result.facts, findings)
    found, notes = for_identities(
        groups(routes, result.exchanges, defects), findings, replayer.users, world
    )
    values = _values(world)
    found = repair(found, replayer, values, _taken(world))
    for index, group in enumerate(found):
        extra = [*query_variants(group)]
        reverse = reversed_ownership(group, values)
        if reverse is not None:
            extra.append(reverse)
        if extra:
            found[index] = replace(group, cases=(*group.cases, *extra))
    samples: dict[str, Sample] = {}
    for group in found:
        for sample in (group.valid, *group.cases):
            if sample is not None and sample.exchange is not None:
                samples.setdefault(request_json(sample.exchange.request), sample)
    defect_list = defects_of(findings, samples, result.facts.foreign_keys)
    jobs: dict[str, Job] = {}
    for group in found:
        for sample in (group.valid, *group.cases):
            if sample is not None:
                job = Job((sample.step,))
                jobs.setdefault(job.key(), job)
    for defect in defect_list:
        job = Job((defect.sample.step,), inspect=defect.inspect)
        jobs.setdefault(job.key(), job)
    keys = sorted(jobs)
    pairs = replayer.run_twice([jobs[k] for k in keys])
    context = Context(
        caller=Caller(cookie_login=world.cookie_login, header_login=world.header_login),
        known=_known(world),
        json_api=world.json_api,
    )
    return Material(
        tuple(found),
        dict(zip(keys, pairs, strict=True)),
        tuple(defect_list),
        context,
        tuple(findings),
        tuple(notes),
        frozenset(result.reach.guarded) if result.reach is not None else frozenset(),
    )


def for_identities(
    found: Sequence[Group],
    findings: Sequence[Finding],
    users: Mapping[str, str | None],
    world: World,
) -> tuple[list[Group], list[str]]:
    """The groups without the requests of users that did not log in in the suite's world.

    A test sent as such a user would need a fixture the conftest cannot give (or one that fails):
    it is not written, and a note per user says how many requests and findings that leaves out.
    """
    allowed = {name for name, reason in users.items() if reason is None}

    def kept(sample: Sample | None) -> bool:
        return sample is None or sample.step.identity is None or sample.step.identity in allowed

    dropped: dict[str, int] = {}
    result: list[Group] = []
    for group in found:
        for sample in (group.valid, *group.cases):
            if not kept(sample):
                assert sample is not None and sample.step.identity is not None
                dropped[sample.step.identity] = dropped.get(sample.step.identity, 0) + 1
        valid = group.valid if kept(group.valid) else None
        result.append(replace(group, valid=valid, cases=tuple(c for c in group.cases if kept(c))))
    lost: dict[str, int] = {}
    for finding in findings:
        identity = finding.request.identity
        if identity is not None and identity not in allowed:
            lost[identity] = lost.get(identity, 0) + 1
    notes = []
    for identity in sorted(set(dropped) | set(lost), key=str):
        reason = users.get(identity) or (
            "no login worked when the app was probed"
            if not world.logs_in
            else "the conftest has no such user"
        )
        first_line = reason.strip().splitlines()[0] if reason.strip() else reason
        findings_part = f" and {lost[identity]} finding(s)" if lost.get(identity) else ""
        notes.append(
            f"no tests as user {identity}: {dropped.get(identity, 0)} request(s){findings_part} "
            f"sent as {identity} are left out, because {identity} could not log in in the "
            f"suite's world ({first_line})"
        )
    return result, notes


def _values(world: World) -> Values:
    first_keys: dict[str, Any] = {}
    second_keys: dict[Any, Any] = {}
    for table, rows in world.seed_rows:
        if rows and "id" in rows[0]:
            first_keys[table] = rows[0]["id"]
        if (
            len(rows) > 1
            and isinstance(rows[0].get("id"), int)
            and isinstance(rows[1].get("id"), int)
        ):
            second_keys.setdefault(rows[0]["id"], rows[1]["id"])
    user_key = world.users[0].key if world.users else None
    if world.user_table and user_key is not None:
        first_keys[world.user_table] = user_key
    return Values(first_keys, user_key, world.user_table, second_keys)


def _known(world: World) -> Known:
    rows = [row for _, table_rows in world.seed_rows for row in table_rows]
    rows += [dict(row) for row in world.user_rows]
    requests: list[Any] = []
    for user in world.users:
        requests += [user.key, user.register_body or {}, user.login_body or {}]
    return Known.of(requests=requests, seed=rows)


def replay_of(
    material: Material, step: Step, inspect: tuple[Mapping[str, Any], ...] = ()
) -> Pair | None:
    """The two replays of a one-step job."""
    return material.replays.get(Job((step,), inspect=inspect).key())


# -- stage 2: complete rejected valid requests ---------------------------------------------------


def _message(outcome: Outcome) -> str:
    seen = outcome.last
    if seen.is_json:
        return message_text(seen.json)
    return html_text(seen.text)


def _body_of(step: Step) -> dict[str, Any] | None:
    if step.has_json:
        return dict(step.json) if isinstance(step.json, dict) else None
    if step.form is not None:
        return dict(step.form)
    return None


def _with_body(step: Step, body: Mapping[str, Any]) -> Step:
    if step.form is not None:
        return replace(step, form=tuple((k, str(v)) for k, v in body.items()))
    return replace(step, json=dict(body), has_json=True, body=None, content_type=None)


def _probe_message(sample: Sample) -> str:
    exchange = sample.exchange
    if exchange is None:
        return ""
    return message_text(exchange.json) if exchange.is_json else html_text(exchange.body)


def _complete(
    replayer: Replayer,
    values: Values,
    pending: dict[int, tuple[Step, str, int]],
    first: Mapping[int, Step],
) -> tuple[dict[int, Sample], dict[int, list[Sample]]]:
    """Send ``first`` steps as they are, then follow each rejection's message for a few rounds.

    Returns the requests the app accepted and, per group, the rejected attempts on the way.
    """
    accepted: dict[int, Sample] = {}
    tried: dict[int, list[Sample]] = {}
    proposals: dict[int, Step] = dict(first)
    for attempt in range(1, REPAIR_ROUNDS + 1):
        for index, (step, message, status) in sorted(pending.items()):
            body = propose(_body_of(step), message, values, attempt, status=status)
            if body is not None:
                proposals[index] = _with_body(step, body)
        pending = {}
        if not proposals:
            break
        order = sorted(proposals)
        outcomes = replayer.run_twice([Job((proposals[i],)) for i in order])
        for index, pair in zip(order, outcomes, strict=True):
            seen = consistent(pair)
            if seen is None:
                continue
            step = proposals[index]
            if seen.status < 400:
                accepted[index] = Sample("valid", "a valid request", step)
            elif seen.status in REPAIRABLE:
                message = _message(pair[0])
                line = message.splitlines()[0] if message else "rejected"
                tried.setdefault(index, []).append(Sample("invalid", line, step))
                pending[index] = (step, message, seen.status)
        proposals = {}
    return accepted, tried


def repair(
    found: list[Group],
    replayer: Replayer,
    values: Values,
    taken: Mapping[str, Any] | None = None,
) -> list[Group]:
    """Valid requests the app rejected become the requests its messages lead to; empty updates
    get the fields of the matching create request."""
    pending: dict[int, tuple[Step, str, int]] = {}
    for index, group in enumerate(found):
        valid = group.valid
        if valid is None or group.method not in ("POST", "PUT", "PATCH"):
            continue
        if valid.probe_status not in REPAIRABLE or valid.exchange is None:
            continue
        if valid.step.has_json and not isinstance(valid.step.json, dict | type(None)):
            continue
        pending[index] = (valid.step, _probe_message(valid), valid.probe_status or 400)
    accepted, tried = _complete(replayer, values, pending, {})
    first: dict[int, Step] = {}
    for index, group in enumerate(found):
        valid = group.valid
        if group.method not in ("PUT", "PATCH") or valid is None or index in accepted:
            continue
        if not valid.step.has_json or valid.step.json not in ({}, None):
            continue
        sibling = _create_body(found, accepted, group)
        if sibling:
            first[index] = _with_body(valid.step, sibling)
    for index, group in enumerate(found):
        valid = group.valid
        if valid is None or index in accepted or index in first or valid.probe_status != 409:
            continue
        other = _other_object(valid.step.path, values)
        if other is not None:
            first[index] = replace(valid.step, path=other)
    more, more_tried = _complete(replayer, values, {}, first)
    accepted.update(more)
    for index, attempts in more_tried.items():
        tried.setdefault(index, []).extend(attempts)
    result = list(found)
    for index, group in enumerate(found):
        valid = group.valid
        if index in accepted or valid is None or group.method not in ("POST", "PUT", "PATCH"):
            continue
        if valid.defects or (valid.probe_status or 500) >= 400:
            continue
        more_cases = variants(valid, taken or {})
        if more_cases:
            result[index] = replace(group, cases=(*group.cases, *more_cases))
    for index, sample in sorted(accepted.items()):
        group = found[index]
        old = group.valid
        extra: list[Sample] = []
        if old is not None and (old.probe_status or 0) >= 400:
            first_line = (_probe_message(old) or "rejected").splitlines()[0]
            extra.append(replace(old, kind="invalid", description=first_line))
        extra.extend(tried.get(index, []))
        extra.extend(variants(sample, taken or {}))
        result[index] = group.with_valid(sample, extra)
    return result


def _other_object(path: str, values: Values) -> str | None:
    """The path with its last id changed to the second seeded row's (``/products/1/reviews`` to
    ``/products/2/reviews``): a conflict with the first row may not exist with the second."""
    segments = path.split("/")
    for position in range(len(segments) - 1, -1, -1):
        segment = segments[position]
        if segment.isdigit() and int(segment) in values.second_keys:
            segments[position] = str(values.second_keys[int(segment)])
            return "/".join(segments)
    return None


def reversed_ownership(group: Group, values: Values) -> Sample | None:
    """User A asking for user B's object, beside the probe's B asking for A's."""
    case = next((c for c in group.cases if c.kind == "other-user"), None)
    if case is None or group.valid is None:
        return None
    other = _other_object(case.step.path, values)
    if other is None:
        return None
    step = replace(case.step, identity=group.valid.step.identity, path=other)
    return Sample("other-user-reverse", "user A on an object of user B", step, case.field)


def _create_body(
    found: Sequence[Group], accepted: Mapping[int, Sample], update: Group
) -> dict[str, Any]:
    """The body of the POST that creates what ``update`` changes (its rule minus the last id)."""
    parent = update.rule.rstrip("/").rsplit("/", 1)[0]
    for index, group in enumerate(found):
        if group.method != "POST" or group.rule != parent:
            continue
        sample = accepted.get(index) or group.valid
        if sample is None or (sample is group.valid and (sample.probe_status or 500) >= 400):
            continue
        body = _body_of(sample.step)
        if body:
            return body
    return {}


def _taken(world: World) -> dict[str, Any]:
    """A value already stored for each text column: another seeded row's (user B's first)."""
    taken: dict[str, Any] = {}
    tables = [rows for _, rows in world.seed_rows]
    if world.user_rows:
        tables.insert(0, world.user_rows)
    for rows in tables:
        row = rows[1] if len(rows) > 1 else rows[0] if rows else {}
        for column, value in row.items():
            if isinstance(value, str) and value and column not in taken:
                taken[column] = value
    return taken


def query_variants(group: Group) -> list[Sample]:
    """The valid request with each number in its query string set to 1, then 2."""
    valid = group.valid
    if valid is None or group.method != "GET" or not valid.step.query:
        return []
    found = []
    for index, (name, value) in enumerate(valid.step.query):
        if not value.isdigit():
            continue
        for other in ("1", "2"):
            if other == value:
                continue
            query = list(valid.step.query)
            query[index] = (name, other)
            step = replace(valid.step, query=tuple(query))
            found.append(Sample("query-variant", f"{name} is {other}", step, name))
    return found


def variants(sample: Sample, taken: Mapping[str, Any] | None = None) -> list[Sample]:
    """Invalid variants of a completed body, one change each: a field missing, of the wrong type,
    malformed, naming nothing that exists, too large; the same for the fields of list entries."""
    body = _body_of(sample.step)
    if not body:
        return []
    found: list[Sample] = []
    for name, description, changed in _field_variants(body):
        if changed != body:
            found.append(Sample("invalid", description, _with_body(sample.step, changed), name))
    for name, value in body.items():
        other = (taken or {}).get(name)
        if isinstance(value, str) and isinstance(other, str) and other != value:
            changed = {**body, name: other}
            description = f"{name} is already taken"
            found.append(Sample("invalid", description, _with_body(sample.step, changed), name))
    for name, value in body.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner, description, entry in _field_variants(value[0]):
                changed = {**body, name: [entry, *value[1:]]}
                found.append(
                    Sample(
                        "invalid", f"{name}: {description}", _with_body(sample.step, changed), inner
                    )
                )
    return found


def _field_variants(body: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found: list[tuple[str, str, dict[str, Any]]] = []
    for name, value in body.items():
        for variant in invalid_variants(
            name, value_type(value) or "dict", required=True, length=None
        ):
            changed = {k: v for k, v in body.items() if not (variant.omit and k == name)}
            if not variant.omit:
                changed[name] = variant.value
            found.append((name, variant.description, changed))
        if isinstance(value, int) and not isinstance(value, bool):
            if name.lower().endswith("_id"):
                found.append((name, f"{name} names nothing that exists", {**body, name: 99999}))
            else:
                found.append((name, f"{name} is very large", {**body, name: 1_000_001}))
    return found


# -- stage 4: modules ----------------------------------------------------------------------------


def module_name(route: Route) -> str:
    """``test_<blueprint>.py``; for routes outside blueprints, one module per resource: the first
    segment of the path after ``api``/``v1`` prefixes (``/api/orders/<id>`` → ``test_orders.py``)."""
    if route.blueprint:
        name = identifier(route.blueprint.replace(".", "_"), default="app")
    else:
        name = resource_prefix(route.rule)
    filename = f"test_{name}.py"
    if filename in (FLOWS_MODULE, BUDGETS_MODULE):
        filename = f"test_{name}_routes.py"
    return filename


#: A blueprint with more (route, method) pairs than this is split into one module per resource.
SPLIT_PAIRS = 40


def module_names(found: Sequence[Group]) -> dict[tuple[str, str], str]:
    """The module of each route (keyed by endpoint and rule): :func:`module_name`, except that a
    large blueprint spanning several resources (a whole API on one blueprint) gets one module per
    resource, named ``test_<blueprint>_<resource>.py``."""
    names = {(g.route.endpoint, g.rule): module_name(g.route) for g in found}
    by_module: dict[str, list[Group]] = {}
    for group in found:
        if group.route.blueprint:
            by_module.setdefault(names[(group.route.endpoint, group.rule)], []).append(group)
    for filename, members in by_module.items():
        if len(members) <= SPLIT_PAIRS:
            continue
        rules = sorted({g.rule for g in members})
        shared = _shared_segments(rules)
        resources = {rule: _resource_after(rule, shared) for rule in rules}
        if len(set(resources.values())) < 2:
            continue
        stem = filename.removeprefix("test_").removesuffix(".py")
        for group in members:
            names[(group.route.endpoint, group.rule)] = f"test_{stem}_{resources[group.rule]}.py"
    return names


def _shared_segments(rules: Sequence[str]) -> int:
    """How many leading path segments every rule shares (variables never count)."""
    split = [[s for s in rule.split("/") if s] for rule in rules]
    count = 0
    while all(len(parts) > count for parts in split):
        segment = split[0][count]
        if "<" in segment or any(parts[count] != segment for parts in split):
            break
        count += 1
    return count


def _resource_after(rule: str, shared: int) -> str:
    rest = [s for s in rule.split("/") if s][shared:]
    return resource_prefix("/" + "/".join(rest)) if rest else "index"


def _docstring(filename: str, routes: Sequence[Route]) -> str:
    rules = sorted({r.rule for r in routes})
    blueprints = sorted({r.blueprint for r in routes if r.blueprint})
    where = f"the {blueprints[0]} blueprint" if len(blueprints) == 1 else "routes"
    listed = ", ".join(rules[:4]) + (", ..." if len(rules) > 4 else "")
    return f"Tests of {where}: {listed}."


def route_modules(material: Material, skipped: list[str] | None = None) -> dict[str, ModuleBuilder]:
    """The tests of every route, by module, with each defect as an xfail test in its route's module."""
    context = material.context
    layout = module_names(material.groups)
    by_module: dict[str, list[Group]] = {}
    for group in material.groups:
        by_module.setdefault(layout[(group.route.endpoint, group.rule)], []).append(group)
    modules: dict[str, ModuleBuilder] = {}
    written: set[str] = set()
    covered: set[tuple[str, str]] = set()  # pairs with a test sent as a logged-in user
    for filename, members in by_module.items():
        module = ModuleBuilder(filename, _docstring(filename, [g.route for g in members]))
        modules[filename] = module
        for group in members:
            before = len(module.tests)
            if not _route_tests(material, module, group, written):
                pin_today(material, module, group, skipped)
            if credentialed(module.tests[before:]):
                covered.add((group.method, group.rule))
    for defect in material.defects:
        home = next(
            (layout[(g.route.endpoint, g.rule)] for g in material.groups if g.rule == defect.rule),
            None,
        )
        if home is None or home not in modules:
            continue
        pair = replay_of(material, defect.sample.step, defect.inspect)
        test = defect_test(context, modules[home], defect, pair)
        if test is not None:
            modules[home].add(test)
            if credentialed([test]):
                covered.add((defect.method, defect.rule))
        elif skipped is not None and defect.check not in PERFORMANCE_CHECKS:
            skipped.append(
                f"no xfail test for {defect.check} on {defect.method} {defect.rule}: "
                "the defect did not show when replayed in the suite's world"
            )
    behind_login(material, modules, layout, covered, skipped)
    return modules


def pin_today(
    material: Material, module: ModuleBuilder, group: Group, notes: list[str] | None
) -> PlannedTest | None:
    """A passing test for a route that has none, added to ``module``: its valid request, else
    another it answers below 500 (not a 405, which never reaches the view)."""
    candidates = [group.valid, *(c for c in group.cases if c.kind != "wrong-method")]
    for sample in candidates:
        if sample is None:
            continue
        pair = replay_of(material, sample.step)
        if pair is None:
            continue
        test = pinning_test(material.context, module, group, sample, pair)
        if test is not None:
            module.add(test)
            return test
    if notes is not None and candidates and any(c is not None for c in candidates):
        notes.append(
            f"no passing test for {group.method} {group.rule}: none of its requests got an "
            "answer below 500 that both replays agreed on"
        )
    return None


def _route_tests(
    material: Material, module: ModuleBuilder, group: Group, written: set[str]
) -> bool:
    """Write the tests of one (route, method); whether one of them passes today and reaches the
    view (not an xfail, not a 405)."""
    context = material.context
    pins = False
    usual: Any = None
    valid = group.valid
    if valid is not None and not valid.defects:
        pair = replay_of(material, valid.step)
        usual = consistent(pair)
        key = Job((valid.step,)).key()
        if pair is not None and key not in written:
            test = success_test(context, module, group, valid, pair)
            if test is not None:
                written.add(key)
                module.add(test)
                pins = True
        pins = pins or key in written  # the same request pinned under another rule
    elif valid is not None:
        usual = consistent(replay_of(material, valid.step))
    rejections: list[tuple[Sample, Pair]] = []
    crashes: list[tuple[Sample, Pair]] = []
    # a crash the scan reported gets its xfail from the finding, which names the exception
    reported = {
        Job((d.sample.step,)).key()
        for d in material.defects
        if d.check == "server-error" and (d.method, d.rule) == (group.method, group.rule)
    }
    for sample in group.cases:
        pair = replay_of(material, sample.step)
        seen = consistent(pair)
        if pair is None or seen is None:
            continue
        key = f"{sample.kind}:{Job((sample.step,)).key()}"
        if sample.kind == "wrong-method":
            key = f"wrong-method:{sample.step.method}:{group.rule}"
        if key in written:
            continue
        if is_rejection(sample, seen, usual, pair):
            written.add(key)
            rejections.append((sample, pair))
            continue
        if seen.status >= 500 and sample.exchange is None and not sample.defects:
            written.add(key)
            if Job((sample.step,)).key() not in reported:
                crashes.append((sample, pair))
            continue
        test = case_test(context, module, group, sample, pair, usual)
        if test is not None:
            written.add(key)
            module.add(test)
            pins = pins or sample.kind != "wrong-method"
    for test in rejection_tests(context, module, group, rejections, usual):
        module.add(test)
        pins = True
    for sample, pair in crashes:
        defect = Defect(
            "crash",
            f"answered {pair[0].last.status} when {sample.description} (found by testboost generate)",
            group.method,
            group.rule,
            sample,
        )
        test = defect_test(context, module, defect, pair)
        if test is not None:
            module.add(test)
    return pins


def plans(modules: Mapping[str, ModuleBuilder]) -> list[ModulePlan]:
    """The modules with at least one test, in file name order."""
    return [modules[name].plan() for name in sorted(modules) if modules[name].tests]
