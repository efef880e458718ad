"""Run the user's own suite in a subprocess under the route plugin and coverage.py, and read it back.

The suite runs the way the user runs it (``python -m pytest DIR`` in the project directory, their
``conftest.py``, ini options and plugins), with three additions::

    python -m coverage run --rcfile=<tmp>/coveragerc -m pytest DIR \\
        -p testboost --testboost-routes --testboost-json <tmp>/routes.json \\
        --testboost-log <tmp>/routes.log -p no:cacheprovider -q

``coverage run`` is given testboost's own rc file, which traces only the files that define views
and keeps its data file in the temporary directory (``--no-cov`` is added when pytest-cov is
installed: its own tracer would pause testboost's). Nothing is written into the user's tree: no
``.coverage``, no ``.pytest_cache`` (``-p no:cacheprovider``) and no ``__pycache__``
(``PYTHONDONTWRITEBYTECODE``). A suite that runs past ``timeout`` gets SIGINT, so pytest stops
and the plugin still writes what it saw, then SIGKILL if it does not stop; the per-test log keeps
the matrix of the tests that finished either way.

>>> run = run_suite(Path("tests"), root=Path.cwd(), timeout=600, measure_files=[])  # doctest: +SKIP
>>> run.counts.passed, [t.nodeid for t in run.tests][:1]
(27, ['tests/test_auth.py::test_register'])
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from testboost.audit.coverage import FileLines, coverage_config, measure
from testboost.audit.plugin import SCHEMA as PLUGIN_SCHEMA
from testboost.audit.proof import Proof, read_proof

#: How long a suite gets to stop after SIGINT before it is killed.
GRACE_SECONDS = 5.0
#: pytest's exit codes (``pytest.ExitCode``), spelled out so that reading them needs no import.
EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INTERNAL, EXIT_USAGE, EXIT_NO_TESTS = range(6)


@dataclass(frozen=True)
class PairHit:
    """One (method, rule) pair a test reached and the statuses it answered, ``((200, 2),)``.

    ``endpoint`` is the endpoint the requests were dispatched to (empty from an older plugin).
    """

    method: str
    rule: str
    statuses: tuple[tuple[int, int], ...]
    endpoint: str = ""


@dataclass(frozen=True)
class TestRecord:
    """What one test did: its outcome, the pairs it reached (setup, call and teardown together),
    and how many responses its call phase saw and how many of those had a body."""

    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: str | None
    hits: tuple[PairHit, ...]
    responses: int
    with_body: int


@dataclass(frozen=True)
class TestCounts:
    """pytest's tally of the run (``errors`` includes collection errors)."""

    __test__ = False

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0


@dataclass(frozen=True)
class CollectionError:
    """A test module pytest could not collect, with the line saying why."""

    nodeid: str
    message: str


@dataclass(frozen=True)
class SuiteRun:
    """The user's suite as it ran under the plugin.

    ``exit_code`` is pytest's (``None`` when it had to be killed); ``timed_out`` says the run was
    stopped at ``timeout`` and ``stopped_in`` names the test running then; ``complete`` is false
    when the plugin's final document was missing and the per-test log was read instead;
    ``lines`` holds coverage.py's statements and missed lines per measured file.
    """

    tests_dir: str
    command: tuple[str, ...]
    exit_code: int | None
    tests: tuple[TestRecord, ...]
    counts: TestCounts
    collection_errors: tuple[CollectionError, ...]
    timed_out: bool
    timeout: float | None
    stopped_in: str | None
    seconds: float
    complete: bool
    output: str
    lines: Mapping[str, FileLines] = field(default_factory=dict)
    proof: Proof | None = None


@dataclass(frozen=True)
class ProveOptions:
    """How ``--prove`` runs: ``mode`` ``on`` or ``auto``, the seconds it may take, xdist workers;
    ``first_catch`` stops trying a (route, kind of break) once a test caught it."""

    mode: str = "auto"
    budget: float = 300.0
    workers: int = 1
    first_catch: bool = False


