#!/usr/bin/env python3
"""The real-app matrix: testboost on real public Flask apps, each in its own pinned virtualenv.

    python3 benchmarks/realapps.py                      set up every app, run every stage
    python3 benchmarks/realapps.py --only microblog,flaskr --stage scan
    python3 benchmarks/realapps.py --reinstall          rebuild the venvs
    python3 benchmarks/realapps.py --list               the apps, their pins and --app specs

For each app (see APPS below) the script:

1. brings its code into ``benchmarks/.cache/realapps/<name>/tree`` — from a GitHub snapshot in
   /work/.mirror (``git archive``; the script never fetches one itself: a missing mirror is one
   line and a non-zero status for that app) or from a PyPI sdist (``pip download``). The tree is
   re-extracted on every run, so every run starts from the pristine upstream files;
2. builds ``<name>/venv`` with the app's Python and the app's own pins, freezes it into
   ``<name>/constraints.txt`` and only then installs testboost (``pip install -e`` of this checkout)
   under those constraints, so testboost can never move the app's pins. When pip refuses because
   testboost's declared ranges conflict, that is recorded ("install: testboost would move pins")
   and testboost goes in with ``--no-deps`` plus its other requirements, constrained the same way.
   The venv is reused while its pins, its Python and this checkout's pyproject.toml are unchanged;
3. runs, from the app's directory, with only ``--app`` (no testboost configuration), a temporary
   HOME and a time limit: ``testboost routes``, ``testboost scan --json``, ``testboost generate``,
   then the generated suite under coverage.py measuring the app's own source;
4. checks that the app's directory and HOME are byte-for-byte as they were (every file hashed),
   and reports each stage's exit code, time, raw tracebacks and last error line.

The table is printed and written to ``benchmarks/.cache/realapps/RESULTS-table.md``; every command's
output is in ``<name>/logs/``. Standard library only: runs with any python3 >= 3.9.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache" / "realapps"
MIRRORS = Path(os.environ.get("REALAPPS_MIRRORS", "/work/.mirror"))
PYTHONS = Path(os.environ.get("REALAPPS_PYTHONS", "/root/.pyenv/versions"))
STAGES = ("routes", "scan", "generate", "suite")
REPORT_FORMATS = (("html", "html"), ("sarif", "sarif"), ("junit", "xml"), ("markdown", "md"))
TRACEBACK = "Traceback (most recent call last)"
PIP_NOISE = "is ignored: it is neither a file nor a directory"
HOME_MARKER = ".realapps-home-marker"

FAB_EXTENSIONS = """\
# Added by benchmarks/realapps.py: missing from the Flask-AppBuilder 5.x sdists.
from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class

db = get_sqla_class()()
appbuilder = AppBuilder()
"""


@dataclasses.dataclass(frozen=True)
class App:
    """One real app: where it comes from, what it runs on, how testboost is pointed at it."""

    name: str
    source: str  # "github:owner/repo" (a /work/.mirror snapshot) or "sdist:dist==version"
    python: str  # a version under PYTHONS, e.g. "3.10.13"
    spec: str  # the --app value
    cover: str  # the app's own source, relative to the tree, measured by coverage.py
    pins: tuple[str, ...] = ()  # requirement lines installed into the app venv
    requirements: str = ""  # a requirements file of the tree, installed with the pins
    subdir: str = ""  # the part of the repository or sdist that is the app
    editable: bool = False  # pip install -e the tree (the app is a package)
    cwd: str = ""  # where to run, relative to the tree
    env: tuple[tuple[str, str], ...] = ()  # extra environment, as the app's docs say
    files: tuple[tuple[str, str], ...] = ()  # (path, text) written into the tree
    note: str = ""

    @property
    def flavour(self) -> str:
        """A one-word description of the source for the table's log."""
        return self.source.split(":", 1)[0]


