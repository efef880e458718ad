"""Flows across routes.

**Flows.** A route that creates something (a POST whose replay inserted one row, its new key in the
answer or in the table) is linked to the routes that take that key: a route whose path value led
to the same table when the probe drove it — its JSON was that row, or its request changed or
deleted that row. Names are not enough on their own: the link is what the replays showed. A flow
test creates, reads, lists, updates, reads the change, deletes and reads the 404, keeping the
steps the replays confirm. Where users log in through a route, a session flow logs in, uses the
credential, and logs out.

Query budgets for list routes are in :mod:`testboost.generate.budgets`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from testboost.checks import rules
from testboost.checks.rules import path_values
from testboost.generate.builder import ModuleBuilder
from testboost.generate.calls import Caller
from testboost.generate.expect import Known, snippets, stable
from testboost.generate.links import Link, links, listed_items, page_table, table_of_list
from testboost.generate.material import Group
from testboost.generate.naming import resource_slug, singular
from testboost.generate.plan import PlannedTest
from testboost.generate.planner import FLOWS_MODULE, Material, replay_of
from testboost.generate.pycode import identifier, literal, string
from testboost.generate.replay import Job, Outcome, Replayer, Seen, Step
from testboost.generate.routes import consistent
from testboost.generate.world import World

_VARIABLE = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")
_LOGOUT = re.compile(r"log-?out|sign-?out", re.IGNORECASE)

Check = Callable[[Seen, Mapping[str, Any]], bool]


# -- flows ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowStep:
    """One request of a flow and what its answer must show.

    ``expect`` is ``ok`` (2xx or 3xx) or ``gone`` (404 or 410); the status written is the one the
    replays saw. ``checks`` are further assertion lines with their test; ``shows`` is a (field,
    value) the answer must show (a change made by an earlier step); ``bind`` keeps the created key.
    """

    step: Step
    label: str
    expect: str = "ok"
    checks: tuple[tuple[str, Check], ...] = ()
    shows: tuple[str, Any] | None = None
    bind: str | None = None
    call: str | None = None


@dataclass(frozen=True)
class Flow:
    """A flow test before it is replayed: its name and fixtures, and its steps."""

    name: str
    steps: tuple[FlowStep, ...]
    fixtures: tuple[str, ...]


def _expected(step: FlowStep, seen: Seen) -> bool:
    if step.expect == "gone":
        return seen.status in (404, 410)
    if step.expect == "denied":
        return seen.status in (401, 403) or 300 <= seen.status < 400
    return 200 <= seen.status < 400


def _shows(seen: Seen, field: str, value: Any) -> tuple[str, Check] | None:
    """A line checking that an answer shows ``field`` = ``value`` (JSON) or the value (text)."""
    if seen.is_json and isinstance(seen.json, dict) and field in seen.json:
        return (
            f"assert response.get_json()[{string(field)}] == {literal(value)}",
            lambda s, b, f=field, v=value: isinstance(s.json, dict) and s.json.get(f) == v,
        )
    if not seen.is_json and isinstance(value, str) and len(value) >= 4:
        return (
            f"assert {string(value)} in response.get_data(as_text=True)",
            lambda s, b, v=value: v in s.text,
        )
    return None


def _template_path(link: Link, variable: str) -> str:
    assert link.group.valid is not None
    values = path_values(link.group.rule, link.group.valid.step.path)

    def substitute(match: re.Match[str]) -> str:
        name = match.group(2)
        return "{" + variable + "}" if name == link.param else values.get(name, "")

    return _VARIABLE.sub(substitute, link.group.rule)


def _creators(material: Material) -> list[tuple[Group, str, bool, str]]:
    """POST routes whose replay inserted a row: the group, the table, whether the answer carries
    the new id, and the key column."""
    found = []
    for group in material.groups:
        valid = group.valid
        if group.method != "POST" or valid is None or valid.defects:
            continue
        if rules.is_auth_flow(group.rule):
            continue
        pair = replay_of(material, valid.step)
        seen = consistent(pair)
        if pair is None or seen is None or seen.status >= 400:
            continue
        inserts = [c for c in pair[0].changes if c.kind == "insert" and len(c.key) == 1]
        if not inserts:
            continue
        slug = singular(resource_slug(group.rule).split("_")[-1])
        inserts.sort(key=lambda c: singular(c.table) != slug)
        answer = seen.json if seen.is_json and isinstance(seen.json, dict) else {}
        chosen = next((c for c in inserts if answer.get("id") == c.key[0]), None)
        in_answer = chosen is not None
        if chosen is None:
            chosen = inserts[0]
        if (chosen.after or {}).get("id") != chosen.key[0]:
            continue
        found.append((group, chosen.table, in_answer, "id"))
    return found


def _updated(step: Step, fallback: Mapping[str, Any]) -> tuple[Step, str, Any] | None:
    """The update request with one text field changed: the step, the field, its new value."""
    if step.has_json and isinstance(step.json, dict):
        body: dict[str, Any] = dict(step.json)
    elif step.form is not None:
        body = dict(step.form)
    else:
        return None
    candidates = [
        k for k, v in body.items() if isinstance(v, str) and v and "password" not in k.lower()
    ]
    if not candidates:
        candidates = [k for k, v in fallback.items() if isinstance(v, str) and "@" not in v]
        if not candidates:
            return None
        body[candidates[0]] = fallback[candidates[0]]
    field = candidates[0]
    value = str(body[field])
    if "@" in value:
        local, _, domain = value.partition("@")
        new = f"{local}.updated@{domain}"
    else:
        new = f"{value} (updated)"
    body[field] = new
    if step.form is not None:
        return replace(step, form=tuple((k, str(v)) for k, v in body.items())), field, new
    return replace(step, json=body), field, new


def _texts(step: Step) -> dict[str, str]:
    body: Mapping[str, Any] = {}
    if step.has_json and isinstance(step.json, dict):
        body = step.json
    elif step.form is not None:
        body = dict(step.form)
    return {
        k: v
        for k, v in body.items()
        if isinstance(v, str) and len(v) >= 4 and "password" not in k.lower() and "@" not in v
    }


def _all_links(material: Material, world: World) -> list[Link]:
    """Links the replays show, plus the other methods of the same rule (same variable, same table)."""
    found = links(material, world)
    by_rule = {(link.group.rule, link.param): link.table for link in found}
    hows = {"GET": "read", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
    for group in material.groups:
        if any(link.group is group for link in found) or group.valid is None:
            continue
        if group.valid.defects or group.method not in hows:
            continue
        for (rule, param), table in by_rule.items():
            if group.rule == rule:
                found.append(Link(group, param, table, hows[group.method]))
    return found


def _id_check(variable: str) -> tuple[str, Check]:
    return (
        f'assert response.get_json()["id"] == {variable}',
        lambda s, b, v=variable: isinstance(s.json, dict) and s.json.get("id") == b.get(v),
    )


def _text_check(text: str) -> tuple[str, Check]:
    return (
        f"assert {string(text)} in response.get_data(as_text=True)",
        lambda s, b, t=text: t in s.text,
    )


def _resource_flows(material: Material, world: World) -> list[Flow]:
    """For each creator: create, read, list, update, read the change, delete, read the 404."""
    flows = []
    found_links = _all_links(material, world)
    listings = _list_groups(material, world)
    caller = material.context.caller
    for group, table, in_answer, column in _creators(material):
        valid = group.valid
        assert valid is not None
        variable = identifier(f"new_{singular(table)}_{column}")
        texts = _texts(valid.step)
        first_text = next(iter(texts.values()), None)
        if in_answer:
            create = replace(valid.step, bind={variable: ("id",)})
            bind = f'{variable} = response.get_json()["id"]'
        else:
            create = replace(valid.step, bind_added={variable: (table, column)})
            bind = f"{variable} = database.added({string(table)})[0][{string(column)}]"
        steps = [FlowStep(create, "create", bind=bind)]
        chosen: dict[str, Link] = {}
        for link in found_links:
            if link.table == table and link.group is not group:
                chosen.setdefault(link.how, link)
        read = chosen.get("read")
        read_check = (
            _id_check(variable) if in_answer else _text_check(first_text) if first_text else None
        )
        if read is not None:
            steps.append(
                FlowStep(
                    replace(read.group.valid.step, path=_template_path(read, variable)),  # type: ignore[union-attr]
                    "read",
                    checks=(read_check,) if read_check else (),
                )
            )
        listing = listings.get(table)
        if listing is not None and listing.valid is not None:
            list_seen = consistent(replay_of(material, listing.valid.step))
            where = (
                listed_items(list_seen.json)
                if list_seen is not None and list_seen.is_json
                else None
            )
            if where is not None and in_answer:
                access = "".join(f"[{string(k)}]" for k in where[1])
                check: tuple[str, Check] | None = (
                    f'assert {variable} in [item["id"] for item in response.get_json(){access}]',
                    lambda s, b, w=where[1], v=variable: (
                        b.get(v) in [i.get("id") for i in _dig(s.json, w) if isinstance(i, dict)]
                    ),
                )
            elif list_seen is not None and not list_seen.is_json and first_text:
                check = _text_check(first_text)
            else:
                check = None
            if check is not None:
                steps.append(FlowStep(listing.valid.step, "list", checks=(check,)))
        update = chosen.get("update")
        if update is not None and read is not None and update.group.valid is not None:
            changed = _updated(update.group.valid.step, texts)
            if changed is not None:
                update_step, field, value = changed
                update_step = replace(update_step, path=_template_path(update, variable))
                steps.append(FlowStep(update_step, "update"))
                steps.append(
                    FlowStep(
                        replace(read.group.valid.step, path=_template_path(read, variable)),  # type: ignore[union-attr]
                        "read-change",
                        shows=(field, value),
                    )
                )
        delete = chosen.get("delete")
        if delete is not None and delete.group.valid is not None:
            steps.append(
                FlowStep(
                    replace(delete.group.valid.step, path=_template_path(delete, variable)),
                    "delete",
                )
            )
            if read is not None:
                steps.append(
                    FlowStep(
                        replace(read.group.valid.step, path=_template_path(read, variable)),  # type: ignore[union-attr]
                        "gone",
                        expect="gone",
                    )
                )
        if len(steps) < 2:
            continue
        identities = sorted({s.step.identity for s in steps}, key=str)
        fixtures = tuple(dict.fromkeys(f for i in identities for f in caller.fixtures(i)))
        if not in_answer:
            fixtures += ("database",)
        flows.append(Flow(singular(table), tuple(steps), fixtures))
    return flows


def _flow_name(flow: Flow) -> str:
    verbs = {
        "create": "created",
        "read": "read",
        "list": "listed",
        "update": "updated",
        "delete": "deleted",
    }
    found = list(dict.fromkeys(verbs[s.label] for s in flow.steps if s.label in verbs))
    words = [*found[:-1], "and", found[-1]] if len(found) > 1 else found
    return identifier(f"test_{flow.name}_can_be_{'_'.join(words)}")


def _dig(value: Any, where: Sequence[str]) -> list[Any]:
    for key in where:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, list) else []


def _list_groups(material: Material, world: World) -> dict[str, Group]:
    """For each table, a GET route without path variables that lists its rows."""
    found: dict[str, Group] = {}
    for group in material.groups:
        valid = group.valid
        if group.method != "GET" or valid is None or valid.defects or group.route.params:
            continue
        seen = consistent(replay_of(material, valid.step))
        if seen is None or seen.status != 200:
            continue
        table = table_of_list(seen.json, world) if seen.is_json else page_table(seen.text, world)
        if table is not None and table not in found:
            found[table] = group
    return found


def _token_path(outcome: Outcome) -> tuple[str, ...]:
    """Where the login answer keeps its token: ``("access_token",)``, ``("data", "token")``."""
    if not outcome.ok or not outcome.steps:
        return ()
    payload = outcome.last.json
    for prefix in ((), *((k,) for k in (payload or {}) if isinstance(payload, dict))):
        value = _dig_value(payload, prefix)
        key = _find_token_key(value)
        if key is not None:
            return (*prefix, key)
    return ()


def _dig_value(value: Any, path: Sequence[str]) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _find_token_key(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("access_token", "token", "jwt", "id_token", "auth_token", "accessToken"):
            if isinstance(value.get(key), str):
                return key
    return None


def _session_flow(material: Material, world: World, replayer: Replayer) -> Flow | None:
    """Log in through the login route, use the credential, log out where the app can."""
    if not world.users or world.login_rule is None or world.credential not in ("bearer", "cookie"):
        return None
    user = world.users[0]
    if user.login_body is None:
        return None
    protected = None
    for group in material.groups:
        valid = group.valid
        if group.method != "GET" or group.route.params or valid is None or valid.defects:
            continue
        if valid.step.identity != "A":
            continue
        anonymous = next((c for c in group.cases if c.kind == "anonymous"), None)
        seen = consistent(replay_of(material, valid.step))
        denied = consistent(replay_of(material, anonymous.step)) if anonymous else None
        if seen is not None and denied is not None and seen.status == 200 and denied.status >= 300:
            protected = group
            break
    if protected is None or protected.valid is None:
        return None
    bearer = world.credential == "bearer"
    body = dict(user.login_body)
    keyword = "data" if world.login_form else "json"
    if world.login_form:
        login = Step("POST", world.login_rule, form=tuple((k, str(v)) for k, v in body.items()))
    else:
        login = Step("POST", world.login_rule, json=body, has_json=True)
    token_path: tuple[str, ...] = ()
    if bearer:
        token_path = world.token_path or _token_path(replayer.run([Job((login,))])[0])
        if not token_path:
            return None
        login = replace(login, bind={"token": token_path})
    headers = ((world.token_header, f"{world.token_scheme} {{token}}".strip()),) if bearer else ()
    use = replace(protected.valid.step, identity=None, headers=headers)
    login_call = f"client.post({string(world.login_rule)}, {keyword}={literal(body)})"
    steps = [
        FlowStep(
            login,
            "log-in",
            call=login_call,
            bind="token = response.get_json()" + "".join(f"[{string(k)}]" for k in token_path)
            if token_path
            else None,
        ),
        FlowStep(use, "use", call=_anonymous_call(use, world if bearer else None)),
    ]
    logout = next(
        (
            g
            for g in material.groups
            if _LOGOUT.search(g.rule) and g.valid is not None and not g.valid.defects
        ),
        None,
    )
    if logout is not None and logout.valid is not None:
        out = replace(logout.valid.step, identity=None, headers=headers)
        steps.append(FlowStep(out, "log-out", call=_anonymous_call(out, world if bearer else None)))
        steps.append(
            FlowStep(
                use, "after", expect="denied", call=_anonymous_call(use, world if bearer else None)
            )
        )
    return Flow("session", tuple(steps), ("client",))


def _anonymous_call(step: Step, world: World | None) -> str:
    """A request on the plain client, carrying the token from the flow's login when ``world``."""
    call = Caller(cookie_login=False).call(replace(step, headers=()))
    if world is None:
        return call
    header = f"{string(world.token_header)}: f{string((world.token_scheme + ' {token}').strip())}"
    return call[:-1] + f", headers={{{header}}})"