def run_suite(
    tests: Path,
    *,
    root: Path,
    timeout: float | None,
    measure_files: Collection[str],
    prove: ProveOptions | None = None,
    only: Sequence[str] = (),
) -> SuiteRun:
    """Run ``pytest tests`` in ``root`` under the route plugin (and coverage of ``measure_files``);
    with ``only``, just those node ids of it (``tests/test_x.py::test_y``).

    Never raises for what the suite does (failures, collection errors, hangs): the
    :class:`SuiteRun` says what happened and :func:`unusable_reason` judges it.
    """
    root = root.resolve()
    with tempfile.TemporaryDirectory(prefix="testboost-audit-") as scratch:
        work = Path(scratch)
        json_path, log_path = work / "routes.json", work / "routes.log"
        data_file = work / "coverage.data"
        command = _command(tests, work, json_path, log_path, data_file, measure_files, only)
        command += _prove_arguments(prove)
        started = time.monotonic()
        exit_code, timed_out, output = _execute(command, root, work / "pytest.out", timeout)
        seconds = time.monotonic() - started
        document = _read_document(json_path)
        proof = None
        if document is not None:
            records, counts, errors, stopped_in = _from_document(document, root)
            proof = read_proof(document.get("proof"), _prefix(str(document.get("rootdir")), root))
        else:
            records, counts, errors, stopped_in = _from_log(log_path, root)
        lines = measure(data_file, measure_files) if measure_files else {}
    return SuiteRun(
        tests_dir=str(tests),
        command=tuple(command),
        exit_code=exit_code,
        tests=records,
        counts=counts,
        collection_errors=errors,
        timed_out=timed_out,
        timeout=timeout,
        stopped_in=stopped_in if timed_out or document is None else None,
        seconds=seconds,
        complete=document is not None,
        output=output,
        lines=lines,
        proof=proof,
    )


def unusable_reason(run: SuiteRun) -> str | None:
    """The one-line message when the run cannot be used as an audit of the suite, else ``None``.

    A hang is reported after the partial results; collection errors, an empty suite and pytest
    refusing its command line are reported instead of them.
    """
    where = run.tests_dir
    if run.timed_out:
        place = f" while running {run.stopped_in}" if run.stopped_in else ""
        finished = sum(1 for t in run.tests if t.outcome is not None)
        return (
            f"The suite in {where} did not finish within --timeout {run.timeout:g} s: stopped it"
            f"{place}. The results above are partial ({finished} test{'' if finished == 1 else 's'} "
            "finished); fix the hang "
            "or raise --timeout."
        )
    if run.collection_errors:
        first = run.collection_errors[0]
        more = len(run.collection_errors) - 1
        return (
            f"The suite in {where} fails to collect: {first.nodeid}: {first.message}"
            + (f" (and {more} more)" if more else "")
            + ". Fix it so that `pytest` can import the tests, then rerun."
        )
    if run.exit_code == EXIT_NO_TESTS or (run.exit_code == EXIT_OK and not run.tests):
        return (
            f"No tests found in {where}: pytest collected nothing (it looks for test_*.py and "
            "*_test.py files). Pass --tests the directory of your test suite."
        )
    if not run.complete and run.stopped_in is not None:  # the process died inside a test
        code = f"exit status {run.exit_code}, " if run.exit_code is not None else ""
        return (
            f"pytest crashed running the suite in {where} ({code}while running "
            f"{run.stopped_in}): {_last_error(run.output, 'it exited without an error message')}"
        )
    if run.exit_code in (EXIT_INTERNAL, EXIT_USAGE) or run.exit_code is None:
        return f"pytest could not run the suite in {where}: {_last_error(run.output)}"
    if run.exit_code == EXIT_INTERRUPTED and not run.tests:
        return f"pytest stopped before running the suite in {where}: {_last_error(run.output)}"
    if not run.complete:  # pytest ended on its own without the plugin's report: it crashed
        return f"pytest crashed running the suite in {where}: {_last_error(run.output)}"
    return None


