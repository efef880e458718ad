"""Complete an app's first-run setup page through its own form, as its first user would.

An app that is not configured yet (CTFd before its ``/setup`` wizard ran, an installer) sends
every request to one page from a ``before_request`` hook: nothing behind it, the login page
included, can be probed until that page's form has been sent once. The evidence, gathered
without running any view of the app but the setup page's own:

1. a path no route matches (so no view runs) is redirected to a page ``P`` that is neither a
   login page nor the root, and so is ``/`` when the app has it (an app-wide hook, not a 404
   handler);
2. ``GET P`` answers 200 with a ``method="post"`` form.

The form is then filled as a person would fill it: its hidden fields (a CSRF token or session
nonce) and the values the page already holds (selected options, checked boxes, defaults) are
kept; the fields the page marks ``required`` get a value (an email, the probe password, a name);
read-only and file fields are left alone. When that does not lift the wall, every empty text
field is filled too. The wall is lifted when the unmatched path is no longer sent to ``P``; if
it is not, the database is put back as it was and nothing is kept.

``[tool.testboost] setup_form`` states it instead: ``{ page = "/setup", fields = { ... } }``
(fields added to or overriding the filled ones), or ``false`` to leave the page alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from testboost.config import SetupFormConfig
from testboost.explore.database import SandboxDatabase, close_app_sessions
from testboost.explore.values import PASSWORD, is_email
from testboost.inventory import Route

#: A path no app routes: asking for it runs the app's hooks and no view (or a catch-all's).
PROBE_PATH = "/.testboost-setup-check"
#: The account a setup form makes (its administrator, mostly): values for its fields.
SETUP_VALUES = {
    "email": "tb-setup-admin@example.com",
    "username": "tbsetupadmin",
    "text": "testboost",
}
_LOGIN_PAGE = re.compile(r"log_?in|sign_?in|auth|sso|oauth", re.IGNORECASE)
_USERNAME = re.compile(r"^(user_?name|user|login|name|admin_?name|admin_?user(name)?)$", re.I)
_TEXT_KINDS = ("text", "", "search", "tel")


@dataclass(frozen=True)
class SetupForm:
    """How the setup page was completed (or why not): for the report and the generated conftest.

    ``body`` holds the fields sent, hidden ones aside (they are read from the page again each
    time: a nonce is per session); ``hidden`` names those. ``done`` is whether the wall lifted.
    """

    page: str
    action: str
    body: Mapping[str, str] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()
    #: the fields testboost gave a value (the others are sent as the page set them)
    filled: tuple[str, ...] = ()
    done: bool = False
    detail: str = ""
    configured: bool = False

    def describe(self) -> str:
        """One line for people: what was sent where, and how it ended."""
        sent = f"POST {self.action} with {', '.join(self.filled) or 'no field'} filled"
        kept = (
            ["the other fields as the page set them"] if len(self.body) > len(self.filled) else []
        )
        if self.hidden:
            kept.append(f"its hidden {', '.join(self.hidden)} read from the page")
        if kept:
            sent += f" ({'; '.join(kept)})"
        if self.done:
            return (
                f"every request was sent to {self.page}, a first-run setup page: testboost "
                f"completed it through the app's own form ({sent}); the generated conftest "
                "does the same"
            )
        return (
            f"every request is sent to {self.page}, a first-run setup page; testboost filled its "
            f"form ({sent}) but {self.detail}. State the fields it needs in pyproject.toml: "
            f"[tool.testboost] {self.recipe}"
        )

    @property
    def recipe(self) -> str:
        """The ``[tool.testboost]`` line that states the setup form, with the fields sent."""
        fields = ", ".join(f"{name} = {_toml(self.body[name])}" for name in self.filled)
        return f'setup_form = {{ page = "{self.page}", fields = {{ {fields} }} }}'


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- the page's form ----------------------------------------------------------------------------


@dataclass
class _Field:
    name: str
    kind: str  # input type, "select", "textarea"
    value: str = ""
    checked: bool = False
    required: bool = False
    readonly: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)


@dataclass
class _Form:
    method: str
    action: str | None
    fields: list[_Field] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self._form: _Form | None = None
        self._select: _Field | None = None
        self._textarea: _Field | None = None
        self._option: tuple[str, bool] | None = None
        self._option_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = _Form(a.get("method", "get").lower(), a.get("action") or None)
            self.forms.append(self._form)
            return
        if self._form is None or "disabled" in a:
            return
        name = a.get("name", "")
        required, readonly = "required" in a, "readonly" in a
        if tag in ("input", "button") and name:
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            self._form.fields.append(
                _Field(name, kind, a.get("value", ""), "checked" in a, required, readonly)
            )
        elif tag == "select" and name:
            self._select = _Field(name, "select", required=required, readonly=readonly)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = (a["value"], "selected" in a) if "value" in a else None
            self._option_text = ""
            if self._option is None:
                self._option = ("\0", "selected" in a)  # its text, once read
        elif tag == "textarea" and name:
            self._textarea = _Field(name, "textarea", required=required, readonly=readonly)
            self._form.fields.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._end_option()
            self._select = None
        elif tag == "option":
            self._end_option()
        elif tag == "textarea":
            self._textarea = None

    def _end_option(self) -> None:
        if self._option is not None and self._select is not None:
            value, selected = self._option
            self._select.options.append(
                (self._option_text.strip() if value == "\0" else value, selected)
            )
        self._option = None


def _post_form(html: str) -> _Form | None:
    """The page's ``method="post"`` form with the most fields, if it has one."""
    parser = _Parser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # a broken page is no form
        return None
    forms = [f for f in parser.forms if f.method == "post" and f.fields]
    return max(forms, key=lambda f: len(f.fields), default=None)


