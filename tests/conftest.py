"""Shared fixtures: the directory of small test apps, and a sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testboost.sandbox import Sandbox

APPS = Path(__file__).parent / "apps"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def apps_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from tests/apps, as a user runs testboost from their project."""
    monkeypatch.chdir(APPS)
    return APPS


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as box:
        yield box
