"""Every guarded pair the probe reached as a user gets a generated test sent as that user.

tests/apps/auth/behind_login.py has a guarded route whose valid request is behind a finding with
no xfail test of its own (GET /api/me), and one whose crash is folded into another route's finding
(PUT /api/notes/<id>): without the last stage of the planner neither would be tested logged in.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from testboost.cli import main

APPS = Path(__file__).parent / "apps"


def _tests(out: Path) -> list[tuple[str, tuple[str, ...], str]]:
    """(name, fixtures, decorators and source) of every generated test function."""
    found = []
    for path in sorted(out.glob("test_*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                fixtures = tuple(a.arg for a in node.args.args)
                marks = "".join(f"@{ast.unparse(d)}\n" for d in node.decorator_list)
                text = marks + (ast.get_source_segment(source, node) or "")
                found.append((node.name, fixtures, text))
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("behind") / "suite"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(APPS)
        run = CliRunner().invoke(
            main,
            [
                "generate",
                "--app",
                "auth.behind_login:create_app()",
                "--out",
                str(out),
                "--no-prove",
            ],
        )
    assert run.exit_code == 0, run.output
    return out, run.output


@pytest.mark.parametrize(
    ("call", "marked"),
    [
        ('client.get("/api/me", headers=auth_headers', False),
        ('client.put("/api/notes/1", headers=auth_headers', True),
        ('client.post("/api/notes", headers=auth_headers', True),
    ],
)
def test_each_guarded_pair_has_one_test_as_the_user(
    generated: tuple[Path, str], call: str, marked: bool
) -> None:
    out, _ = generated
    as_user = [t for t in _tests(out) if "auth_headers" in t[1] and call in t[2]]
    assert as_user, call
    assert all(("xfail" in t[2]) is marked for t in as_user)
    if not marked:  # today's answer, and nothing of the body the data-leak finding is about
        assert len(as_user) == 1
        assert "response.status_code == 200" in as_user[0][2] and "token" not in as_user[0][2]


def test_a_folded_crash_names_its_cause_and_the_route_it_was_found_on(
    generated: tuple[Path, str],
) -> None:
    out, output = generated
    text = (out / "test_notes.py").read_text()
    assert "for PUT /api/notes/<int:note_id> (the cause of the finding on POST /api/notes)" in text
    assert "no test as a logged-in user" not in output


def test_open_pairs_get_no_extra_test_and_the_suite_passes(generated: tuple[Path, str]) -> None:
    out, _ = generated
    public = [t for t in _tests(out) if '"/api/public"' in t[2]]
    assert len(public) == 1
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
        capture_output=True,
        text=True,
        cwd=APPS,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert " failed" not in run.stdout
