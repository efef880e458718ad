"""writes_headers: which views write response headers (their query values get CR/LF)."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, make_response, request

from testboost.analysis.headers import writes_headers


def test_views_that_write_a_header_are_found_every_way() -> None:
    def by_subscript() -> Any:
        response = make_response("x")
        response.headers["X-Name"] = request.args.get("name", "")
        return response

    def by_method() -> Any:
        response = make_response("x")
        response.headers.add("X-Name", request.args.get("name", ""))
        return response

    def by_keyword() -> Any:
        return Flask.response_class("x", headers={"X-Name": request.args["name"]})

    def by_tuple() -> Any:
        return "x", 200, {"X-Name": request.args["name"]}

    def by_cookie() -> Any:
        response = make_response("x")
        response.set_cookie("theme", request.args["theme"])
        return response

    for view in (by_subscript, by_method, by_keyword, by_tuple, by_cookie):
        assert writes_headers(view), view.__name__


def test_views_that_only_read_headers_or_answer_a_body_are_not() -> None:
    app = Flask(__name__)

    @app.get("/plain")
    def plain() -> Any:
        return jsonify(name=request.args.get("name"), agent=request.headers.get("User-Agent"))

    def status_only() -> Any:
        return "x", 201

    assert not writes_headers(app.view_functions["plain"])
    assert not writes_headers(status_only)
    assert not writes_headers(len)  # no source
