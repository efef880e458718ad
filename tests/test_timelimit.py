"""time_limit: a block is stopped when it ran too long, not when the machine kept it waiting."""

from __future__ import annotations

import time

import pytest

from testboost.explore import timelimit
from testboost.explore.timelimit import runqueue_wait, time_limit


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