def _settle(replayer: Replayer, flows: list[Flow]) -> list[tuple[Flow, tuple[Outcome, Outcome]]]:
    """Replay each flow and keep the steps the replays confirm (the failing step and the rest go)."""
    settled = []
    pending = flows
    for _ in range(4):
        if not pending:
            break
        pairs = replayer.run_twice([Job(tuple(s.step for s in flow.steps)) for flow in pending])
        retry = []
        for flow, pair in zip(pending, pairs, strict=True):
            failing = _first_failure(flow, pair)
            if failing is None:
                settled.append((flow, pair))
            elif failing >= 2:
                retry.append(replace(flow, steps=_without(flow.steps, failing)))
        pending = retry
    return settled


def _without(steps: Sequence[FlowStep], failing: int) -> tuple[FlowStep, ...]:
    """The steps before the failing one; an update that fails takes its read-back with it."""
    kept = list(steps[:failing])
    if kept and kept[-1].label == "update":
        kept.pop()
    return tuple(kept)


def _first_failure(flow: Flow, pair: tuple[Outcome, Outcome]) -> int | None:
    for outcome in pair:
        if not outcome.ok or len(outcome.steps) != len(flow.steps):
            return max(1, len(outcome.steps) - 1)
    for index, flow_step in enumerate(flow.steps):
        statuses = {outcome.steps[index].status for outcome in pair}
        if len(statuses) != 1:
            return index
        for outcome in pair:
            seen = outcome.steps[index]
            if not _expected(flow_step, seen):
                return index
            for _line, check in flow_step.checks:
                if not check(seen, outcome.bound):
                    return index
            if flow_step.shows is not None:
                shown = _shows(seen, *flow_step.shows)
                if shown is None or not shown[1](seen, outcome.bound):
                    return index
    return None


