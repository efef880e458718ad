"""The tests of one (route, method): success, unknown id, no credentials, another user, invalid
inputs, wrong method.

Each builder takes a sample and its two replays and returns a :class:`PlannedTest`, or ``None``
when the replays give nothing worth asserting (a defect, an answer that changed between replays,
nothing to check beyond the status).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from testboost.generate.assertions import (
    body_lines,
    content_type_line,
    message_of,
    status_line,
    stored_lines,
)
from testboost.generate.builder import ModuleBuilder
from testboost.generate.calls import Caller
from testboost.generate.expect import Known, is_pinned, snippets, stable
from testboost.generate.material import Group, Sample, request_values
from testboost.generate.naming import (
    case_phrase,
    make_test_name,
    param_id,
    resource_slug,
    singular,
)
from testboost.generate.plan import PlannedTest
from testboost.generate.pycode import identifier, literal, string
from testboost.generate.replay import Outcome, Seen

Pair = tuple[Outcome, Outcome]

#: Case kinds that send an invalid input; a 4xx answer to one is a rejection worth pinning.
INVALID_KINDS = frozenset(
    {
        "missing-field",
        "wrong-type",
        "malformed",
        "protected-field",
        "quote",
        "json-list",
        "bad-query",
        "not-json",
        "invalid",
    }
)


@dataclass(frozen=True)
class Context:
    """What every builder needs: how requests are sent and the values known to be stable."""

    caller: Caller
    known: Known
    json_api: bool


def consistent(pair: Pair | None) -> Seen | None:
    """The answer of a single-step job when both replays agree on its status, else ``None``."""
    if pair is None:
        return None
    first, second = pair
    if not first.ok or not second.ok or not first.steps or not second.steps:
        return None
    if first.last.status != second.last.status:
        return None
    return first.last


def known_for(context: Context, sample: Sample, pair: Pair | None = None) -> Known:
    """Known values for one request: the seeded ones and the request's own inputs; the keys of
    rows it inserted are generated, never pinned."""
    known = context.known.with_request(request_values(sample.step))
    if pair is not None:
        known = known.with_generated(
            c.key[0] for o in pair for c in o.changes if c.kind == "insert" and len(c.key) == 1
        )
    return known


def _fixtures(context: Context, sample: Sample, *extra: str) -> tuple[str, ...]:
    names = [*context.caller.fixtures(sample.step.identity), *extra]
    return tuple(dict.fromkeys(names))


def _call(context: Context, module: ModuleBuilder, sample: Sample, slug: str) -> str:
    return context.caller.call(
        sample.step, lambda value, hint: module.value(value, f"{slug} {hint}")
    )


def _words(text: str, count: int = 6) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "_".join(words[:count])


def _message_words(seen: Seen) -> str:
    message = message_of(seen)
    if isinstance(message, dict):
        texts = [v for v in message.values() if isinstance(v, str)]
        return _words(texts[0]) if texts else ""
    if isinstance(message, str):
        found = re.search(r"<title>([^<]+)</title>", message)
        return _words(found.group(1) if found else message[:60])
    return ""


def _hint(group: Group, seen: Seen) -> str:
    """The name of the constant that holds a route's usual answer."""
    slug = resource_slug(group.rule)
    if seen.status >= 400:
        return f"{slug} error"
    if group.method == "POST":
        return f"created {singular(slug)}"
    if group.method in ("PUT", "PATCH"):
        return f"updated {slug}"
    if group.method == "DELETE":
        return f"deleted {slug}"
    return slug


