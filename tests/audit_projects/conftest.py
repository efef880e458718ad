"""The projects under this directory are audited by tests/test_audit*.py, not tests to run."""

collect_ignore_glob = ["*"]