def fill_form(form: _Form, *, every_field: bool) -> tuple[dict[str, str], tuple[str, ...]]:
    """The body a person would send (hidden fields aside) and the fields given a value.

    Values the page holds are kept; ``required`` fields (every empty text field when
    ``every_field``) get one; read-only, file and unchecked fields are sent as a browser sends them.
    """
    body: dict[str, str] = {}
    filled: list[str] = []
    radios: dict[str, list[_Field]] = {}
    submitted = False
    for f in form.fields:
        if f.kind in ("hidden", "image", "button", "reset", "file"):
            continue
        if f.kind == "submit":
            if not submitted:  # the button a person clicks is sent with its value
                submitted = True
                body[f.name] = f.value
        elif f.kind == "checkbox":
            if f.checked:
                body[f.name] = f.value or "on"
        elif f.kind == "radio":
            radios.setdefault(f.name, []).append(f)
        elif f.kind == "select":
            chosen = next((v for v, selected in f.options if selected), None)
            if chosen is None and f.options:
                chosen = f.options[0][0]
            if chosen is not None:
                body[f.name] = chosen
        elif f.value or f.readonly or not (f.required or every_field):
            body[f.name] = f.value
        else:
            body[f.name] = _value_for(f)
            filled.append(f.name)
    for name, group in radios.items():
        chosen_radio = next((r for r in group if r.checked), None)
        if chosen_radio is None and any(r.required for r in group):
            chosen_radio = group[0]
            filled.append(name)
        if chosen_radio is not None:
            body[name] = chosen_radio.value or "on"
    return body, tuple(filled)


def _value_for(f: _Field) -> str:
    lowered = f.name.lower()
    if f.kind == "password" or "password" in lowered:
        return PASSWORD
    if f.kind == "email" or is_email(lowered):
        return SETUP_VALUES["email"]
    if f.kind in ("number", "range"):
        return "1"
    if f.kind == "url":
        return "https://example.com"
    if f.kind == "date":
        return "2030-01-01"
    if _USERNAME.match(lowered):
        return SETUP_VALUES["username"]
    return SETUP_VALUES["text"]


# -- the wall and the attempt ---------------------------------------------------------------------


