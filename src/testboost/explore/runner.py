"""Drive every route in-process and record what happened as :class:`Exchange` records.

The database is restored to the seeded snapshot before every request, so each exchange's row
changes are exactly what that one request did. View exceptions are taken from Flask's
``got_request_exception`` signal (the app's own error handling still runs, so the real 500 body is
what the checks judge); SQL from SQLAlchemy's ``before_cursor_execute`` event; network attempts
from the sandbox; a request that runs past the time limit is interrupted and recorded.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import Flask, got_request_exception
from werkzeug.exceptions import HTTPException

from testboost.analysis.inputs import InputSpec, infer_inputs
from testboost.analysis.json_columns import json_columns
from testboost.analysis.literals import public_literals
from testboost.compat import (
    configured_mappers,
    declarative_registry,
    orm_execute_session,
    set_client_cookies,
    sqlalchemy_extension,
)
from testboost.config import AuthConfig, SetupFormConfig, load_setup_form
from testboost.explore.caches import SavedCaches
from testboost.explore.cases import (
    Planned,
    World,
    path_rows,
    plan_requests,
    sql_tables,
    wrong_method,
    wrong_method_request,
)
from testboost.explore.csrf import CsrfCheck, writes_refused
from testboost.explore.database import Rows, SandboxDatabase, diff
from testboost.explore.exchange import (
    ADMIN,
    Case,
    Exchange,
    ProbeFacts,
    ProbeRequest,
    RaisedError,
)
from testboost.explore.fuzz import fuzz_body
from testboost.explore.identity import (
    AuthRecipe,
    Identity,
    find_user_table,
    make_identities,
)
from testboost.explore.isolation import can_isolate, drive_isolated
from testboost.explore.learning import learn_inputs
from testboost.explore.polymorphic import subclass_columns
from testboost.explore.reach import Reach, compute_reach, is_denied
from testboost.explore.schema import SchemaSetup, create_schema
from testboost.explore.seeding import (
    ROWS_PER_PARENT,
    Seed,
    enum_values,
    grow_rows,
    seed_rows,
    seed_user_parents,
)
from testboost.explore.threads import StartedThreads
from testboost.explore.timelimit import WorkClock, hang_silence, runqueue_wait, time_limit
from testboost.explore.values import protected_columns, secret_columns
from testboost.explore.wizard import SetupForm, complete_setup_form
from testboost.inventory import Handler, Route
from testboost.sandbox import Sandbox, user_frame_location

BODY_LIMIT = 4000
_SECRET_SETTINGS = ("SECRET_KEY", "JWT_SECRET_KEY", "SECURITY_PASSWORD_SALT", "API_KEY")


_NO_TABLES = "the app made no tables in the sandbox database: no users made, no login tried"

FUZZ_CASE = Case("fuzz", "a fuzzed body, shrunk to the smallest that fails")
TIMING_CASE = Case("timing", "the valid request again, timed")


@dataclass(frozen=True)
class Fuzzing:
    """How much Hypothesis fuzzing to do per handler (0 examples: none) and with which seed."""

    seed: int
    examples: int


class RequestTimeout(BaseException):
    """Raised inside a view that runs past the per-request time limit.

    A ``BaseException`` so that a view's own ``except Exception`` cannot swallow it.
    """


@dataclass(frozen=True)
class Shard:
    """Which routes one of ``count`` processes or machines drives: ``index`` counts from 1.

    Routes are dealt out in turn (route ``i`` of the inventory goes to shard ``i % count + 1``),
    so that the slow routes of one blueprint are spread over the shards.
    """

    index: int
    count: int

    def drives(self, position: int) -> bool:
        """Whether this shard drives the app's route at ``position`` (views only, from 0)."""
        return position % self.count == self.index - 1


