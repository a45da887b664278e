from django.test import Client

from conftest import GERS_HOST, ORNE_HOST


def test_the_host_name_chooses_the_portal(gers_portal, orne_portal):
    assert "Le Gers dans ma poche" in Client(HTTP_HOST=GERS_HOST).get("/").content.decode()
    assert "Orne dans ma poche" in Client(HTTP_HOST=ORNE_HOST).get("/").content.decode()


def test_an_unknown_host_gets_a_clear_page_not_a_crash(gers_portal):
    response = Client(HTTP_HOST="nowhere.example").get("/")
    assert response.status_code == 404
    assert "Aucun portail" in response.content.decode()


def test_the_health_check_answers_on_any_host(db):
    response = Client(HTTP_HOST="nowhere.example").get("/healthz")
    assert response.json() == {"status": "ok"}
