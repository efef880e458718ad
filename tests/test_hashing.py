"""Cheap password hashing while probing: new hashes are cheap, and every hash still verifies."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from werkzeug.security import check_password_hash, generate_password_hash

from testboost.cli import main
from testboost.compat import version
from testboost.hashing import (
    CHEAP_SCRYPT,
    cheap_werkzeug_method,
    conftest_source,
    install_cheap_hashing,
    install_seeded_salts,
)
from testboost.sandbox import Sandbox
from testboost.target import load_app

PASSWORD = "correct horse battery"


@pytest.fixture
def cheap() -> Iterator[list[str]]:
    told: list[str] = []
    undo = install_cheap_hashing(told.append)
    try:
        yield told
    finally:
        undo()


def test_werkzeug_methods_are_lowered_to_their_least_cost() -> None:
    assert cheap_werkzeug_method("scrypt") == CHEAP_SCRYPT
    assert cheap_werkzeug_method("scrypt:32768:8:1") == CHEAP_SCRYPT
    assert cheap_werkzeug_method("pbkdf2") == "pbkdf2:sha256:1"
    assert cheap_werkzeug_method("pbkdf2:sha512:600000") == "pbkdf2:sha512:1"
    assert cheap_werkzeug_method("sha256") == "sha256"


def test_a_werkzeug_hash_made_cheap_verifies_with_the_apps_check(cheap: list[str]) -> None:
    made = generate_password_hash(PASSWORD)
    assert made.split("$")[0] == cheap_werkzeug_method(made.split("$")[0])
    assert check_password_hash(made, PASSWORD)
    assert not check_password_hash(made, PASSWORD + "x")
    assert cheap and cheap[0].startswith("Werkzeug ")


def test_an_explicit_pbkdf2_method_is_made_cheap_too(cheap: list[str]) -> None:
    made = generate_password_hash(PASSWORD, method="pbkdf2:sha256:600000")
    assert made.startswith("pbkdf2:sha256:1$")
    assert check_password_hash(made, PASSWORD)
    assert not check_password_hash(made, "wrong")


def test_a_full_cost_hash_stored_before_still_verifies_while_cheap() -> None:
    stored = generate_password_hash(PASSWORD, method="pbkdf2:sha256:20000")
    undo = install_cheap_hashing()
    try:
        assert check_password_hash(stored, PASSWORD)
        assert not check_password_hash(stored, "wrong")
    finally:
        undo()


def test_undo_gives_back_the_full_cost() -> None:
    install_cheap_hashing()()
    made = generate_password_hash(PASSWORD, method="pbkdf2:sha256:20000")
    assert made.startswith("pbkdf2:sha256:20000$")


def test_bcrypt_salts_use_4_rounds_and_still_verify(cheap: list[str]) -> None:
    bcrypt = pytest.importorskip("bcrypt")
    made = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt())
    assert made.startswith(b"$2b$04$")
    assert bcrypt.checkpw(PASSWORD.encode(), made)
    assert not bcrypt.checkpw(b"wrong", made)
    assert "bcrypt 12 -> 4 rounds" in cheap


def test_flask_bcrypt_configured_at_12_rounds_hashes_at_4(cheap: list[str]) -> None:
    flask_bcrypt = pytest.importorskip("flask_bcrypt")
    from flask import Flask

    app = Flask(__name__)
    app.config["BCRYPT_LOG_ROUNDS"] = 12
    hasher = flask_bcrypt.Bcrypt(app)
    made = hasher.generate_password_hash(PASSWORD)
    assert made.startswith(b"$2b$04$")
    assert hasher.check_password_hash(made, PASSWORD)
    assert not hasher.check_password_hash(made, "wrong")


def test_an_argon2_hasher_hashes_at_its_least_cost_and_still_verifies(cheap: list[str]) -> None:
    argon2 = pytest.importorskip("argon2")
    hasher = argon2.PasswordHasher()
    made = hasher.hash(PASSWORD)
    assert made.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert hasher.verify(made, PASSWORD)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        hasher.verify(made, "wrong")
    assert any(t.startswith("argon2 t=3 m=65536 p=4 -> t=1 m=8 p=1") for t in cheap)


def test_an_argon2_hash_stored_at_full_cost_still_verifies_and_undo_restores_it() -> None:
    argon2 = pytest.importorskip("argon2")
    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=1024, parallelism=2)
    stored = hasher.hash(PASSWORD)
    undo = install_cheap_hashing()
    try:
        assert hasher.verify(stored, PASSWORD)
        assert hasher.hash(PASSWORD).startswith("$argon2id$v=19$m=8,t=1,p=1$")
    finally:
        undo()
    assert hasher.hash(PASSWORD).startswith("$argon2id$v=19$m=1024,t=2,p=2$")


def test_a_passlib_context_made_before_hashes_at_its_minimum() -> None:
    context_module = pytest.importorskip("passlib.context")
    context = context_module.CryptContext(schemes=["pbkdf2_sha256", "sha512_crypt"])
    full = context.hash(PASSWORD)
    told: list[str] = []
    undo = install_cheap_hashing(told.append)
    try:
        made = context.hash(PASSWORD)
        assert made.startswith("$pbkdf2-sha256$1$")
        assert context.verify(PASSWORD, made)
        assert not context.verify("wrong", made)
        assert context.verify(PASSWORD, full)
        assert not context.needs_update(made)
        assert any(t.startswith("passlib pbkdf2_sha256") for t in told)
    finally:
        undo()
    assert not context.hash(PASSWORD).startswith("$pbkdf2-sha256$1$")


def test_the_conftest_copy_makes_hashes_cheap_on_its_own() -> None:
    namespace: dict[str, Any] = {}
    imports = "import importlib\nimport sys\nfrom collections.abc import Callable\nfrom typing import Any\n"
    exec(compile(imports + conftest_source(), "conftest", "exec"), namespace)
    undo: Callable[[], None] = namespace["install_cheap_hashing"]()
    try:
        made = generate_password_hash(PASSWORD, method="pbkdf2:sha256:600000")
    finally:
        undo()
    assert made.startswith("pbkdf2:sha256:1$")
    assert check_password_hash(made, PASSWORD)


def _register_hash(sandbox: Sandbox) -> str:
    app = load_app("scrypt_basic:create_app()", sandbox)
    with sandbox.active(), app.test_client() as client:
        answer = client.post("/users", json={"email": "a@example.com", "password": PASSWORD})
        assert answer.status_code == 201
        me = client.get("/me", auth=("a@example.com", PASSWORD))
        assert me.status_code == 200
        assert client.get("/me", auth=("a@example.com", "wrong")).status_code == 401
        with app.app_context():
            from scrypt_basic import User  # type: ignore[import-not-found]

            return str(User.query.one().password_hash)


def test_the_sandbox_makes_the_apps_hashes_cheap(apps_dir: Path) -> None:
    with Sandbox() as sandbox:
        made = _register_hash(sandbox)
        told = list(sandbox.cheap_hashes)
    assert made.split("$")[0] in (CHEAP_SCRYPT, "pbkdf2:sha256:1")
    assert told and told[0].startswith("Werkzeug ")


def test_a_sandbox_without_cheap_hashing_leaves_the_cost_alone(apps_dir: Path) -> None:
    with Sandbox(cheap_hashing=False) as sandbox:
        made = _register_hash(sandbox)
        assert not sandbox.cheap_hashes
    assert made.split("$")[0] not in (CHEAP_SCRYPT, "pbkdf2:sha256:1")


def test_scan_says_the_hashing_was_made_cheap(apps_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    run = CliRunner().invoke(
        main, ["scan", "--app", "scrypt_basic:create_app()", "--json", str(report)]
    )
    assert run.exit_code == 0, run.output
    method = "scrypt" if version("werkzeug") >= (3,) else "pbkdf2:sha256"
    expected = f"Werkzeug {method} -> {cheap_werkzeug_method(method)}"
    assert f"setup: password hashing made cheap while probing ({expected})" in run.output
    assert json.loads(report.read_text())["setup"]["hashing"] == [expected]
    assert "A 8" in run.output  # every guarded pair reached: the cheap hashes verified


def _hashes_made(seed: int | None) -> dict[str, str]:
    """One new hash per library, made cheap, salted from ``seed`` (``None``: the system's)."""
    bcrypt = pytest.importorskip("bcrypt")
    argon2 = pytest.importorskip("argon2")
    passlib_hash = pytest.importorskip("passlib.hash")
    undo_cheap = install_cheap_hashing()
    undo_salts = install_seeded_salts(seed) if seed is not None else (lambda: None)
    try:
        return {
            "werkzeug": generate_password_hash(PASSWORD),
            "bcrypt": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt()).decode(),
            # CTFd's bcrypt_sha256 draws its salt as these do (passlib's bcrypt backend does not
            # load with bcrypt 5 here)
            "passlib": passlib_hash.sha256_crypt.hash(PASSWORD),
            "passlib pbkdf2": passlib_hash.pbkdf2_sha256.hash(PASSWORD),
            "argon2": argon2.PasswordHasher().hash(PASSWORD),
        }
    finally:
        undo_salts()
        undo_cheap()