@dataclass(frozen=True)
class ProbeTail:
    """What the end of a probe (its notes, its reach) is computed from besides the exchanges.

    A shard keeps it, so that merged shards end exactly as one probe of every route would.
    """

    schema_notes: tuple[str, ...]
    schema_recipe: str
    #: ``(position of the route, note)`` for routes not probed or not finished.
    route_notes: tuple[tuple[int, str], ...]
    thread_errors: tuple[str, ...]
    identities: tuple[str, ...]
    login_rules: tuple[str, ...]
    attempts: tuple[str, ...]
    login: str
    suggestion: str
    checked: Mapping[str, str]
    #: the CSRF check of the app's writes, and whether users sent its value
    csrf: CsrfCheck | None = None
    csrf_sent: bool = False


@dataclass
class ProbeResult:
    """Everything the explorer recorded, with the facts the checks need and run statistics."""

    exchanges: list[Exchange]
    facts: ProbeFacts
    recipe: AuthRecipe
    schema: str
    seconds: float
    inputs: dict[tuple[str, str], InputSpec] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    requests: int = 0
    reach: Reach | None = None
    #: How the schema was made, step by step, for the generated conftest to repeat.
    schema_steps: tuple[str, ...] = ()
    tail: ProbeTail | None = None
    #: The first-run setup page sent before anything else (done or not), when there was one.
    setup_form: SetupForm | None = None


def finish_probe(
    routes: Sequence[Route], exchanges: Sequence[Exchange], tail: ProbeTail
) -> tuple[tuple[str, ...], Reach]:
    """The notes and the reach of a probe (or of merged shards) from its exchanges."""
    notes = [
        *tail.schema_notes,
        *(note for _, note in sorted(tail.route_notes, key=lambda pair: pair[0])),
        *host_notes(exchanges),
        *(
            f"a thread of the app failed (not judged as a finding): {error}"
            for error in dict.fromkeys(tail.thread_errors)
        ),
        *setup_notes(exchanges, tail.schema_recipe),
    ]
    reach = compute_reach(
        routes,
        exchanges,
        identities=tail.identities,
        login_rules=tail.login_rules,
        attempts=tail.attempts,
        login=tail.login,
        recipe=tail.suggestion,
        checked=dict(tail.checked),
    )
    return tuple(notes), writes_refused(reach, exchanges, tail.csrf, tail.csrf_sent)


def route_inputs(routes: tuple[Route, ...]) -> dict[tuple[str, str], InputSpec]:
    """The inferred inputs of every handler, keyed by (endpoint, method)."""
    return {
        (route.endpoint, handler.method): infer_inputs(handler.function)
        for route in routes
        if route.kind == "view"
        for handler in route.handlers
    }


def _class_tables(app: Flask) -> dict[str, str]:
    model = getattr(sqlalchemy_extension(app), "Model", None)
    registry = declarative_registry(model)
    tables: dict[str, str] = {}
    for mapper in configured_mappers([registry] if registry is not None else []):
        table = getattr(mapper, "local_table", None)
        if table is not None and getattr(table, "name", None):
            tables[mapper.class_.__name__] = table.name
    return tables