def _render_flow(
    flow: Flow, pair: tuple[Outcome, Outcome], caller: Caller, module: ModuleBuilder, known: Known
) -> PlannedTest | None:
    lines: list[str] = []
    for index, flow_step in enumerate(flow.steps):
        seen, again = pair[0].steps[index], pair[1].steps[index]
        call = flow_step.call or caller.call(
            flow_step.step, lambda value, hint: module.value(value, f"{flow.name} {hint}")
        )
        lines.append(f"response = {call}")
        lines.append(f"assert response.status_code == {seen.status}")
        lines.extend(line for line, _ in flow_step.checks)
        if flow_step.shows is not None:
            shown = _shows(seen, *flow_step.shows)
            if shown is not None:
                lines.append(shown[0])
        if flow_step.label in ("use", "after"):
            lines.extend(_one_value(seen, again, known))
        if flow_step.bind:
            lines.append(flow_step.bind)
    if len(lines) > 24:
        return None
    if flow.name == "session":
        logs_out = any(s.label == "log-out" for s in flow.steps)
        name = (
            "test_a_user_can_log_in_use_the_session_and_log_out"
            if logs_out
            else "test_a_user_can_log_in_and_use_the_session"
        )
    else:
        name = _flow_name(flow)
    return PlannedTest(name, flow.fixtures, tuple(lines))


