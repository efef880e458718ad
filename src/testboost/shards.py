"""One scan split over processes or machines: shards of the routes, written down and merged.

``scan --shard I/N`` drives every N-th route of the inventory (see
:class:`~testboost.explore.runner.Shard`) and keeps, beside its report, what a merge needs: its
exchanges, the probe's facts and tail (:class:`~testboost.explore.runner.ProbeTail`).
``testboost merge`` puts the shards' exchanges back in inventory order and runs the checks once
over all of them, so that checks comparing routes (sibling auth, slow routes, one finding per
cause) judge the whole app: the merged report is the report of one scan with the same seed.
``scan --jobs N`` does the same with N processes on this machine.

The shard data is JSON: dataclasses are written with their class name, which must be one of
:data:`_CLASSES` to be read back (a shard file never makes objects of any other class).

>>> part = read_shard(Path("shard-1.json"))                        # doctest: +SKIP
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testboost.errors import UsageError
from testboost.explore.csrf import CsrfCheck
from testboost.explore.exchange import (
    Case,
    Exchange,
    ForeignKey,
    ProbeFacts,
    ProbeRequest,
    RaisedError,
    RowChange,
)
from testboost.explore.reach import Reach
from testboost.explore.runner import ProbeTail, Shard, finish_probe
from testboost.hostguard import HostAttempt
from testboost.inventory import Route
from testboost.sandbox import NetworkAttempt

SCHEMA = "testboost.shard/1"

_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Case,
        CsrfCheck,
        Exchange,
        ForeignKey,
        HostAttempt,
        NetworkAttempt,
        ProbeFacts,
        ProbeRequest,
        ProbeTail,
        RaisedError,
        RowChange,
    )
}


@dataclass(frozen=True)
class ShardPart:
    """What one shard of a scan found, as a merge needs it."""

    app: str
    shard: Shard
    seed: int
    exchanges: tuple[Exchange, ...]
    facts: ProbeFacts
    tail: ProbeTail
    requests: int
    seconds: float
    schema: str
    moved: tuple[tuple[str, str], ...]
    hashing: tuple[str, ...]


@dataclass(frozen=True)
class Merged:
    """Shards put back together: exchanges in inventory order, and the probe's end recomputed."""

    exchanges: tuple[Exchange, ...]
    facts: ProbeFacts
    notes: tuple[str, ...]
    reach: Reach
    requests: int
    seconds: float


