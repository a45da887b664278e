"""The account page: name, language, home commune and followed communes, within the portal only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from clocher.accounts import services
from clocher.accounts.models import User
from clocher.territories.models import Portal, Territory

pytestmark = pytest.mark.django_db


def test_it_asks_an_anonymous_visitor_to_sign_in(gers_client: Client) -> None:
    response = gers_client.get("/compte/")
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/")


def test_it_shows_the_account_page_with_its_links(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    html = gers_client.get("/compte/").content.decode()
    assert "<h1>Mon compte</h1>" in html
    assert "Auch" in html
    for url in ("/comptes/password/change/", "/comptes/email/", "/comptes/2fa/",
                "/compte/mes-donnees.json", "/compte/supprimer/"):
        assert f'href="{url}"' in html


def test_it_changes_the_display_name_and_the_language(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    response = gers_client.post("/compte/", {"display_name": "  Jeanne  ", "language": "en"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.display_name, resident.language) == ("Jeanne", "en")
    assert response.cookies["django_language"].value == "en"


def test_it_refuses_a_language_the_site_does_not_offer(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    response = gers_client.post("/compte/", {"display_name": "Jeanne", "language": "de"})
    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    resident.refresh_from_db()
    assert resident.language == "fr"


def test_it_finds_communes_of_the_portal_by_name_and_by_postcode(
    gers_client: Client, resident: User, alencon: Territory
) -> None:
    gers_client.force_login(resident)
    by_name = gers_client.get("/compte/", {"q": "marci"})
    assert [t.name for t in by_name.context["results"]] == ["Marciac"]
    assert "Suivre Marciac" in by_name.content.decode()
    by_postcode = gers_client.get("/compte/", {"q": "32230"})
    assert [t.name for t in by_postcode.context["results"]] == ["Marciac"]
    # Alençon exists, but in the Orne: the Gers portal does not offer it.
    assert gers_client.get("/compte/", {"q": "alencon"}).context["results"] == []
    assert gers_client.get("/compte/", {"q": "61000"}).context["results"] == []


def test_it_sets_the_home_commune(gers_client: Client, resident: User, marciac: Territory) -> None:
    gers_client.force_login(resident)
    response = gers_client.post("/compte/ma-commune/", {"code": marciac.code})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.home_commune == marciac


def test_it_refuses_an_orne_commune_on_the_gers_portal(
    gers_client: Client, resident: User, alencon: Territory, auch: Territory
) -> None:
    gers_client.force_login(resident)
    assert gers_client.post("/compte/ma-commune/", {"code": alencon.code}).status_code == 404
    assert gers_client.post("/compte/suivre/", {"code": alencon.code}).status_code == 404
    resident.refresh_from_db()
    assert resident.home_commune == auch
    assert not resident.followed_communes.exists()


def test_the_services_refuse_a_commune_outside_the_portal(
    resident: User, gers_portal: Portal, alencon: Territory, grand_auch: Territory
) -> None:
    with pytest.raises(ValidationError):
        services.set_home_commune(resident, gers_portal, alencon)
    with pytest.raises(ValidationError):
        services.follow_commune(resident, gers_portal, alencon)
    with pytest.raises(ValidationError):  # an EPCI is not a commune
        services.follow_commune(resident, gers_portal, grand_auch)


def test_it_answers_a_malformed_code_with_400(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    assert gers_client.post("/compte/ma-commune/", {"code": "<script>"}).status_code == 400
    assert gers_client.post("/compte/suivre/", {}).status_code == 400
    assert gers_client.get("/compte/suivre/").status_code == 405


def test_it_follows_and_unfollows_a_commune(gers_client: Client, resident: User, marciac: Territory) -> None:
    gers_client.force_login(resident)
    gers_client.post("/compte/suivre/", {"code": marciac.code})
    assert list(resident.followed_communes.all()) == [marciac]
    html = gers_client.get("/compte/").content.decode()
    assert "Ne plus suivre Marciac" in html

    gers_client.post("/compte/ne-plus-suivre/", {"code": marciac.code})
    assert not resident.followed_communes.exists()


def test_it_refuses_to_follow_the_home_commune(gers_client: Client, resident: User, auch: Territory) -> None:
    gers_client.force_login(resident)
    response = gers_client.post("/compte/suivre/", {"code": auch.code}, follow=True)
    assert "déjà votre commune" in response.content.decode()
    assert not resident.followed_communes.exists()


def test_choosing_a_followed_commune_as_home_stops_following_it(
    gers_client: Client, resident: User, marciac: Territory
) -> None:
    gers_client.force_login(resident)
    gers_client.post("/compte/suivre/", {"code": marciac.code})
    gers_client.post("/compte/ma-commune/", {"code": marciac.code})
    resident.refresh_from_db()
    assert resident.home_commune == marciac
    assert not resident.followed_communes.exists()


def test_it_forgets_the_home_commune(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    gers_client.post("/compte/ma-commune/retirer/")
    resident.refresh_from_db()
    assert resident.home_commune is None


def test_it_unfollows_a_commune_of_another_portal_the_person_followed_there(
    gers_client: Client, resident: User, alencon: Territory, orne_portal: Portal
) -> None:
    services.follow_commune(resident, orne_portal, alencon)
    gers_client.force_login(resident)
    gers_client.post("/compte/ne-plus-suivre/", {"code": alencon.code})
    assert not resident.followed_communes.exists()


def test_the_account_page_with_results_takes_a_bounded_number_of_queries(
    gers_client: Client, resident: User, marciac: Territory, auch: Territory, django_assert_max_num_queries: object
) -> None:
    resident.followed_communes.add(marciac)
    gers_client.force_login(resident)
    # Ten, and the count of unread notifications in the header.
    with django_assert_max_num_queries(11):  # type: ignore[operator]
        response = gers_client.get("/compte/", {"q": "a"})
    assert len(response.context["results"]) == 2
