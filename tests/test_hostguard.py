"""The app is kept off the user's files and processes: the project and $HOME stay as they were."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from testboost.cli import main
from testboost.hostguard import HostGuard
from testboost.sandbox import Sandbox

APPS = Path(__file__).parent / "apps"


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with the hash of its bytes."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        if path.is_file()
        else "dir"
        for path in sorted(root.rglob("*"))
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """A copy of the hostile app as the user's project, and a $HOME with a file in it."""
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    shutil.copy(APPS / "hostile_app.py", project)
    (project / "logs.txt").write_text("yesterday's log\n")
    (home / "precious.txt").write_text("keep me")
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.syspath_prepend(str(project))
    yield project, home
    sys.modules.pop("hostile_app", None)


def test_scan_leaves_the_project_and_home_byte_for_byte(
    project: tuple[Path, Path], tmp_path: Path
) -> None:
    directory, home = project
    before = (tree(directory), tree(home))
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        main, ["scan", "--app", "hostile_app:create_app()", "--json", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert (tree(directory), tree(home)) == before
    notes = json.loads(report.read_text())["notes"]
    source = (APPS / "hostile_app.py").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if '"uploads").mkdir' in text)
    refused = [n for n in notes if "refused, testboost never touches your files" in n]
    assert any(
        n.startswith("POST /upload tried to create a folder ") and f"hostile_app.py:{line}" in n
        for n in refused
    )
    assert any(n.startswith("DELETE /cache tried to delete ") for n in refused)
    assert any(n.startswith("POST /shell tried to run a shell command touch ") for n in refused)
    assert any(n.startswith("POST /process tried to start a process") for n in refused)
    # a temporary file is the app's own business: it lands in the sandbox and is allowed
    assert not any("/scratch" in n for n in refused)


def test_what_the_sandbox_refused_is_not_reported_as_a_defect(project: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(main, ["scan", "--app", "hostile_app:create_app()"])
    # the views answer 500 because testboost refused their write: a fact about testboost
    assert result.exit_code == 0
    assert "PermissionError" not in result.output
    for route in ("POST /upload", "DELETE /cache", "POST /shell", "POST /process"):
        assert f"server-error  {route} " not in result.output


def test_upload_folders_in_the_config_live_in_the_sandbox(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "logo.png").write_bytes(b"png")
    with Sandbox() as sandbox:
        config = {"UPLOAD_FOLDER": str(uploads), "EXPORT_DIR": str(tmp_path / "exports")}
        sandbox.sandbox_config(config)
        moved = Path(config["UPLOAD_FOLDER"])
        assert sandbox.owns(str(moved)) and (moved / "logo.png").read_bytes() == b"png"
        assert sandbox.owns(config["EXPORT_DIR"]) and Path(config["EXPORT_DIR"]).is_dir()
    assert not (tmp_path / "exports").exists()


def test_a_guard_that_is_not_active_lets_everything_through(tmp_path: Path) -> None:
    guard = HostGuard(allowed=(tmp_path / "sandbox",), scratch=tmp_path / "saved")
    outside = tmp_path / "outside.txt"
    with guard.driving(), pytest.raises(PermissionError, match="may not write"):
        outside.write_text("no")
    outside.write_text("yes")
    assert outside.read_text() == "yes" and guard.attempts[0].action == "write"


def test_writes_while_loading_are_undone(tmp_path: Path) -> None:
    existing = tmp_path / "existing.log"
    existing.write_text("old")
    guard = HostGuard(allowed=(tmp_path / "sandbox",), scratch=tmp_path / "sandbox" / "saved")
    with guard.loading():
        (tmp_path / "instance" / "deep").mkdir(parents=True)
        (tmp_path / "instance" / "deep" / "x.txt").write_text("new")
        with open(existing, "a") as log:
            log.write(" and new")
    assert existing.read_text() == "old and new"
    assert guard.restore() == []
    assert existing.read_text() == "old"
    assert not (tmp_path / "instance").exists()


def test_a_view_that_ends_the_process_costs_one_request_not_the_scan(
    project: tuple[Path, Path], tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        main, ["scan", "--app", "hostile_app:create_app()", "--json", str(report)]
    )
    assert result.exit_code == 0, result.output
    findings = json.loads(report.read_text())["findings"]
    by_route = {(f["method"], f["rule"]): f for f in findings if f["check"] == "server-error"}
    exited = by_route[("POST", "/shutdown")]
    assert exited["message"].startswith(
        "ProcessExit: the process exited with code 3 while answering this request"
    )
    crashed = by_route[("GET", "/crash")]
    assert "the process was killed by SIGSEGV" in crashed["message"]
    # the routes after them were probed as usual
    routes = {r["rule"]: r for r in json.loads(report.read_text())["routes"]}
    assert routes["/scratch"]["requests"] > 0


def test_a_cache_folder_made_while_loading_stays_usable_and_is_removed(tmp_path: Path) -> None:
    guard = HostGuard(allowed=(tmp_path / "sandbox",), scratch=tmp_path / "sandbox" / "saved")
    cache = tmp_path / ".data" / "cache"
    with guard.loading():
        cache.mkdir(parents=True)
        (cache / "tmp1").write_text("a")
        (cache / "tmp1").rename(cache / "entry")  # how cachelib writes an entry
    with guard.driving():
        (cache / "tmp2").write_text("b")
        (cache / "tmp2").replace(cache / "entry")
        with pytest.raises(PermissionError):
            (tmp_path / "elsewhere.txt").write_text("no")
    assert (cache / "entry").read_text() == "b"
    assert guard.restore() == []
    assert not (tmp_path / ".data").exists()


def test_a_thread_of_the_app_dying_is_a_note_not_a_raw_traceback(
    project: tuple[Path, Path], tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "testboost",
            "scan",
            "--app",
            "hostile_app:create_app()",
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=1800,  # a hang guard, far past a loaded machine
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert "Exception in thread" not in process.stdout + process.stderr
    notes = json.loads(report.read_text())["notes"]
    assert any(
        n.startswith("a thread of the app failed (not judged as a finding): gaierror")
        for n in notes
    )