def parse_shard(text: str) -> Shard:
    """``"2/4"`` -> ``Shard(2, 4)``; anything else is a :class:`UsageError`."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise UsageError(
            f"--shard {text!r}: give I/N with 1 <= I <= N, e.g. --shard 1/4 for the first of 4."
        )
    return Shard(int(match[1]), int(match[2]))


def shard_document(part: ShardPart) -> dict[str, Any]:
    """The shard as JSON data (kept under ``"shard"`` in the shard's report)."""
    return {
        "schema": SCHEMA,
        "app": part.app,
        "index": part.shard.index,
        "count": part.shard.count,
        "seed": part.seed,
        "requests": part.requests,
        "seconds": part.seconds,
        "schema_recipe": part.schema,
        "moved": [list(pair) for pair in part.moved],
        "hashing": list(part.hashing),
        "facts": _encode(part.facts),
        "tail": _encode(part.tail),
        "exchanges": [_encode(e) for e in part.exchanges],
    }


def read_shard(path: Path) -> ShardPart:
    """The shard kept in a report written by ``scan --shard I/N --json FILE``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"Cannot read the shard report {path}: {exc}.") from exc
    data = document.get("shard") if isinstance(document, dict) else None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(
            f"{path} is not a shard report: write one with `testboost scan --shard I/N --json "
            f"{path.name}`."
        )
    try:
        return ShardPart(
            app=str(data["app"]),
            shard=Shard(int(data["index"]), int(data["count"])),
            seed=int(data["seed"]),
            exchanges=tuple(_decode(e) for e in data["exchanges"]),
            facts=_decode(data["facts"]),
            tail=_decode(data["tail"]),
            requests=int(data["requests"]),
            seconds=float(data["seconds"]),
            schema=str(data["schema_recipe"]),
            moved=tuple((str(s), str(o)) for s, o in data["moved"]),
            hashing=tuple(str(h) for h in data["hashing"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"The shard report {path} is damaged ({exc}).") from exc


def check_complete(parts: Sequence[ShardPart]) -> None:
    """Refuse shards of different scans, and a set that misses or repeats a shard."""
    if not parts:
        raise UsageError("Give the shard reports to merge.")
    first = parts[0]
    for part in parts:
        if (part.app, part.seed, part.shard.count) != (first.app, first.seed, first.shard.count):
            raise UsageError(
                f"The shards come from different scans: {first.app!r} seed {first.seed} in "
                f"{first.shard.count} shards, and {part.app!r} seed {part.seed} in "
                f"{part.shard.count}."
            )
    have = sorted(part.shard.index for part in parts)
    wanted = list(range(1, first.shard.count + 1))
    if have != wanted:
        missing = sorted(set(wanted) - set(have))
        twice = sorted({i for i in have if have.count(i) > 1})
        problem = f"missing {_numbers(missing)}" if missing else f"twice: {_numbers(twice)}"
        raise UsageError(
            f"Merge needs each of the {first.shard.count} shards once ({problem}): give one "
            "report per --shard I/N."
        )


def merge_parts(routes: Sequence[Route], parts: Sequence[ShardPart]) -> Merged:
    """The shards as one probe: exchanges in inventory order, notes and reach of all of them."""
    check_complete(parts)
    views = [route for route in routes if route.kind == "view"]
    position = {(route.rule, route.endpoint): i for i, route in enumerate(views)}
    ordered = sorted(parts, key=lambda part: part.shard.index)
    exchanges = tuple(
        sorted(
            (e for part in ordered for e in part.exchanges),
            key=lambda e: position.get((e.rule, e.endpoint), len(views)),
        )
    )
    first = ordered[0].tail
    tail = dataclasses.replace(
        first,
        route_notes=tuple(note for part in ordered for note in part.tail.route_notes),
        thread_errors=tuple(
            dict.fromkeys(error for part in ordered for error in part.tail.thread_errors)
        ),
    )
    notes, reach = finish_probe(routes, exchanges, tail)
    return Merged(
        exchanges=exchanges,
        facts=ordered[0].facts,
        notes=notes,
        reach=reach,
        requests=sum(part.requests for part in ordered),
        seconds=max(part.seconds for part in ordered),
    )


def scan_in_processes(arguments: Sequence[str], jobs: int, directory: Path) -> list[ShardPart]:
    """Run ``testboost scan ARGUMENTS --shard I/JOBS`` in ``jobs`` processes at once; their shards.

    Each process loads the app into a sandbox of its own. A process that fails ends the scan
    with the last line it printed.
    """
    running = []
    for index in range(1, jobs + 1):
        out = directory / f"shard-{index}.json"
        command = [sys.executable, "-m", "testboost", "scan", *arguments]
        command += ["--shard", f"{index}/{jobs}", "--json", str(out)]
        environment = {**os.environ, "NO_COLOR": "1"}
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        running.append((index, out, process))
    failures = []
    for index, _, process in running:
        _, errors = process.communicate()
        if process.returncode not in (0, 1):
            last = next((line for line in reversed(errors.splitlines()) if line.strip()), "")
            failures.append((index, process.returncode, last))
    if failures:
        index, code, last = failures[0]
        message = last.removeprefix("testboost: error: ") or f"exit status {code}"
        raise UsageError(f"The scan of shard {index}/{jobs} failed: {message}")
    return [read_shard(out) for _, out, _ in running]


def _numbers(values: Iterable[int]) -> str:
    return ", ".join(map(str, values))


# -- JSON for dataclasses ----------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _CLASSES.get(name) is not type(value):
            raise TypeError(f"cannot keep a {name} in a shard")
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"@": name, "fields": fields}
    if isinstance(value, tuple):
        return {"@tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {"@map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"@bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, set | frozenset):
        return {"@set": [_encode(v) for v in value]}
    return {"@text": repr(value)}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "@" in value:
        cls = _CLASSES.get(value["@"])
        if cls is None:
            raise ValueError(f"unknown record {value['@']!r}")
        return cls(**{k: _decode(v) for k, v in value["fields"].items()})
    if "@tuple" in value:
        return tuple(_decode(v) for v in value["@tuple"])
    if "@map" in value:
        return {_decode(k): _decode(v) for k, v in value["@map"]}
    if "@bytes" in value:
        return base64.b64decode(value["@bytes"])
    if "@set" in value:
        return frozenset(_decode(v) for v in value["@set"])
    if "@text" in value:
        return str(value["@text"])
    return value