def explore(
    app: Flask,
    spec: str,
    routes: tuple[Route, ...],
    sandbox: Sandbox,
    *,
    seed: int = 0,
    budget: float = 300.0,
    timeout: float = 5.0,
    fuzz_examples: int = 30,
    auth: AuthConfig | None = None,
    on_route: Callable[[Route], None] | None = None,
    setup: Sequence[str] = (),
    shard: Shard | None = None,
    setup_form: SetupFormConfig | None = None,
) -> ProbeResult:
    """Seed, log in, and send every planned request to every route of ``app``.

    Routes are driven in inventory order until ``budget`` seconds of work are spent (time spent
    waiting for a CPU other processes held is not counted: see
    :class:`~testboost.explore.timelimit.WorkClock`); the routes left are named in the result's
    notes. ``setup`` are the project's own commands that make the
    schema (``[tool.testboost] setup``); without them it is made by evidence (see
    :mod:`testboost.explore.schema`). With ``shard``, only that shard's routes are driven.
    An app that sends every request to a first-run setup page has that page's form sent first
    (``setup_form``, default ``[tool.testboost] setup_form``; see :mod:`~testboost.explore.wizard`).
    """
    started = time.perf_counter()
    # the budget counts work, not the machine's load: the same routes on a busy machine
    clock = WorkClock()
    route_notes: list[tuple[int, str]] = []
    fuzzing = Fuzzing(seed=seed, examples=fuzz_examples)
    inputs = route_inputs(routes)
    with sandbox.active(), _captured_logging() as logged:
        schema: SchemaSetup = create_schema(app, sandbox.directory, setup, sandbox.engines)
        wizard = complete_setup_form(
            app, routes, sandbox.directory, setup_form or load_setup_form()
        )
        database = SandboxDatabase.discover(sandbox.directory)
        try:
            enums = enum_values(app)
            seeded = Seed(
                counter=100 + 1000 * seed,
                json_text=json_columns(_source_roots(app)),
                subclass_only=subclass_columns(app),
            )
            user_rows_table = find_user_table(database)
            if user_rows_table is not None:
                seed_user_parents(database, user_rows_table, seeded, enums)
            users, recipe, user_table = (
                make_identities(app, routes, inputs, database, enums, auth)
                if database.tables
                else ({}, AuthRecipe(None, None, "none", attempts=(_NO_TABLES,)), None)
            )
            owner_columns = {
                fk.table: fk.column
                for fk in database.foreign_keys
                if user_table is not None and fk.parent_table == user_table.name
            }
            if user_table is not None and len(user_table.primary_key) == 1:
                owner_columns[user_table.name] = user_table.primary_key[0]
            seed_rows(
                database,
                seeded,
                enums,
                user_table=user_table.name if user_table else None,
                users=tuple(u.key for u in users.values()),
            )
            world = World(
                database=database,
                seed=seeded,
                users=users,
                user_table=user_table.name if user_table else None,
                owner_columns=owner_columns,
                class_tables=_class_tables(app),
                login_rule=recipe.login,
                enums=enums,
            )
            recorder = _Recorder(app, sandbox, database, timeout, logged)
            facts = _facts(app, spec, routes, world, recorder.baseline)
            accepted: dict[str, set[str]] = {}
            for route in routes:
                accepted.setdefault(route.rule, set()).update(route.methods)
            with recorder.listening():
                exchanges: list[Exchange] = []
                first_value = seeded.counter
                views = [route for route in routes if route.kind == "view"]
                for position, route in enumerate(views):
                    if shard is not None and not shard.drives(position):
                        continue
                    if clock.past(budget):
                        route_notes.append(
                            (position, f"budget of {budget:g} s spent: {route.rule} not probed")
                        )
                        continue
                    if on_route is not None:
                        on_route(route)
                    # every route draws its unique values from the same start (the database is
                    # restored between routes): a shard draws what a probe of every route draws
                    seeded.counter = first_value
                    seen, problem = _drive_route(
                        route, inputs, world, recorder, accepted[route.rule], fuzzing, clock
                    )
                    exchanges.extend(seen)
                    if problem is not None:  # one route's failure must not end the run
                        route_notes.append(
                            (
                                position,
                                f"{route.rule}: testboost could not finish probing this route "
                                f"({problem}); the other routes were probed",
                            )
                        )
            requests = recorder.sent
            if recorder.dirty:  # leave the database as seeded: `testboost load` serves it next
                database.restore(recorder.snapshot)
        finally:
            database.close()
    tail = ProbeTail(
        schema_notes=(*schema.notes, *((wizard.describe(),) if wizard else ())),
        schema_recipe=schema.recipe,
        route_notes=tuple(route_notes),
        thread_errors=tuple(sandbox.thread_errors),
        identities=tuple(users),
        login_rules=tuple(
            sorted({*recipe.login_routes, *((recipe.login,) if recipe.login else ())})
        ),
        attempts=(
            *((f"setup page: {wizard.detail}",) if wizard and not wizard.done else ()),
            *recipe.attempts,
        ),
        login=recipe.describe(),
        suggestion=(
            f"[tool.testboost]\n{wizard.recipe}"
            if wizard and not wizard.done
            else recipe.suggestion or ("" if setup else recipe.setup_hint)
        ),
        checked=dict(recipe.checks),
        csrf=recipe.csrf,
        csrf_sent=bool(recipe.csrf_users),
    )
    notes, reach = finish_probe(routes, exchanges, tail)
    return ProbeResult(
        exchanges,
        facts,
        recipe,
        schema.recipe,
        time.perf_counter() - started,
        inputs=inputs,
        notes=notes,
        requests=requests,
        reach=reach,
        schema_steps=schema.steps,
        tail=tail,
        setup_form=wizard,
    )


