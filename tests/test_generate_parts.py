"""The pieces of ``testboost generate`` that need no app: values, names, repairs, the writer."""

from __future__ import annotations

import signal
import time
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from testboost.errors import UsageError
from testboost.generate.expect import Known, snippets, stable
from testboost.generate.naming import (
    make_test_name,
    param_id,
    resource_prefix,
    resource_slug,
    singular,
)
from testboost.generate.pycode import ANY_VALUE, literal
from testboost.generate.render import HEADER_MARK
from testboost.generate.repair import Values, message_text, propose
from testboost.generate.replay import Seen
from testboost.generate.writer import write_suite

VALUES = Values({"products": 1, "users": 1}, 1, "users", {1: 2})


@pytest.mark.parametrize(
    ("rule", "slug"),
    [
        ("/api/orders", "orders"),
        ("/api/orders/<int:order_id>", "order"),
        ("/api/orders/<int:order_id>/items", "order_items"),
        ("/api/v1/categories/<int:id>/products", "category_products"),
        ("/<int:id>/update", "update"),
        ("/", "index"),
    ],
)
def test_resource_slug_reads_rules_as_words(rule: str, slug: str) -> None:
    assert resource_slug(rule) == slug


def test_test_names_are_identifiers_of_method_resource_and_behaviour() -> None:
    name = make_test_name("GET", "/api/users/<int:user_id>", "returns 404 for an unknown id")
    assert name == "test_get_user_returns_404_for_an_unknown_id"
    assert singular("categories") == "category" and singular("address") == "address"
    assert param_id("price is negative!") == "price-is-negative"


def test_stable_keeps_request_and_seed_values_and_hides_volatile_ones() -> None:
    known = Known.of(
        requests=[{"name": "Ada"}],
        seed=[{"id": 1, "created_at": "2024-01-02 03:04:05.000000"}],
    ).with_generated([7])
    first = {"id": 7, "name": "Ada", "created_at": "2024-01-02T03:04:05", "token": "a1b2" * 8}
    second = dict(first)
    assert stable(first, second, known) == {
        "id": ANY_VALUE,
        "name": "Ada",
        "created_at": "2024-01-02T03:04:05",
        "token": ANY_VALUE,
    }
    assert stable({"n": 1}, {"n": 2}, known) == {"n": ANY_VALUE}
    assert stable({"at": "2031-05-06T07:08:09"}, {"at": "2031-05-06T07:08:09"}, known) == {
        "at": ANY_VALUE
    }


def test_snippets_prefer_lines_that_set_an_answer_apart() -> None:
    usual = "<title>New Post</title>\n<form>\n"
    page = '<title>New Post</title>\n<div class="flash">Title is required.</div>\n<form>\n'
    known = Known.of()
    chosen = snippets(page, page, known, usual=usual)
    assert '<div class="flash">Title is required.</div>' in chosen
    assert "<form>" not in chosen


def test_literals_are_ascii_python_with_stand_ins() -> None:
    assert literal({"a": ANY_VALUE, "b": "é"}) == "{'a': ANY, 'b': '\\xe9'}"
    assert literal({"password": "s3cret"}, {"s3cret": "PASSWORD"}) == "{'password': PASSWORD}"


@pytest.mark.parametrize(
    ("body", "message", "expected"),
    [
        ({}, "name is required", {"name": "tb name 600"}),
        (
            {"name": "x", "role": "a"},
            "unexpected field; allowed fields: name, price",
            {"name": "x"},
        ),
        ({"rating": "x"}, "rating must be an integer", {"rating": 2}),
        ({"rating": 9}, "rating must be between 1 and 5", {"rating": 2}),
        ({"status": "x"}, "status must be one of pending, paid", {"status": "pending"}),
        ({"items": []}, "items must be a list of 1 to 100 entries", {"items": [{}]}),
        ({"items": [{}]}, "product_id is required", {"items": [{"product_id": 1}]}),
        ({}, "{'email': ['Missing data for required field.']}", {"email": "tb600@example.com"}),
    ],
)
def test_propose_follows_the_error_message(
    body: dict[str, object], message: str, expected: dict[str, object]
) -> None:
    if message.startswith("{"):
        message = message_text({"errors": {"email": ["Missing data for required field."]}})
    assert propose(body, message, VALUES, 1) == expected


