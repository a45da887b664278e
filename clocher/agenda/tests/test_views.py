"""The resident's agenda pages: periods, the month, categories, near me, an event's page."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from clocher.agenda.models import EventStatus
from clocher.agenda.tests.factories import at, make_event, north_of_auch
from clocher.directory.models import Place
from clocher.territories.content import Status
from clocher.territories.models import ModuleSetting

# A Tuesday in Auch; the weekend is the 28th and 29th.
TUESDAY = at(2026, 11, 24, 10)


@pytest.fixture(autouse=True)
def _tuesday() -> Any:
    with time_machine.travel(TUESDAY, tick=False):
        yield


def home_url(code: str = "32013", **params: str) -> str:
    url = reverse("agenda:home", kwargs={"code": code})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def shown(response: Any) -> list[str]:
    return [item.occurrence.event.title for item in response.context["listing"].found]


def test_the_week_lists_what_the_commune_and_its_ancestors_publish_day_by_day(gers_client, auch, marciac, gers):
    make_event(auch, "Concert à la cathédrale", at(2026, 11, 28, 20, 30), categories=["concert"])
    make_event(gers, "Fête du département", at(2026, 11, 25, 14))
    make_event(marciac, "Jazz à Marciac", at(2026, 11, 26, 21))
    make_event(auch, "Trop tard", at(2026, 12, 5, 20))
    response = gers_client.get(home_url())
    assert response.status_code == 200
    assert shown(response) == ["Fête du département", "Concert à la cathédrale"]
    page = response.content.decode()
    assert "Samedi 28 novembre" in page
    assert "20 h 30" in page
    assert "Concert et musique" in page
    assert 'aria-current="page">Cette semaine' in page


def test_today_and_this_weekend_are_tabs_of_their_own(gers_client, auch):
    make_event(auch, "Ce matin, fini", at(2026, 11, 24, 8))
    make_event(auch, "Ce soir", at(2026, 11, 24, 18))
    make_event(auch, "Samedi", at(2026, 11, 28, 15))
    make_event(auch, "Dimanche", at(2026, 11, 29, 15))
    make_event(auch, "Lundi", at(2026, 11, 30, 15))
    assert shown(gers_client.get(home_url(quand="aujourdhui"))) == ["Ce soir"]
    assert shown(gers_client.get(home_url(quand="weekend"))) == ["Samedi", "Dimanche"]
    assert shown(gers_client.get(home_url(quand="n'importe"))) == ["Ce soir", "Samedi", "Dimanche", "Lundi"]


def test_a_cancelled_event_is_listed_with_its_badge(gers_client, auch):
    make_event(auch, "Bal", at(2026, 11, 28, 21), event_status=EventStatus.CANCELLED)
    page = gers_client.get(home_url(quand="weekend")).content.decode()
    assert "Bal" in page
    assert "Annulé" in page


def test_load_more_pages_and_htmx_gets_the_items_only(gers_client, auch):
    for number in range(25):
        make_event(auch, f"Atelier {number:02d}", at(2026, 11, 26, 9) + datetime.timedelta(minutes=number))
    first = gers_client.get(home_url())
    assert len(shown(first)) == 20
    assert "Charger plus" in first.content.decode()
    second = gers_client.get(home_url(page="2"), HTTP_HX_REQUEST="true")
    fragment = second.content.decode()
    assert [f"Atelier {n}" in fragment for n in (19, 20, 24)] == [False, True, True]
    assert "<html" not in fragment
    assert "Charger plus" not in fragment
    assert gers_client.get(home_url(page="abc")).status_code == 200


def test_the_month_is_a_table_with_previous_and_next_months(gers_client, auch):
    make_event(auch, "Marché de Noël", at(2026, 12, 12), all_day=True, duration=datetime.timedelta(days=2))
    make_event(auch, "Loto", at(2026, 11, 27, 20))
    response = gers_client.get(reverse("agenda:month", kwargs={"code": "32013"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<table" in page and "Novembre 2026" in page
    assert "?mois=2026-10" in page and "?mois=2026-12" in page
    assert "Loto" in page
    december = gers_client.get(reverse("agenda:month", kwargs={"code": "32013"}) + "?mois=2026-12")
    cells = [cell for week in december.context["weeks"] for cell in week if cell.items]
    assert [cell.day.day for cell in cells] == [12, 13]
    assert gers_client.get(reverse("agenda:month", kwargs={"code": "32013"}) + "?mois=2026-13").status_code == 404


def test_by_category_lists_the_categories_then_one_of_them(gers_client, auch):
    make_event(auch, "Match", at(2026, 12, 10, 20), categories=["sport"])
    make_event(auch, "Concert", at(2026, 12, 10, 20), categories=["concert"])
    url = reverse("agenda:categories", kwargs={"code": "32013"})
    page = gers_client.get(url).content.decode()
    assert "Sport" in page and "?categorie=sport" in page
    assert shown(gers_client.get(url + "?categorie=sport")) == ["Match"]
    assert gers_client.get(url + "?categorie=inconnue").status_code == 400


def test_near_me_measures_from_the_phone_or_the_communes_centre(gers_client, auch, marciac):
    lat, lon = north_of_auch(3000)
    make_event(marciac, "À 3 km", at(2026, 11, 28, 20), lat=lat, lon=lon)
    lat, lon = north_of_auch(40_000)
    make_event(auch, "À 40 km", at(2026, 11, 28, 20), lat=lat, lon=lon)
    url = reverse("agenda:near", kwargs={"code": "32013"})
    response = gers_client.get(url)
    assert shown(response) == ["À 3 km"]
    page = response.content.decode()
    assert "à 3,0 km" in page
    assert "du centre d’Auch" in page
    near_phone = gers_client.get(url + f"?near=on&lat={lat}&lon={lon}&rayon=5&quand=weekend")
    assert shown(near_phone) == ["À 40 km"]
    assert "de votre position" in near_phone.content.decode()
    assert gers_client.get(url + "?rayon=7").status_code == 400
    assert gers_client.get(url + "?near=on&lat=nan&lon=1").status_code == 400


def test_an_events_page_says_everything_a_resident_needs(gers_client, auch, foyer_rural):
    place = Place.objects.create(
        territory=auch, commune=auch, name="Salle des fêtes", status=Status.PUBLISHED, lat=43.64, lon=0.58
    )
    event = make_event(
        auch, "Bal du Foyer", at(2026, 11, 28, 21), repeats=[at(2026, 12, 5, 21)], place=place,
        price="5 €", booking_url="https://example.org/reserver", wheelchair="yes",
        organisation=foyer_rural, event_status=EventStatus.POSTPONED, status_note="Reporté au printemps",
    )
    response = gers_client.get(reverse("agenda:event", kwargs={"pk": event.pk}))
    assert response.status_code == 301
    response = gers_client.get(response["Location"])
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Bal du Foyer", "Reporté au printemps", "Samedi 28 novembre à 21 h", "Samedi 5 décembre à 21 h",
        "Salle des fêtes", "5 €", "https://example.org/reserver", "Foyer rural d&#x27;Auch",
        "Accès en fauteuil roulant", "data-place-map", "mailto:?subject=", "Ajouter à mon agenda",
        reverse("agenda:event_ics", kwargs={"pk": event.pk}), reverse("directory:place", kwargs={"pk": place.pk, "slug": "salle-des-fetes"}),
    ):
        assert text in page, text


def test_a_free_event_without_a_place_has_no_map(gers_client, auch):
    event = make_event(auch, "Balade", at(2026, 11, 28, 9), is_free=True, location_name="Place de la mairie")
    page = gers_client.get(reverse("agenda:event", kwargs={"pk": event.pk, "slug": "balade"})).content.decode()
    assert "Gratuit" in page and "Place de la mairie" in page
    assert "data-place-map" not in page


def test_another_portals_or_a_draft_event_is_a_404(gers_client, orne_client, auch, alencon):
    orne_event = make_event(alencon, "Fête d'Alençon", at(2026, 11, 28, 20))
    draft = make_event(auch, "Brouillon", at(2026, 11, 28, 20), status=Status.DRAFT)
    for pk in (orne_event.pk, draft.pk):
        assert gers_client.get(reverse("agenda:event", kwargs={"pk": pk, "slug": "x"})).status_code == 404
    assert orne_client.get(home_url("32013")).status_code == 404
    assert gers_client.get(home_url("61001")).status_code == 404
    for name in ("agenda:month", "agenda:categories", "agenda:near"):
        assert orne_client.get(reverse(name, kwargs={"code": "32013"})).status_code == 404


def test_the_pages_answer_404_where_the_commune_turned_the_agenda_off(gers_client, auch):
    ModuleSetting.objects.create(territory=auch, module="agenda", enabled=False)
    assert gers_client.get(home_url()).status_code == 404


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_query_count_does_not_grow_with_the_events(gers_client, auch, count, django_assert_max_num_queries):
    for number in range(count):
        make_event(auch, f"N°{number}", at(2026, 11, 26, 20), categories=["culture", "concert"])
    gers_client.get(home_url())
    with django_assert_max_num_queries(12):
        assert len(shown(gers_client.get(home_url()))) == count