def _drive_route(
    route: Route,
    inputs: dict[tuple[str, str], InputSpec],
    world: World,
    recorder: _Recorder,
    accepted: set[str],
    fuzz: Fuzzing,
    clock: WorkClock | None = None,
) -> tuple[list[Exchange], str | None]:
    """Drive one route in a child process where possible; its exchanges and what went wrong.

    A view that ends the process (``os._exit``, a crash in C, the OOM killer) costs this route
    only: the request in flight becomes a 500 exchange saying how the process ended.
    """
    if not can_isolate():
        seen: list[Exchange] = []
        try:
            seen.extend(_drive(route, inputs, world, recorder, accepted, fuzz))
        except Exception as exc:
            return seen, f"{type(exc).__name__}: {exc}"
        return seen, None

    def drive(announce: Callable[[Any], None]) -> tuple[Iterator[Exchange], Callable[[], Any]]:
        recorder.announce = announce

        def learned() -> tuple[dict[tuple[str, str], InputSpec], int, int, list[str]]:
            mine = {key: spec for key, spec in inputs.items() if key[0] == route.endpoint}
            return mine, world.seed.counter, recorder.sent, recorder.sandbox.thread_errors

        return _drive(route, inputs, world, recorder, accepted, fuzz), learned

    with recorder.sandbox.host.forking():
        forked_at = runqueue_wait()
        driven = drive_isolated(drive, silence=hang_silence(recorder.timeout))
    recorder.dirty = True  # the child wrote into the sandbox files
    if clock is not None:
        clock.count_child(driven.waited, forked_at)
    seen = list(driven.exchanges)
    if driven.learned is not None:
        learned_inputs, world.seed.counter, recorder.sent, thread_errors = driven.learned
        inputs.update(learned_inputs)
        recorder.sandbox.thread_errors[:] = thread_errors
    else:
        recorder.sent += len(seen) + 1
    if driven.death is not None and isinstance(driven.death.in_flight, Planned):
        seen.append(_death_exchange(route, driven.death.in_flight, driven.death.how))
    return seen, driven.failure


def _drive(
    route: Route,
    inputs: dict[tuple[str, str], InputSpec],
    world: World,
    recorder: _Recorder,
    accepted: set[str],
    fuzz: Fuzzing,
) -> Iterator[Exchange]:
    first: Planned | None = None
    for handler in route.handlers:
        spec = inputs.get((route.endpoint, handler.method), InputSpec())
        acting = _acting_user(route, handler, spec, world, recorder)
        if handler.method in ("POST", "PUT", "PATCH"):

            def send_valid(
                candidate: InputSpec, handler: Handler = handler, acting: str = acting
            ) -> Exchange:
                planned = next(iter(plan_requests(route, handler, candidate, world, acting)))
                return recorder.send(route, planned, world.users)

            spec = learn_inputs(spec, send_valid)
            inputs[(route.endpoint, handler.method)] = spec
        crashed = False
        valid: Planned | None = None
        for planned in plan_requests(route, handler, spec, world, acting):
            first = first or planned
            valid = valid or planned
            exchange = recorder.send(route, planned, world.users)
            crashed = crashed or exchange.status >= 500
            yield exchange
            if planned.case.kind == "valid":
                yield from _follow_ups(route, handler, planned, exchange, world, recorder)
        if fuzz.examples and valid is not None and not crashed:
            found = fuzz_body(
                valid.request,
                lambda request: recorder.send(route, Planned(FUZZ_CASE, request), world.users),
                seed=fuzz.seed,
                examples=fuzz.examples,
            )
            if found is not None:
                yield found
    method = wrong_method(accepted)
    if first is not None and method is not None:
        yield recorder.send(route, wrong_method_request(route, first, method), world.users)


