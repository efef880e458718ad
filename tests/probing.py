"""Helpers for tests that explore an app of tests/apps once per module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from testboost.explore.runner import ProbeResult, explore
from testboost.inventory import build_inventory
from testboost.sandbox import Sandbox
from testboost.target import load_app

APPS = Path(__file__).parent / "apps"


@contextmanager
def explored(spec: str, **options: Any) -> Iterator[ProbeResult]:
    """The explorer's result on an app of tests/apps (for module-scoped fixtures)."""
    mp = pytest.MonkeyPatch()
    mp.chdir(APPS)
    try:
        with Sandbox() as sandbox:
            app = load_app(spec, sandbox)
            yield explore(app, spec, build_inventory(app), sandbox, **options)
    finally:
        mp.undo()
