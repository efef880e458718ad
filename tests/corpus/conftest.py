"""The corpus under this directory is data for the hollow-test detector, not tests to run."""

collect_ignore_glob = ["*"]
