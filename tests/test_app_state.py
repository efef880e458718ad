"""State an app keeps besides its database, and what the probe takes for a crash.

- the app's caches are put back with the database before every request (a rate-limit count or a
  memoized value must not carry from one case to the next);
- SQLAlchemy mappers come in one order whatever the run (which model a view is about);
- a polymorphic user table gets its discriminator; a ``change_password`` flag is no password;
- Flask-RESTX signals its 4xx answers as raised exceptions: they are answers, not crashes.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import pytest
from flask import Flask

from testboost.checks import run_checks
from testboost.explore.caches import SavedCaches, lasting
from testboost.explore.runner import ProbeResult, explore
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app

APPS = Path(__file__).parent / "apps"


def probe(spec: str, monkeypatch: pytest.MonkeyPatch) -> ProbeResult:
    monkeypatch.chdir(APPS)
    with Sandbox() as sandbox:
        app = load_app(spec, sandbox)
        return explore(app, spec, build_inventory(app), sandbox, timeout=2, fuzz_examples=0)


class _Files:
    def __init__(self, path: Path) -> None:
        self._path = str(path)


class _Memory:
    def __init__(self) -> None:
        self._cache: dict[str, object] = {"kept": 1}


def test_saved_caches_put_files_and_entries_back(tmp_path: Path) -> None:
    app = Flask(__name__)
    (tmp_path / "session-a").write_bytes(b"logged in")
    memory = _Memory()
    app.extensions["cache"] = {object(): _Files(tmp_path), object(): memory}
    saved = SavedCaches(app)
    (tmp_path / "session-a").write_bytes(b"changed")
    (tmp_path / "rate-limit").write_bytes(b"10")
    memory._cache.update(kept=2, count=3)
    saved.restore()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session-a"]
    assert (tmp_path / "session-a").read_bytes() == b"logged in"
    assert memory._cache == {"kept": 1}
    saved.restore()  # nothing changed since: nothing to do, nothing lost
    assert (tmp_path / "session-a").read_bytes() == b"logged in"


class _Expiring:
    """Shaped like cachelib's ``SimpleCache``: ``(expiry, pickled value)``, read with a clock."""

    def __init__(self) -> None:
        self._cache: dict[str, object] = {}
        self.now = 1000.0

    def set(self, key: str, value: object, timeout: int) -> None:
        self._cache[key] = (self.now + timeout, pickle.dumps(value))

    def get(self, key: str) -> object:
        expires, data = self._cache.get(key, (0, None))  # type: ignore[misc]
        if data is None or (expires and expires <= self.now):
            return None
        return pickle.loads(data)


def test_saved_cache_entries_do_not_expire_half_way_through_a_run() -> None:
    app = Flask(__name__)
    memory = _Expiring()
    app.extensions["cache"] = {object(): memory}
    memory.set("setting", "memoized", timeout=300)
    saved = SavedCaches(app)
    memory.now += 301  # as the app's own time-out would have it: gone
    assert memory.get("setting") is None
    saved.restore()  # put back, it is still there however long the run took
    assert memory.get("setting") == "memoized"
    memory.now += 10_000
    saved.restore()
    assert memory.get("setting") == "memoized"


def test_a_cachelib_file_entry_is_made_lasting_and_other_data_kept() -> None:
    entry = struct.pack("I", 1_900_000_300) + pickle.dumps({"id": 1})
    made = lasting(entry)
    assert struct.unpack("I", made[:4])[0] == 0 and pickle.loads(made[4:]) == {"id": 1}
    assert lasting(b"logged in") == b"logged in"
    assert lasting((3, "an app's own tuple")) == (3, "an app's own tuple")
    assert lasting((0, b"\x80never")) == (0, b"\x80never")


def test_an_app_without_caches_has_nothing_to_save() -> None:
    saved = SavedCaches(Flask(__name__))
    saved.restore()


def test_every_request_meets_the_cache_as_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    result = probe("cached_app:create_app()", monkeypatch)
    logins = [e for e in result.exchanges if e.rule == "/login"]
    assert len(logins) > 3  # more than the limit: without the cache put back, some were 429
    assert all(e.status != 429 for e in logins)
    # a value one request memoized is not what the next one reads
    assert all(e.json == {"user": None} for e in result.exchanges if e.rule == "/me" and e.ok)


def test_a_restx_4xx_is_an_answer_and_a_restx_crash_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe("restx_errors:app", monkeypatch)
    answered = [e for e in result.exchanges if e.status < 500]
    assert {e.status for e in answered} >= {403, 404}
    assert all(e.error is None for e in answered)
    crashed = [e for e in result.exchanges if e.rule == "/api/broken" and e.method == "GET"]
    assert crashed and all(e.error is not None for e in crashed)
    assert crashed[0].error is not None and crashed[0].error.type == "ZeroDivisionError"
    findings = run_checks(result.exchanges, result.facts, select=["server-error"])
    assert [f.rule for f in findings] == ["/api/broken"]


def test_mappers_come_sorted_by_class_whatever_the_registry_order() -> None:
    from sqlalchemy import Column, Integer
    from sqlalchemy.orm import declarative_base

    from testboost.compat import configured_mappers

    base = declarative_base()
    names = ["Zebra", "Apple", "Mango", "Berry"]
    kept = [
        type(
            name, (base,), {"__tablename__": name.lower(), "id": Column(Integer, primary_key=True)}
        )
        for name in names
    ]
    mappers = configured_mappers([base.registry])
    assert [m.class_.__name__ for m in mappers] == sorted(names)
    assert len(kept) == len(names)


def test_written_users_get_the_base_class_and_the_admin_an_admin_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = probe("poly_app:create_app()", monkeypatch)
    rows = result.facts.written_rows["person"]
    kinds = {row["email"]: row["type"] for row in rows.values()}
    assert kinds["tb-user-a@example.com"] == "member"
    assert kinds["tb-user-b@example.com"] == "member"
    flags = {row["email"]: row.get("change_password") for row in rows.values()}
    assert not any(isinstance(v, str) for v in flags.values())  # no hash in a flag
    # the page that loads every user as its class works: no row of no class, no flag set
    statuses = {e.status for e in result.exchanges if e.rule == "/people" and e.method == "GET"}
    assert statuses == {200}


def test_seeded_rows_take_a_class_the_app_maps(monkeypatch: pytest.MonkeyPatch) -> None:
    from testboost.explore.seeding import enum_values

    monkeypatch.chdir(APPS)
    with Sandbox() as sandbox:
        app = load_app("poly_app:create_app()", sandbox)
        assert enum_values(app)[("person", "type")] == ("member", "admin")
        # a base without an identity of its own: the first of its subclasses'
        assert enum_values(app)[("entry", "kind")] == ("bad", "good")


def test_a_provider_name_is_not_a_folder_to_move(tmp_path: Path) -> None:
    with Sandbox() as sandbox:
        config = {"UPLOAD_PROVIDER": "filesystem", "UPLOAD_FOLDER": str(tmp_path / "up")}
        sandbox.sandbox_config(config)
        assert config["UPLOAD_PROVIDER"] == "filesystem"
        assert sandbox.owns(config["UPLOAD_FOLDER"])
