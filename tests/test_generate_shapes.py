"""The generated suite on apps shaped like the real ones it failed on: bytes, chance, no login.

Each app is copied into a project of its own and generated for once per module; every property is
checked both ways: the suite passes on the unchanged app (under several hash seeds), and fails
when the behaviour it pins changes.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from testboost.audit.smells import scan_paths

APPS = Path(__file__).parent / "apps"


def _testboost(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "testboost", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(project.parent)},
        timeout=1800,  # a hang guard, far past a loaded machine
        check=False,
    )


def _pytest(suite: Path, *options: str, hash_seed: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            *options,
            str(suite),
        ],
        cwd=suite.parent,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": str(hash_seed)},
        timeout=1800,  # a hang guard, far past a loaded machine
        check=False,
    )


class Generated(NamedTuple):
    """A generated suite: the project it was made from, the suite, and what generate printed."""

    project: Path
    suite: Path
    output: str


def _generate(tmp: Path, app: str, out: str = "suite") -> Generated:
    """``testboost generate`` on ``tests/apps/<app>.py``'s ``create_app()``, copied to ``tmp``."""
    project = tmp / "project"
    if not project.exists():
        project.mkdir()
        shutil.copy(APPS / f"{app}.py", project)
    spec = f"{app}:create_app()"
    result = _testboost(project, "generate", "--app", spec, "--out", str(tmp / out), "--seed", "1")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return Generated(project, tmp / out, result.stdout)


def _tests(suite: Path) -> dict[str, tuple[str, str]]:
    """Every test of a suite: name -> (module name, source), with its decorators."""
    found = {}
    for path in sorted(suite.glob("test_*.py")):
        lines = path.read_text().splitlines()
        for node in ast.parse("\n".join(lines)).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                found[node.name] = (path.name, "\n".join(lines[first - 1 : node.end_lineno]))
    return found


def _marks(source: str) -> str:
    """The decorators of a test's source ("" when it has none)."""
    return source.split("\ndef ", 1)[0] if not source.startswith("def ") else ""


def _retarget(suite: Path, project: Path) -> None:
    """Point a copied suite's conftest at another copy of the project."""
    conftest = suite / "conftest.py"
    text, count = re.subn(
        r"^PROJECT_ROOT = Path\(.*?\)\n",
        f"PROJECT_ROOT = Path({str(project)!r})\n",
        conftest.read_text(),
        count=1,
        flags=re.MULTILINE | re.DOTALL,
    )
    assert count == 1
    conftest.write_text(text)


def _mutated(tmp: Path, suite: Path, app: str, old: str, new: str) -> Path:
    """A copy of the suite run against a copy of the app with ``old`` replaced by ``new``."""
    project = tmp / f"mutant-{abs(hash((old, new)))}"
    project.mkdir()
    source = (APPS / f"{app}.py").read_text()
    assert old in source
    (project / f"{app}.py").write_text(source.replace(old, new))
    copy = tmp / f"suite-{project.name}"
    shutil.copytree(suite, copy)
    _retarget(copy, project)
    return copy


