"""Each oracle fires on its defect and stays silent on the correct behaviour next to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from test_checks import changed, exchange, facts, raised

from testboost.checks import Finding, fold, load_checks
from testboost.explore.exchange import Exchange, ForeignKey, ProbeFacts
from testboost.sandbox import NetworkAttempt

ORDER = "/api/orders/<int:order_id>"
USER = "/api/users/<int:user_id>"
JWT = "jwt"


def run(
    check: str, exchanges: Sequence[Exchange], context: ProbeFacts | None = None
) -> list[Finding]:
    return list(load_checks()[check](exchanges, context or facts()))


def messages(
    check: str, exchanges: Sequence[Exchange], context: ProbeFacts | None = None
) -> list[str]:
    return [f.message for f in run(check, exchanges, context)]


# -- server-error -------------------------------------------------------------------------------


def test_server_error_names_the_exception_and_the_input_that_raised_it() -> None:
    crash = exchange(
        "unknown-id",
        rule=USER,
        field="user_id",
        location="path",
        status=500,
        error=raised("AttributeError", "'NoneType' object has no attribute 'to_dict'"),
        body="<h1>Internal Server Error</h1>",
    )
    (finding,) = run("server-error", [crash])
    assert finding.message == (
        "AttributeError: 'NoneType' object has no attribute 'to_dict' "
        "for a user id that does not exist"
    )
    assert (finding.severity, finding.status, finding.location) == ("high", 500, "app/views.py:12")
    assert finding.request.path == "/api/users/99999"


def test_server_error_says_which_field_was_missing_or_of_the_wrong_type() -> None:
    missing = exchange(
        "missing-field",
        method="POST",
        field="email",
        status=500,
        error=raised("KeyError", "'email'"),
    )
    wrong = exchange(
        "wrong-type",
        method="POST",
        field="price",
        value="abc",
        status=500,
        error=raised("TypeError", "can't multiply sequence by non-int of type 'float'"),
    )
    assert messages("server-error", [missing, wrong]) == [
        "KeyError: 'email' when the JSON field 'email' is missing",
        "TypeError: can't multiply sequence by non-int of type 'float' "
        "when the JSON field 'price' is \"abc\"",
    ]


def test_server_error_shows_the_shrunk_body_of_a_fuzz_case() -> None:
    fuzzed = exchange(
        "fuzz",
        method="POST",
        status=500,
        error=raised("TypeError", "'<' not supported"),
        request_json={"price": None},
    )
    assert messages("server-error", [fuzzed]) == [
        "TypeError: '<' not supported for a generated body ({\"price\": null})"
    ]


def test_server_error_reports_a_5xx_without_exception_and_a_time_out() -> None:
    unavailable = exchange(status=503, json_body={"error": "maintenance"})
    slow = exchange(
        method="POST",
        status=500,
        timed_out=True,
        seconds=5.9,  # measured on a loaded machine: the message gives the limit
        error=raised("RequestTimeout", "the request did not finish in 5 s"),
    )
    assert messages("server-error", [unavailable, slow]) == [
        "answered 503 for GET /api/items/1 with no body and no query",
        "request did not finish in 5 s for POST /api/items/1 with no body and no query",
    ]


def test_server_error_is_silent_on_client_errors_and_success() -> None:
    answers = [
        exchange("unknown-id", status=404, json_body={"error": "not found"}),
        exchange("missing-field", field="name", status=400, json_body={"error": "name required"}),
        exchange(status=201, json_body={"id": 1}),
    ]
    assert run("server-error", answers) == []


def test_server_error_leaves_sql_syntax_errors_to_sql_injection() -> None:
    broken = exchange(
        "quote",
        field="q",
        location="query",
        value="tb' OR '1'='1",
        status=500,
        error=raised("OperationalError", 'near "1": syntax error', module="sqlite3"),
    )
    crash_on_quote = exchange(
        "quote", field="name", value="tb' OR '1'='1", status=500, error=raised("ValueError", "bad")
    )
    # a ValueError is not the SQL's: the message names the value, not the quotes
    assert messages("server-error", [broken, crash_on_quote]) == [
        "ValueError: bad when the JSON field 'name' is \"tb' OR '1'='1\""
    ]


def test_server_error_names_a_field_only_when_the_valid_request_does_not_crash_alike() -> None:
    # CTFd's POST /api/v1/tokens: the valid body's `expiration` already crashes strptime, so the
    # wrong-type `description` sent beside it is not the cause
    tokens = "/api/v1/tokens"
    bad_date = raised("ValueError", "time data '12/30'", location="api/tokens.py:90")
    body = {"expiration": "12/30"}
    valid = exchange(method="POST", rule=tokens, request_json=body, status=500, error=bad_date)
    wrong_type = exchange(
        "wrong-type",
        method="POST",
        rule=tokens,
        field="description",
        value={"x": 1},
        request_json={**body, "description": {"x": 1}},
        status=500,
        error=bad_date,
    )
    elsewhere = exchange(
        "wrong-type",
        method="POST",
        rule=tokens,
        field="expiration",
        value=5,
        request_json={**body, "expiration": 5},
        status=500,
        error=raised("TypeError", "strptime() argument 1 must be str", location="api/tokens.py:90"),
    )
    assert messages("server-error", [valid, wrong_type, elsewhere]) == [
        """ValueError: time data '12/30' for the JSON body {"expiration": "12/30"}""",
        "TypeError: strptime() argument 1 must be str when the JSON field 'expiration' is 5",
    ]


def test_a_body_field_is_named_by_the_body_really_sent() -> None:
    # a case planned for a form field, sent as JSON to a view reading `form or get_json()`
    sent_as_json = exchange(
        "quote",
        method="POST",
        rule="/api/v1/challenges",
        field="type",
        location="form",
        value="tb'q",
        request_json={"type": "tb'q"},
        status=500,
        error=raised("KeyError", "tb'q"),
    )
    sent_as_form = exchange(
        "missing-field", method="POST", rule="/login", field="name", location="form", status=500
    )
    assert messages("server-error", [sent_as_json, sent_as_form]) == [
        "KeyError: tb'q when the JSON field 'type' is \"tb'q\"",
        "answered 500 when the form field 'name' is missing",
    ]


def test_server_error_leaves_a_refused_outbound_connection_to_outbound_network() -> None:
    attempt = NetworkAttempt("api.stripe.com", 443, "connect", "shop/payments.py:30")
    refused = exchange(
        method="POST",
        status=500,
        error=raised("ConnectionRefusedError", "refused by the testboost sandbox"),
        network=(attempt,),
    )
    handled = exchange(
        method="POST", status=502, json_body={"error": "gateway"}, network=(attempt,)
    )
    assert run("server-error", [refused, handled]) == []


# -- missing-404 --------------------------------------------------------------------------------


def test_missing_404_fires_when_an_unknown_id_answers_like_a_real_one() -> None:
    valid = exchange(rule=USER, json_body={"id": 1})
    unknown = exchange("unknown-id", rule=USER, field="user_id", location="path", json_body=None)
    (finding,) = run("missing-404", [valid, unknown])
    assert (
        finding.message == "answered 200 with null for a user id that does not exist, expected 404"
    )
    assert finding.severity == "medium"


def test_missing_404_is_silent_on_404_on_5xx_and_when_the_real_id_fails_too() -> None:
    valid = exchange(rule=USER, json_body={"id": 1})
    assert (
        run("missing-404", [valid, exchange("unknown-id", rule=USER, status=404, body="nf")]) == []
    )
    crash = exchange("unknown-id", rule=USER, status=500, error=raised("AttributeError", "x"))
    assert run("missing-404", [valid, crash]) == []
    forbidden = exchange(rule=USER, status=403, json_body={"error": "forbidden"})
    assert run("missing-404", [forbidden, exchange("unknown-id", rule=USER, json_body=[])]) == []


def test_missing_404_allows_a_put_that_creates_the_object() -> None:
    valid = exchange(method="PUT", json_body={"id": 1})
    upsert = exchange(
        "unknown-id",
        method="PUT",
        status=201,
        json_body={"id": 99999},
        changes=(changed.insert("items", 99999, id=99999, name="x"),),
    )
    assert run("missing-404", [valid, upsert]) == []


def test_missing_404_fires_high_on_a_child_created_under_a_parent_that_does_not_exist() -> None:
    rule = "/api/orders/<int:order_id>/items"
    valid = exchange(method="POST", rule=rule, status=201, json_body={"id": 3})
    orphan = exchange(
        "unknown-id",
        method="POST",
        rule=rule,
        field="order_id",
        location="path",
        status=201,
        json_body={"id": 4},
        changes=(changed.insert("order_items", 4, id=4, order_id=99999),),
    )
    (finding,) = run("missing-404", [valid, orphan])
    assert finding.severity == "high"
    assert finding.message == (
        "answered 201 for an order id that does not exist and stored a row in order_items under it, "
        "expected 404"
    )
    refused = exchange("unknown-id", method="POST", rule=rule, status=404, json_body={})
    assert run("missing-404", [valid, refused]) == []


# -- validation-gap -----------------------------------------------------------------------------


def _signup(
    kind: str, field: str, value: Any, *, stored: dict[str, Any], status: int = 201
) -> Exchange:
    return exchange(
        kind,
        method="POST",
        rule="/api/customers",
        field=field,
        value=value,
        status=status,
        json_body={"id": 7},
        changes=(changed.insert("customers", 7, id=7, **stored),),
    )


VALID_SIGNUP = exchange(
    method="POST",
    rule="/api/customers",
    status=201,
    json_body={"id": 7},
    changes=(
        changed.insert("customers", 7, id=7, email="tb1@example.com", name="tb", nickname=None),
    ),
)


def test_validation_gap_fires_when_a_malformed_value_is_stored() -> None:
    bad = _signup(
        "malformed", "email", "not-an-email", stored={"email": "not-an-email", "name": "tb"}
    )
    (finding,) = run("validation-gap", [VALID_SIGNUP, bad])
    assert finding.severity == "high"
    assert finding.message == (
        "answered 201 when the JSON field 'email' is \"not-an-email\" and stored "
        'customers.email = "not-an-email"'
    )


def test_validation_gap_fires_when_a_required_field_is_missing_and_stored_null() -> None:
    bad = _signup("missing-field", "name", None, stored={"email": "tb1@example.com", "name": None})
    assert messages("validation-gap", [VALID_SIGNUP, bad]) == [
        "answered 201 when the JSON field 'name' is missing and stored customers.name = NULL"
    ]


def test_validation_gap_fires_on_a_wrong_type_stored_as_sent_and_a_negative_quantity() -> None:
    text_price = exchange(
        "wrong-type",
        method="PUT",
        field="price",
        value="abc",
        changes=(changed.update("items", 1, {"id": 1, "price": 10}, price="abc"),),
    )
    negative = exchange(
        "malformed",
        method="POST",
        rule="/api/orders",
        field="quantity",
        value=-5,
        status=201,
        changes=(changed.insert("order_lines", 3, id=3, quantity=-5),),
    )
    assert len(run("validation-gap", [text_price, negative])) == 2


def test_validation_gap_finds_a_distinctive_value_in_a_column_named_otherwise() -> None:
    bad = _signup(
        "malformed",
        "email",
        "not-an-email",
        stored={"contact_address": "not-an-email", "name": "tb"},
    )
    assert messages("validation-gap", [bad]) == [
        "answered 201 when the JSON field 'email' is \"not-an-email\" and stored "
        'customers.contact_address = "not-an-email"'
    ]


def test_validation_gap_ignores_a_search_that_answers_200_and_stores_nothing() -> None:
    search = exchange(
        "malformed",
        rule="/api/customers/search",
        field="email",
        location="query",
        value="not-an-email",
        json_body=[],
    )
    assert run("validation-gap", [search]) == []


def test_validation_gap_ignores_refusals_coercions_and_partial_updates() -> None:
    refused = exchange("malformed", method="POST", field="email", value="x", status=400, body="")
    coerced = exchange(
        "wrong-type",
        method="PUT",
        field="quantity",
        value="12",
        changes=(changed.update("items", 1, {"id": 1, "quantity": 3}, quantity=12),),
    )
    partial = exchange(
        "missing-field",
        method="PATCH",
        field="name",
        changes=(changed.update("items", 1, {"id": 1, "name": "a", "price": 3}, price=4),),
    )
    assert run("validation-gap", [refused, coerced, partial]) == []


def test_validation_gap_ignores_a_column_the_valid_request_leaves_empty_too() -> None:
    bad = _signup("missing-field", "nickname", None, stored={"email": "e", "nickname": None})
    assert run("validation-gap", [VALID_SIGNUP, bad]) == []


# -- mass-assignment ----------------------------------------------------------------------------


def test_mass_assignment_is_critical_for_a_privilege_the_client_sets() -> None:
    escalate = exchange(
        "protected-field",
        method="PUT",
        rule=USER,
        field="is_admin",
        value=True,
        json_body={"id": 1},
        changes=(changed.update("users", 1, {"id": 1, "is_admin": 0}, is_admin=1),),
    )
    (finding,) = run("mass-assignment", [escalate])
    assert finding.severity == "critical"
    assert finding.message == (
        "the client set users.is_admin = 1 by sending 'is_admin': true (answered 200)"
    )


def test_mass_assignment_is_high_for_ids_owners_and_timestamps() -> None:
    rule = "/api/orders"
    valid = exchange(
        method="POST",
        rule=rule,
        status=201,
        changes=(changed.insert("orders", 3, id=3, user_id=1, created_at="2024-05-01 10:00:00"),),
    )

    def sets(column: str, value: Any, row: dict[str, Any]) -> Exchange:
        return exchange(
            "protected-field",
            method="POST",
            rule=rule,
            field=column,
            value=value,
            status=201,
            changes=(changed.insert("orders", row.get("id", 3), **row),),
        )

    found = run(
        "mass-assignment",
        [
            valid,
            sets("id", 99999, {"id": "99999", "user_id": 1}),
            sets("user_id", 2, {"id": 3, "user_id": 2}),
            sets(
                "created_at",
                "2000-01-01T00:00:00",
                {"id": 3, "created_at": "2000-01-01 00:00:00.000000"},
            ),
        ],
    )
    assert [(f.severity, f.message.split(" by ")[0]) for f in found] == [
        ("high", 'the client set orders.id = "99999"'),
        ("high", "the client set orders.user_id = 2"),
        ("high", 'the client set orders.created_at = "2000-01-01 00:00:00.000000"'),
    ]


def test_mass_assignment_is_silent_when_the_field_is_ignored_or_refused() -> None:
    ignored = exchange(
        "protected-field",
        method="PUT",
        rule=USER,
        field="is_admin",
        value=True,
        changes=(changed.update("users", 1, {"id": 1, "is_admin": 0, "name": "a"}, name="b"),),
    )
    refused = exchange(
        "protected-field", method="PUT", rule=USER, field="role", value="admin", status=400, body=""
    )
    assert run("mass-assignment", [ignored, refused]) == []


def test_mass_assignment_judges_users_not_the_administrator() -> None:
    # CTFd: only the admin reaches POST /api/v1/users, and `verified` is on the admin's own form
    def creates(identity: str) -> Exchange:
        return exchange(
            "protected-field",
            method="POST",
            rule="/api/v1/users",
            field="verified",
            value=True,
            status=200,
            identity=identity,
            changes=(changed.insert("users", 5, id=5, name="x", verified=1),),
        )

    assert run("mass-assignment", [creates("admin")]) == []
    (finding,) = run("mass-assignment", [creates("A")])
    assert finding.message.startswith("the client set users.verified = 1 by sending 'verified'")


def test_mass_assignment_ignores_a_value_the_column_gets_by_default() -> None:
    rule = "/api/customers"
    valid = exchange(
        method="POST",
        rule=rule,
        status=201,
        changes=(changed.insert("customers", 4, id=4, is_active=1),),
    )
    active = exchange(
        "protected-field",
        method="POST",
        rule=rule,
        field="is_active",
        value=True,
        status=201,
        changes=(changed.insert("customers", 4, id=4, is_active=1),),
    )
    assert run("mass-assignment", [valid, active]) == []


# -- missing-auth -------------------------------------------------------------------------------

PRODUCT = "/api/products/<int:product_id>"
PRODUCTS = "/api/products"


def test_missing_auth_is_critical_when_an_anonymous_request_deletes_a_users_row() -> None:
    delete = exchange(
        "anonymous",
        method="DELETE",
        rule=ORDER,
        json_body={"ok": True},
        changes=(changed.delete("orders", 1, id=1, user_id=1),),
    )
    (finding,) = run("missing-auth", [delete], facts(guarded={("DELETE", ORDER): "none"}))
    assert finding.severity == "critical"
    assert finding.message == (
        "without credentials DELETE answered 200 and deleted 1 row of orders "
        "(orders rows belong to users)"
    )


def test_missing_auth_is_critical_when_a_guard_lets_an_anonymous_write_through() -> None:
    create = exchange(
        "anonymous",
        method="POST",
        rule=PRODUCTS,
        status=201,
        json_body={"id": 9},
        changes=(changed.insert("products", 9, id=9, name="x"),),
    )
    (finding,) = run("missing-auth", [create], facts(guarded={("POST", PRODUCTS): JWT}))
    assert finding.severity == "critical"
    assert finding.message.endswith("inserted 1 row of products, though the route is guarded")


def test_missing_auth_names_the_users_rows_a_read_changed() -> None:
    guarded = {("POST", "/api/orders/<int:order_id>/pay"): JWT}
    cancel = exchange(
        "anonymous",
        rule="/api/orders/<int:order_id>/cancel",
        json_body={"status": "cancelled"},
        changes=(changed.update("orders", 1, {"id": 1, "status": "paid"}, status="cancelled"),),
    )
    assert messages("missing-auth", [cancel], facts(guarded=guarded)) == [
        "without credentials GET answered 200 and updated 1 row of orders "
        "(orders rows belong to users)"
    ]


def test_missing_auth_is_high_for_an_unguarded_write_next_to_a_guarded_one() -> None:
    guarded = {("PUT", PRODUCT): JWT, ("DELETE", PRODUCT): "none", ("GET", PRODUCT): "none"}
    delete = exchange("anonymous", method="DELETE", rule=PRODUCT, status=204, body="")
    (finding,) = run("missing-auth", [delete], facts(guarded=guarded))
    assert finding.severity == "high"
    assert finding.message == (
        f"without credentials DELETE answered 204, while PUT {PRODUCT} demands credentials"
    )


def test_missing_auth_sees_a_sibling_guard_from_its_401() -> None:
    put = exchange("anonymous", method="PUT", rule=PRODUCT, status=401, json_body={"msg": "no"})
    delete = exchange("anonymous", method="DELETE", rule=PRODUCT, status=204, body="")
    assert [f.severity for f in run("missing-auth", [put, delete])] == ["high"]


def test_missing_auth_never_flags_a_public_read_next_to_a_guarded_write() -> None:
    guarded = {("GET", PRODUCTS): "none", ("POST", PRODUCTS): JWT, ("PUT", PRODUCT): JWT}
    listing = exchange("anonymous", rule=PRODUCTS, json_body=[{"id": 1}])
    detail = exchange("anonymous", rule=PRODUCT, json_body={"id": 1})
    assert run("missing-auth", [listing, detail], facts(guarded=guarded)) == []


def test_missing_auth_is_silent_when_credentials_are_refused() -> None:
    refused = exchange("anonymous", method="DELETE", rule=ORDER, status=401, json_body={"msg": "x"})
    assert run("missing-auth", [refused], facts(guarded={("DELETE", ORDER): JWT})) == []


def test_missing_auth_lets_the_login_flow_and_registration_write_anonymously() -> None:
    guarded = {("POST", "/api/auth/change-password"): JWT, ("PUT", USER): JWT}
    register = exchange(
        "anonymous",
        method="POST",
        rule="/api/auth/register",
        status=201,
        json_body={"id": 3},
        changes=(changed.insert("users", 3, id=3, email="e"),),
    )
    login = exchange(
        "anonymous",
        method="POST",
        rule="/api/auth/login",
        json_body={"access_token": "t"},
        changes=(changed.update("users", 1, {"id": 1, "failed_logins": 0}, failed_logins=2),),
    )
    rest_signup = exchange(
        "anonymous",
        method="POST",
        rule="/api/users",
        status=201,
        json_body={"id": 3},
        changes=(changed.insert("users", 3, id=3, email="e"),),
    )
    assert run("missing-auth", [register, login, rest_signup], facts(guarded=guarded)) == []


def test_missing_auth_lets_a_public_form_and_a_view_counter_be() -> None:
    contact = exchange(
        "anonymous",
        method="POST",
        rule="/api/messages",
        status=201,
        changes=(changed.insert("messages", 1, id=1, body="hi"),),
    )
    views = exchange(
        "anonymous",
        rule="/api/posts/<int:post_id>",
        json_body={"id": 1},
        changes=(changed.update("posts", 1, {"id": 1, "views": 4, "user_id": 1}, views=5),),
    )
    context = facts(owner_columns={"posts": "user_id"}, guarded={("GET", "/api/me"): JWT})
    assert run("missing-auth", [contact, views], context) == []


def test_missing_auth_is_silent_in_an_app_without_users_or_guards() -> None:
    delete = exchange(
        "anonymous",
        method="DELETE",
        rule=ORDER,
        changes=(changed.delete("orders", 1, id=1, user_id=None),),
    )
    assert run("missing-auth", [delete], facts(users={})) == []


# -- broken-object-auth -------------------------------------------------------------------------


def test_broken_object_auth_fires_when_user_b_changes_user_a_s_order() -> None:
    update = exchange(
        "other-user",
        method="PUT",
        rule=ORDER,
        field="order_id",
        location="path",
        json_body={"id": 1},
        changes=(changed.update("orders", 1, {"id": 1, "user_id": 1, "note": "a"}, note="b"),),
    )
    (finding,) = run("broken-object-auth", [update], facts(guarded={("PUT", ORDER): JWT}))
    assert finding.severity == "critical"
    assert finding.message == "user B updated 1 row of orders owned by user A (answered 200)"
    assert finding.request.identity == "B"


def test_broken_object_auth_fires_when_user_b_reads_user_a_s_order() -> None:
    read = exchange(
        "other-user",
        rule=ORDER,
        field="order_id",
        location="path",
        path="/api/orders/5",
        json_body={"order": {"id": 5, "user_id": 1, "total": 3}},
    )
    anonymous = exchange("anonymous", rule=ORDER, status=401, json_body={"msg": "missing token"})
    assert messages("broken-object-auth", [read, anonymous]) == [
        "user B got user A's object (id = 5) with 200; without credentials it "
        "answers 401, and no list, search or public answer shows it to B"
    ]


def test_broken_object_auth_is_silent_on_403_and_404_for_user_b() -> None:
    guarded = facts(guarded={("GET", ORDER): JWT, ("DELETE", ORDER): JWT})
    forbidden = exchange("other-user", rule=ORDER, field="order_id", status=403, json_body={})
    hidden = exchange(
        "other-user", method="DELETE", rule=ORDER, field="order_id", status=404, body=""
    )
    assert run("broken-object-auth", [forbidden, hidden], guarded) == []


def test_broken_object_auth_is_silent_when_b_gets_b_s_own_data_or_writes_b_s_own_row() -> None:
    context = facts(
        guarded={("GET", ORDER): JWT, ("POST", "/api/orders/<int:order_id>/notes"): JWT},
        owner_columns={"orders": "user_id", "notes": "user_id", "users": "id"},
    )
    own = exchange(
        "other-user",
        rule=ORDER,
        field="order_id",
        path="/api/orders/5",
        json_body=[{"id": 8, "user_id": 2}],
    )
    note = exchange(
        "other-user",
        method="POST",
        rule="/api/orders/<int:order_id>/notes",
        field="order_id",
        status=201,
        changes=(changed.insert("notes", 4, id=4, order_id=5, user_id=2),),
    )
    assert run("broken-object-auth", [own, note], context) == []


def test_broken_object_auth_is_silent_on_public_objects_and_unguarded_routes() -> None:
    read = exchange("other-user", rule=ORDER, field="order_id", json_body={"id": 1, "user_id": 1})
    public = exchange("anonymous", rule=ORDER, json_body={"id": 1, "user_id": 1})
    assert run("broken-object-auth", [read, public], facts(guarded={("GET", ORDER): JWT})) == []
    assert run("broken-object-auth", [read], facts(guarded={("GET", ORDER): "none"})) == []


def test_broken_object_auth_does_not_judge_shared_sub_collections() -> None:
    reviews = exchange(
        "other-user",
        rule="/api/products/<int:product_id>/reviews",
        field="product_id",
        json_body=[{"id": 1, "product_id": 1, "user_id": 1}],
    )
    context = facts(
        guarded={("GET", "/api/products/<int:product_id>/reviews"): JWT},
        owner_columns={"products": "user_id", "reviews": "user_id", "users": "id"},
    )
    assert run("broken-object-auth", [reviews], context) == []


# -- non-json-error -----------------------------------------------------------------------------


def test_non_json_error_fires_on_an_html_error_page_of_a_json_route() -> None:
    valid = exchange(rule=ORDER, json_body={"id": 1})
    html = exchange(
        "unknown-id",
        rule=ORDER,
        field="order_id",
        status=404,
        body="<!doctype html><h1>Not Found</h1>",
    )
    (finding,) = run("non-json-error", [valid, html])
    assert finding.message == (
        "answered 404 with text/html instead of JSON for an order id that does not exist: "
        "the app has no JSON handler for 404"
    )
    assert finding.severity == "medium"


def test_non_json_error_follows_the_family_when_the_route_never_succeeded() -> None:
    apis = [exchange(rule=f"/api/r{n}", json_body=[]) for n in range(3)]
    html_500 = exchange(
        rule="/api/broken",
        status=500,
        body="<h1>Internal Server Error</h1>",
        error=raised("E", "x"),
    )
    assert [f.rule for f in run("non-json-error", [*apis, html_500])] == ["/api/broken"]


def test_non_json_error_takes_a_json_error_of_the_route_as_evidence() -> None:
    json_401 = exchange("anonymous", rule="/admin/stats", status=401, json_body={"msg": "no"})
    html_404 = exchange("unknown-id", rule="/admin/stats", status=404, body="<h1>Not Found</h1>")
    assert [f.status for f in run("non-json-error", [json_401, html_404])] == [404]


def test_non_json_error_leaves_html_views_of_a_mixed_app_alone() -> None:
    api = exchange(rule="/api/items", json_body=[])
    login_redirect = exchange(
        rule="/users/list/",
        status=302,
        body="<a href='/login/'>",
        headers=(("Location", "/login/"),),
    )
    crash = exchange("anonymous", rule="/users/list/", status=500, body="<h1>500</h1>")
    unknown = exchange(rule="/lang/<string:locale>", status=404, body="<h1>Not Found</h1>")
    assert run("non-json-error", [api, login_redirect, crash, unknown]) == []


def test_non_json_error_reports_a_missing_handler_once_for_the_whole_app() -> None:
    def html_405(rule: str, method: str) -> Exchange:
        return exchange("wrong-method", rule=rule, method=method, status=405, body="<p>405</p>")

    answers = [
        exchange(rule="/api/b", json_body=[]),
        exchange(rule="/api/a", json_body=[]),
        html_405("/api/b", "PUT"),
        html_405("/api/a", "PATCH"),
        html_405("/api/a", "PUT"),
    ]
    (finding,) = fold(run("non-json-error", answers))
    assert (finding.rule, finding.method, finding.count) == ("/api/a", "PATCH", 3)
    assert [(p.method, p.rule) for p in finding.routes] == [
        ("PATCH", "/api/a"),
        ("PUT", "/api/a"),
        ("PUT", "/api/b"),
    ]
    assert finding.message == (
        "answered 405 with text/html instead of JSON for PATCH, a method the route does not "
        "accept: the app has no JSON handler for 405"
    )


# -- sql-injection ------------------------------------------------------------------------------

SEARCH = "/api/products/search"
QUOTE = "tb' OR '1'='1"


def test_sql_injection_fires_on_a_database_syntax_error_from_a_quote() -> None:
    broken = exchange(
        "quote",
        rule=SEARCH,
        field="q",
        location="query",
        value=QUOTE,
        status=500,
        error=raised(
            "OperationalError",
            'unrecognized token: "\'"',
            module="sqlite3",
            location="shop/search.py:9",
        ),
    )
    (finding,) = run("sql-injection", [broken])
    assert finding.severity == "critical"
    assert finding.location == "shop/search.py:9"
    assert finding.message == (
        "SQL quotes in the query argument 'q' (\"tb' OR '1'='1\") break the query: "
        'OperationalError: unrecognized token: "\'"'
    )


def test_sql_injection_fires_on_an_error_page_naming_a_sql_syntax_error() -> None:
    page = exchange(
        "quote", rule=SEARCH, field="q", value=QUOTE, status=500, body='near "1": syntax error'
    )
    assert len(run("sql-injection", [page])) == 1


def test_sql_injection_fires_when_a_quote_widens_the_result() -> None:
    control = exchange(
        "quote", rule=SEARCH, field="q", location="query", value="tb-plain", json_body=[]
    )
    tautology = exchange(
        "quote",
        rule=SEARCH,
        field="q",
        location="query",
        value=QUOTE,
        json_body={"items": [{}, {}, {}]},
    )
    assert messages("sql-injection", [control, tautology]) == [
        "the query argument 'q' = \"tb' OR '1'='1\" returned 3 rows where a harmless string "
        "returned 0: the quotes change the query"
    ]


def test_sql_injection_is_silent_on_escaped_quotes_and_unrelated_failures() -> None:
    refused = exchange("quote", rule=SEARCH, field="q", value=QUOTE, status=400, json_body={})
    constraint = exchange(
        "quote",
        method="POST",
        rule="/api/tags",
        field="name",
        value=QUOTE,
        status=500,
        error=raised(
            "IntegrityError", "UNIQUE constraint failed: tags.name", module="sqlalchemy.exc"
        ),
    )
    same_rows = [
        exchange("quote", rule=SEARCH, field="q", value="tb-plain", json_body=[{}]),
        exchange("quote", rule=SEARCH, field="q", value=QUOTE, json_body=[{}]),
    ]
    uncontrolled = exchange("quote", rule="/api/items", field="q", value=QUOTE, json_body=[{}, {}])
    assert run("sql-injection", [refused, constraint, *same_rows, uncontrolled]) == []


def test_sql_injection_is_silent_when_the_route_fails_on_valid_input_too() -> None:
    error = raised("OperationalError", "no such table: products", module="sqlite3")
    valid = exchange(rule=SEARCH, status=500, error=error)
    quote = exchange("quote", rule=SEARCH, field="q", value=QUOTE, status=500, error=error)
    assert run("sql-injection", [valid, quote]) == []
    # one crash, shown on the valid request: the quoted field is not its cause
    (crash,) = run("server-error", [valid, quote])
    assert crash.request == valid.request


# -- open-redirect ------------------------------------------------------------------------------


def test_open_redirect_fires_on_a_redirect_to_the_host_sent() -> None:
    redirect = exchange(
        "redirect-target",
        rule="/login",
        field="next",
        location="query",
        value="https://evil.example.com/phish",
        status=302,
        body="",
        headers=(("Location", "https://evil.example.com/phish"),),
    )
    (finding,) = run("open-redirect", [redirect])
    assert finding.severity == "medium"
    assert finding.message == (
        "redirects to https://evil.example.com/phish (302), a target taken from "
        "the query argument 'next'"
    )


def test_open_redirect_is_silent_on_local_redirects_and_refusals() -> None:
    def answer(status: int, location: str | None, kind: str = "redirect-target") -> Exchange:
        return exchange(
            kind,
            rule="/login",
            field="next",
            value="https://evil.example.com/phish",
            status=status,
            body="",
            headers=(("Location", location),) if location else (),
        )

    answers = [
        answer(302, "/dashboard"),
        answer(302, "https://shop.example.com/"),
        answer(400, None),
        answer(302, "https://evil.example.com/phish", kind="valid"),
    ]
    assert run("open-redirect", answers) == []


# -- outbound-network ---------------------------------------------------------------------------


def test_outbound_network_names_the_host_and_the_user_code() -> None:
    attempts = (
        NetworkAttempt("api.stripe.com", 443, "connect", "shop/payments.py:30"),
        NetworkAttempt("api.stripe.com", 443, "connect", "shop/payments.py:30"),
        NetworkAttempt("hooks.slack.com", None, "getaddrinfo", None),
    )
    call = exchange(method="POST", rule="/api/checkout", status=502, json_body={}, network=attempts)
    (finding,) = run("outbound-network", [call, exchange(rule="/api/checkout", json_body={})])
    assert finding.message == (
        "tried to reach api.stripe.com:443, hooks.slack.com from shop/payments.py:30; "
        "with the connection refused it answered 502"
    )
    assert (finding.severity, finding.location) == ("medium", "shop/payments.py:30")


# -- data-leak ----------------------------------------------------------------------------------

SCRYPT = "scrypt:32768:8:1$Zk3fA9bq$" + "ab12" * 32
PBKDF2 = "pbkdf2:sha256:600000$Q1w2E3r4$" + "9f" * 32


def test_data_leak_fires_on_password_hashes_in_a_json_list() -> None:
    users = exchange(
        rule="/api/users", json_body=[{"id": 1, "email": "a@x", "password_hash": SCRYPT}]
    )
    (finding,) = run("data-leak", [users])
    assert finding.severity == "critical"
    assert finding.message == "answered 200 with a password hash in 'password_hash' (scrypt:…)"


def test_data_leak_fires_on_a_hash_in_html_a_config_secret_and_a_reset_token() -> None:
    page = exchange(rule="/admin/users", body=f"<td>{PBKDF2}</td>")
    config = exchange(rule="/api/debug", json_body={"config": "SECRET_KEY=kX9v-very-secret-value"})
    reset = exchange(
        method="POST",
        rule="/api/auth/forgot-password",
        json_body={"message": "sent", "reset_token": "f3a9c1d2e4b5a6f7c8d9"},
    )
    context = facts(secrets=("kX9v-very-secret-value",))
    assert messages("data-leak", [page, config, reset], context) == [
        "answered 200 with a password hash (pbkdf2:…)",
        "answered 200 with a secret value of the app's configuration",
        "answered 200 with a token in 'reset_token'",
    ]


def test_data_leak_is_high_for_a_stack_trace() -> None:
    trace = exchange(
        status=500,
        body='Traceback (most recent call last):\n  File "/app/views.py", line 3, in get\nKeyError',
    )
    (finding,) = run("data-leak", [trace])
    assert (finding.severity, finding.message) == ("high", "answered 500 with a Python stack trace")


def test_data_leak_lets_login_hand_out_its_tokens() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    login = exchange(
        method="POST",
        rule="/api/auth/login",
        json_body={
            "access_token": jwt,
            "refresh_token": jwt,
            "token_type": "bearer",
            "user": {"id": 1, "email": "a@x"},
        },
    )
    keys = exchange(
        method="POST", rule="/api/api-keys", status=201, json_body={"api_key": "k" * 8 + "1"}
    )
    assert run("data-leak", [login, keys]) == []


def test_data_leak_ignores_error_messages_masks_and_echoes() -> None:
    answers = [
        exchange("missing-field", status=400, json_body={"errors": {"password": "required"}}),
        exchange("malformed", status=400, json_body={"password": ["Missing", "Too short"]}),
        exchange("malformed", status=400, json_body={"password": "Password must be 6 long"}),
        exchange(json_body={"id": 1, "password": "********", "has_password": True}),
        exchange(
            method="POST",
            rule="/api/accounts",
            status=201,
            request_json={"email": "a@x", "password": "Tb-Passw0rd!2024"},
            json_body={"email": "a@x", "password": "Tb-Passw0rd!2024"},
        ),
        exchange(json_body={"csrf_token": "a" * 10 + "b" * 30, "next_page_token": "c" * 20 + "d"}),
    ]
    assert run("data-leak", answers) == []


def test_data_leak_lets_a_route_hand_the_caller_back_its_own_token_only() -> None:
    # RealWorld's GET /api/user answers the token of the request's "Authorization: Token ..."
    own = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJBIn0.b3duLXNpZ25hdHVyZQ"
    other = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJCIn0.b3RoZXItc2lnbmF0dXJl"

    def current_user(token: str) -> Exchange:
        answer = exchange(rule="/api/user", json_body={"user": {"email": "a@x", "token": token}})
        sent = replace(answer.request, headers=(("Authorization", f"Token {own}"),))
        return replace(answer, request=sent)

    assert run("data-leak", [current_user(own)]) == []
    assert messages("data-leak", [current_user(other)]) == ["answered 200 with a token in 'token'"]


def test_data_leak_fires_on_a_plain_password_and_a_secret_column() -> None:
    answer = exchange(
        rule="/api/users/<int:user_id>",
        json_body={"id": 1, "password": "hunter22", "otp_seed": "JBSWY3DPEHPK3PXP"},
    )
    context = facts(secret_columns={"users": ("password", "otp_seed")})
    assert messages("data-leak", [answer], context) == [
        "answered 200 with a password in 'password', a secret in 'otp_seed'"
    ]


# -- orphaned-rows ------------------------------------------------------------------------------

REVIEW_FK = ForeignKey("reviews", "product_id", "products", "id")
SEED: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {
    "products": {(3,): {"id": 3, "name": "p"}, (4,): {"id": 4, "name": "q"}},
    "reviews": {
        (1,): {"id": 1, "product_id": 3},
        (2,): {"id": 2, "product_id": 3},
        (5,): {"id": 5, "product_id": 4},
    },
}


def _delete_product(*extra: Any, status: int = 204) -> Exchange:
    return exchange(
        method="DELETE",
        rule=PRODUCT,
        path="/api/products/3",
        status=status,
        body="",
        changes=(changed.delete("products", 3, id=3, name="p"), *extra),
    )


def test_orphaned_rows_fires_when_a_delete_leaves_children_behind() -> None:
    context = facts(foreign_keys=[REVIEW_FK], seed_rows=SEED)
    (finding,) = run("orphaned-rows", [_delete_product()], context)
    assert finding.severity == "high"
    assert finding.message == (
        "answered 204 but deleting products 3 left 2 reviews rows (product_id) pointing at it"
    )


def test_orphaned_rows_is_silent_when_children_are_deleted_or_detached() -> None:
    context = facts(foreign_keys=[REVIEW_FK], seed_rows=SEED)
    cascade = _delete_product(
        changed.delete("reviews", 1, id=1, product_id=3),
        changed.delete("reviews", 2, id=2, product_id=3),
    )
    set_null = _delete_product(
        changed.update("reviews", 1, {"id": 1, "product_id": 3}, product_id=None),
        changed.update("reviews", 2, {"id": 2, "product_id": 3}, product_id=None),
    )
    refused = exchange(method="DELETE", rule=PRODUCT, status=409, json_body={"error": "in use"})
    assert run("orphaned-rows", [cascade, set_null, refused], context) == []


def test_orphaned_rows_judges_deletes_only_when_the_explorer_gives_the_seeded_rows() -> None:
    assert run("orphaned-rows", [_delete_product()], facts(foreign_keys=[REVIEW_FK])) == []


def test_a_crash_that_left_a_write_is_one_server_error_naming_the_write() -> None:
    # CTFd's POST /api/v1/hints: the hint is committed, then dumping it raises
    partial = exchange(
        method="POST",
        rule="/api/orders",
        status=500,
        error=raised("KeyError", "'product_id'", location="shop/orders.py:40"),
        changes=(changed.insert("orders", 9, id=9, user_id=1),),
    )
    assert run("orphaned-rows", [partial]) == []
    (finding,) = run("server-error", [partial])
    assert finding.message == (
        "KeyError: 'product_id' for POST /api/orders with no body and no query, "
        "and inserted 1 row of orders"
    )
    assert finding.location == "shop/orders.py:40"
    clean = exchange(method="POST", rule="/api/orders", status=500, error=raised("KeyError", "x"))
    assert "inserted" not in run("server-error", [clean])[0].message


def test_orphaned_rows_is_silent_on_clean_failures_and_sandbox_refusals() -> None:
    clean = exchange(method="POST", rule="/api/orders", status=500, error=raised("KeyError", "x"))
    emailed = exchange(
        method="POST",
        rule="/api/users",
        status=500,
        error=raised("ConnectionRefusedError", "refused", module="builtins"),
        network=(NetworkAttempt("smtp.example.com", 25, "connect", "app/mail.py:3"),),
        changes=(changed.insert("users", 5, id=5),),
    )
    assert run("orphaned-rows", [clean, emailed]) == []


def test_orphaned_rows_fires_on_a_write_left_by_a_refused_request() -> None:
    header_only = exchange(
        "valid",
        method="POST",
        rule="/api/orders",
        status=404,
        json_body={"error": "Product 7 not found"},
        changes=(changed.insert("orders", 9, id=9, user_id=1, total=0),),
    )
    forbidden_after_write = exchange(
        "other-user",
        method="PUT",
        rule=ORDER,
        status=403,
        json_body={"error": "forbidden"},
        changes=(changed.update("orders", 1, {"id": 1, "note": "a"}, note="b"),),
    )
    assert messages("orphaned-rows", [header_only, forbidden_after_write]) == [
        "answered 404 for POST /api/orders with no body and no query but inserted 1 row of orders: "
        "a partial write",
        "answered 403 for user B's request on user A's object but updated 1 row of orders: "
        "a partial write",
    ]


def test_orphaned_rows_lets_failed_logins_and_audit_logs_write() -> None:
    login = exchange(
        method="POST",
        rule="/api/auth/login",
        status=401,
        json_body={"error": "bad password"},
        changes=(changed.update("users", 1, {"id": 1, "failed_logins": 0}, failed_logins=1),),
    )
    audited = exchange(
        "other-user",
        method="DELETE",
        rule=ORDER,
        status=403,
        json_body={"error": "forbidden"},
        changes=(changed.insert("audit_log", 1, id=1, action="denied"),),
    )
    assert run("orphaned-rows", [login, audited]) == []


def test_orphaned_rows_does_not_call_a_changed_primary_key_a_delete() -> None:
    before = {"id": 3, "name": "p", "price": 5, "created_at": "2024-01-01", "sku": "A"}
    rekey = exchange(
        "protected-field",
        method="PUT",
        rule=PRODUCT,
        path="/api/products/3",
        field="id",
        value=99999,
        changes=(
            changed.delete("products", 3, **before),
            changed.insert("products", 99999, **{**before, "id": 99999, "name": "new"}),
        ),
    )
    context = facts(foreign_keys=[REVIEW_FK], seed_rows=SEED)
    assert run("orphaned-rows", [rekey], context) == []
