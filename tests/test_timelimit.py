"""time_limit and the scan's budget: what ran too long is stopped, not what the machine kept
waiting."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from testboost.explore import timelimit
from testboost.explore.runner import explore
from testboost.explore.timelimit import runqueue_wait, time_limit
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app


class Stopped(BaseException):
    pass


def test_a_block_that_sleeps_past_the_limit_is_stopped() -> None:
    with pytest.raises(Stopped), time_limit(0.2, Stopped):
        time.sleep(600)


def test_time_spent_waiting_for_a_cpu_is_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    # a machine so loaded that every moment of the block went to other processes
    monkeypatch.setattr(timelimit, "runqueue_wait", time.monotonic)
    with time_limit(0.1, Stopped):
        time.sleep(0.4)  # four times the limit of wall time, none of it the block's own


def test_a_block_is_stopped_at_the_hard_limit_whatever_it_waited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timelimit, "runqueue_wait", time.monotonic)
    monkeypatch.setattr(timelimit, "HARD_FACTOR", 3.0)
    with pytest.raises(Stopped), time_limit(0.1, Stopped):
        time.sleep(600)


def test_where_the_wait_is_unknown_the_limit_is_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timelimit, "runqueue_wait", lambda: None)
    assert timelimit.spent(time.monotonic() - 2.0, None) >= 2.0
    with pytest.raises(Stopped), time_limit(0.2, Stopped):
        time.sleep(600)


def test_the_wait_is_read_on_linux() -> None:
    if not timelimit._SCHEDSTAT.exists():
        pytest.skip("no /proc/thread-self/schedstat here")
    wait = runqueue_wait()
    assert wait is not None and wait >= 0


def test_the_work_clock_counts_wall_time_where_the_wait_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timelimit, "runqueue_wait", lambda: None)
    clock = timelimit.WorkClock()
    clock.count_child(600.0, None)  # unknown here, so not left out
    time.sleep(0.05)
    assert clock.seconds() >= 0.05
    assert clock.past(0.01)


def test_the_work_clock_leaves_out_cpu_waits_of_its_thread_and_children(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timelimit, "HARD_FACTOR", 1e9)
    monkeypatch.setattr(timelimit, "runqueue_wait", lambda: 0.0)
    clock = timelimit.WorkClock()
    time.sleep(0.05)
    assert clock.past(0.01)  # no wait at all: the sleep is work
    clock.count_child(600.0, 0.0)  # a child that waited for a CPU while this thread waited for it
    assert not clock.past(0.01)
    # a machine so loaded that every moment went to other processes
    monkeypatch.setattr(timelimit, "runqueue_wait", time.monotonic)
    busy = timelimit.WorkClock()
    time.sleep(0.05)
    assert not busy.past(0.01)
    # ... but while this thread waited, its child ran all along: that is work
    forked_at = timelimit.runqueue_wait()
    time.sleep(0.05)
    busy.count_child(0.0, forked_at)
    assert busy.past(0.01)


def test_the_work_clock_stops_at_the_hard_limit_whatever_the_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timelimit, "runqueue_wait", time.monotonic)
    monkeypatch.setattr(timelimit, "HARD_FACTOR", 2.0)
    clock = timelimit.WorkClock()
    time.sleep(0.05)
    assert clock.past(0.01)


def test_a_childs_wait_is_read_before_it_is_reaped() -> None:
    if not timelimit._SCHEDSTAT.exists() or not hasattr(os, "fork"):
        pytest.skip("no /proc schedstat here")
    pid = os.fork()
    if pid == 0:
        os._exit(3)
    waited = timelimit.child_runqueue_wait(pid)
    assert waited is not None and waited >= 0
    assert os.waitpid(pid, 0) == (pid, 3 << 8)  # still the caller's to reap, with its status


def test_the_scan_budget_does_not_count_the_machines_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every moment went to other processes: a budget of a millisecond still covers the routes
    monkeypatch.setattr(timelimit, "runqueue_wait", time.monotonic)
    monkeypatch.setattr(timelimit, "HARD_FACTOR", 1e9)
    monkeypatch.chdir(Path(__file__).parent / "apps")
    with Sandbox() as sandbox:
        app = load_app("single_file.py", sandbox)
        result = explore(
            app, "single_file.py", build_inventory(app), sandbox, budget=0.001, fuzz_examples=0
        )
    assert not [n for n in result.notes if n.startswith("budget")]
    assert {e.rule for e in result.exchanges} == {"/hello/<name>"}


def test_a_route_process_is_taken_for_hung_only_after_the_hard_limit_of_its_request() -> None:
    for limit in (0.1, 5.0, 60.0):
        assert timelimit.hang_silence(limit) > timelimit.HARD_FACTOR * limit
    assert timelimit.hang_silence(0.1) >= 30.0  # never less than half a minute