def _follow_ups(
    route: Route,
    handler: Handler,
    planned: Planned,
    exchange: Exchange,
    world: World,
    recorder: _Recorder,
) -> Iterator[Exchange]:
    """After a valid 2xx request: two more timed runs, and for a read, the same with more rows.

    A GET is sent again with 1, 5 and 20 rows per parent in every table its SQL read (see
    :func:`~testboost.explore.seeding.grow_rows`): a nested list under a parent id gets its
    children, a report aggregating over a relationship gets parents and children, and the
    ``n-plus-one`` check sees whether the statements grow with the rows.
    """
    if exchange.ok:
        # every route is timed three times, so that which requests are sent never depends on
        # how fast the machine happened to be
        for _ in range(2):
            yield recorder.send(route, replace(planned, case=TIMING_CASE), world.users)
    if handler.method != "GET" or not exchange.ok:
        return
    tables = [t for t in sql_tables(exchange.sql, world.database) if t != world.user_table]
    if not tables:
        return
    parents = path_rows(route, handler, world)
    users = tuple(u.key for name, u in world.users.items() if name != ADMIN)
    for per_parent in ROWS_PER_PARENT:

        def add_rows(per_parent: int = per_parent) -> None:
            grow_rows(
                world.database,
                tables,
                world.seed,
                world.enums,
                per_parent=per_parent,
                parents=parents,
                user_table=world.user_table,
                users=users,
            )

        case = Case(
            "more-rows",
            f"{per_parent} more rows per parent in {', '.join(tables)}",
            table=tables[0],
            value=per_parent,
        )
        yield recorder.send(route, replace(planned, case=case), world.users, prepare=add_rows)


def _acting_user(
    route: Route, handler: Handler, spec: InputSpec, world: World, recorder: _Recorder
) -> str:
    """User A, or the administrator when the route turns A away and one exists.

    Turned away: 401/403, or a redirect to the login page (CTFd's ``admins_only`` sends a
    logged-in user who is no administrator there).
    """
    if ADMIN not in world.users or "A" not in world.users or handler.auth.kind == "none":
        return "A"
    planned = next(iter(plan_requests(route, handler, spec, world, "A")))
    answer = recorder.send(route, planned, world.users)
    logins = (world.login_rule,) if world.login_rule else ()
    if is_denied(answer.status, answer.header("Location"), logins):
        return ADMIN
    return "A"


def _source_roots(app: Flask) -> tuple[Path, ...]:
    """Where the app's own source is: the project directory and the app's package."""
    return (Path.cwd(), Path(app.root_path))


def _facts(
    app: Flask, spec: str, routes: tuple[Route, ...], world: World, seeded: Rows
) -> ProbeFacts:
    configured = [
        str(app.config[name])
        for name in _SECRET_SETTINGS
        if isinstance(app.config.get(name), str) and len(str(app.config[name])) >= 8
    ]
    # a default the app's own code spells out is public: every copy of the code has it
    public = public_literals(configured, _source_roots(app))
    secrets = tuple(value for value in configured if value not in public)
    return ProbeFacts(
        app=spec,
        users={name: identity.key for name, identity in world.users.items()},
        user_table=world.user_table,
        owner_columns=dict(world.owner_columns),
        foreign_keys=world.database.foreign_keys,
        secrets=secrets,
        protected_columns={
            t.name: tuple(
                protected_columns([c.name for c in t.columns], world.owner_columns.get(t.name))
            )
            for t in world.database.tables
        },
        secret_columns={
            t.name: tuple(secret_columns([c.name for c in t.columns]))
            for t in world.database.tables
        },
        guarded={
            (h.method, r.rule): "optional" if h.auth.optional else h.auth.kind
            for r in routes
            if r.kind == "view"
            for h in r.handlers
        },
        seed_rows=seeded,
        written_rows=world.database.written_rows(),
    )


