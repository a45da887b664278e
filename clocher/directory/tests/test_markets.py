"""The resident's "next markets" page: the markets in and around a commune, day by day, for a week."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from clocher.directory.models import Place, PlaceCategory
from clocher.territories.content import Status
from clocher.territories.models import ModuleSetting, Territory

PARIS = ZoneInfo("Europe/Paris")
AUCH = (43.6465, 0.5855)
# A Wednesday afternoon in Auch: the Saturday market is on the 28th.
WEDNESDAY_3PM = datetime.datetime(2026, 11, 25, 15, 0, tzinfo=PARIS)


def make_place(commune: Territory, name: str, *categories: str, **fields: Any) -> Place:
    fields.setdefault("territory", commune)
    fields.setdefault("status", Status.PUBLISHED)
    place = Place.objects.create(commune=commune, name=name, **fields)
    PlaceCategory.objects.bulk_create([PlaceCategory(place=place, category=slug) for slug in categories])
    return place


def north_of_auch(metres: float) -> dict[str, float]:
    return {"lat": AUCH[0] + metres / 111_320, "lon": AUCH[1]}


def markets_url(code: str = "32013") -> str:
    return reverse("directory:markets", kwargs={"code": code})


def sessions(response: Any) -> list[tuple[str, str, str]]:
    return [
        (day.day.isoformat(), session.place.name, session.start.strftime("%H:%M"))
        for day in response.context["days"] for session in day.sessions
    ]


def test_it_lists_the_markets_of_the_coming_week_by_day_with_their_distance(gers_client, auch):
    make_place(auch, "Marché d'Auch", "market", opening_hours="Sa 07:30-13:00", **north_of_auch(1200))
    make_place(auch, "Marché du jeudi", "market", opening_hours="Th 08:00-12:00", **north_of_auch(300))

    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = gers_client.get(markets_url())

    assert response.status_code == 200
    # The week ends next Wednesday afternoon: next Thursday's market is beyond it.
    assert sessions(response) == [
        ("2026-11-26", "Marché du jeudi", "08:00"),
        ("2026-11-28", "Marché d'Auch", "07:30"),
    ]
    page = response.content.decode()
    assert "Samedi 28 novembre" in page
    assert "07:30" in page and "13:00" in page
    assert "à 1,2 km" in page
    assert reverse("directory:markets", kwargs={"code": "32013"}) in gers_client.get(
        reverse("directory:places", kwargs={"code": "32013"})
    ).content.decode()


def test_it_keeps_only_markets_within_15_km_or_in_the_commune(gers_client, auch, marciac):
    make_place(auch, "Marché proche", "market", opening_hours="Sa 08:00-12:00", **north_of_auch(14_000))
    make_place(marciac, "Marché lointain", "market", opening_hours="Sa 08:00-12:00", **north_of_auch(16_000))
    make_place(auch, "Marché sans position", "market", opening_hours="Sa 09:00-12:00")
    make_place(auch, "Boulangerie", "bakery", opening_hours="Sa 07:00-19:00", **north_of_auch(100))
    make_place(marciac, "Marché de Marciac", "market", opening_hours="Sa 08:00-12:00")

    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = gers_client.get(markets_url())

    assert {name for _day, name, _start in sessions(response)} == {"Marché proche", "Marché sans position"}


def test_a_market_already_running_counts_and_one_without_hours_is_listed_apart(gers_client, auch):
    make_place(auch, "Marché du mercredi", "market", opening_hours="We 14:00-18:00", **north_of_auch(10))
    make_place(auch, "Marché aux horaires inconnus", "market", **north_of_auch(20))

    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = gers_client.get(markets_url())

    today = response.context["days"][0]
    assert today.day == datetime.date(2026, 11, 25)
    assert today.sessions[0].place.name == "Marché du mercredi"
    assert today.sessions[0].end.strftime("%H:%M") == "18:00"
    assert [place.name for place in response.context["without_hours"]] == ["Marché aux horaires inconnus"]


def test_unpublished_markets_and_other_portals_stay_out(gers_client, auch, alencon):
    make_place(auch, "Marché en brouillon", "market", opening_hours="Sa 08:00-12:00",
               status=Status.DRAFT, **north_of_auch(10))

    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = gers_client.get(markets_url())
        elsewhere = gers_client.get(markets_url(alencon.code))

    assert sessions(response) == []
    assert "Aucun marché" in response.content.decode()
    assert elsewhere.status_code == 404


def test_the_page_is_404_where_the_commune_turned_the_directory_off(gers_client, auch):
    ModuleSetting.objects.create(territory=auch, module="directory", enabled=False)

    assert gers_client.get(markets_url()).status_code == 404


def test_it_reads_a_bounded_number_of_queries(
    gers_client, auch, django_assert_max_num_queries: DjangoAssertNumQueries
):
    for number in range(30):
        make_place(auch, f"Marché {number:02d}", "market", opening_hours="Sa 08:00-12:00",
                   **north_of_auch(100 * number))
    gers_client.get(markets_url())

    with time_machine.travel(WEDNESDAY_3PM, tick=False), django_assert_max_num_queries(15):
        response = gers_client.get(markets_url())

    assert len(response.context["days"][0].sessions) == 30