def _success_behaviour(seen: Seen) -> str:
    if 300 <= seen.status < 400:
        target = (seen.location or "").split("?", 1)[0]
        return f"redirects_to_{resource_slug(target) if target else 'another_page'}"
    if seen.status >= 400:
        words = _message_words(seen)
        return f"answers_{seen.status}" + (f"_{words}" if words else "")
    if seen.is_json:
        kind = "a_json_list" if isinstance(seen.json, list) else "json"
    elif seen.binary and seen.encoding:
        kind = f"a_{identifier(seen.encoding)}_body"
    elif seen.binary:
        kind = "an_image" if seen.mimetype.startswith("image/") else "bytes"
    elif not seen.text:
        kind = "no_body"
    elif seen.mimetype == "text/html":
        kind = "a_page"
    else:
        kind = "text"
    return f"returns_{seen.status}_with_{kind}"


def success_test(
    context: Context, module: ModuleBuilder, group: Group, sample: Sample, pair: Pair
) -> PlannedTest | None:
    """The valid request: status, content type, body, and what it stored."""
    seen = consistent(pair)
    if seen is None or seen.status >= 500:
        return None
    first, second = pair[0].last, pair[1].last
    known = known_for(context, sample, pair)
    slug = resource_slug(group.rule)
    body = body_lines(first, second, known, module, _hint(group, seen))
    stored: list[str] = []
    if group.method != "GET" and seen.status < 400:
        stored = stored_lines([(pair[0].changes, pair[1].changes)], known, module, slug)
    if not body and not stored:
        return None
    lines = [
        f"response = {_call(context, module, sample, slug)}",
        status_line(seen),
        *(content_type_line(first, second) if seen.status < 300 else []),
        *body,
        *stored,
    ]
    extra = ("database",) if stored else ()
    name = module.name(make_test_name(group.method, group.rule, _success_behaviour(seen)))
    return PlannedTest(name, _fixtures(context, sample, *extra), tuple(lines))


def pinning_test(
    context: Context, module: ModuleBuilder, group: Group, sample: Sample, pair: Pair
) -> PlannedTest | None:
    """A passing test of what a route answers today, for a route whose other tests are all
    xfails or 405s: without it a route turned into a 500 would still "fail as expected". A 5xx
    the view chose (a bare ``abort(500)``) is pinned like any answer; a crash never is.

    A request behind a defect keeps only what the defect is not about: the status, the content
    type, an empty body; others get their body checked too.
    """
    seen = consistent(pair)
    if seen is None or (seen.status >= 500 and not sample.answered_on_purpose(seen.status)):
        return None
    first, second = pair[0].last, pair[1].last
    lines = [status_line(seen), *content_type_line(first, second)]
    if not sample.defects:
        known = known_for(context, sample, pair)
        lines += body_lines(first, second, known, module, _hint(group, seen))
    elif not first.text and not second.text and not first.binary and not second.binary:
        lines.append('assert response.get_data() == b""')
    if len(lines) < 2:
        return None  # the status alone: a hollow test
    if seen.status >= 500:
        behaviour = f"answers_{seen.status}_on_purpose"
    elif sample.kind == "valid":
        behaviour = _success_behaviour(seen)
    else:
        behaviour = f"answers_{seen.status}_{_when(sample)}"
    name = module.name(make_test_name(sample.step.method, group.rule, behaviour))
    call = f"response = {_call(context, module, sample, resource_slug(group.rule))}"
    return PlannedTest(name, _fixtures(context, sample), (call, *lines))


def _when(sample: Sample) -> str:
    return case_phrase(sample.kind, sample.description, {"other-user": "to_another_user"})


def case_test(
    context: Context,
    module: ModuleBuilder,
    group: Group,
    sample: Sample,
    pair: Pair,
    usual: Seen | None,
) -> PlannedTest | None:
    """A single variation: unknown id, no credentials, another user, wrong method, bad redirect."""
    seen = consistent(pair)
    if seen is None or seen.status >= 500 or sample.defects:
        return None
    if sample.probe_status is not None and seen.status != sample.probe_status:
        return None
    behaviour = _case_behaviour(sample, seen, usual)
    if behaviour is None:
        return None
    known = known_for(context, sample)
    slug = resource_slug(group.rule)
    first, second = pair[0].last, pair[1].last
    body = body_lines(first, second, known, module, f"{slug} {seen.status}", usual=usual)
    if not body:
        return None
    method = sample.step.method
    lines = [f"response = {_call(context, module, sample, slug)}", status_line(seen), *body]
    name = module.name(make_test_name(method, group.rule, behaviour))
    return PlannedTest(name, _fixtures(context, sample), tuple(lines))