def plugin_arguments() -> list[str]:
    """``-p`` arguments that load the plugin: by entry point name once installed, else by module.

    Naming the module while the entry point is installed too would register it twice.
    """
    installed = any(
        ep.name == "testboost" and ep.value == "testboost.audit.plugin"
        for ep in metadata.entry_points(group="pytest11")
    )
    return ["-p", "testboost" if installed else "testboost.audit.plugin"]


def _prove_arguments(prove: ProveOptions | None) -> list[str]:
    """The plugin's proof options, and ``-n WORKERS`` when pytest-xdist is installed."""
    if prove is None:
        return []
    arguments = [f"--testboost-prove={prove.mode}", f"--testboost-prove-budget={prove.budget:g}"]
    if prove.first_catch:
        arguments.append("--testboost-prove-first-catch")
    has_xdist = any(ep.name == "xdist" for ep in metadata.entry_points(group="pytest11"))
    if prove.workers > 1 and has_xdist:
        arguments += ["-n", str(prove.workers)]
    return arguments


def base_nodeid(nodeid: str) -> str:
    """A node id without its parametrize id: ``t.py::test_x[1-2]`` is ``t.py::test_x``."""
    head, bracket, _ = nodeid.partition("[")
    return head if bracket else nodeid


def _command(
    tests: Path,
    work: Path,
    json_path: Path,
    log_path: Path,
    data_file: Path,
    measure_files: Collection[str],
    only: Sequence[str] = (),
) -> list[str]:
    command = [sys.executable, "-m"]
    if measure_files:
        rcfile = work / "coveragerc"
        rcfile.write_text(coverage_config(data_file, measure_files), encoding="utf-8")
        command += ["coverage", "run", f"--rcfile={rcfile}", "-m"]
    return [
        *command,
        "pytest",
        *(only or [str(tests)]),
        *plugin_arguments(),
        "--testboost-routes",
        f"--testboost-json={json_path}",
        f"--testboost-log={log_path}",
        "-p",
        "no:cacheprovider",
        *_no_other_coverage(),
        "-q",
        "--color=no",
    ]


def _no_other_coverage() -> list[str]:
    """``--no-cov`` when pytest-cov is loaded: its own tracer would pause testboost's."""
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") or not any(
        ep.value.startswith("pytest_cov") for ep in metadata.entry_points(group="pytest11")
    ):
        return []
    return ["--no-cov"]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in ("COVERAGE_PROCESS_START", "COVERAGE_RCFILE", "COV_CORE_SOURCE"):
        env.pop(name, None)
    return env


def _execute(
    command: Sequence[str], cwd: Path, output_path: Path, timeout: float | None
) -> tuple[int | None, bool, str]:
    """Run ``command``; on timeout interrupt it, then kill it. Returns (exit code, timed out, output)."""
    posix = hasattr(os, "killpg")
    timed_out = False
    with output_path.open("w+", encoding="utf-8", errors="replace") as output:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=_environment(),
            start_new_session=posix,
        )
        try:
            code: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            code = _stop(process, posix)
        output.seek(0)
        text = output.read()
    return code, timed_out, text


def _stop(process: subprocess.Popen[bytes], posix: bool) -> int | None:
    """SIGINT the suite's process group so pytest ends the session; SIGKILL it if it does not."""
    if posix:
        try:
            os.killpg(process.pid, signal.SIGINT)
            return process.wait(timeout=GRACE_SECONDS)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    else:  # pragma: no cover - Windows has no process groups to signal
        process.kill()
    process.wait()
    return None