class _Recorder:
    """Sends one planned request with the database restored, and records the exchange."""

    def __init__(
        self,
        app: Flask,
        sandbox: Sandbox,
        database: SandboxDatabase,
        timeout: float,
        logged: list[BaseException] | None = None,
    ):
        self.app = app
        self.sandbox = sandbox
        self.database = database
        self.timeout = timeout
        self.snapshot = database.snapshot()
        self.baseline = database.read()
        #: the app's caches as they were with the seeded rows (its sessions, memoized settings)
        self.caches = SavedCaches(app)
        self.statements: list[str] = []
        #: ``(relationship, file:line)`` of each ORM relationship load, while ``tracing``.
        self.lazy_loads: list[tuple[str, str | None]] = []
        self.tracing = False
        self.raised: list[BaseException] = []
        #: 5xx HTTP exceptions the app raised itself (``abort(500)``): Flask signals none of them
        self.aborted: list[HTTPException] = []
        # exceptions an app caught and logged (log.exception) before answering 500 itself
        self.logged = logged if logged is not None else []
        self.anonymous = app.test_client()
        self.dirty = False
        self.sent = 0
        #: Told each planned request before it is sent (a child driving a route tells its parent).
        self.announce: Callable[[Planned], None] | None = None
        self.threads = StartedThreads()

    def _on_exception(self, sender: Any, exception: BaseException, **extra: Any) -> None:
        # Flask-RESTX signals every error it answers, a 403 or 404 it was asked for too
        if isinstance(exception, HTTPException) and (exception.code or 500) < 500:
            return
        self.raised.append(exception)

    def _on_sql(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def _on_raw_sql(self, statement: str) -> None:
        self.statements.append(statement)

    def _on_orm_execute(self, state: Any) -> None:
        if self.tracing and getattr(state, "is_relationship_load", False):
            path = state.loader_strategy_path
            name = str(path[-1]) if len(path) else "a relationship"
            where = user_frame_location(traceback.extract_stack()[:-1])
            self.lazy_loads.append((name, where))

    def _on_http_exception(self, exception: HTTPException) -> None:
        if (exception.code or 500) >= 500:
            self.aborted.append(exception)

    @contextmanager
    def listening(self) -> Iterator[None]:
        got_request_exception.connect(self._on_exception, self.app, weak=False)
        self.sandbox.statement_listeners.append(self._on_raw_sql)
        # every engine, the app's own lazily made ones too (Alchemical makes them on first use)
        engine_class = _engine_class()
        session_class = _orm_session_class()
        if engine_class is not None:
            from sqlalchemy import event

            event.listen(engine_class, "before_cursor_execute", self._on_sql)
            if session_class is not None:
                event.listen(session_class, "do_orm_execute", self._on_orm_execute)
        try:
            with _watched_http_exceptions(self.app, self._on_http_exception):
                yield
        finally:
            got_request_exception.disconnect(self._on_exception, self.app)
            self.sandbox.statement_listeners.remove(self._on_raw_sql)
            if engine_class is not None:
                event.remove(engine_class, "before_cursor_execute", self._on_sql)
                if session_class is not None:
                    event.remove(session_class, "do_orm_execute", self._on_orm_execute)

    def send(
        self,
        route: Route,
        planned: Planned,
        users: Mapping[str, Identity],
        prepare: Callable[[], None] | None = None,
    ) -> Exchange:
        """Send one planned request from the seeded state (``prepare`` may add rows first)."""
        if self.announce is not None:
            self.announce(planned)
        request = planned.request
        identity = users.get(request.identity or "")
        client = identity.client if identity is not None and identity.client else self.anonymous
        if identity is not None:
            identity.restore_cookies()
        else:
            set_client_cookies(self.anonymous, ())
        self.sent += 1
        if self.dirty:
            self.database.restore(self.snapshot)
            self.dirty = False
        self.caches.restore()
        before = self.baseline
        if prepare is not None:
            prepare()
            self.dirty = True
            before = self.database.read()
        versions = self.database.versions()
        self.statements.clear()
        self.lazy_loads.clear()
        self.tracing = prepare is not None
        self.raised.clear()
        self.aborted.clear()
        self.logged.clear()
        network_before = len(self.sandbox.network_attempts)
        host_before = len(self.sandbox.host_attempts)
        threads_before = self.threads.running()
        started, cpu_started = time.perf_counter(), time.thread_time()
        timed_out = False
        response = None
        data = b""
        escaped: BaseException | None = None
        try:
            with time_limit(self.timeout, RequestTimeout):
                response = client.open(**_open_arguments(request))
                data = _body(response)  # inside the limit: a streamed body runs view code
        except RequestTimeout as exc:
            timed_out, escaped = True, exc
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            escaped = exc
        seconds = time.perf_counter() - started
        cpu_seconds = time.thread_time() - cpu_started
        self.threads.join_new(threads_before)
        wrote = self.database.versions() != versions
        self.dirty = self.dirty or wrote
        changes = diff(before, self.database.read()) if wrote else ()
        network = tuple(self.sandbox.network_attempts[network_before:])
        host = tuple(self.sandbox.host_attempts[host_before:])
        failed = response is None or response.status_code >= 500
        raised = self.raised[0] if self.raised else escaped
        deliberate = False
        if raised is None and failed and self.aborted:
            # abort(500) in an ``except`` block hides the exception it caught: that is the cause
            raised = self.aborted[-1].__context__
        if raised is None and self.logged and failed:
            raised = self.logged[-1]
        if raised is None and failed and self.aborted:
            raised, deliberate = self.aborted[-1], True
        error = _raised_error(raised, self.timeout, deliberate) if raised is not None else None
        # a request that never produced a response (time-out, sys.exit) is recorded as a 500
        status, content_type, body = 500, "", ""
        headers: tuple[tuple[str, str], ...] = ()
        if response is not None:
            status, content_type = response.status_code, response.content_type or ""
            headers = tuple(response.headers.items())
            charset = response.mimetype_params.get("charset", "utf-8")
            body = data[: BODY_LIMIT * 4].decode(charset, errors="replace")
            response.close()
        mimetype = (response.mimetype or "") if response is not None else ""
        parsed, is_json = _parse_json(body, mimetype)
        return Exchange(
            route.rule,
            route.endpoint,
            request.method,
            planned.case,
            request,
            status,
            content_type,
            headers,
            body[:BODY_LIMIT],
            json=parsed,
            error=error,
            sql=tuple(self.statements),
            changes=changes,
            network=network,
            host=host,
            seconds=seconds,
            cpu_seconds=cpu_seconds,
            timed_out=timed_out,
            is_json=is_json,
            lazy_loads=tuple(self.lazy_loads),
        )


def _engine_class() -> Any:
    """SQLAlchemy's ``Engine`` class when SQLAlchemy is loaded (an app without it has none)."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.engine import Engine

    return Engine


def _orm_session_class() -> Any:
    """SQLAlchemy's ORM ``Session`` when the app loaded it and it tells relationship loads."""
    if "sqlalchemy.orm" not in sys.modules:
        return None
    return orm_execute_session()


def _death_exchange(route: Route, planned: Planned, how: str) -> Exchange:
    error = RaisedError(
        "ProcessExit",
        f"{how} while answering this request",
        None,
        f"{how} while answering {planned.request.method} {planned.request.path}",
    )
    return Exchange(
        route.rule,
        route.endpoint,
        planned.request.method,
        planned.case,
        planned.request,
        500,
        "",
        (),
        "",
        error=error,
    )


def host_notes(exchanges: Sequence[Exchange]) -> list[str]:
    """One note per thing the app tried on the host (a write, a command...) and was refused.

    Attempts of one kind from one line of code into one folder are one note with a count:
    a cache writing a new temporary file per request is one thing, not thousands.
    """
    seen: dict[tuple[str, str, str | None], tuple[Exchange, str, int]] = {}
    for exchange in exchanges:
        for attempt in exchange.host:
            folder = attempt.target.rsplit("/", 1)[0] if "/" in attempt.target else ""
            key = (attempt.action, folder, attempt.location)
            first, target, count = seen.get(key, (exchange, attempt.target, 0))
            seen[key] = (first, target, count + 1)
    return [
        f"{exchange.method} {exchange.rule} tried to {action} {target}"
        + (f" and {count - 1} more in {folder}" if count > 1 else "")
        + (f" (at {location})" if location else "")
        + ": refused, testboost never touches your files or runs commands; the route was "
        "probed without it"
        for (action, folder, location), (exchange, target, count) in seen.items()
    ]


def setup_notes(exchanges: Sequence[Exchange], schema_recipe: str) -> list[str]:
    """One note when requests failed on tables or columns the sandbox lacks, with the fix."""
    missing: dict[str, set[tuple[str, str]]] = {}
    for exchange in exchanges:
        what = exchange.error.missing_schema if exchange.error is not None else None
        if what is not None:
            missing.setdefault(what, set()).add((exchange.method, exchange.rule))
    if not missing:
        return []
    pairs = {pair for found in missing.values() for pair in found}
    causes = ", ".join(sorted(missing)[:3]) + (", ..." if len(missing) > 3 else "")
    return [
        f"testboost could not set the app up: {len(pairs)} method-route pairs failed with "
        f"{causes} (schema made by: {schema_recipe}); these failures are not reported as "
        "findings. Tell testboost how the schema is made: [tool.testboost] setup = "
        '["flask init-db"] in pyproject.toml, or --setup "flask init-db"'
    ]


def _open_arguments(request: ProbeRequest) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "path": request.path,
        "method": request.method,
        "query_string": list(request.query),
        "headers": list(request.headers),
    }
    if request.has_json:
        arguments["json"] = request.json
    elif request.form is not None:
        arguments["data"] = dict(request.form)
    elif request.body is not None:
        arguments["data"] = request.body
        arguments["content_type"] = request.content_type
    return arguments