APPS: tuple[App, ...] = (
    App(
        name="flaskr",
        source="github:pallets/flask",
        subdir="examples/tutorial",
        python="3.13.0",
        pins=("flask==3.1.3", "werkzeug==3.1.9"),
        editable=True,
        spec="flaskr:create_app()",
        cover="flaskr",
        note="raw sqlite3; schema only through the app's `flask init-db` command",
    ),
    App(
        name="microblog-api",
        source="github:miguelgrinberg/microblog-api",
        python="3.12.1",
        requirements="requirements.txt",
        spec="microblog.py",
        cover="api",
        note="Alchemical (SQLAlchemy 2.0); token login POST /api/tokens with Basic; alembic",
    ),
    App(
        name="microblog",
        source="github:miguelgrinberg/microblog",
        python="3.12.1",
        requirements="requirements.txt",
        spec="microblog.py",
        cover="app",
        note="Flask-SQLAlchemy 3.1, Flask-Login sessions, before_request writes, Flask-Migrate",
    ),
    App(
        name="realworld",
        source="github:gothinkster/flask-realworld-example-app",
        python="3.10.13",
        pins=(
            "Flask==1.1.4",
            "Werkzeug==1.0.1",
            "Jinja2==2.11.3",
            "MarkupSafe==2.0.1",
            "itsdangerous==1.1.0",
            "click==7.1.2",
            "SQLAlchemy==1.3.24",
            "Flask-SQLAlchemy==2.5.1",
            "Flask-JWT-Extended==3.25.1",
            "PyJWT==1.7.1",
            "marshmallow==2.21.0",
            "flask-apispec==0.7.0",
            "apispec==0.39.0",
            "webargs==5.5.3",
            "Flask-Bcrypt==0.7.1",
            "Flask-Caching==1.10.1",
            "Flask-Cors==3.0.10",
            "Flask-Migrate==2.7.0",
            "alembic==1.4.3",
            "unicode-slugify==0.1.5",
        ),
        spec="autoapp.py",
        env=(("FLASK_DEBUG", "1"),),
        cover="conduit",
        note="Flask 1.1.4 / SQLAlchemy 1.3; FLASK_DEBUG=1 selects DevConfig (sqlite dev.db), as its README says",
    ),
    App(
        name="bookmarks",
        source="github:CryceTruly/flaskbookmarks-api",
        python="3.10.13",
        pins=(
            "Flask==2.0.1",
            "Werkzeug==2.0.1",
            "Jinja2==3.0.1",
            "MarkupSafe==2.0.1",
            "itsdangerous==2.0.1",
            "click==7.1.2",
            "SQLAlchemy==1.4.3",
            "Flask-SQLAlchemy==2.5.1",
            "Flask-JWT-Extended==4.2.3",  # its Pipfile.lock 4.1.0 requires Flask<2
            "PyJWT==2.0.1",
            "Flask-Cors==3.0.10",
            "flasgger==0.9.5",
            "jsonschema==3.2.0",
            "mistune==0.8.4",
            "PyYAML==6.0.1",
            "six==1.15.0",
            "validators==0.18.2",
            "python-dotenv==0.15.0",
        ),
        spec="src",
        env=(
            ("SQLALCHEMY_DATABASE_URI", "sqlite:///bookmarks.db"),
            ("JWT_SECRET_KEY", "JWT_SECRET_KEY"),
        ),
        cover="src",
        note="Flask 2.0 / SQLAlchemy 1.4 / Flask-JWT-Extended 4; env from its .flaskenv; ships src/bookmarks.db",
    ),
    App(
        name="ctfd",
        source="github:CTFd/CTFd",
        python="3.11.7",
        requirements="requirements.txt",
        spec="CTFd:create_app()",
        cover="CTFd",
        note="CTF platform, Flask 2.1 / SQLAlchemy 1.4 / Flask-SQLAlchemy 2.5, Flask-Migrate",
    ),
    App(
        name="httpbin",
        source="sdist:httpbin==0.10.4",
        python="3.11.7",
        pins=("flask==3.1.3", "werkzeug==3.1.9", "flasgger==0.9.7.1"),
        editable=True,
        spec="httpbin",
        cover="httpbin",
        note="no database, auth checked inside views",
    ),
    App(
        name="fab-crud-rest-api",
        source="sdist:flask-appbuilder==5.3.0",
        subdir="examples/crud_rest_api",
        python="3.11.7",
        pins=("flask-appbuilder==5.3.0", "marshmallow>=3.18,<4"),
        spec="app",
        cover="app",
        files=(("app/extensions.py", FAB_EXTENSIONS),),
        note="Flask-AppBuilder REST + HTML views; app.db fixed in config.py; app/extensions.py added",
    ),
    App(
        name="flasky",
        source="github:miguelgrinberg/flasky",
        python="3.10.13",
        # Its requirements/common.txt pins Flask 0.12.2 / SQLAlchemy 1.1.11 (below what testboost
        # supports, and Werkzeug 0.12 / html5lib 0.999999999 do not import on 3.10): the oldest
        # supported stack instead, its other pins kept where they build.
        pins=(
            "Flask==1.1.4",
            "Werkzeug==1.0.1",
            "Jinja2==2.11.3",
            "MarkupSafe==2.0.1",
            "itsdangerous==1.1.0",  # TimedJSONWebSignatureSerializer (gone in 2.1)
            "click==7.1.2",
            "SQLAlchemy==1.3.24",
            "Flask-SQLAlchemy==2.5.1",
            "Flask-Migrate==2.7.0",
            "alembic==1.4.3",
            "Flask-Login==0.5.0",
            "Flask-WTF==0.14.3",
            "WTForms==2.3.3",
            "email-validator==1.1.3",  # WTForms 2.3's Email() needs it
            "Flask-Mail==0.9.1",
            "Flask-Moment==0.5.1",
            "Flask-Bootstrap==3.3.7.1",
            "Flask-HTTPAuth==3.2.3",
            "Flask-PageDown==0.2.2",
            "bleach==3.3.0",  # 2.0.0 needs html5lib 0.999999999 (no import on 3.10)
            "Markdown==2.6.8",
            "python-dotenv==0.6.5",
            "dominate==2.6.0",  # 2.3.1 imports collections.Callable (gone in 3.10)
            "visitor==0.1.3",
            "blinker==1.4",
        ),
        spec="flasky.py",
        # config.py reads os.environ["SERVER_NAME"] in ProductionConfig's class body, so the
        # module does not import without it; the default (development) config never uses it.
        env=(("SERVER_NAME", "localhost:5000"),),
        cover="app",
        note="Flask-Migrate migrations the only schema source (`flask deploy` = upgrade); "
        "Flask-Login form login with Flask-WTF CSRF; SMTP mail on register",
    ),
    App(
        name="notes",
        source="github:Matatrolls/Postapp",
        python="3.13.0",
        requirements="requirements.txt",
        spec="run.py",
        cover="app",
        note="raw sqlite3 notes app; the factory runs CREATE TABLE IF NOT EXISTS; ships notes.db",
    ),
)


