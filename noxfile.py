"""The version matrix: testboost on the oldest and newest versions it supports (``make compat``).

Each session builds the environment an app would have (its pins first), installs testboost into
it the way a user does, checks that the install moved none of the app's pins, then runs
routes -> scan -> generate -> the generated suite -> audit on both bundled example apps:

- ``oldest``: Python 3.10, Flask 1.1.4, Werkzeug 1.0.1, Jinja2 2.11.3, click 7.1.2,
  itsdangerous 1.1.0, SQLAlchemy 1.3.24, Flask-SQLAlchemy 2.5.1;
- ``flask2``: a Flask 2.1 / SQLAlchemy 1.4 app on Python 3.11 (Werkzeug 2.1, click 8.1);
- ``newest``: Python 3.13, the latest Flask 3.1, SQLAlchemy 2.x and Flask-SQLAlchemy 3.1.

    nox -s oldest        # one session
    nox                  # all of them
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["oldest", "flask2", "newest"]
if hasattr(nox.options, "download_python"):
    nox.options.download_python = "never"  # the machine's Pythons only: CI has no downloads

ROOT = Path(__file__).parent
BROKEN = "examples.shopapi:create_app()"
FIXED = "examples.shopapi_fixed:create_app()"


def _python(version: str) -> str:
    """The pyenv build of ``version`` where the machine has one, else ``pythonX.Y`` on PATH."""
    found = sorted(Path("/root/.pyenv/versions").glob(f"{version}.*/bin/python3"))
    return str(found[-1]) if found else version


OLDEST = {
    **dict(
        line.split("==")
        for line in (ROOT / "pins" / "oldest.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ),
    "flask-jwt-extended": "4.3.1",  # the examples' JWT library: its last release for Flask 1.x
}
FLASK2 = {
    "flask": "2.1.3",
    "werkzeug": "2.1.2",
    "jinja2": "3.0.3",
    "itsdangerous": "2.1.2",
    "click": "8.1.3",
    "sqlalchemy": "1.4.54",
    "flask-sqlalchemy": "2.5.1",
    "flask-jwt-extended": "4.4.4",
}
NEWEST = [
    "flask>=3.1,<3.2",
    "sqlalchemy>=2.0,<3",
    "flask-sqlalchemy>=3.1,<3.2",
    "flask-jwt-extended>=4.7",
]


@nox.session(python=_python("3.10"))
def oldest(session: nox.Session) -> None:
    """The oldest supported versions: a Flask 1.1.4 / SQLAlchemy 1.3 app's pins."""
    _install_pinned(session, OLDEST)
    _pipeline(session)


@nox.session(python=_python("3.11"))
def flask2(session: nox.Session) -> None:
    """A Flask 2.1 / SQLAlchemy 1.4 app's pins."""
    _install_pinned(session, FLASK2)
    _pipeline(session)


@nox.session(python=_python("3.13"))
def newest(session: nox.Session) -> None:
    """The newest supported versions."""
    session.install(*NEWEST)
    session.install(_wheel(session))
    _pipeline(session)


_built: list[str] = []


def _wheel(session: nox.Session) -> str:
    """testboost's wheel, built from this checkout once per nox run (a user's `pip install`)."""
    if not _built:
        out = ROOT / ".nox" / "_wheel"
        for old in out.glob("*.whl"):
            old.unlink()
        session.run("python", "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT))
        _built.extend(str(path) for path in out.glob("testboost-*.whl"))
    return _built[0]


def _install_pinned(session: nox.Session, pins: dict[str, str]) -> None:
    """Install the app's pins, then testboost beside them; fail if testboost moved any pin."""
    session.install(*(f"{name}=={version}" for name, version in pins.items()))
    session.install(_wheel(session))
    frozen = session.run("python", "-m", "pip", "freeze", silent=True) or ""
    installed = {
        _normalize(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", str(frozen), re.M)
    }
    moved = {
        name: (version, installed.get(name))
        for name, version in pins.items()
        if installed.get(name) != version
    }
    if moved:
        session.error(f"installing testboost moved the app's pins (pinned, now): {moved}")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pipeline(session: nox.Session) -> None:
    """compat's tests, then routes -> scan -> generate -> the suite -> audit on both examples."""
    session.run("python", "-m", "pip", "list", "--format=freeze", silent=False)
    tmp = Path(session.create_tmp())
    session.chdir(ROOT)
    env = {"NO_COLOR": "1"}
    session.run("python", "-m", "pytest", "-q", "-m", "not network", "tests/test_compat.py")
    for name, spec, scan_exit in (("shopapi", BROKEN, 1), ("fixed", FIXED, 0)):
        report = tmp / f"{name}-report.json"
        suite = tmp / f"{name}-suite"
        session.run("testboost", "routes", "--app", spec, env=env)
        session.run(
            "testboost",
            "scan",
            "--app",
            spec,
            "--fail-on",
            "high",
            "--json",
            str(report),
            # every report format, rendered with these pins (Jinja2 2.11 at the oldest)
            *(
                f"--{fmt}={tmp / name}-report.{fmt}"
                for fmt in ("html", "sarif", "junit", "markdown")
            ),
            env=env,
            success_codes=[scan_exit],
        )
        findings = json.loads(report.read_text())["findings"]
        severe = [f for f in findings if f["severity"] in ("critical", "high")]
        if (scan_exit == 0) != (not severe):
            session.error(f"{spec}: {len(severe)} high/critical findings, scan exit {scan_exit}")
        session.run("testboost", "generate", "--app", spec, "--out", str(suite), "--force", env=env)
        session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite), env=env)
    session.run(
        "testboost",
        "audit",
        "--app",
        FIXED,
        "--tests",
        str(tmp / "fixed-suite"),
        "--fail-under",
        "100",
        f"--html={tmp / 'audit.html'}",
        f"--junit={tmp / 'audit.xml'}",
        env=env,
    )
