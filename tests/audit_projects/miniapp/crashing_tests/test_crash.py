import os


def test_passes():
    assert 1 + 1 == 2


def test_kills_the_interpreter():
    os._exit(3)
