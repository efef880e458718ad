"""Write a :class:`~testboost.load.plan.LoadPlan` as a plain Locust file the team can keep.

The file needs only Locust: every request of the plan is a literal, a user logs in once in
``on_start`` (the app's own login route) and then sends the weighted mix until Locust stops it.
A response counts as a failure when it is a 5xx, or a 4xx the probe did not see for that request.

>>> text = render_locustfile(plan, header="# written by testboost")       # doctest: +SKIP
>>> "class AppUser(HttpUser)" in text                                       # doctest: +SKIP
True
"""

from __future__ import annotations

import pprint
from dataclasses import asdict
from typing import Any

from testboost.load.plan import LoadPlan

#: Header names that carry a user's credentials: left out of a kept locustfile (it logs in).
_CREDENTIAL_HEADERS = ("authorization", "cookie", "x-api-key", "x-auth-token", "x-access-token")

_BODY = '''
import os
import random
import uuid

from locust import HttpUser, between, task

#: Seconds a user waits between two requests (at most): LOAD_WAIT=0 sends as fast as it can.
WAIT = float(os.environ.get("LOAD_WAIT", "0.5"))
#: Each request: method, rule (its name in Locust's statistics), path, body, weight, and the
#: status the app answered it with when testboost probed it.
REQUESTS = {requests}
#: How a user logs in (the app's own login route), or None.
LOGIN = {login}
#: Fields whose value must be new in every create (a second user with the same email is refused).
FRESH = ("email", "username", "user", "login", "name", "title", "slug", "sku", "code")


def fresh(body):
    """A create's body with its unique-looking fields made unique for this request."""
    if not isinstance(body, dict):
        return body
    tag = uuid.uuid4().hex[:8]
    made = dict(body)
    for key, value in body.items():
        if isinstance(value, str) and key.lower() in FRESH:
            local, at, domain = value.partition("@")
            made[key] = f"{{local}}-{{tag}}{{at}}{{domain}}"
    return made


def dig(payload, path):
    """The token at ``path`` in a login answer."""
    for key in path:
        payload = payload.get(key) if isinstance(payload, dict) else None
    return payload if isinstance(payload, str) else None


def send_body(request, body):
    """The keyword arguments that carry a request's body."""
    if request["body_kind"] == "json":
        return {{"json": body}}
    if request["body_kind"] in ("form", "raw"):
        return {{"data": body}}
    return {{}}


class AppUser(HttpUser):
    """A logged-in user sending the weighted mix of the app's routes.

    Users start at staggered places of REQUESTS and each walks it once before drawing by
    weight, so that every route gets traffic even in a short run.
    """

    wait_time = between(0, WAIT)
    started = 0

    def on_start(self):
        users = getattr(self.environment.runner, "target_user_count", None) or 1
        offset = AppUser.started * len(REQUESTS) // max(users, 1)
        AppUser.started += 1
        self.first_pass = [REQUESTS[(offset + i) % len(REQUESTS)] for i in range(len(REQUESTS))]
        self.auth_headers, self.auth_query = {{}}, {{}}
        if LOGIN is None:
            return
        token, ok = self.log_in()
        if not ok and LOGIN["register_path"]:  # a server without the user: sign it up first
            with self.client.post(
                LOGIN["register_path"],
                name="(sign up)",
                catch_response=True,
                **send_body(LOGIN, LOGIN["register_body"]),
            ) as response:
                response.success()
            token, ok = self.log_in()
        if token and LOGIN["where"] == "header":
            self.auth_headers[LOGIN["name"]] = f"{{LOGIN['scheme']}} {{token}}".strip()
        elif token and LOGIN["where"] == "cookie":
            self.client.cookies.set(LOGIN["name"], token)
        elif token and LOGIN["where"] == "query":
            self.auth_query[LOGIN["name"]] = token

    def log_in(self):
        """Log in with LOGIN; the token the answer carries (if any), and whether it worked."""
        with self.client.post(
            LOGIN["path"],
            headers=dict(LOGIN["headers"]),
            name="(login)",
            catch_response=True,
            **send_body(LOGIN, LOGIN["body"]),
        ) as response:
            response.success()  # logging in is set-up, not a route under test
            ok, token = response.ok, None
            if LOGIN["token_path"] and ok:
                try:
                    token = dig(response.json(), LOGIN["token_path"])
                except ValueError:  # not JSON: no token to take
                    token = None
        return token, ok and (token is not None or not LOGIN["token_path"])

    @task
    def route(self):
        if self.first_pass:
            request = self.first_pass.pop(0)
        else:
            request = random.choices(REQUESTS, weights=[r["weight"] for r in REQUESTS])[0]
        body = fresh(request["body"]) if request["kind"] == "create" else request["body"]
        with self.client.request(
            request["method"],
            request["path"],
            # credentials the request already carries (another user's) win over the login's
            params={{**self.auth_query, **dict(request["query"])}},
            headers={{**self.auth_headers, **dict(request["headers"])}},
            name=request["rule"],
            catch_response=True,
            **send_body(request, body),
        ) as response:
            status = response.status_code
            if status == 0 or status >= 500 or (status >= 400 and status != request["expect"]):
                response.failure(f"{{request['method']}} {{request['rule']}} answered {{status}}")
            else:
                response.success()
'''


def _credentials_left_out(headers: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in _CREDENTIAL_HEADERS]


def render_locustfile(plan: LoadPlan, *, header: str, keep_credentials: bool = True) -> str:
    """The Locust file of ``plan``, starting with ``header`` (a comment line).

    ``keep_credentials`` keeps the tokens the probe's users had (valid only on the server the
    probe built: ``testboost load``); without it, users log in through the app's login route, so
    the file runs against any server the team points ``--host`` at.
    """
    requests = []
    for request in plan.requests:
        data = asdict(request)
        headers = request.headers if keep_credentials else _credentials_left_out(request.headers)
        data["query"], data["headers"] = (
            [list(p) for p in request.query],
            [list(p) for p in headers],
        )
        requests.append(data)
    login = asdict(plan.login) if plan.login is not None else None
    if login is not None:
        login["headers"] = [list(p) for p in login["headers"]]
        login["token_path"] = list(login["token_path"])
    docstring = (
        f'"""Load test of {plan.app}, written by testboost from what its probe saw.\n\n'
        "Plain Locust: run it against any server of the app (a staging URL, a local gunicorn):\n\n"
        "    locust -f locustfile.py --host http://127.0.0.1:8000 --headless -u 50 -r 10 -t 1m\n\n"
        "On several machines, one master and any number of workers:\n\n"
        "    locust -f locustfile.py --master --host URL --headless -u 500 -r 50 -t 5m "
        "--expect-workers 4\n"
        "    locust -f locustfile.py --worker --master-host MASTER_IP    # on each worker machine\n\n"
        "Users log in as LOGIN says (signing up first where the server does not know them).\n"
        "Paths name rows of the probe's seeded database: point them at rows your server has.\n"
        '"""\n'
    )
    body = _BODY.format(
        requests=pprint.pformat(requests, width=96, sort_dicts=False),
        login=pprint.pformat(login, width=96, sort_dicts=False),
    )
    return f"{header}\n{docstring}{body}"
