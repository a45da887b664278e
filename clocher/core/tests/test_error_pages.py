from django.test import Client
from django.test.utils import override_settings
from django.urls import path

from conftest import GERS_HOST


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom)]


def test_a_missing_page_is_a_french_page_in_the_site_layout(gers_client):
    response = gers_client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html
    assert "Mentions légales" in html


def test_too_many_attempts_are_explained_in_french(gers_client, resident, settings):
    settings.ACCOUNT_RATE_LIMITS = {"reauthenticate": "1/m/user"}
    gers_client.force_login(resident)
    for _ in range(2):
        response = gers_client.post("/compte/supprimer/", {"password": "non", "confirm": "on"})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_gets_a_plain_french_page(gers_portal):
    client = Client(HTTP_HOST=GERS_HOST, raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Le site a rencontré un problème" in response.content.decode()