# ----------------------------------------------------------------------------- records


@dataclasses.dataclass
class Stage:
    """What one command did."""

    rc: int | None = None  # None: not run; -9: timed out
    seconds: float = 0.0
    traceback: bool = False
    last_error: str = ""
    command: str = ""


@dataclasses.dataclass
class Result:
    """Everything measured on one app."""

    name: str
    versions: str = "?"
    setup_error: str = ""
    install_note: str = ""
    stages: dict[str, Stage] = dataclasses.field(default_factory=dict)
    findings: dict[str, int] = dataclasses.field(default_factory=dict)
    notes: int | None = None
    suite: dict[str, int] = dataclasses.field(default_factory=dict)
    coverage: float | None = None
    changed: dict[str, list[str]] = dataclasses.field(default_factory=dict)


# ----------------------------------------------------------------------------- helpers


class Log:
    """Appends commands and their output to one file per app."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.path.write_text("")

    def write(self, text: str) -> None:
        """Append text (a newline is added)."""
        with self.path.open("a") as fh:
            fh.write(text.rstrip("\n") + "\n")


def run(
    argv: list[str],
    log: Log,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 1800,
) -> tuple[int, str, float]:
    """Run argv, log it, return (exit code, stdout+stderr without pip noise, seconds)."""
    log.write(f"\n$ (cd {cwd or Path.cwd()}) {' '.join(argv)}")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
        )
        rc, out = proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as exc:
        raw = exc.stdout or ""
        out = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
        rc, out = -9, out + f"\n[realapps] timed out after {timeout:.0f} s\n"
    seconds = time.monotonic() - start
    out = "\n".join(line for line in out.splitlines() if PIP_NOISE not in line)
    log.write(out)
    log.write(f"[realapps] exit {rc} in {seconds:.1f} s")
    return rc, out, seconds


def last_error_line(output: str) -> str:
    """The line that best names what went wrong: an exception line, else the last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    pattern = re.compile(r"^([\w.]+(Error|Exception|Exit|Interrupt)\b|ERROR\b|Error:|testboost: )")
    for line in reversed(lines):
        if pattern.search(line):
            return line[:300]
    return lines[-1][:300] if lines else ""