def _read_document(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return (
        document if isinstance(document, dict) and document.get("schema") == PLUGIN_SCHEMA else None
    )


def _from_document(
    document: dict[str, Any], root: Path
) -> tuple[tuple[TestRecord, ...], TestCounts, tuple[CollectionError, ...], str | None]:
    prefix = _prefix(str(document.get("rootdir", root)), root)
    records = tuple(_record(entry, prefix) for entry in document.get("tests", []))
    outcomes = document.get("outcomes", {})
    counts = TestCounts(**{name: int(outcomes.get(name, 0)) for name in _COUNT_FIELDS})
    errors = tuple(
        CollectionError(prefix + str(e["nodeid"]), str(e["message"]))
        for e in document.get("collection_errors", [])
    )
    stopped = document.get("interrupted_in")
    return records, counts, errors, prefix + stopped if isinstance(stopped, str) else None


def _from_log(
    path: Path, root: Path
) -> tuple[tuple[TestRecord, ...], TestCounts, tuple[CollectionError, ...], str | None]:
    """Rebuild the run from the per-test log of a run that was killed before it finished."""
    prefix = ""
    records: list[TestRecord] = []
    errors: list[CollectionError] = []
    running: str | None = None
    # what each test reached so far, logged request by request: all the killed test leaves
    reached: dict[str, dict[tuple[str, str, str], dict[str, int]]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the last line of a killed run may be cut short
        if "rootdir" in entry:
            prefix = _prefix(str(entry["rootdir"]), root)
        elif "start" in entry:
            running = prefix + str(entry["start"])
        elif "hit" in entry:
            hit = entry["hit"]
            pair = (str(hit["method"]), str(hit["rule"]), str(hit.get("endpoint") or ""))
            statuses = reached.setdefault(str(hit["nodeid"]), {}).setdefault(pair, {})
            statuses[str(hit["status"])] = 1
        elif "test" in entry:
            records.append(_record(entry["test"], prefix))
            running = None
        elif "collection_error" in entry:
            error = entry["collection_error"]
            errors.append(CollectionError(prefix + str(error["nodeid"]), str(error["message"])))
    if running is not None:
        unfinished = reached.get(running.removeprefix(prefix), {})
        hits = [
            {"method": m, "rule": r, "endpoint": e, "statuses": statuses}
            for (m, r, e), statuses in unfinished.items()
        ]
        if hits:  # the test it was killed in: what it reached, with no outcome
            records.append(_record({"nodeid": running.removeprefix(prefix), "hits": hits}, prefix))
    tally = {name: 0 for name in _COUNT_FIELDS}
    for record in records:
        name = "errors" if record.outcome == "error" else record.outcome
        if name in tally:
            tally[name] += 1
    tally["errors"] += len(errors)
    return tuple(records), TestCounts(**tally), tuple(errors), running


_COUNT_FIELDS = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")


def _record(entry: dict[str, Any], prefix: str) -> TestRecord:
    hits = tuple(
        PairHit(
            method=str(hit["method"]),
            rule=str(hit["rule"]),
            statuses=tuple(sorted((int(s), int(n)) for s, n in hit["statuses"].items())),
            endpoint=str(hit.get("endpoint") or ""),
        )
        for hit in entry.get("hits", [])
    )
    outcome = entry.get("outcome")
    return TestRecord(
        nodeid=prefix + str(entry["nodeid"]),
        outcome=str(outcome) if outcome is not None else None,
        hits=hits,
        responses=int(entry.get("responses", 0)),
        with_body=int(entry.get("with_body", 0)),
    )


def _prefix(rootdir: str, root: Path) -> str:
    """What to put before pytest's node ids (relative to its rootdir) to make them relative to root."""
    try:
        relative = Path(os.path.relpath(Path(rootdir).resolve(), root))
    except ValueError:
        return ""
    if relative == Path(".") or relative.parts[:1] == ("..",):
        return ""
    return relative.as_posix() + "/"


def _last_error(output: str, otherwise: str = "it exited without output") -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith(("ERROR:", "E ", "INTERNALERROR>")) or "Error" in line:
            return line.removeprefix("INTERNALERROR>").removeprefix("E ").strip()
    meaningful = [line for line in lines if any(c.isalnum() for c in line)]
    return meaningful[-1] if meaningful else otherwise
