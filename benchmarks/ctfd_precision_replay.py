#!/usr/bin/env python3
"""Replay CTFd's high findings of a testboost scan on a CTFd the app's own way.

    cd "$(mktemp -d)" && git --git-dir /work/.mirror/CTFd+CTFd/repo archive HEAD | tar -x
    HOME=$(mktemp -d) .../realapps/ctfd/venv/bin/python /path/to/ctfd_precision_replay.py .

Run from (or given) a pristine CTFd tree, with CTFd's own venv. The world is made by CTFd's
test helpers (``tests/helpers.py``: the setup wizard in teams mode, users logged in through
``/login``, rows through ``gen_*``), never by testboost's seeding, so a request that still
answers 500 here fails on rows the app itself makes. Each line: the finding's number in the
"Precision on CTFd" section of RESULTS.md, the request, the status or the exception that
escaped the app. Written for the write-up; not part of testboost's suite.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HUGE = "18446744073709551616"


def main() -> None:
    tree = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    sys.path.insert(0, str(tree))
    from CTFd.config import TestingConfig  # type: ignore[import-not-found]

    TestingConfig.DEBUG = False  # as deployed: a crash answers 500 instead of raising here
    TestingConfig.PROPAGATE_EXCEPTIONS = False
    from CTFd.models import Hints, Topics, db  # type: ignore[import-not-found]
    from tests.helpers import (  # type: ignore[import-not-found]
        create_ctfd,
        gen_audience,
        gen_challenge,
        gen_file,
        gen_flag,
        gen_module,
        gen_page,
        gen_team,
        login_as_user,
        register_user,
    )

    app = create_ctfd(user_mode="teams")
    with app.app_context():
        chal, team, page = gen_challenge(db), gen_team(db), gen_page(db, "p", "p", "c")
        gen_flag(db, chal.id)
        aud, mod = gen_audience(db), gen_module(db)
        chal_id, team_id, page_id, aud_id, mod_id = chal.id, team.id, page.id, aud.id, mod.id
        register_user(app, name="plain", email="plain@example.com")
        admin, user, anon = (
            login_as_user(app, "admin"),
            login_as_user(app, "plain"),
            app.test_client(),
        )

        def send(label: str, client: Any, method: str, path: str, **kw: Any) -> None:
            if "json" not in kw and method != "GET":  # CTFd's CSRF check: the form's nonce
                with client.session_transaction() as sess:
                    kw.setdefault("data", {})["nonce"] = sess.get("nonce")
            try:
                status = str(client.open(path, method=method, **kw).status_code)
            except Exception as exc:  # escaped the app's error handling: a 500 when deployed
                status = f"raised {type(exc).__name__}"
            finally:
                db.session.rollback()
            print(f"{label:>3} {method} {path} -> {status}", flush=True)

        def count(model: Any) -> int:
            return int(model.query.count())

        send("0", user, "POST", "/index")
        send("0", anon, "POST", "/index")
        for path in (f"/users/{HUGE}", f"/teams?page={HUGE}", f"/admin/audiences/{HUGE}"):
            send("1", anon if path.startswith("/users") else admin, "GET", path)
        send("2", admin, "GET", "/admin/export/csv?table=zzz")
        for _ in range(2):
            send("4", admin, "POST", f"/api/v1/audiences/{aud_id}/members", json={"team_id": 1})
        send("5", admin, "POST", "/api/v1/awards", json=[{"team_id": 1, "user_id": 2}])
        send("6", admin, "POST", "/api/v1/challenges", json={"type": "nosuchtype"})
        send("7", admin, "PATCH", f"/api/v1/challenges/{chal_id}", json={"id": 99999})
        send("8", admin, "GET", f"/api/v1/challenges/{chal_id}/ratings?page=abc")
        send("9", user, "POST", "/api/v1/challenges/attempt", json=[{"challenge_id": 1}])
        comment = {"challenge_id": 1, "type": "challenge", "content": "c", "page_id": 1}
        send("10", admin, "POST", "/api/v1/comments", json=comment)
        send("11", admin, "PATCH", "/api/v1/configs", json=[{}])
        send("12", admin, "POST", "/api/v1/configs", json={"key": "k1", "value": {"x": 1}})
        send("13", admin, "PATCH", "/api/v1/configs/k2", json={"value": {"x": 1}})
        send("14", admin, "POST", "/api/v1/exports/raw", json=[{"type": "csv", "args": {}}])
        send("15", admin, "GET", "/api/v1/flags/types/nosuch")
        before = count(Hints)
        send("17", admin, "POST", "/api/v1/hints", json={})
        print(f"    hints {before} -> {count(Hints)}")
        for _ in range(2):
            send(
                "18",
                admin,
                "POST",
                f"/api/v1/modules/{mod_id}/audiences",
                json={"audience_id": aud_id},
            )
        send(
            "19", admin, "POST", f"/api/v1/modules/{mod_id}/challenges", json=[{"challenge_id": 1}]
        )
        send("22", admin, "PATCH", f"/api/v1/pages/{page_id}", json=[{}])
        send("23", user, "POST", "/api/v1/shares", json={"type": {"x": 1}})
        send("23", user, "POST", "/api/v1/shares", json={"type": "nosuch"})
        send("24", admin, "GET", "/api/v1/statistics/challenges/category?function=zzz")
        send("25", admin, "POST", "/api/v1/teams", json={"name": {"x": 1}, "password": "p"})
        other = gen_team(db, name="t2", email="t2@example.com").id
        send("27", admin, "PATCH", f"/api/v1/teams/{other}", json=[{}])
        send("28", admin, "POST", f"/api/v1/teams/{other}/members", json=[{"user_id": 2}])
        send("29", user, "POST", "/api/v1/tokens", json={"expiration": "12/30"})
        before = count(Topics)
        send("30", admin, "POST", "/api/v1/topics", json={"value": "new", "type": "nosuch"})
        print(f"    topics {before} -> {count(Topics)}")
        send("31", admin, "POST", "/api/v1/topics", json={"value": {"x": 1}, "type": "challenge"})
        send("32", user, "POST", "/api/v1/unlocks", json={"target": 1})
        send("34", admin, "POST", "/api/v1/users", json={"name": {"x": 1}, "password": "p"})
        send("36", admin, "PATCH", "/api/v1/users/2", json=[{}])
        send("37", admin, "POST", "/api/v1/users/2/email", json={"text": {"x": 1}})
        send("38", user, "PATCH", "/api/v1/users/me", json=[{}])

        # 21 and 3: a page whose file the app made (type "page") is deleted; a "standard" file
        # carrying a page_id, which only testboost's seeding writes, blocks the delete
        with_file = gen_page(db, "p2", "p2", "c").id
        gen_file(db, location="0bf1a55a5cd327c07af15df260979668/a.txt", page_id=with_file)
        send("21", admin, "DELETE", f"/api/v1/pages/{with_file}")
        row = "INSERT INTO files (type, location, page_id) VALUES ('standard', 'a/b', :p)"
        db.session.execute(db.text(row), {"p": page_id})
        db.session.commit()
        send("21", admin, "DELETE", f"/api/v1/pages/{page_id}")
        db.session.execute(db.text("DELETE FROM files WHERE type != 'page'"))
        db.session.commit()
        gen_file(
            db,
            location="0bf1a55a5cd327c07af15df260979668/b.txt",
            page_id=gen_page(db, "p3", "p3", "c").id,
        )
        send("3", admin, "POST", "/admin/reset", data={"pages": "y", "notifications": "y"})

        # 26: a notification the admin API addresses to a team blocks the team's delete
        note = {"title": "t", "content": "c", "team_id": team_id}
        send("26", admin, "POST", "/api/v1/notifications", json=note)
        send("26", admin, "DELETE", f"/api/v1/teams/{team_id}")


if __name__ == "__main__":
    main()