def test_salts_drawn_from_a_seed_repeat_and_the_hashes_verify() -> None:
    first, again, other = _hashes_made(0), _hashes_made(0), _hashes_made(1)
    assert first == again  # CTFd's pinned bcrypt-sha256 hash differed in its salt run to run
    assert all(first[name] != other[name] for name in first)
    assert all(first[name] != made for name, made in _hashes_made(None).items())
    bcrypt, argon2 = pytest.importorskip("bcrypt"), pytest.importorskip("argon2")
    passlib_hash = pytest.importorskip("passlib.hash")
    assert check_password_hash(first["werkzeug"], PASSWORD)
    assert not check_password_hash(first["werkzeug"], "wrong")
    assert bcrypt.checkpw(PASSWORD.encode(), first["bcrypt"].encode())
    assert not bcrypt.checkpw(b"wrong", first["bcrypt"].encode())
    assert passlib_hash.sha256_crypt.verify(PASSWORD, first["passlib"])
    assert not passlib_hash.sha256_crypt.verify("wrong", first["passlib"])
    assert passlib_hash.pbkdf2_sha256.verify(PASSWORD, first["passlib pbkdf2"])
    assert argon2.PasswordHasher().verify(first["argon2"], PASSWORD)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        argon2.PasswordHasher().verify(first["argon2"], "wrong")


def test_undo_gives_salts_back_to_the_systems_randomness() -> None:
    bcrypt = pytest.importorskip("bcrypt")
    install_seeded_salts(0)()
    assert generate_password_hash(PASSWORD) != generate_password_hash(PASSWORD)
    assert bcrypt.gensalt() != bcrypt.gensalt()


def _register_hash_with_bcrypt(sandbox: Sandbox, apps_dir: Path) -> str:
    flask_bcrypt = pytest.importorskip("flask_bcrypt")
    from flask import Flask

    with sandbox.active():
        return flask_bcrypt.Bcrypt(Flask(__name__)).generate_password_hash(PASSWORD).decode()


def test_a_sandbox_given_the_runs_seed_makes_the_same_hashes(apps_dir: Path) -> None:
    made = []
    for seed in (0, 0, 1, None):
        with Sandbox(salt_seed=seed) as sandbox:
            made.append((_register_hash(sandbox), _register_hash_with_bcrypt(sandbox, apps_dir)))
    assert made[0] == made[1]
    assert made[2][0] != made[0][0] and made[2][1] != made[0][1]
    assert made[3][0] != made[0][0] and made[3][1] != made[0][1]