def test_propose_gives_up_when_the_message_names_nothing_to_change() -> None:
    assert propose({"rating": 2}, "You already reviewed this product", VALUES, 1) is None


def test_writer_refuses_a_directory_with_foreign_files(tmp_path: Path) -> None:
    (tmp_path / "test_mine.py").write_text("def test_mine():\n    assert True\n")
    with pytest.raises(UsageError, match="did not write"):
        write_suite(tmp_path, {"conftest.py": f"{HEADER_MARK}\n"}, force=False)


def test_writer_with_force_overwrites_only_its_own_files(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("# mine\n")
    (tmp_path / "test_old.py").write_text(f"{HEADER_MARK} old\n")
    files = {"conftest.py": f"{HEADER_MARK} new\n", "test_new.py": f"{HEADER_MARK} new\n"}
    written = write_suite(tmp_path, files, force=True)
    assert (tmp_path / "conftest.py").read_text() == "# mine\n"
    assert (tmp_path / "test_new.py").read_text().startswith(HEADER_MARK)
    assert not (tmp_path / "test_old.py").exists()
    assert [p.name for p in written.kept] == ["conftest.py"]


def test_requests_of_users_that_did_not_log_in_are_left_out_with_a_note() -> None:
    from testboost.explore.exchange import ProbeRequest
    from testboost.generate.material import Group, Sample
    from testboost.generate.planner import for_identities
    from testboost.generate.replay import Step

    route: Any = SimpleNamespace(rule="/items")
    valid = Sample("valid", "a valid request", Step("GET", "/items", identity="A"))
    other = Sample("other-user", "user B", Step("GET", "/items", identity="B"))
    anonymous = Sample("anonymous", "no credentials", Step("GET", "/items"))
    group = Group(route, "GET", valid, (other, anonymous))
    world: Any = SimpleNamespace(logs_in=True)
    finding: Any = SimpleNamespace(request=ProbeRequest("GET", "/items", identity="B"))
    kept, notes = for_identities(
        [group], [finding], {"A": None, "B": "logging in as B gave no token"}, world
    )
    assert kept[0].valid is valid and kept[0].cases == (anonymous,)
    assert notes == [
        "no tests as user B: 1 request(s) and 1 finding(s) sent as B are left out, because B "
        "could not log in in the suite's world (logging in as B gave no token)"
    ]


def test_resource_prefix_is_the_first_segment_after_api_prefixes() -> None:
    assert resource_prefix("/api/v1/orders/<int:order_id>/items") == "orders"
    assert resource_prefix("/response-headers") == "response_headers"
    assert resource_prefix("/api") == "index"
    assert resource_prefix("/<path:page>") == "app"


def test_items_in_another_order_are_not_pinned_one_by_one() -> None:
    known = Known.of()
    assert stable({"c": ["a", "b", "c"]}, {"c": ["c", "b", "a"]}, known) == {"c": ANY_VALUE}
    assert stable(["a", "b"], ["a", "b"], known) == ["a", "b"]
    # keys in another order are the same object
    assert stable({"a": 1, "b": 2}, {"b": 2, "a": 1}, known) == {"a": 1, "b": 2}


def _bytes_seen(data: bytes, **extra: Any) -> Seen:
    import hashlib

    return Seen(
        200,
        "image/png",
        None,
        "",
        None,
        False,
        0,
        binary=True,
        size=len(data),
        digest=hashlib.sha256(data).hexdigest(),
        head=data[:64],
        **extra,
    )


def test_bytes_are_checked_by_length_first_bytes_or_exactly() -> None:
    from testboost.generate.assertions import binary_lines
    from testboost.generate.builder import ModuleBuilder

    module = ModuleBuilder("test_x.py", "")
    image = b"\x89PNG\r\n\x1a\n" + b"x" * 100
    assert binary_lines(_bytes_seen(image), _bytes_seen(image), Known.of(), module, "x") == [
        "assert len(response.get_data()) == 108",
        "assert response.get_data().startswith(b'\\x89PNG\\r\\n\\x1a\\n')",
    ]
    assert binary_lines(_bytes_seen(b"ab"), _bytes_seen(b"ab"), Known.of(), module, "x") == [
        "assert response.get_data() == b'ab'"
    ]
    # random bytes: the length only
    assert binary_lines(
        _bytes_seen(b"\x01" * 40), _bytes_seen(b"\x02" * 40), Known.of(), module, "x"
    ) == ["assert len(response.get_data()) == 40"]
    gzipped = _bytes_seen(
        b"\x1f\x8b",
        encoding="gzip",
        decoded_json={"a": 1, "at": "2024-01-01 10:00:00"},
        decoded_is_json=True,
    )
    assert binary_lines(gzipped, gzipped, Known.of(), module, "x") == [
        "assert response.headers[\"Content-Encoding\"] == 'gzip'",
        "assert json.loads(gzip.decompress(response.get_data())) == {'a': 1, 'at': ANY}",
    ]


def test_a_large_blueprint_of_several_resources_gets_a_module_per_resource() -> None:
    from testboost.generate.material import Group
    from testboost.generate.planner import SPLIT_PAIRS, module_names

    def groups(blueprint: str, rules: list[str]) -> list[Group]:
        found = []
        for index, rule in enumerate(rules):
            route: Any = SimpleNamespace(endpoint=f"{blueprint}.e{index}", rule=rule)
            route.blueprint = blueprint
            found.append(Group(route, "GET", None))
        return found

    half = SPLIT_PAIRS // 2 + 1
    api = groups("api", [f"/api/v1/users/{i}" for i in range(half)])
    api += groups("api", [f"/api/v1/challenges/<int:id>/x{i}" for i in range(half)])
    small = groups("admin", ["/admin/users", "/admin/challenges"])
    names = module_names([*api, *small])
    assert {names[(g.route.endpoint, g.rule)] for g in api} == {
        "test_api_users.py",
        "test_api_challenges.py",
    }
    assert {names[(g.route.endpoint, g.rule)] for g in small} == {"test_admin.py"}


def test_a_field_that_varies_in_one_item_of_a_list_is_pinned_in_none() -> None:
    first = [
        {"rank": 1, "name": "can_get"},
        {"rank": 2, "name": "can_show"},
        {"rank": 3, "name": "x"},
    ]
    second = [
        {"rank": 1, "name": "can_put"},
        {"rank": 2, "name": "can_show"},
        {"rank": 3, "name": "y"},
    ]
    assert stable(first, second, Known.of()) == [
        {"rank": 1, "name": ANY_VALUE},
        {"rank": 2, "name": ANY_VALUE},
        {"rank": 3, "name": ANY_VALUE},
    ]


class _SlowDatabase:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def restore(self) -> None:
        time.sleep(self.seconds)


class _Session:
    def __init__(self, seconds: float) -> None:
        self.database = _SlowDatabase(seconds)


class _Guard:
    def __init__(self) -> None:
        self.attempts: list[str] = []


def _replay_job(monkeypatch: pytest.MonkeyPatch, seconds: float, limit: float) -> dict[str, object]:
    from testboost.generate import driver

    monkeypatch.setattr(driver, "JOB_SECONDS", limit)
    monkeypatch.setattr(driver, "_read", lambda database: {})
    job = {"steps": [], "inspect": []}
    return driver._run_job(types.ModuleType("conftest"), _Session(seconds), _Guard(), job)


def test_a_replay_job_that_never_ends_is_stopped_with_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer = _replay_job(monkeypatch, seconds=30, limit=0.3)
    assert answer["error"] == "the job took more than 0.3 s"
    assert answer["steps"] == []
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_replay_job_within_its_time_is_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    # a limit no loaded machine reaches on a job that does nothing
    answer = _replay_job(monkeypatch, seconds=0, limit=60)
    assert answer["error"] is None
    assert answer["changes"] == []
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
