"""Tests for the static hollow-test detector (testboost.audit.smells)."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest

from testboost.audit.smells import SMELLS, HollowTest, scan_paths, scan_source

CORPUS = Path(__file__).parent / "corpus" / "hollow"


def smell_of(body: str, *, prelude: str = "") -> str | None:
    """The smell reported for the single test ``test_it`` in ``prelude`` + ``body``."""
    source = textwrap.dedent(prelude) + "\n" + textwrap.dedent(body)
    found = {t.nodeid: t.smell for t in scan_source(source, "test_mod.py")}
    return found.get("test_mod.py::test_it")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


HOLLOW = {
    "no-assertion": [
        "def test_it(client):\n    client.post('/items', json={})\n",
        "def test_it(client):\n    data = client.get('/items').get_json()\n",
        "def test_it(client):\n    with patch('app.mail') as m:\n        client.post('/x')\n    m.called\n",
        "def test_it(client):\n    with patch('app.mail') as m:\n        client.post('/x')\n"
        "    m.called_once_with(1)\n",
        "def fetch(c):\n    return c.get('/')\n\ndef test_it(client):\n    fetch(client)\n",
    ],
    "constant-assertion": [
        "def test_it():\n    assert True\n",
        "def test_it(client):\n    client.get('/')\n    assert 1\n",
        "def test_it():\n    assert 'x', 'message'\n",
        "def test_it(client):\n    x = client.get('/').json\n    assert x == x\n",
        "def test_it():\n    assert (1 == 2, 'a tuple is always true')\n",
        "def test_it(items):\n    assert len(items) >= 0\n",
        "def test_it():\n    assert not None\n",
        "def test_it():\n    assert 2 + 2 == 4\n",
        "def test_it():\n    assert None is None\n",
    ],
    "placeholder": [
        "def test_it():\n    pass\n",
        "def test_it(client):\n    ...\n",
        'def test_it():\n    """Deleting an item deletes its reviews."""\n',
        "def test_it():\n    # TODO: write this\n    pass\n",
        "def test_it():\n    raise NotImplementedError\n",
        "async def test_it():\n    pass\n",
    ],
    "print-only": [
        "def test_it():\n    print('Tests passed!')\n",
        "def test_it(client):\n    r = client.get('/')\n    print(r.status_code, r.json)\n",
        "def test_it(client):\n    for p in ('/a', '/b'):\n        logger.info('%s %s', p, client.get(p))\n",
        "def show(r):\n    print(r.json)\n\ndef test_it(client):\n    show(client.get('/'))\n",
        "def test_it():\n    logging.warning('checked by eye')\n",
    ],
    "skipped-todo": [
        "@pytest.mark.skip\ndef test_it():\n    assert f() == 1\n",
        "@pytest.mark.skip(reason='TODO: enable')\ndef test_it():\n    assert f() == 1\n",
        "@pytest.mark.skip('not implemented yet')\ndef test_it():\n    assert f() == 1\n",
        "@unittest.skip('')\ndef test_it():\n    assert f() == 1\n",
        "def test_it():\n    pytest.skip('wip')\n    assert f() == 1\n",
        "@pytest.mark.skip(reason='needs redis')\ndef test_it():\n    pass\n",
        "@pytest.mark.skipif(True, reason='fix later')\ndef test_it():\n    assert f() == 1\n",
    ],
    "status-only": [
        "def test_it(client):\n    assert client.get('/').status_code == 200\n",
        "def test_it(client):\n    r = client.get('/')\n    assert r.status == '200 OK'\n",
        "def test_it(client):\n    assert 201 == client.get('/x').status_code, 'message'\n",
        "def test_it(client):\n    r = client.delete('/x')\n    assert r.status_code in (200, 204)\n",
        "def test_it(client):\n    assert client.get('/').status_code == HTTPStatus.OK\n",
        "def test_it(client):\n    r = client.get('/')\n    assert 200 <= r.status_code < 300\n",
        "def test_it(client, code):\n    assert client.get('/').status_code == code\n",
        "def ok(r):\n    assert r.status_code == 200\n\ndef test_it(client):\n    ok(client.get('/'))\n",
        "def test_it(client):\n    r = client.get('/')\n    assert r.status_code == 200, r.json\n",
    ],
    "unreachable-assertion": [
        "def test_it(client):\n    r = client.get('/')\n    return\n    assert r.json == {}\n",
        "def test_it(client):\n    r = client.get('/')\n    if False:\n        assert r.json == {}\n",
    ],
    "empty-loop-assertion": [
        "def test_it(client):\n    for x in []:\n        assert client.get(x).json == {}\n",
        "def test_it(client):\n    seen = []\n    for x in seen:\n        assert x in client.get('/').json\n",
    ],
    "swallowed-assertion": [
        "def test_it(client):\n    try:\n        assert client.get('/').json == {}\n"
        "    except AssertionError:\n        pass\n",
        "import contextlib\ndef test_it(client):\n"
        "    with contextlib.suppress(Exception):\n        assert client.get('/').json == {}\n",
    ],
    "own-value-assertion": [
        "def test_it(client):\n    data = {'a': 1}\n    client.post('/', json=data)\n"
        "    assert data['a'] == 1\n",
    ],
}


@pytest.mark.parametrize(
    ("smell", "body"),
    [(smell, body) for smell, bodies in HOLLOW.items() for body in bodies],
    ids=[f"{smell}-{i}" for smell, bodies in HOLLOW.items() for i in range(len(bodies))],
)
def test_hollow_shape_is_reported_with_its_smell(smell: str, body: str) -> None:
    assert smell_of(body) == smell


REAL = {
    "error-status-is-behaviour": (
        "def test_it(client):\n    assert 404 == client.get('/x').status_code, 'message'\n"
    ),
    "unauthorized-is-behaviour": "def test_it(client):\n    assert client.get('/').status_code == 401\n",
    "ok-and-reads-body": (
        "def test_it(client):\n    r = client.post('/')\n    assert r.status_code == 201\n"
        "    client.get(r.json['url'])\n"
    ),
    "conditional-return-is-reachable": (
        "def test_it(client):\n    r = client.get('/')\n    if r.status_code == 503:\n"
        "        return\n    assert r.json == {}\n"
    ),
    "loop-over-filled-list": (
        "def test_it(client):\n    seen = []\n    seen.append(client.get('/').json)\n"
        "    for x in seen:\n        assert x == {}\n"
    ),
    "handler-that-fails": (
        "import pytest\ndef test_it(client):\n    try:\n        assert client.get('/').json == {}\n"
        "    except Exception:\n        pytest.fail('broken')\n"
    ),
    "own-value-compared-with-response": (
        "def test_it(client):\n    expected = {'a': 1}\n    assert client.get('/').json == expected\n"
    ),
    "assert-on-body": "def test_it(client):\n    assert client.get('/').json == {'a': 1}\n",
    "text-in-body": "def test_it(client):\n    assert 'x' in client.get('/').get_data(as_text=True)\n",
    "status-and-body": (
        "def test_it(client):\n    r = client.get('/')\n    assert r.status_code == 200\n"
        "    assert r.get_json()['id'] == 1\n"
    ),
    "status-and-body-one-assert": (
        "def test_it(client):\n    r = client.get('/')\n"
        "    assert r.status_code == 404 and r.json['error'] == 'gone'\n"
    ),
    "status-and-header": (
        "def test_it(client):\n    r = client.get('/')\n    assert r.status_code == 302\n"
        "    assert r.headers['Location'] == '/login'\n"
    ),
    "domain-status-attribute": "def test_it(order):\n    assert order.status == 'shipped'\n",
    "json-status-field": "def test_it(client):\n    assert client.get('/').json['status'] == 'ok'\n",
    "assert-in-loop": "def test_it(xs):\n    for x in xs:\n        assert x > 0\n",
    "assert-in-with": "def test_it(app):\n    with app.app_context():\n        assert f() == 1\n",
    "approx": "def test_it():\n    assert f() == pytest.approx(0.3)\n",
    "raises": "def test_it():\n    with pytest.raises(ValueError):\n        f()\n",
    "raises-call": "def test_it():\n    pytest.raises(ValueError, f)\n",
    "warns": "def test_it():\n    with pytest.warns(DeprecationWarning):\n        f()\n",
    "fail": "def test_it(x):\n    if not x:\n        pytest.fail('no x')\n",
    "raise-assertion-error": "def test_it(x):\n    if x:\n        raise AssertionError('x')\n",
    "assert-false-in-branch": "def test_it(x):\n    if x:\n        assert False, 'x'\n",
    "mock-called": "def test_it(m):\n    f(m)\n    m.assert_called_once_with(1)\n",
    "mock-not-called": "def test_it(m):\n    f(m)\n    m.assert_not_called()\n",
    "mock-awaited": "async def test_it(m):\n    await f(m)\n    m.send.assert_awaited_once()\n",
    "mock-has-calls": "def test_it(m):\n    f(m)\n    m.assert_has_calls([call(1)])\n",
    "library-assert": "def test_it():\n    assert_frame_equal(f(), g())\n",
    "unresolved-checker": "def test_it(client):\n    check_response(client.get('/'))\n",
    "helper": (
        "def check(r):\n    assert r.json == {}\n\ndef test_it(client):\n    check(client.get('/'))\n"
    ),
    "helper-two-levels": (
        "def inner(r):\n    assert r.json == {}\n\ndef outer(r):\n    inner(r)\n\n"
        "def test_it(client):\n    outer(client.get('/'))\n"
    ),
    "nested-helper": (
        "def test_it(client):\n    def check(r):\n        assert r.json == {}\n"
        "    check(client.get('/'))\n"
    ),
    "same-calls-both-sides": "def test_it(client):\n    assert client.get('/').json == client.get('/').json\n",
    "hypothesis": "@given(st.text())\ndef test_it(s):\n    assert ' ' not in slug(s)\n",
    "parametrize": "@pytest.mark.parametrize('x', [1, 2])\ndef test_it(x):\n    assert f(x) > x\n",
    "skip-with-real-reason": (
        "@pytest.mark.skip(reason='needs a PostgreSQL server')\ndef test_it():\n    assert f() == 1\n"
    ),
    "conditional-skip": (
        "def test_it():\n    if sys.platform == 'win32':\n        pytest.skip('posix only')\n"
        "    assert f() == 1\n"
    ),
    "skipif-condition": (
        "@pytest.mark.skipif(sys.version_info < (3, 11), reason='TODO')\n"
        "def test_it():\n    assert f() == 1\n"
    ),
    "teardown-fixture": (
        "@pytest.fixture\ndef clean(app):\n    yield\n    assert app.errors == []\n\n"
        "def test_it(client, clean):\n    client.get('/')\n"
    ),
    "usefixtures": (
        "@pytest.fixture\ndef clean(app):\n    yield\n    assert app.errors == []\n\n"
        "@pytest.mark.usefixtures('clean')\ndef test_it(client):\n    client.get('/')\n"
    ),
    "checker-fixture": (
        "@pytest.fixture\ndef expect():\n    def check(r, body):\n        assert r.json == body\n"
        "    return check\n\ndef test_it(client, expect):\n    expect(client.get('/'), {})\n"
    ),
    "helper-raises": (
        "def check(got, want):\n    if got != want:\n        raise RuntimeError(got)\n\n"
        "def test_it():\n    check(f(), 1)\n"
    ),
    "local-alias": (
        "class TestX:\n    def check(self, r):\n        assert r.json == {}\n\n"
        "    def test_it(self, client):\n        c = self.check\n        c(client.get('/'))\n"
    ),
    "checker-class": (
        "class Visitor:\n    def visit(self, node):\n        assert node.ok\n\n"
        "def test_it(tree):\n    tree.walk(Visitor())\n"
    ),
    "doctest": 'def test_it():\n    """\n    >>> f()\n    1\n    """\n',
    "returns-figure": "@pytest.mark.mpl_image_compare\ndef test_it():\n    return draw()\n",
    "context-manager-checker": "def test_it(ip):\n    with tt.AssertPrints('x'):\n        ip.run('x')\n",
    "pexpect": "def test_it(child):\n    child.sendline('x')\n    child.expect('ok')\n",
    "skipif-string-condition": (
        "@pytest.mark.skipif('sys.platform == \"win32\"')\ndef test_it():\n    assert f() == 1\n"
    ),
}


def test_callable_assigned_in_setup_class_is_followed() -> None:
    source = """
        class TestLinks:
            @classmethod
            def setup_class(cls):
                def check(graph, expected):
                    assert score(graph) == expected

                cls.test = staticmethod(check)

            def test_k5(self):
                self.test(make(5), 0.75)
    """
    assert scan_source(textwrap.dedent(source), "t.py") == []


def test_calls_into_the_code_under_test_are_not_followed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "shop/models.py": "def slugify(text):\n    assert text\n    return text.lower()\n",
            "tests/test_models.py": "from shop.models import slugify\n\n"
            "def test_slugify():\n    slugify('A B')\n",
        },
    )
    [test] = scan_paths([tmp_path / "tests"], tmp_path).hollow
    assert (test.nodeid, test.smell) == ("tests/test_models.py::test_slugify", "no-assertion")


@pytest.mark.parametrize("body", REAL.values(), ids=REAL.keys())
def test_real_test_is_not_reported(body: str) -> None:
    assert smell_of(body) is None


def test_fixture_that_only_checks_a_status_does_not_make_the_test_real() -> None:
    body = (
        "@pytest.fixture\ndef logged_in(client):\n"
        "    assert client.post('/login').status_code == 200\n    return client\n\n"
        "def test_it(logged_in):\n    logged_in.get('/me')\n"
    )
    assert smell_of(body) == "no-assertion"


def test_checker_fixture_that_is_never_called_does_not_count() -> None:
    body = (
        "@pytest.fixture\ndef expect():\n    def check(r):\n        assert r.json == {}\n"
        "    return check\n\ndef test_it(client, expect):\n    client.get('/')\n"
    )
    assert smell_of(body) == "no-assertion"


def test_placeholder_body_wins_over_a_checking_fixture() -> None:
    body = (
        "@pytest.fixture\ndef clean(app):\n    yield\n    assert app.errors == []\n\n"
        "def test_it(clean):\n    pass\n"
    )
    assert smell_of(body) == "placeholder"


def test_unittest_assertions_are_classified_like_asserts() -> None:
    source = """
        import unittest

        class Case(unittest.TestCase):
            def assertJsonError(self, r, message):
                self.assertEqual(r.get_json()["error"], message)

            def test_constant(self):
                self.assertTrue(True)

            def test_equal_literals(self):
                self.assertEqual(1, 1)

            def test_status(self):
                self.assertEqual(self.client.get("/").status_code, 200)

            def test_flask_testing_status(self):
                self.assert200(self.client.get("/"))

            def test_body(self):
                self.assertIn("Shop", self.client.get("/").get_data(as_text=True))

            def test_helper_method(self):
                self.assertJsonError(self.client.get("/x"), "not found")

            def test_raises(self):
                with self.assertRaises(ValueError):
                    f()

            def test_fail(self):
                if not f():
                    self.fail("no f")

            @unittest.skip("TODO")
            def test_skipped(self):
                self.assertEqual(f(), 1)

            def test_skiptest(self):
                self.skipTest("not implemented")
    """
    found = {
        t.nodeid.split("::")[-1]: t.smell for t in scan_source(textwrap.dedent(source), "t.py")
    }
    assert found == {
        "test_constant": "constant-assertion",
        "test_equal_literals": "constant-assertion",
        "test_status": "status-only",
        "test_flask_testing_status": "status-only",
        "test_skipped": "skipped-todo",
        "test_skiptest": "skipped-todo",
    }


def test_collection_follows_pytest_rules() -> None:
    source = """
        import pytest

        class TestA:
            def test_m(self):
                pass

            class TestInner:
                def test_n(self):
                    pass

        class Helper:
            def test_not_collected(self):
                pass

        class TestWithInit:
            def __init__(self):
                pass

            def test_not_collected(self):
                pass

        class TestB(Helper):
            pass

        @pytest.fixture
        def test_fixture_is_not_a_test():
            pass

        @pytest.mark.parametrize("x", [1, 2, 3])
        def test_param(x):
            pass

        def test_twice():
            assert f() == 1

        def test_twice():
            pass
    """
    found = {t.nodeid for t in scan_source(textwrap.dedent(source), "tests/test_c.py")}
    assert found == {
        "tests/test_c.py::TestA::test_m",
        "tests/test_c.py::TestA::TestInner::test_n",
        "tests/test_c.py::TestB::test_not_collected",
        "tests/test_c.py::test_param",
        "tests/test_c.py::test_twice",
    }


def test_report_fields() -> None:
    source = "import pytest\n\n\ndef test_list(client):\n    r = client.get('/items')\n    assert r.status_code == 200\n"
    [test] = scan_source(source, "tests/test_items.py")
    assert test == HollowTest(
        nodeid="tests/test_items.py::test_list",
        file="tests/test_items.py",
        line=4,
        smell="status-only",
        detail="only asserts the status: r.status_code == 200",
    )
    assert test.smell in SMELLS
    with pytest.raises(dataclasses.FrozenInstanceError):
        test.smell = "placeholder"  # type: ignore[misc]


def test_scan_source_raises_syntax_error_for_unparseable_source() -> None:
    with pytest.raises(SyntaxError):
        scan_source("def test_x(:\n", "t.py")
    with pytest.raises(SyntaxError):
        scan_source("x = 1\0\n", "t.py")


def test_scan_paths_follows_conftest_and_local_imports(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "tests/conftest.py": """
                import pytest

                @pytest.fixture
                def clean(app):
                    yield
                    assert app.errors == []
            """,
            "tests/support/checks.py": """
                def assert_item(r):
                    _body(r)

                def _body(r):
                    assert r.json["name"]

                def assert_ok(r):
                    assert r.status_code == 200
            """,
            "tests/api/test_items.py": """
                from tests.support.checks import assert_item, assert_ok
                from tests.support import checks

                def test_via_import(client):
                    assert_item(client.get("/items/1"))

                def test_via_module(client):
                    checks.assert_item(client.get("/items/1"))

                def test_status_helper(client):
                    assert_ok(client.get("/items"))

                def test_conftest_fixture(client, clean):
                    client.delete("/items/1")

                def test_nothing(client):
                    client.delete("/items/1")
            """,
            "tests/items_test.py": "def test_suffix_pattern():\n    assert True\n",
            "tests/helpers.py": "def test_not_a_test_module():\n    pass\n",
        },
    )
    result = scan_paths([tmp_path / "tests"], tmp_path)
    assert {t.nodeid: t.smell for t in result.hollow} == {
        "tests/api/test_items.py::test_status_helper": "status-only",
        "tests/api/test_items.py::test_nothing": "no-assertion",
        "tests/items_test.py::test_suffix_pattern": "constant-assertion",
    }
    assert len(result.tests) == 6
    assert all(t.file == t.nodeid.split("::")[0] for t in result.hollow)
    assert result.unreadable == ()


def test_scan_paths_reports_unreadable_files_and_goes_on(tmp_path: Path) -> None:
    write(tmp_path, {"test_ok.py": "def test_ok():\n    pass\n", "test_bad.py": "def test_(:\n"})
    (tmp_path / "test_nul.py").write_bytes(b"def test_x():\n    pass\0\n")
    (tmp_path / "test_latin.py").write_bytes(b"def test_x():\n    s = '\xe9'\n")
    result = scan_paths([tmp_path, tmp_path / "test_gone.py"], tmp_path)
    assert [t.nodeid for t in result.hollow] == ["test_ok.py::test_ok"]
    assert [u.file for u in result.unreadable] == [
        "test_bad.py",
        "test_gone.py",
        "test_latin.py",
        "test_nul.py",
    ]
    assert "line 1" in result.unreadable[0].reason


def test_scan_paths_honours_collect_ignore_and_skips_virtualenvs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "tests/conftest.py": "collect_ignore_glob = ['data/*']\ncollect_ignore = ['test_old.py']\n",
            "tests/data/test_sample.py": "def test_data():\n    pass\n",
            "tests/test_old.py": "def test_old():\n    pass\n",
            "tests/test_new.py": "def test_new():\n    pass\n",
            ".venv/lib/test_vendored.py": "def test_vendored():\n    pass\n",
            "env/pyvenv.cfg": "",
            "env/test_env.py": "def test_env():\n    pass\n",
        },
    )
    result = scan_paths([tmp_path], tmp_path)
    assert result.tests == ("tests/test_new.py::test_new",)


# --- the labelled corpus -------------------------------------------------------------------------


def corpus_verdicts() -> tuple[dict[str, str | None], dict[str, str | None], tuple[str, ...]]:
    labels: dict[str, str | None] = json.loads((CORPUS / "LABELS.json").read_text())
    result = scan_paths([CORPUS], CORPUS)
    found: dict[str, str | None] = dict.fromkeys(result.tests)
    found.update({t.nodeid: t.smell for t in result.hollow})
    return labels, found, result.tests


def ratio(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def test_corpus_is_large_and_balanced_enough() -> None:
    labels, _, _ = corpus_verdicts()
    hollow = [smell for smell in labels.values() if smell is not None]
    assert len(labels) >= 70
    assert 0.4 <= len(hollow) / len(labels) <= 0.6
    assert all(hollow.count(smell) >= 5 for smell in SMELLS)


def test_corpus_collection_matches_the_labels() -> None:
    labels, _, tests = corpus_verdicts()
    assert set(tests) == set(labels)


def test_corpus_precision_and_recall_are_at_least_095() -> None:
    labels, found, _ = corpus_verdicts()
    flagged = {n for n, smell in found.items() if smell is not None}
    hollow = {n for n, smell in labels.items() if smell is not None}
    assert ratio(len(flagged & hollow), len(flagged)) >= 0.95
    assert ratio(len(flagged & hollow), len(hollow)) >= 0.95
    for smell in SMELLS:
        said = {n for n, s in found.items() if s == smell}
        meant = {n for n, s in labels.items() if s == smell}
        assert ratio(len(said & meant), len(said)) >= 0.95, smell
        assert ratio(len(said & meant), len(meant)) >= 0.95, smell


def test_corpus_labels_match_exactly() -> None:
    labels, found, _ = corpus_verdicts()
    assert {n: found.get(n) for n in labels} == labels
