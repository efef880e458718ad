import not_a_module_testboost  # noqa: F401


def test_never_runs():
    raise AssertionError("never collected")