def pip(venv: Path, *args: str) -> list[str]:
    """A quiet pip command line in the venv."""
    return [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", *args]


def base_env() -> dict[str, str]:
    """The environment for setup commands: ours, minus anything pointing at another venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PIP_NO_INPUT"] = "1"
    return env


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file (and symlink target) under root, keyed by relative path."""
    digests: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in dirnames:  # empty directories count too
            path = Path(dirpath, name)
            if not any(path.iterdir()):
                digests[str(path.relative_to(root)) + "/"] = "dir"
        for name in filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                digests[rel] = "link:" + os.readlink(path)
            else:
                digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files added (+), removed (-) or changed (~), new top-level names summarised."""
    out = [f"+ {p}" for p in sorted(after.keys() - before.keys())]
    out += [f"- {p}" for p in sorted(before.keys() - after.keys())]
    out += [f"~ {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return out


def summarise(changes: list[str], limit: int = 6) -> str:
    """Changes folded by their first two path parts, for one table cell."""
    heads: dict[str, int] = {}
    for change in changes:
        sign, path = change.split(" ", 1)
        parts = path.split("/")
        key = sign + "/".join(parts[:2]) + ("/..." if len(parts) > 2 else "")
        if "__pycache__" in parts:
            key = sign + "**/__pycache__"
        heads[key] = heads.get(key, 0) + 1
    items = [f"{k} ({n})" if n > 1 else k for k, n in heads.items()]
    return ", ".join(items[:limit]) + (
        f", +{len(items) - limit} more" if len(items) > limit else ""
    )


# ----------------------------------------------------------------------------- setup


def mirror_of(app: App) -> Path:
    """The /work/.mirror git directory of a github: source."""
    owner_repo = app.source.split(":", 1)[1]
    return MIRRORS / owner_repo.replace("/", "+") / "repo"


def safe_extract(
    tf: tarfile.TarFile, dest: Path, members: list[tarfile.TarInfo] | None = None
) -> None:
    """extractall with the "data" filter where this Python has it."""
    if hasattr(tarfile, "data_filter"):
        tf.extractall(dest, members=members, filter="data")
    else:  # pragma: no cover - Python < 3.10.12
        tf.extractall(dest, members=members)


def extract_github(app: App, tree: Path, log: Log) -> str:
    """Write the mirror's HEAD (or its subdir) into tree; return the commit."""
    git_dir = mirror_of(app)
    commit = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    treeish = f"{commit}:{app.subdir}" if app.subdir else commit
    archive = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", "--format=tar", treeish],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tf:
        safe_extract(tf, tree)
    log.write(f"[realapps] extracted {git_dir} {treeish} -> {tree}")
    return commit


def extract_sdist(app: App, tree: Path, venv: Path, log: Log) -> str:
    """Download the sdist from PyPI (once) and copy its subdir into tree; return its name."""
    requirement = app.source.split(":", 1)[1]
    sdists = CACHE / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    dist, version = requirement.split("==")
    stem = re.sub(r"[-_.]+", "[-_.]", dist)
    found = [
        p for p in sdists.glob("*.tar.gz") if re.fullmatch(f"(?i){stem}-{version}.tar.gz", p.name)
    ]
    if not found:
        args = ["download", "--no-deps", "--no-binary", ":all:", requirement, "-d", str(sdists)]
        rc, out, _ = run(pip(venv, *args), log, env=base_env())
        if rc != 0:
            raise SetupError(f"pip download {requirement} failed: {last_error_line(out)}")
        found = [
            p
            for p in sdists.glob("*.tar.gz")
            if re.fullmatch(f"(?i){stem}-{version}.tar.gz", p.name)
        ]
    tarball = found[0]
    with tarfile.open(tarball) as tf, tempfile.TemporaryDirectory() as tmp:
        top = tf.getnames()[0].split("/")[0]
        prefix = f"{top}/{app.subdir}/" if app.subdir else f"{top}/"
        safe_extract(tf, Path(tmp), [m for m in tf.getmembers() if m.name.startswith(prefix)])
        shutil.copytree(Path(tmp, prefix), tree)
    log.write(f"[realapps] extracted {tarball.name}:{app.subdir or '.'} -> {tree}")
    return tarball.name


class SetupError(Exception):
    """The app could not be set up; the message is one line for the table and the report."""


def prepare_tree(app: App, work: Path, venv: Path, log: Log) -> str:
    """A pristine copy of the app's code in work/tree; return where it came from."""
    tree = work / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    if app.source.startswith("github:"):
        if not (mirror_of(app) / "HEAD").exists():
            owner_repo = app.source.split(":", 1)[1]
            raise SetupError(
                f"mirror {mirror_of(app).parent} is missing: bring it onto this machine with the "
                f'search tool\'s fetch "github:{owner_repo}", then rerun'
            )
        tree.mkdir(parents=True)
        origin = f"{app.source}@{extract_github(app, tree, log)[:12]}"
    else:
        origin = extract_sdist(app, tree, venv, log)
    for rel, text in app.files:
        target = tree / rel
        if not target.exists():
            target.write_text(text)
            log.write(f"[realapps] wrote {rel}")
    return origin


def python_for(app: App) -> Path:
    """The interpreter the app's venv is made from."""
    python = PYTHONS / app.python / "bin" / "python3"
    if not python.exists():
        raise SetupError(f"no Python {app.python} at {python}")
    return python


def venv_stamp(app: App, tree: Path) -> str:
    """What the venv was built from: when it changes, the venv is rebuilt."""
    parts = [app.python, *app.pins, str(app.editable)]
    if app.requirements:
        parts.append((tree / app.requirements).read_text())
    parts.append((ROOT / "pyproject.toml").read_text())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def testboost_requirements() -> list[str]:
    """The dependencies declared in this checkout's pyproject.toml (simple parse, no tomllib)."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"(?ms)^dependencies = \[(.*?)^\]", text)
    return re.findall(r'"([^"]+)"', block.group(1)) if block else []


def requirement_name(requirement: str) -> str:
    """The normalised distribution name of a requirement line."""
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze(venv: Path, log: Log) -> dict[str, str]:
    """name -> "name==version" for every non-editable distribution in the venv."""
    _, out, _ = run(pip(venv, "freeze", "--exclude-editable"), log, env=base_env())
    pins: dict[str, str] = {}
    for line in out.splitlines():
        if "==" in line and not line.startswith(("#", "-e")):
            pins[requirement_name(line)] = line.strip()
    return pins


def pip_conflict(output: str) -> str:
    """pip's reason for refusing, in one line: the conflicting requirements it names."""
    keep = [
        line.strip().removeprefix("ERROR: ")
        for line in output.splitlines()
        if re.search(r"depends on|requested|Cannot install|No matching distribution", line)
        and not re.search(r"remove package versions|To fix this", line)
    ]
    return "; ".join(keep[:8]) or last_error_line(output)


def build_venv(app: App, work: Path, log: Log, reinstall: bool) -> str:
    """Create or reuse the app's venv; return the install note ("" when testboost fit)."""
    venv, tree = work / "venv", work / "tree"
    stamp_file = work / "venv.stamp"
    stamp = venv_stamp(app, tree)
    if not reinstall and stamp_file.exists() and stamp_file.read_text().startswith(stamp):
        log.write("[realapps] venv reused (pins unchanged)")
        return stamp_file.read_text()[len(stamp) + 1 :].strip()
    if venv.exists():
        shutil.rmtree(venv)
    stamp_file.unlink(missing_ok=True)
    env = base_env()
    rc, out, _ = run([str(python_for(app)), "-m", "venv", str(venv)], log, env=env)
    if rc != 0:
        raise SetupError(f"venv creation failed: {last_error_line(out)}")
    run(pip(venv, "install", "-q", "--upgrade", "pip"), log, env=env)
    args = ["install", *app.pins]
    if app.requirements:
        args += ["-r", str(tree / app.requirements)]
    if app.editable:
        args += ["-e", str(tree)]
    rc, out, _ = run(pip(venv, *args), log, env=env)
    if rc != 0:
        raise SetupError(f"installing the app's pins failed: {pip_conflict(out)}")
    before = freeze(venv, log)
    constraints = work / "constraints.txt"
    constraints.write_text("\n".join(sorted(before.values())) + "\n")
    note = install_testboost(venv, constraints, before, log)
    after = freeze(venv, log)
    moved = [
        f"{before[n]} -> {after.get(n, 'removed')}" for n in before if after.get(n) != before[n]
    ]
    if moved:
        raise SetupError("installing testboost moved the app's pins: " + ", ".join(moved))
    stamp_file.write_text(f"{stamp}\n{note}\n")
    return note


def install_testboost(venv: Path, constraints: Path, app_pins: dict[str, str], log: Log) -> str:
    """pip install -e this checkout under the app's constraints; fall back to --no-deps."""
    env = base_env()
    rc, out, _ = run(pip(venv, "install", "-e", str(ROOT), "-c", str(constraints)), log, env=env)
    if rc == 0:
        return ""
    note = f"install: testboost would move pins: {pip_conflict(out)}"
    log.write(f"[realapps] {note}")
    rc, out, _ = run(pip(venv, "install", "--no-deps", "-e", str(ROOT)), log, env=env)
    if rc != 0:
        raise SetupError(f"pip install --no-deps -e testboost failed: {last_error_line(out)}")
    others = [r for r in testboost_requirements() if requirement_name(r) not in app_pins]
    if others:
        rc, out, _ = run(pip(venv, "install", *others, "-c", str(constraints)), log, env=env)
        if rc != 0:
            note += f"; its other requirements failed too: {pip_conflict(out)}"
    return note


def versions(venv: Path) -> str:
    """ "flask X / sqla Y" as installed in the venv."""
    pins = {}
    for line in (venv.parent / "constraints.txt").read_text().splitlines():
        pins[requirement_name(line)] = line.split("==", 1)[-1]
    return f"{pins.get('flask', '?')} / {pins.get('sqlalchemy', '-')}"


# ----------------------------------------------------------------------------- stages

SHARED_VENVS: Path | None = None  # --shared-venvs: another checkout's cache holding the venvs


def venv_of(app: App, work: Path) -> Path:
    """The app's venv: its own under work/, or the shared one of another checkout."""
    return (SHARED_VENVS / app.name if SHARED_VENVS is not None else work) / "venv"


def stage_env(app: App, venv: Path, home: Path) -> dict[str, str]:
    """The environment the testboost commands see: the app venv first, a throwaway HOME."""
    env = base_env()
    env.update(
        {
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "VIRTUAL_ENV": str(venv),
            "HOME": str(home),
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
    )
    if SHARED_VENVS is not None:  # the shared venv has another checkout installed: use this one
        env["PYTHONPATH"] = str(ROOT / "src")
    env.update(dict(app.env))
    return env


def stage_commands(app: App, work: Path) -> dict[str, list[list[str]]]:
    """The commands of each stage (the suite stage is coverage run, then coverage report)."""
    bin_ = venv_of(app, work) / "bin"
    tb = str(bin_ / "testboost")
    py = str(bin_ / "python")
    cover = str(work / "tree" / app.cover)
    pytest_args = [str(work / "generated"), "-q", "-p", "no:cacheprovider"]
    return {
        "routes": [[tb, "routes", "--app", app.spec]],
        "scan": [
            [tb, "scan", "--app", app.spec, "--json", str(work / "report.json"), "--seed", "0"]
            # every report format, so that a real app's odd text goes through each of them
            + [f"--{fmt}={work / 'report'}.{ext}" for fmt, ext in REPORT_FORMATS]
        ],
        "generate": [
            [tb, "generate", "--app", app.spec, "--out", str(work / "generated"), "--seed", "0"]
        ],
        "suite": [
            [py, "-m", "coverage", "run", "--source", cover, "-m", "pytest", *pytest_args],
            [py, "-m", "coverage", "report", "--precision", "1"],
        ],
    }


def read_report(path: Path, result: Result) -> None:
    """Findings by severity and the notes count from testboost's JSON report.

    One line per finding and note goes to ``findings.txt`` next to the report, to judge which
    findings are the app's and which come from testboost's own setup.
    """
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    lines = []
    for finding in doc.get("findings", []):
        sev = str(finding.get("severity", "?"))
        result.findings[sev] = result.findings.get(sev, 0) + 1
        lines.append(
            f"{sev:8} {finding.get('check')} {finding.get('method')} {finding.get('rule')}"
            f" -> {finding.get('status')} x{finding.get('count', 1)}: {finding.get('message')}"
            f"  [{finding.get('location')}]"
        )
    if "notes" in doc:
        result.notes = len(doc["notes"])
        lines += [f"note     {note}" for note in doc["notes"]]
    path.with_name("findings.txt").write_text("\n".join(lines) + "\n")


def read_pytest(output: str) -> dict[str, int]:
    """passed/failed/errors/xfailed/... from pytest's summary line."""
    counts: dict[str, int] = {}
    summary = [ln for ln in output.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    if summary:
        for number, word in re.findall(r"(\d+) (\w+)", summary[-1]):
            key = {"error": "errors", "warning": "warnings"}.get(word, word)
            counts[key] = counts.get(key, 0) + int(number)
    elif "no tests ran" in output:
        counts["passed"] = 0
    return counts


def read_coverage(output: str) -> float | None:
    """The TOTAL percentage of `coverage report`."""
    match = re.search(r"^TOTAL\s.*?(\d+(?:\.\d+)?)%\s*$", output, re.M)
    return float(match.group(1)) if match else None


def run_stages(app: App, work: Path, stages: tuple[str, ...], timeout: float, log: Log) -> Result:
    """Run the chosen stages; compare the app dir and HOME before and after each."""
    result = Result(app.name)
    tree = work / "tree"
    cwd = tree / app.cwd
    outputs_of = {"scan": "report.json", "generate": "generated", "suite": "coverage.data"}
    for name in stages:
        path = work / outputs_of.get(name, "-")
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    (work / "pytest.ini").write_text("[pytest]\n")  # keeps pytest off testboost's own config
    home = Path(tempfile.mkdtemp(prefix=f"realapps-home-{app.name}-"))
    (home / HOME_MARKER).write_text("testboost must leave this HOME as it was\n")
    env = stage_env(app, venv_of(app, work), home)
    env["COVERAGE_FILE"] = str(work / "coverage.data")
    commands = stage_commands(app, work)
    tree_before, home_before = snapshot(tree), snapshot(home)
    try:
        for name in stages:
            stage = Stage(command=" ".join(commands[name][0]))
            if name == "suite" and not (work / "generated").is_dir():
                stage.last_error = "not run: generate wrote no suite"
                result.stages[name] = stage
                continue
            outputs = []
            for argv in commands[name]:
                rc, out, seconds = run(argv, log, cwd=cwd, env=env, timeout=timeout)
                outputs.append(out)
                stage.seconds += seconds
                if stage.rc is None:  # the stage's status is its first command's
                    stage.rc = rc
            text = "\n".join(outputs)
            stage.traceback = TRACEBACK in outputs[0]
            if stage.rc != 0 or stage.traceback:
                stage.last_error = last_error_line(outputs[0])
            result.stages[name] = stage
            if name == "scan":
                read_report(work / "report.json", result)
            if name == "suite":
                result.suite = read_pytest(outputs[0])
                result.coverage = read_coverage(text)
            if name != "suite":
                changes = diff(tree_before, snapshot(tree))
                changes += [f"{c[0]} $HOME/{c[2:]}" for c in diff(home_before, snapshot(home))]
                seen = {c for earlier in result.changed.values() for c in earlier}
                new = [c for c in changes if c not in seen]
                if new:
                    result.changed[name] = new
                    log.write(
                        f"[realapps] {name} changed the app dir or HOME:\n  " + "\n  ".join(new)
                    )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return result


# ----------------------------------------------------------------------------- one app


def run_app(app: App, stages: tuple[str, ...], timeout: float, reinstall: bool) -> Result:
    """Set up one app and run the stages; never raises."""
    work = CACHE / app.name
    work.mkdir(parents=True, exist_ok=True)
    log = Log(work / "logs" / "run.log")
    log.write(f"[realapps] {app.name}: {app.source} python {app.python} --app {app.spec!r}")
    result = Result(app.name)
    try:
        venv = venv_of(app, work)
        if not (venv / "bin" / "python").exists():  # pip download needs some pip first
            if SHARED_VENVS is not None:
                raise SetupError(f"no venv at {venv}: run the matrix once in that checkout first")
            run([str(python_for(app)), "-m", "venv", str(venv)], log, env=base_env())
        origin = prepare_tree(app, work, venv, log)
        log.write(f"[realapps] source {origin}")
        if SHARED_VENVS is None:
            note = build_venv(app, work, log, reinstall)
        else:
            note = f"venv shared from {venv.parent}, testboost from {ROOT / 'src'}"
        result = run_stages(app, work, stages, timeout, log)
        result.install_note = note
        result.versions = versions(venv)
    except SetupError as exc:
        result.setup_error = str(exc)
    except (OSError, subprocess.CalledProcessError) as exc:
        result.setup_error = f"setup failed: {exc}"
    if result.setup_error:
        log.write(f"[realapps] {result.setup_error}")
    (work / "result.json").write_text(json.dumps(dataclasses.asdict(result), indent=2))
    return result


# ----------------------------------------------------------------------------- table


def cell_rc(result: Result, name: str) -> str:
    """Exit code (and seconds) of a stage, or '-' when it did not run."""
    stage = result.stages.get(name)
    if stage is None or stage.rc is None:
        return "-"
    rc = "timeout" if stage.rc == -9 else str(stage.rc)
    return f"{rc} ({stage.seconds:.0f}s)"


def row(result: Result) -> list[str]:
    """One table row."""
    if result.setup_error:
        return [result.name, result.versions, "setup failed: " + result.setup_error] + [""] * 7
    sev = result.findings
    findings = "/".join(str(sev.get(s, 0)) for s in ("critical", "high", "medium", "low"))
    if "scan" not in result.stages:
        findings = "-"
    elif result.notes is not None:
        findings += f" ({result.notes} notes)"
    suite = "-"
    if "suite" in result.stages:
        s = result.suite
        suite = f"{s.get('passed', 0)}/{s.get('failed', 0)}/{s.get('errors', 0)}"
        if s.get("xfailed") or s.get("xpassed"):
            suite += f" ({s.get('xfailed', 0)} xfail, {s.get('xpassed', 0)} xpass)"
        if not s:
            suite = "not run" if result.stages["suite"].rc is None else "no summary"
    tracebacks = ",".join(n for n, st in result.stages.items() if st.traceback) or "none"
    changed = (
        "yes"
        if not result.changed
        else "NO: "
        + "; ".join(f"{stage}: {summarise(changes)}" for stage, changes in result.changed.items())
    )
    coverage = "-" if result.coverage is None else f"{result.coverage:.1f}"
    return [
        result.name,
        result.versions,
        cell_rc(result, "routes"),
        cell_rc(result, "scan"),
        findings,
        cell_rc(result, "generate"),
        suite,
        coverage,
        tracebacks,
        changed,
    ]


HEADER = [
    "app",
    "flask / sqla",
    "routes rc",
    "scan rc",
    "findings c/h/m/l",
    "generate rc",
    "suite passed/failed/errors",
    "coverage %",
    "tracebacks",
    "dir + HOME unchanged",
]


def provenance() -> str:
    """Which testboost was measured: the commit, and the files edited on top of it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "src", "pyproject.toml"],
        capture_output=True,
        text=True,
    )
    edited = [line[3:] for line in dirty.stdout.splitlines()]
    text = f"testboost {head.stdout.strip() or '?'}"
    return text + (f" + uncommitted edits to {', '.join(edited)}" if edited else "")


def markdown(results: list[Result]) -> str:
    """The table, then per-app install notes and last error lines."""
    lines = [
        provenance() + f", {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row(r)) + " |" for r in results]
    details = []
    for result in results:
        if result.install_note:
            details.append(f"- {result.name}: {result.install_note}")
        for name, stage in result.stages.items():
            if stage.last_error:
                rc = "not run" if stage.rc is None else f"rc {stage.rc}"
                details.append(f"- {result.name} {name} ({rc}): `{stage.last_error}`")
    if details:
        lines += ["", *details]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated app names (default: all)")
    parser.add_argument(
        "--stage", choices=STAGES, action="append", help="run only this stage (repeatable)"
    )
    parser.add_argument("--reinstall", action="store_true", help="rebuild the venvs")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per command (900)")
    parser.add_argument("--jobs", type=int, default=1, help="apps run at once (1)")
    parser.add_argument("--list", action="store_true", help="print the apps and exit")
    parser.add_argument(
        "--shared-venvs",
        type=Path,
        help="use the venvs of another checkout's benchmarks/.cache/realapps (this checkout's "
        "src/ goes first on PYTHONPATH); for git worktrees",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the matrix; exit 1 when any app failed to set up or a stage failed."""
    args = parse_args(argv)
    global SHARED_VENVS
    SHARED_VENVS = args.shared_venvs.resolve() if args.shared_venvs else None
    apps = list(APPS)
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(wanted) - {a.name for a in APPS})
        if unknown:
            print(f"unknown app(s): {', '.join(unknown)}; known: {', '.join(a.name for a in APPS)}")
            return 2
        apps = [a for a in APPS if a.name in wanted]
    if args.list:
        for app in apps:
            print(
                f"{app.name:18} {app.source:48} py{app.python:8} --app {app.spec!r}  cwd {app.cwd or '.'}"
            )
        return 0
    stages = tuple(s for s in STAGES if s in args.stage) if args.stage else STAGES
    CACHE.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_app, a, stages, args.timeout, args.reinstall): a for a in apps}
        for future in concurrent.futures.as_completed(futures):
            res = future.result()
            status = res.setup_error or ", ".join(f"{n} {cell_rc(res, n)}" for n in res.stages)
            print(f"[realapps] {res.name}: {status}", flush=True)
    # The table holds every app with a result, so `--only` refreshes rows of the full table.
    done = [a for a in APPS if (CACHE / a.name / "result.json").exists()]
    results = [json_result(CACHE / a.name / "result.json") for a in done]
    table = markdown(results)
    (CACHE / "RESULTS-table.md").write_text(table)
    print()
    print(table)
    print(f"table: {CACHE / 'RESULTS-table.md'}; logs: {CACHE}/<app>/logs/run.log")
    failed = any(
        r.setup_error or any(s.rc not in (0, None) for s in r.stages.values()) for r in results
    )
    return 1 if failed else 0


def json_result(path: Path) -> Result:
    """A Result read back from result.json."""
    data = json.loads(path.read_text())
    data["stages"] = {k: Stage(**v) for k, v in data.get("stages", {}).items()}
    return Result(**data)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
