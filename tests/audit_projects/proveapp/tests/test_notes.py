import contextlib

from notesapp import Note, db

RERUNS = []


# -- real: each catches some break of a route it reaches ----------------------------------------


def test_create_returns_the_note(client):
    response = client.post("/notes", json={"title": "milk"})
    assert response.get_json()["title"] == "milk"


def test_create_stores_the_note(app, client):
    client.post("/notes", json={"title": "milk"})
    with app.app_context():
        assert db.session.query(Note).count() == 1


def test_missing_title_is_400(client):
    assert client.post("/notes", json={}).status_code == 400


def test_missing_note_is_404(client):
    assert client.get("/notes/99").status_code == 404


def test_delete_needs_a_token(client):
    assert client.delete("/notes/1").status_code == 401


def test_list_answers_ok(client):
    assert client.get("/notes").status_code == 200


def test_home_says_hello(client):
    assert b"hello" in client.get("/").data


# -- hollow: pass whatever the routes do ---------------------------------------------------------


def test_create_without_checking(client):
    client.post("/notes", json={"title": "milk"})


def test_lists_and_prints(client):
    print(client.get("/notes").get_json())


def test_assert_in_a_loop_over_nothing(client):
    response = client.get("/notes")
    for note in []:
        assert note in response.get_json()


def test_assertion_swallowed(client):
    with contextlib.suppress(AssertionError):
        assert client.get("/notes").get_json() == [{"title": "milk"}]


def test_reads_an_id_but_checks_nothing(client):
    note_id = client.post("/notes", json={"title": "milk"}).get_json()["id"]
    client.get(f"/notes/{note_id}")


def test_asserts_its_own_payload(client):
    payload = {"title": "milk"}
    client.post("/notes", json=payload)
    assert payload["title"] == "milk"


# -- unproven: fails when merely rerun -----------------------------------------------------------


def test_not_repeatable(client):
    RERUNS.append(1)
    client.get("/notes")
    assert len(RERUNS) == 1