def _case_behaviour(sample: Sample, seen: Seen, usual: Seen | None) -> str | None:
    usual_status = usual.status if usual is not None else None
    if sample.kind == "unknown-id":
        if seen.status < 400 or seen.status == usual_status:
            return None
        noun = (sample.field or "id").replace("_", " ")
        return f"returns_{seen.status}_for_an_unknown_{noun}"
    if sample.kind == "anonymous":
        if seen.status == usual_status or seen.status < 300:
            return None
        if seen.status < 400:
            target = (seen.location or "").split("?", 1)[0]
            return f"redirects_anonymous_users_to_{resource_slug(target) if target else 'login'}"
        return "requires_credentials"
    if sample.kind == "other-user":
        if seen.status not in (403, 404) or usual_status is None or usual_status >= 300:
            return None
        return (
            "is_hidden_from_another_user" if seen.status == 404 else "is_forbidden_to_another_user"
        )
    if sample.kind == "query-variant":
        if usual is None or seen.status != usual.status or seen.text == usual.text:
            return None
        return f"returns_{seen.status}_when_{identifier(sample.description)}"
    if sample.kind == "other-user-reverse":
        if seen.status not in (403, 404) or usual_status is None or usual_status >= 300:
            return None
        words = [w for w in sample.step.path.split("/") if w and not w.isdigit()]
        noun = singular(words[-1]) if words else "object"
        return f"hides_another_users_{identifier(noun)}"
    if sample.kind == "wrong-method":
        return "is_not_allowed" if seen.status == 405 else None
    if sample.kind == "redirect-target":
        if 300 <= seen.status < 400 and seen.location and "evil.example.com" not in seen.location:
            return "keeps_redirects_on_this_site"
        return None
    return None


def is_rejection(sample: Sample, seen: Seen, usual: Seen | None, pair: Pair) -> bool:
    """Whether an invalid input was turned away (a 4xx, or a page that stored nothing)."""
    if sample.kind not in INVALID_KINDS or sample.defects or seen.status >= 500:
        return False
    if (
        usual is not None
        and seen.status == usual.status
        and seen.text == usual.text
        and seen.digest == usual.digest
    ):
        return False
    if 400 <= seen.status < 500:
        return True
    changed = pair[0].changes or pair[1].changes
    return usual is not None and seen.status != usual.status and not changed


def _shape(sample: Sample) -> str:
    step = sample.step
    if step.has_json:
        return "json"
    if step.form is not None:
        return "form"
    if step.body is not None:
        return "raw"
    return "query"


def rejection_tests(
    context: Context,
    module: ModuleBuilder,
    group: Group,
    rows: Sequence[tuple[Sample, Pair]],
    usual: Seen | None,
) -> list[PlannedTest]:
    """Invalid inputs the app turns away: one parametrized test per request shape."""
    tests: list[PlannedTest] = []
    slug = resource_slug(group.rule)
    by_shape: dict[tuple[str, bool, str | None, str], list[tuple[Sample, Pair]]] = {}
    for sample, pair in rows:
        seen = pair[0].last
        if seen.binary or pair[1].last.binary:
            continue  # a table test compares text or JSON
        by_shape.setdefault(
            (_shape(sample), seen.is_json, sample.step.identity, sample.step.path), []
        ).append((sample, pair))
    for (shape, is_json, _identity, _path), members in by_shape.items():
        if shape == "raw":
            for sample, pair in members:
                test = _raw_rejection(context, module, group, sample, pair, usual)
                if test is not None:
                    tests.append(test)
            continue
        test = _table_test(context, module, group, shape, is_json, members, usual, slug)
        if test is not None:
            tests.append(test)
    return tests