def _redirect_path(response: Any) -> str | None:
    if not 300 <= response.status_code < 400:
        return None
    return urlsplit(response.headers.get("Location", "")).path or None


def _get(client: FlaskClient, path: str) -> Any:
    try:
        return client.get(path)
    except (Exception, SystemExit):
        close_app_sessions()
        return None


def find_setup_page(app: Flask, routes: Sequence[Route]) -> str | None:
    """The page an app-wide hook sends every request to, when it is a setup page (see module)."""
    client = app.test_client()
    response = _get(client, PROBE_PATH)
    page = _redirect_path(response) if response is not None else None
    if page is None or page == "/" or _LOGIN_PAGE.search(page) or page == PROBE_PATH:
        return None
    rules = {r.rule for r in routes if r.kind == "view" and "GET" in r.methods}
    if page not in rules:
        return None
    if "/" in rules:
        home = _get(client, "/")
        if home is None or _redirect_path(home) != page:
            return None
    return page


def _walled(app: Flask, page: str) -> bool:
    response = _get(app.test_client(), PROBE_PATH)
    return response is not None and _redirect_path(response) == page


def complete_setup_form(
    app: Flask,
    routes: Sequence[Route],
    directory: Path,
    config: SetupFormConfig | None = None,
) -> SetupForm | None:
    """Send the setup page's form when every request goes there; None when there is no wall.

    ``directory`` holds the sandbox's SQLite files: put back as they were when the form did not
    lift the wall, so a failed attempt leaves nothing behind.
    """
    if config is not None and config.off:
        return None
    page = (config.page if config else None) or find_setup_page(app, routes)
    if page is None:
        return None
    walled = _walled(app, page)
    database = SandboxDatabase.discover(directory)
    before = database.snapshot()
    attempt: SetupForm | None = None
    try:
        for every_field in (False, True):
            attempt = _attempt(app, page, config, walled=walled, every_field=every_field)
            if attempt.done:
                break
            database.restore(before)
            if not attempt.body:  # no form to fill better
                break
    finally:
        close_app_sessions()
        database.close()
        for copy in before.values():
            copy.close()
    return attempt


def _attempt(
    app: Flask, page: str, config: SetupFormConfig | None, *, walled: bool, every_field: bool
) -> SetupForm:
    """One filling of the form, sent; ``done`` when the wall lifted (or, with none, it was taken)."""
    client = app.test_client()
    configured = config is not None
    shown = _get(client, page)
    if shown is None or shown.status_code != 200:
        status = "raised" if shown is None else f"answered {shown.status_code}"
        return SetupForm(page, page, detail=f"GET {page} {status}", configured=configured)
    form = _post_form(shown.get_data(as_text=True))
    if form is None:
        return SetupForm(
            page, page, detail="the page shows no form that posts", configured=configured
        )
    body, filled = fill_form(form, every_field=every_field)
    stated = dict(config.fields) if config else {}
    body.update(stated)
    filled = (*(n for n in filled if n not in stated), *stated)
    hidden = tuple(dict.fromkeys(f.name for f in form.fields if f.kind == "hidden"))
    action = urlsplit(urljoin(page, form.action or page)).path or page
    values = {f.name: f.value for f in form.fields if f.kind == "hidden"}
    values.update(body)
    sent = SetupForm(page, action, body, hidden, filled, configured=configured)
    try:
        answer = client.post(action, data=values)
    except (Exception, SystemExit) as exc:
        close_app_sessions()
        return _failed(sent, f"POST {action} raised {type(exc).__name__}: {exc}")
    close_app_sessions()
    if walled and _walled(app, page):
        return _failed(
            sent, f"POST {action} answered {answer.status_code} and requests still go to {page}"
        )
    if not walled and answer.status_code >= 400:
        return _failed(sent, f"POST {action} answered {answer.status_code}")
    return SetupForm(page, action, body, hidden, filled, done=True, configured=configured)


def _failed(sent: SetupForm, detail: str) -> SetupForm:
    return replace(sent, detail=detail)
