def test_never_runs():
    assert False
