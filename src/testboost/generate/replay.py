"""Send requests through the generated conftest's world and see what the app answers there.

A :class:`Replayer` writes the rendered ``conftest.py`` into a temporary directory and starts
:mod:`testboost.generate.driver` on it in a child process (the app is imported fresh there, the way
pytest will import it). :meth:`Replayer.run` sends :class:`Job` records and returns one
:class:`Outcome` per job. Every assertion the writer emits is taken from an outcome, so it holds
in the generated suite by construction; :meth:`Replayer.run_twice` sends every job a second time,
in reverse order and in a second process with another hash seed, random state and wall clock
(a year and more ahead: :mod:`testboost.timeshift`), to tell stable values from volatile ones.

>>> with Replayer(conftest_source, root=Path.cwd()) as replayer:     # doctest: +SKIP
...     [outcome] = replayer.run([Job((Step("GET", "/health"),))])
>>> outcome.steps[0].status
200
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from testboost.errors import UsageError
from testboost.explore.exchange import ProbeRequest

#: Seconds the child may take to build the app and seed it, and to answer one batch.
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Step:
    """One request: method, path (``{name}`` filled from values bound by earlier steps), inputs.

    ``identity`` is ``"A"``, ``"B"`` or ``None`` (anonymous); ``bind`` names values of the JSON
    answer (a path of keys) for later steps, as in ``{"order_id": ("id",)}``.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    identity: str | None = None
    json: Any = None
    has_json: bool = False
    form: tuple[tuple[str, str], ...] | None = None
    body: str | None = None
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    bind: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    bind_added: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def from_request(cls, request: ProbeRequest) -> Step:
        """The probe's request, credentials left to the identity it was sent as."""
        headers = tuple(
            (name, value) for name, value in request.headers if name.lower() != "authorization"
        )
        return cls(
            method=request.method,
            path=request.path,
            query=request.query,
            identity=request.identity,
            json=request.json,
            has_json=request.has_json,
            form=request.form,
            body=request.body if not request.has_json and request.form is None else None,
            content_type=request.content_type,
            headers=headers,
        )

    def key(self) -> str:
        """A text that is equal for equal requests."""
        return json.dumps(self.document(), sort_keys=True, default=repr)

    def document(self) -> dict[str, Any]:
        """The step as the driver reads it."""
        return {
            "method": self.method,
            "path": self.path,
            "query": [list(pair) for pair in self.query],
            "identity": self.identity,
            "json": self.json,
            "has_json": self.has_json,
            "form": [list(pair) for pair in self.form] if self.form is not None else None,
            "body": self.body,
            "content_type": self.content_type,
            "headers": [list(pair) for pair in self.headers],
            "bind": {name: list(path) for name, path in self.bind.items()},
            "bind_added": {name: list(place) for name, place in self.bind_added.items()},
        }


@dataclass(frozen=True)
class Job:
    """Steps sent one after the other from the seeded database.

    ``fill`` first makes a table hold exactly that many rows; ``inspect`` asks for database reads
    after the last step (``{"kind": "row", "table": ..., "where": {...}}``, ``added``, ``rows``).
    """

    steps: tuple[Step, ...]
    fill: tuple[str, int] | None = None
    inspect: tuple[Mapping[str, Any], ...] = ()

    def document(self) -> dict[str, Any]:
        """The job as the driver reads it."""
        return {
            "steps": [step.document() for step in self.steps],
            "fill": list(self.fill) if self.fill else None,
            "inspect": [dict(query) for query in self.inspect],
        }

    def key(self) -> str:
        """A text that is equal for equal jobs."""
        return json.dumps(self.document(), sort_keys=True, default=repr)


