"""Apps that cannot be used, each in its own way."""

from flask import Flask


def create_failing_app():
    raise RuntimeError("cannot reach redis at redis://cache:6379")


def create_empty_app():
    return Flask(__name__)


def needs_args(config):
    return Flask(__name__)