@pytest.fixture(scope="module")
def bytes_suite(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return _generate(tmp_path_factory.mktemp("bytes"), "bytes_app")


def test_routes_outside_blueprints_get_one_module_per_resource(
    bytes_suite: Generated,
) -> None:
    suite = bytes_suite.suite
    modules = {p.name for p in suite.glob("test_*.py")}
    assert modules == {
        "test_colours.py",
        "test_compressed.py",
        "test_images.py",
        "test_process.py",
        "test_random.py",
    }


@pytest.mark.parametrize("hash_seed", [0, 1, 12345])
def test_the_suite_passes_on_the_app_whatever_the_hash_seed(
    bytes_suite: Generated, hash_seed: int
) -> None:
    suite = bytes_suite.suite
    completed = _pytest(suite, hash_seed=hash_seed)
    assert completed.returncode == 0, completed.stdout[-3000:]
    summary = completed.stdout.strip().splitlines()[-1]
    assert " passed" in summary and " failed" not in summary and "error" not in summary


def test_bytes_are_checked_by_stable_properties_never_as_text(
    bytes_suite: Generated,
) -> None:
    suite = bytes_suite.suite
    tests = _tests(suite)
    logo = tests["test_get_images_logo_returns_200_with_an_image"][1]
    assert "len(response.get_data()) == 2680" in logo
    assert 'startswith(b"\\x89PNG\\r\\n\\x1a\\n")' in logo
    assert "as_text" not in logo
    greeting = tests["test_get_compressed_greeting_returns_200_with_a_gzip_body"][1]
    assert 'response.headers["Content-Encoding"] == "gzip"' in greeting
    assert "json.loads(gzip.decompress(response.get_data()))" in greeting
    assert '"served": ANY' in greeting  # a timestamp inside the compressed body
    random_bytes = tests["test_get_random_bytes_returns_200_with_bytes"][1]
    assert "len(response.get_data()) == 16" in random_bytes
    assert "startswith" not in random_bytes and "== b" not in random_bytes


def test_random_and_per_process_values_are_never_pinned(
    bytes_suite: Generated,
) -> None:
    suite = bytes_suite.suite
    tests = _tests(suite)
    assert '"value": ANY' in tests["test_get_random_number_returns_200_with_json"][1]
    assert '"token": ANY' in tests["test_get_random_token_returns_200_with_json"][1]
    assert '"pid": ANY' in tests["test_get_process_returns_200_with_json"][1]
    # a set's order depends on the hash seed: the list is not pinned item by item
    colours = tests["test_get_colours_returns_200_with_json"][1]
    assert '"colours": ANY' in colours and '"count": 7' in colours


def test_every_route_has_a_passing_test(bytes_suite: Generated) -> None:
    suite = bytes_suite.suite
    passing = " ".join(
        source for _, source in _tests(suite).values() if "xfail" not in _marks(source)
    )
    for rule in (
        "/api/images/pixel",
        "/api/images/logo",
        "/api/compressed/greeting",
        "/api/compressed/motto",
        "/api/random/bytes",
        "/api/random/number",
        "/api/random/token",
        "/api/process",
        "/api/colours",
        "/api/colours/first",
    ):
        assert f'client.get("{rule}")' in passing, rule
    assert scan_paths([suite], suite).hollow == ()


@pytest.mark.parametrize(
    ("old", "new", "failing"),
    [
        # another image: its length changes
        (
            "return Response(PIXEL * 40,",
            "return Response(PIXEL * 41,",
            "test_get_images_logo_returns_200_with_an_image",
        ),
        # not a PNG any more
        (
            "return Response(PIXEL, ",
            'return Response(b"GIF89a" + PIXEL[6:], ',
            "test_get_images_pixel_returns_200_with_an_image",
        ),
        # what the compressed body says
        (
            '"small is beautiful"',
            '"less is more"',
            "test_get_compressed_motto_returns_200_with_a_gzip_body",
        ),
        # no longer compressed
        (
            'response.headers["Content-Encoding"] = "gzip"\n        return response\n\n'
            '    @app.get("/api/random/bytes")',
            'return response\n\n    @app.get("/api/random/bytes")',
            "test_get_compressed_motto_returns_200_with_a_gzip_body",
        ),
        # another length of random bytes
        ("os.urandom(16)", "os.urandom(17)", "test_get_random_bytes_returns_200_with_bytes"),
        # a route whose body is not pinned (a set's first item) still fails when it crashes
        (
            'return f"first colour: {next(iter(COLOURS))}"',
            'raise RuntimeError("broken")',
            "test_get_colours_first_returns_200_with_a_page",
        ),
    ],
)
def test_the_suite_fails_when_what_it_pins_changes(
    bytes_suite: Generated, tmp_path: Path, old: str, new: str, failing: str
) -> None:
    suite = bytes_suite.suite
    completed = _pytest(_mutated(tmp_path, suite, "bytes_app", old, new))
    assert completed.returncode == 1, completed.stdout[-2000:]
    assert f"::{failing} " in completed.stdout or f"::{failing}\n" in completed.stdout, (
        completed.stdout[-2000:]
    )


def test_two_runs_with_the_same_seed_write_the_same_bytes(
    bytes_suite: Generated,
) -> None:
    project, suite = bytes_suite.project, bytes_suite.suite
    _, again, _ = _generate(project.parent, "bytes_app", "again")
    names = sorted(p.name for p in suite.iterdir() if p.suffix == ".py")
    assert names == sorted(p.name for p in again.iterdir() if p.suffix == ".py")
    for name in names:
        assert (again / name).read_bytes() == (suite / name).read_bytes(), name


def _fixtures_defined(conftest: Path) -> set[str]:
    tree = ast.parse(conftest.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any("fixture" in ast.unparse(d) for d in node.decorator_list)
    }


def test_tests_of_a_user_that_cannot_log_in_are_left_out_and_the_run_says_so(
    tmp_path: Path,
) -> None:
    # testboost finds no login for this app: its users exist, but no test may use a logged-in
    # fixture the conftest cannot define
    _, suite, output = _generate(tmp_path, "oddauth_app")
    assert "no tests as user A:" in output and "could not log in" in output
    defined = _fixtures_defined(suite / "conftest.py") | {"tmp_path", "monkeypatch"}
    tests = _tests(suite)
    assert tests
    for name, (_, source) in tests.items():
        function = ast.parse(source).body[0]
        assert isinstance(function, ast.FunctionDef)
        used = {argument.arg for argument in function.args.args}
        assert used <= defined, (name, used - defined)
    completed = _pytest(suite)
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert "error" not in completed.stdout.strip().splitlines()[-1]
    # and what the tests it wrote pin is checked
    opened = _pytest(_mutated(tmp_path, suite, "oddauth_app", "abort(401)", "return None"))
    assert opened.returncode == 1, opened.stdout[-2000:]
    assert "test_get_me_requires_credentials" in opened.stdout


# -- a 5xx the view chose is pinned; a crash behind abort(500) is not --------------------------


@pytest.fixture(scope="module")
def abort_suite(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return _generate(tmp_path_factory.mktemp("abort"), "abort_app")


def test_a_500_answered_on_purpose_is_pinned_and_a_hidden_crash_is_an_xfail(
    abort_suite: Generated,
) -> None:
    suite = abort_suite.suite
    tests = _tests(suite)
    pinned = tests["test_get_shutdown_answers_500_on_purpose"][1]
    assert _marks(pinned) == ""
    assert "assert response.status_code == 500" in pinned
    # one xfail for the crash, named by the exception (not a second one the generator found)
    (crash,) = [_marks(source) for name, (_, source) in tests.items() if "rename_does_not" in name]
    assert "xfail" in crash and "strict=True" in crash and "KeyError: 'title'" in crash
    assert not any(
        "status_code == 500" in source for name, (_, source) in tests.items() if "rename" in name
    )
    completed = _pytest(suite)
    assert completed.returncode == 0, completed.stdout[-3000:]


def test_the_pinned_500_fails_when_the_route_answers_otherwise(
    tmp_path: Path, abort_suite: Generated
) -> None:
    suite = abort_suite.suite
    mutant = _mutated(
        tmp_path, suite, "abort_app", "abort(500)\n        stop()", "abort(503)\n        stop()"
    )
    completed = _pytest(mutant, "-k", "shutdown_answers_500")
    assert completed.returncode == 1, completed.stdout[-3000:]
    assert "1 failed" in completed.stdout