def _raw_rejection(
    context: Context,
    module: ModuleBuilder,
    group: Group,
    sample: Sample,
    pair: Pair,
    usual: Seen | None,
) -> PlannedTest | None:
    seen = pair[0].last
    known = known_for(context, sample)
    slug = resource_slug(group.rule)
    body = body_lines(
        pair[0].last, pair[1].last, known, module, f"{slug} {seen.status}", usual=usual
    )
    if not body:
        return None
    lines = [f"response = {_call(context, module, sample, slug)}", status_line(seen), *body]
    name = module.name(make_test_name(group.method, group.rule, "rejects_a_body_that_is_not_json"))
    return PlannedTest(name, _fixtures(context, sample), tuple(lines))


def _table_test(
    context: Context,
    module: ModuleBuilder,
    group: Group,
    shape: str,
    is_json: bool,
    members: Sequence[tuple[Sample, Pair]],
    usual: Seen | None,
    slug: str,
) -> PlannedTest | None:
    params: list[str] = []
    ids: set[str] = set()
    seen_payloads: set[str] = set()
    for sample, pair in members:
        first, second = pair[0].last, pair[1].last
        known = known_for(context, sample)
        payload = _payload(sample, shape)
        payload_source = literal(payload)
        if payload_source in seen_payloads:
            continue
        if is_json:
            expected = stable(first.json, second.json, known)
            if not is_pinned(expected):
                continue
            expected_source = module.value(expected, f"{slug} error")
        else:
            chosen = snippets(
                first.text, second.text, known, usual=usual.text if usual else None, limit=1
            )
            if not chosen:
                continue
            expected_source = string(chosen[0])
        seen_payloads.add(payload_source)
        case_id = param_id(sample.description)
        number = 1
        while case_id in ids:
            number += 1
            case_id = f"{param_id(sample.description)}-{number}"
        ids.add(case_id)
        payload_value = module.value(payload, f"{slug} {case_id}")
        params.append(
            f"pytest.param({payload_value}, {first.status}, {expected_source}, id={string(case_id)}),"
        )
    if not params:
        return None
    template = members[0][0]
    argument = {"json": "payload", "form": "form", "query": "query"}[shape]
    step = template.step
    call = context.caller.call(step).split("(", 1)[0]
    call_arguments = [_path(step.path)]
    headers = context.caller.headers(step.identity)
    if headers:
        call_arguments.append(f"headers={headers}")
    keyword = {"json": "json", "form": "data", "query": "query_string"}[shape]
    call_arguments.append(f"{keyword}={argument}")
    if shape != "query" and step.query:
        call_arguments.append(f"query_string={literal(dict(step.query))}")
    check = (
        "assert response.get_json() == expected"
        if is_json
        else "assert expected in response.get_data(as_text=True)"
    )
    behaviour = "rejects_invalid_query_arguments" if shape == "query" else "rejects_invalid_input"
    name = module.name(make_test_name(group.method, group.rule, behaviour))
    marks = (
        "@pytest.mark.parametrize(",
        f'    ("{argument}", "status", "expected"),',
        "    [",
        *(f"        {p}" for p in params),
        "    ],",
        ")",
    )
    lines = (
        f"response = {call}({', '.join(call_arguments)})",
        "assert response.status_code == status",
        check,
    )
    fixtures = (*_fixtures(context, template), argument, "status", "expected")
    return PlannedTest(name, fixtures, lines, marks=("\n".join(marks),))


def _path(path: str) -> str:
    return string(path)


def _payload(sample: Sample, shape: str) -> Any:
    step = sample.step
    if shape == "json":
        return step.json
    if shape == "form":
        return dict(step.form or ())
    return dict(step.query)


def crash_behaviour(sample: Sample) -> str:
    """A name for a crash the generator found: ``does_not_crash_when_price_is_negative``."""
    return f"does_not_crash_when_{identifier(sample.description)}"
