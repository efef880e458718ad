"""``python -m testboost.timeshift``: every wall clock Python reads moves, the monotonic one does not.

Each check runs a small module in a process of its own (the shift is for the whole process) and
compares what it read with this process's clocks: ahead by the shift with one, equal without.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

#: 400 days and a few hours: another year, month, weekday and hour.
SHIFT = 400 * 86400 + 5 * 3600 + 7 * 60 + 11

READER = """
import datetime, json, pickle, sys, time
import early  # imported before the shift when the shift is made in-process
from datetime import date, datetime as Datetime, timezone
if len(sys.argv) > 1:
    from testboost import timeshift
    timeshift.shift(float(sys.argv[1]))
    from datetime import datetime as Datetime
now = Datetime.now()
class Meta(type):  # a subclass with a metaclass of its own, as freezegun's FakeDatetime
    pass
class Sub(Datetime, metaclass=Meta):
    pass
readings = {
    "time": time.time(),
    "time_ns": time.time_ns() / 1e9,
    "clock_gettime": time.clock_gettime(time.CLOCK_REALTIME),
    "now": now.timestamp(),
    "now_utc": Datetime.now(timezone.utc).timestamp(),
    "utcnow": Datetime.utcnow().replace(tzinfo=timezone.utc).timestamp(),
    "today": Datetime.today().timestamp(),
    "early_now": early.datetime.now().timestamp(),
    "module_now": datetime.datetime.now().timestamp(),
    "localtime": time.mktime(time.localtime()),
    "gmtime": time.mktime(time.gmtime()) - time.mktime(time.gmtime(0)) + time.mktime(time.localtime(0)),
    "strftime": time.mktime(time.strptime(time.strftime("%Y-%m-%d %H:%M:%S"), "%Y-%m-%d %H:%M:%S")),
    "ctime": time.mktime(time.strptime(time.ctime())),
    "asctime": time.mktime(time.strptime(time.asctime())),
    "date_today": time.mktime(date.today().timetuple()),
    "subclass_now": Sub.now().timestamp(),
}
facts = {
    "monotonic": time.monotonic(),
    "type_is": type(now) is Datetime is datetime.datetime and type(Sub.now()) is Sub,
    "real_is_instance": isinstance(early.REAL, Datetime) and isinstance(now, early.datetime),
    "repr": repr(Datetime(2024, 1, 2, 3, 4, 5)),
    "pickle": pickle.loads(pickle.dumps(now)) == now,
    "fixed": Datetime.fromtimestamp(0, timezone.utc).isoformat(),
    "local_of_zero": time.localtime(0).tm_year,
}
print(json.dumps({"readings": readings, "facts": facts}))
"""

EARLY = "from datetime import datetime\nREAL = datetime(2024, 1, 2)\n"


def _read(tmp_path: Path, *command: str) -> dict[str, dict[str, object]]:
    (tmp_path / "reader.py").write_text(READER)
    (tmp_path / "early.py").write_text(EARLY)
    environment = {"PATH": "/usr/bin:/bin", "TZ": "Europe/Paris"}
    if "PYTHONPATH" in os.environ:
        environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
    completed = subprocess.run(
        [sys.executable, *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    found: dict[str, dict[str, object]] = json.loads(completed.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize(
    ("command", "ahead"),
    [
        (("-m", "testboost.timeshift", str(SHIFT), "reader"), SHIFT),
        (("reader.py", str(SHIFT)), SHIFT),  # shifted in-process, after a module was imported
        (("-m", "testboost.timeshift", "0", "reader"), 0),
        (("reader.py",), 0),
    ],
    ids=["module", "in-process", "zero", "none"],
)
def test_every_wall_clock_reads_ahead_by_the_shift_and_only_by_it(
    tmp_path: Path, command: tuple[str, ...], ahead: int
) -> None:
    before, monotonic = time.time(), time.monotonic()
    found = _read(tmp_path, *command)
    after = time.time()
    for name, value in found["readings"].items():
        assert isinstance(value, float)
        # whole seconds (strftime, ctime) and whole days (date.today) read a little behind
        slack = 86400 if name == "date_today" else 2
        assert before + ahead - slack <= value <= after + ahead + 1, (name, value - before)
    facts = found["facts"]
    assert isinstance(facts["monotonic"], float)
    assert monotonic <= facts["monotonic"] <= time.monotonic()  # time-outs keep their clock


@pytest.mark.parametrize("shift", [SHIFT, 0])
def test_the_shifted_datetime_passes_for_the_real_one(tmp_path: Path, shift: int) -> None:
    facts = _read(tmp_path, "-m", "testboost.timeshift", str(shift), "reader")["facts"]
    assert facts["type_is"] is True
    assert facts["real_is_instance"] is True
    assert facts["repr"] == "datetime.datetime(2024, 1, 2, 3, 4, 5)"
    assert facts["pickle"] is True
    assert facts["fixed"] == "1970-01-01T00:00:00+00:00"  # a given time is not moved
    assert facts["local_of_zero"] == 1970


def test_a_module_argument_is_needed(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "testboost.timeshift", "60"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
        check=False,
    )
    assert completed.returncode != 0
    assert "usage: python -m testboost.timeshift SECONDS MODULE" in completed.stderr