def _body(response: Any) -> bytes:
    """The response's body; of a server-sent event stream only its first chunk (CTFd's
    ``/events``): such a stream never ends by design, and reading it whole is a time-out."""
    if response.mimetype != "text/event-stream":
        return bytes(response.get_data())
    return bytes(next(iter(response.response), b""))


def _parse_json(body: str, mimetype: str) -> tuple[Any, bool]:
    if not body.strip() or ("json" not in mimetype and body.lstrip()[:1] not in ("{", "[")):
        return None, False
    try:
        return json.loads(body), True
    except ValueError:
        return None, False


@contextmanager
def _watched_http_exceptions(app: Flask, seen: Callable[[HTTPException], None]) -> Iterator[None]:
    """Tell ``seen`` every HTTP exception the app's views raise, while the block runs.

    Flask answers an ``abort(500)`` through ``handle_http_exception`` and sends no signal; the
    app's method is wrapped on the instance and put back after.
    """
    own = app.__dict__.get("handle_http_exception")
    handle = app.handle_http_exception

    def watched(exception: HTTPException) -> Any:
        seen(exception)
        return handle(exception)

    setattr(app, "handle_http_exception", watched)  # noqa: B010 - Flask's method, typed for self
    try:
        yield
    finally:
        if own is None:
            del app.handle_http_exception
        else:
            setattr(app, "handle_http_exception", own)  # noqa: B010