@dataclass(frozen=True)
class Seen:
    """What the app answered to one step."""

    status: int
    content_type: str
    location: str | None
    text: str
    json: Any
    is_json: bool
    statements: int
    #: a body of bytes (compressed, an image, undecodable): ``text`` is empty, and these say what
    #: is stable about it: its size, digest, first bytes, Content-Encoding, and decompressed form
    binary: bool = False
    size: int = 0
    digest: str = ""
    head: bytes = b""
    encoding: str = ""
    decoded_text: str | None = None
    decoded_json: Any = None
    decoded_is_json: bool = False

    @property
    def mimetype(self) -> str:
        """The content type without parameters."""
        return self.content_type.split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Change:
    """A row one job inserted, updated or deleted: table, primary key, the row before and after."""

    table: str
    kind: str
    key: tuple[Any, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class Outcome:
    """What one job did: an answer per step, rows changed, database reads, network attempts."""

    steps: tuple[Seen, ...]
    changes: tuple[Change, ...] = ()
    inspect: tuple[Any, ...] = ()
    network: tuple[str, ...] = ()
    bound: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every step was sent and answered."""
        return self.error is None

    @property
    def last(self) -> Seen:
        """The answer to the last step."""
        return self.steps[-1]


#: Seconds the wall clock of the second and third replay processes reads ahead of the machine's:
#: 400 days (another year, month and weekday), 7 hours, 13 minutes and 17 seconds, so that a
#: value the app derives from the current time differs between the replays however it is rounded
#: (CTFd's asset URLs carry a hash of its start minute) and is not pinned in a suite run later.
LATER = 400 * 86400 + 7 * 3600 + 13 * 60 + 17

#: Each replay process's hash seed, random seed and clock shift: fixed, so that a run repeats,
#: and different between the processes, so that what two agree on comes from neither one random
#: state nor one moment. The first replay, whose answers the tests assert, runs at the real time.
REPLICAS = ((1, 0, 0), (2, 1, LATER), (3, 2, LATER))


class _Child:
    """One replay process: the driver serving jobs in the world of the conftest."""

    def __init__(self, conftest: Path, root: Path, replica: int) -> None:
        hash_seed, random_seed, later = REPLICAS[replica]
        # the driver, run as ``python -m`` would, in a process whose clock reads ``later`` ahead
        clock = ["-m", "testboost.timeshift", str(later)] if later else ["-m"]
        environment = {
            **os.environ,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": str(hash_seed),
        }
        # The app's logs go to a file: a full stderr pipe would block the child.
        self.log = conftest.with_name(f"stderr-{replica}.log")
        with self.log.open("w", encoding="utf-8") as log:
            self.process: subprocess.Popen[str] | None = subprocess.Popen(
                [
                    sys.executable,
                    *clock,
                    "testboost.generate.driver",
                    str(conftest),
                    str(root),
                    str(random_seed),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=root,
                text=True,
                env=environment,
            )
        first = self.read_line()
        #: the conftest's users: ``None`` when logged in, else why not
        self.users: dict[str, str | None] = dict((first or {}).get("users") or {})
        if first is None or "setup_error" in first:
            detail = (first or {}).get("setup_error") or self.stderr()
            self.close()
            last = [line for line in (detail or "").strip().splitlines() if line.strip()]
            raise UsageError(
                "The generated conftest could not set the app up: "
                f"{last[-1].strip() if last else 'the replay process stopped'}. "
                "Run with --debug for the details.",
                detail=detail,
            )

    def read_line(self) -> dict[str, Any] | None:
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            return None
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stderr(self) -> str:
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def run(self, jobs: Sequence[Job]) -> list[Outcome]:
        self.send(jobs)
        return self.receive()

    def send(self, jobs: Sequence[Job]) -> None:
        """Hand ``jobs`` to the process, which starts on them at once (see :meth:`receive`)."""
        assert self.process is not None and self.process.stdin is not None
        payload = json.dumps({"jobs": [job.document() for job in jobs]}, default=repr)
        self.process.stdin.write(payload + "\n")
        self.process.stdin.flush()

    def receive(self) -> list[Outcome]:
        """The outcomes of the jobs last sent, in order."""
        answer = self.read_line()
        if answer is None or "results" not in answer:
            raise UsageError(
                "The replay of the recorded requests stopped: the app crashed its process. "
                "Run with --debug for the details.",
                detail=self.stderr(),
            )
        return [_outcome(result) for result in answer["results"]]

    def close(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


class Replayer:
    """Two child processes serving jobs in the world of a rendered ``conftest.py``.

    :meth:`run` uses the first; :meth:`run_twice` sends the jobs to the first and, in reverse
    order, to the second (started when first needed), whose hash seed, random seed and clock
    differ: two independent replays. Answers with lists both agreed on are asked of a third.
    """

    def __init__(self, conftest_source: str, *, root: Path) -> None:
        self.conftest_source = conftest_source
        self.root = root
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._children: list[_Child] = []

    def __enter__(self) -> Replayer:
        self._directory = tempfile.TemporaryDirectory(prefix="testboost-generate-")
        self._start()
        return self

    def _start(self) -> _Child:
        assert self._directory is not None
        replica = len(self._children)
        folder = Path(self._directory.name, f"replica-{replica}")
        folder.mkdir()
        conftest = folder / "conftest.py"
        conftest.write_text(self.conftest_source, encoding="utf-8")
        try:
            child = _Child(conftest, self.root, replica)
        except BaseException:
            self.close()
            raise
        self._children.append(child)
        return child

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the child processes and remove their directory."""
        for child in self._children:
            child.close()
        self._children = []
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None

    @property
    def users(self) -> dict[str, str | None]:
        """The users of the conftest, each ``None`` when it logged in, else why it did not."""
        return dict(self._children[0].users) if self._children else {}

    @property
    def logged_in(self) -> frozenset[str]:
        """The users that logged in in the suite's world: only their tests can be written."""
        return frozenset(name for name, reason in self.users.items() if reason is None)

    def run(self, jobs: Sequence[Job]) -> list[Outcome]:
        """Send ``jobs`` (each from the seeded database) and return their outcomes in order."""
        if not jobs:
            return []
        return self._children[0].run(jobs)

    def run_twice(self, jobs: Sequence[Job]) -> list[tuple[Outcome, Outcome]]:
        """Every job twice, the second time in the other process and in reverse order: pairs of
        outcomes, in order."""
        if not jobs:
            return []
        # the two replays run side by side: each process has its own app and database
        self._children[0].send(jobs)
        other = self._child(1)
        other.send(list(reversed(jobs)))
        first = self._children[0].receive()
        second = list(reversed(other.receive()))
        pairs = list(zip(first, second, strict=True))
        # Two replays agree on the order of two items by chance half the time: answers with lists
        # the first two agreed on are asked of a third process, whose answer stands in for the
        # second one's when it differs.
        suspects = [
            index
            for index, (one, two) in enumerate(pairs)
            if one.ok and two.ok and _answers(one) == _answers(two) and _has_lists(one)
        ]
        if suspects:
            third = self._child(2).run([jobs[index] for index in suspects])
            for index, outcome in zip(suspects, third, strict=True):
                if outcome.ok and _answers(outcome) != _answers(pairs[index][0]):
                    pairs[index] = (pairs[index][0], outcome)
        return pairs

    def _child(self, replica: int) -> _Child:
        while len(self._children) <= replica:
            self._start()
        return self._children[replica]


def _answers(outcome: Outcome) -> list[tuple[int, str, Any, str]]:
    return [(s.status, s.text, s.json, s.digest) for s in outcome.steps]


def _has_lists(outcome: Outcome) -> bool:
    """Whether an answer holds a JSON list of two items or more (whose order may be chance)."""

    def found(value: Any) -> bool:
        if isinstance(value, list):
            return len(value) > 1 or any(found(v) for v in value)
        if isinstance(value, dict):
            return any(found(v) for v in value.values())
        return False

    return any(found(step.json) for step in outcome.steps)


def _outcome(result: Mapping[str, Any]) -> Outcome:
    steps = tuple(
        Seen(
            status=int(step["status"]),
            content_type=str(step["content_type"]),
            location=step.get("location"),
            text=str(step["text"]),
            json=step.get("json"),
            is_json=bool(step.get("is_json")),
            statements=int(step.get("statements") or 0),
            binary=bool(step.get("binary")),
            size=int(step.get("size") or 0),
            digest=str(step.get("digest") or ""),
            head=base64.b64decode(step.get("head") or ""),
            encoding=str(step.get("encoding") or ""),
            decoded_text=step.get("decoded_text"),
            decoded_json=step.get("decoded_json"),
            decoded_is_json=bool(step.get("decoded_is_json")),
        )
        for step in result.get("steps", [])
    )
    changes = tuple(
        Change(c["table"], c["kind"], tuple(c["key"]), c.get("before"), c.get("after"))
        for c in result.get("changes") or ()
    )
    return Outcome(
        steps=steps,
        changes=changes,
        inspect=tuple(result.get("inspect") or ()),
        network=tuple(result.get("network") or ()),
        bound=dict(result.get("bound") or {}),
        error=result.get("error"),
    )
