import pytest
from django.test import Client

from conftest import GERS_HOST


def test_the_search_form_is_a_plain_labelled_get_form(gers_client):
    html = gers_client.get("/ma-commune/").content.decode()
    assert '<form method="get" action="/ma-commune/"' in html
    assert '<label for="q">Commune ou code postal</label>' in html
    assert 'name="q"' in html


def test_it_finds_a_commune_by_name_and_offers_to_choose_it(gers_client, auch):
    html = gers_client.get("/ma-commune/", {"q": "auch"}).content.decode()
    assert '<a href="/communes/32013/">Auch</a>' in html
    assert 'action="/ma-commune/choisir/"' in html
    assert 'name="code" value="32013"' in html
    assert "csrfmiddlewaretoken" in html


def test_it_finds_a_commune_by_postcode(gers_client, marciac):
    html = gers_client.get("/ma-commune/", {"q": "32230"}).content.decode()
    assert "Marciac" in html


def test_it_never_lists_another_portals_communes(gers_client, alencon):
    html = gers_client.get("/ma-commune/", {"q": "alencon"}).content.decode()
    assert "/communes/61001/" not in html
    assert "Aucune commune de ce territoire" in html


# A NUL is refused at the door with a 400 (clocher/core/tests/test_reject_nul.py).
@pytest.mark.parametrize("query", ["", " ", "a", "x" * 500, "%%%", "'; drop table", "\u0007"])
def test_an_empty_or_silly_query_gets_a_friendly_message(gers_client, query):
    response = gers_client.get("/ma-commune/", {"q": query})
    assert response.status_code == 200
    assert 'class="notice"' in response.content.decode()


def test_htmx_gets_only_the_results_fragment(gers_client, auch):
    response = gers_client.get("/ma-commune/", {"q": "auch"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "/communes/32013/" in html
    assert 'hx-swap-oob="true"' in html
    assert "1 commune trouvée" in html
    assert "HX-Request" in response["Vary"]


def test_choosing_sets_a_long_lived_lax_httponly_cookie_and_opens_the_commune(gers_client, auch):
    response = gers_client.post("/ma-commune/choisir/", {"code": "32013"})
    assert response.status_code == 302
    assert response["Location"] == "/communes/32013/"
    cookie = response.cookies["commune"]
    assert cookie.value == "32013"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]
    assert "Auch" in gers_client.get("/").content.decode().split("</header>")[0]


def test_a_signed_in_resident_keeps_the_choice_on_their_account(gers_client, resident, marciac):
    gers_client.force_login(resident)
    gers_client.post("/ma-commune/choisir/", {"code": "32233"})
    resident.refresh_from_db()
    assert resident.home_commune == marciac


def test_choosing_another_portals_commune_is_a_404(gers_client, alencon, resident):
    gers_client.force_login(resident)
    response = gers_client.post("/ma-commune/choisir/", {"code": "61001"})
    assert response.status_code == 404
    assert "commune" not in response.cookies
    resident.refresh_from_db()
    assert resident.home_commune.code == "32013"


def test_choosing_without_a_code_is_a_404_not_a_crash(gers_client):
    assert gers_client.post("/ma-commune/choisir/", {}).status_code == 404


def test_choosing_requires_the_csrf_token(gers_portal, auch):
    client = Client(HTTP_HOST=GERS_HOST, enforce_csrf_checks=True)
    assert client.post("/ma-commune/choisir/", {"code": "32013"}).status_code == 403


def test_choosing_by_get_is_refused(gers_client, auch):
    assert gers_client.get("/ma-commune/choisir/", {"code": "32013"}).status_code == 405


def test_the_locate_button_is_hidden_until_javascript_shows_it(gers_client):
    html = gers_client.get("/ma-commune/").content.decode()
    assert "data-locate " in html and "hidden>" in html
    assert "/static/js/locate.js" in html


def test_the_signed_in_choice_does_not_touch_other_users(gers_client, resident, marciac, make_user_other):
    gers_client.force_login(resident)
    gers_client.post("/ma-commune/choisir/", {"code": "32233"})
    make_user_other.refresh_from_db()
    assert make_user_other.home_commune is None


@pytest.fixture
def make_user_other(db):
    from conftest import make_user

    return make_user("other@example.org")


def test_the_search_keeps_its_queries_few(gers_client, auch, marciac, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert gers_client.get("/ma-commune/", {"q": "32"}).status_code == 200


def test_a_chosen_commune_is_no_longer_among_the_followed_ones(gers_client, resident, marciac):
    resident.followed_communes.add(marciac)
    gers_client.force_login(resident)
    gers_client.post("/ma-commune/choisir/", {"code": "32233"})
    resident.refresh_from_db()
    assert resident.home_commune == marciac
    assert list(resident.followed_communes.all()) == []


def test_a_merged_commune_cannot_be_chosen(gers_client, resident, marciac):
    marciac.is_active = False
    marciac.save()
    gers_client.force_login(resident)
    response = gers_client.post("/ma-commune/choisir/", {"code": "32233"}, follow=True)
    resident.refresh_from_db()
    assert resident.home_commune.code == "32013"
    assert "commune" not in gers_client.cookies
    assert "Seule une commune existante" in response.content.decode()