def _one_value(seen: Seen, again: Seen, known: Known) -> list[str]:
    """One stable thing an answer says: a JSON field, the redirect target, or a line of text."""
    if seen.is_json and again.is_json:
        value = stable(seen.json, again.json, known)
        if isinstance(value, dict):
            for key in sorted(value):
                if isinstance(value[key], str) and value[key]:
                    return [f"assert response.get_json()[{string(key)}] == {string(value[key])}"]
        return []
    if 300 <= seen.status < 400 and seen.location and seen.location == again.location:
        return [f'assert response.headers["Location"] == {string(seen.location)}']
    lines = snippets(seen.text, again.text, known, limit=1)
    return [f"assert {string(lines[0])} in response.get_data(as_text=True)"] if lines else []


def flow_module(
    material: Material,
    world: World,
    replayer: Replayer,
    fits: Callable[[PlannedTest], bool] = lambda test: True,
) -> ModuleBuilder | None:
    """The flows module: one flow per resource the app creates, and the session flow.

    ``fits`` says whether a test is short enough once formatted; a flow that is not loses its
    list step, then its first read (the read of the change still shows the object).
    """
    flows = _resource_flows(material, world)
    session = _session_flow(material, world, replayer)
    if session is not None:
        flows.append(session)
    if not flows:
        return None
    module = ModuleBuilder(
        FLOWS_MODULE,
        "Flows across routes: what one request creates, the next ones read, change and delete.",
    )
    caller, known = material.context.caller, material.context.known
    for flow, pair in _settle(replayer, flows):
        for dropped in ((), ("list",), ("list", "read")):
            if dropped and not any(s.label in dropped for s in flow.steps):
                continue
            if "read" in dropped and not any(s.label == "read-change" for s in flow.steps):
                continue
            shorter, replays = _drop(flow, pair, dropped)
            test = _render_flow(shorter, replays, caller, module, known)
            if test is not None and fits(test):
                module.add(replace(test, name=module.name(test.name)))
                break
    return module if module.tests else None


def _drop(
    flow: Flow, pair: tuple[Outcome, Outcome], labels: Sequence[str]
) -> tuple[Flow, tuple[Outcome, Outcome]]:
    keep = [i for i, s in enumerate(flow.steps) if s.label not in labels]
    return (
        replace(flow, steps=tuple(flow.steps[i] for i in keep)),
        (
            replace(pair[0], steps=tuple(pair[0].steps[i] for i in keep)),
            replace(pair[1], steps=tuple(pair[1].steps[i] for i in keep)),
        ),
    )