def _raised_error(
    exception: BaseException, timeout: float, deliberate: bool = False
) -> RaisedError:
    stack = traceback.extract_tb(exception.__traceback__)
    if isinstance(exception, RequestTimeout):
        message = f"the request did not finish in {timeout:g} s"
    else:
        message = str(exception)
    return RaisedError(
        type=type(exception).__name__,
        message=message[:500],
        location=user_frame_location(stack),
        traceback="".join(traceback.format_exception(exception))[-4000:],
        module=type(exception).__module__,
        deliberate=deliberate,
    )


@contextmanager
def _captured_logging() -> Iterator[list[BaseException]]:
    """Keep the app's logs off the user's terminal, keeping the exceptions they carry.

    One error log per 500 the probe provokes would drown the report; but an app that catches an
    exception, logs it and answers 500 itself (Flask-AppBuilder's ``@safe``) only tells what
    went wrong in that log record, so its exception is kept for the exchange.
    """
    exceptions: list[BaseException] = []
    real_handle = logging.Logger.handle

    def handle(self: logging.Logger, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exceptions.append(record.exc_info[1])

    logging.Logger.handle = handle  # type: ignore[method-assign]
    try:
        yield exceptions
    finally:
        logging.Logger.handle = real_handle  # type: ignore[method-assign]
