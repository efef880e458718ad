"""The CSRF value an app checks on every write of a logged-in session (CTFd's ``nonce``).

``tests/apps/auth/csrf_writes.py`` answers 403 to a write that does not carry its session's
``nonce`` (a JSON write in the ``X-Notes-Nonce`` header, a form in its ``nonce`` field). Found in
its source, the users' clients send it and reach every write; without it (the strategy off, or
a check hidden from the source scan) the writes answer 403 and the reach block says so, with the
``csrf_header`` line that fixes it. The generated suite's clients send it the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from test_login import probe

from testboost.explore import csrf
from testboost.explore.csrf import CsrfCheck, find_check, with_csrf

APPS = Path(__file__).parent / "apps"
SPEC = "auth.csrf_writes:create_app({})"
WRITES = {
    ("POST", "/api/notes"),
    ("PATCH", "/api/notes/<int:note_id>"),
    ("DELETE", "/api/notes/<int:note_id>"),
    ("POST", "/notes/new"),
}


def test_the_check_is_found_in_the_apps_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    monkeypatch.syspath_prepend(str(APPS))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'csrf.db'}")
    create_app = importlib.import_module("auth.csrf_writes").create_app
    check = find_check(create_app())
    assert check is not None
    assert (check.key, check.header, check.field) == ("nonce", "X-Notes-Nonce", "nonce")
    assert "check_writes" in check.where
    assert find_check(create_app(hidden=True)) is None
    assert find_check(Flask(__name__)) is None


def test_logged_in_users_send_the_session_nonce_and_reach_every_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe(SPEC.format(""), monkeypatch)
    reach = result.reach
    assert reach is not None and reach.unreached == ()
    assert set(reach.reached["A"]) >= WRITES
    assert any(
        a.startswith("writes: A, B send the session's nonce as the header X-Notes-Nonce")
        for a in reach.attempts
    )
    created = [e for e in result.exchanges if e.rule == "/api/notes" and e.method == "POST"]
    assert any(e.status == 201 and e.request.identity == "A" for e in created)
    # the anonymous case still has no session value to send: turned away
    assert all(e.status == 403 for e in created if e.request.identity is None)
    # the value is no part of the recorded request: the generated test does not pin it
    assert all("X-Notes-Nonce" not in dict(e.request.headers) for e in created)


def test_without_the_nonce_writes_are_refused_and_the_reach_block_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csrf, "find_check", lambda app, configured=None: None)
    reach = probe(SPEC.format(""), monkeypatch).reach
    assert reach is not None and set(reach.unreached) == WRITES
    assert reach.attempts[0].startswith("writes: 4 guarded writes answered 403 to logged-in users")
    assert 'csrf_header = "X-CSRFToken"' in reach.recipe


def test_a_check_hidden_from_the_source_is_named_by_the_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reach = probe(SPEC.format("hidden=True"), monkeypatch).reach
    assert reach is not None and set(reach.unreached) == WRITES
    assert reach.login != "none" and "csrf_header" in reach.recipe


def test_a_wrong_value_still_answers_403_and_is_said_to(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong_value(client: object, key: str) -> str:
        return "not-the-session-nonce"

    monkeypatch.setattr(csrf, "csrf_value", wrong_value)
    reach = probe(SPEC.format(""), monkeypatch).reach
    assert reach is not None and set(reach.unreached) == WRITES
    assert reach.attempts[0].startswith("writes: 4 guarded writes still answered 403")
    assert "X-Notes-Nonce" in reach.attempts[0]


def test_the_client_sends_the_value_with_writes_only() -> None:
    app = Flask(__name__)
    seen: list[tuple[str, str | None, str | None]] = []

    @app.route("/echo", methods=["GET", "POST", "DELETE"])
    def echo() -> str:
        from flask import request

        seen.append((request.method, request.headers.get("X-T"), request.form.get("t")))
        return ""

    client = with_csrf(app.test_client(), ("X-T", "t", "v"))
    client.get("/echo")
    client.post("/echo", json={"a": 1})
    client.post("/echo", data={"a": "1"})
    client.delete("/echo")
    client.post("/echo", headers={"X-T": "mine"}, data={"t": "own"})
    assert seen == [
        ("GET", None, None),
        ("POST", "v", None),
        ("POST", "v", "v"),
        ("DELETE", "v", "v"),
        ("POST", "mine", "own"),
    ]


def test_the_description_names_where_the_value_goes() -> None:
    assert CsrfCheck("nonce", "CSRF-Token", "").describe() == (
        "the session's nonce as the header CSRF-Token"
    )
    assert (
        CsrfCheck("", "X-CSRFToken", "", configured=True)
        .describe()
        .endswith("([tool.testboost.auth])")
    )


def test_the_generated_suite_sends_the_nonce_on_writes_and_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    shutil.copytree(APPS / "auth", tmp_path / "auth")
    monkeypatch.chdir(tmp_path)
    arguments = ["generate", "--app", SPEC.format(""), "--out", "tests/generated", "--no-prove"]
    run = subprocess.run(
        [sys.executable, "-m", "testboost", *arguments, "--seed", "0"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    generated = tmp_path / "tests" / "generated"
    conftest = (generated / "conftest.py").read_text()
    assert 'CSRF = ["nonce", "X-Notes-Nonce", "nonce"]' in conftest
    tests = "".join(p.read_text() for p in generated.glob("test_*.py"))
    assert "user_client.delete(" in tests and "status_code == 204" in tests
    assert "user_client.post(" in tests and "status_code == 201" in tests
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(generated)]
    suite = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert suite.returncode == 0, suite.stdout[-3000:]
    # the other way: a conftest whose clients do not send it fails the writes' tests
    (generated / "conftest.py").write_text(conftest.replace("session.csrf[name] = value", "pass"))
    suite = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert suite.returncode != 0 and "assert 403 == 201" in suite.stdout


def test_a_shard_keeps_the_check_for_the_merge() -> None:
    import dataclasses

    from testboost.explore.runner import ProbeTail
    from testboost.shards import _decode, _encode

    tail = ProbeTail((), "", (), (), ("A",), (), (), "login", "", {}, CsrfCheck("nonce", "H"), True)
    kept = _decode(json.loads(json.dumps(_encode(tail))))
    assert kept.csrf == CsrfCheck("nonce", "H") and kept.csrf_sent
    assert dataclasses.asdict(kept) == dataclasses.asdict(tail)
