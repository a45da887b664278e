"""The home feed's "near you": places open now in the resident's commune, and the next markets."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clocher.core.modules import registry
from clocher.directory.feed import near_you
from clocher.directory.tests.test_selectors import make_place
from clocher.territories.content import Status
from clocher.territories.home import feed_for
from clocher.territories.models import TerritoryKind
from conftest import make_territory

PARIS = ZoneInfo("Europe/Paris")
MONDAY_MORNING = datetime.datetime(2026, 7, 13, 10, 0, tzinfo=PARIS)
NATIONAL_HOLIDAY = datetime.datetime(2026, 7, 14, 10, 0, tzinfo=PARIS)


def chain(commune):
    return [commune, commune.epci, commune.departement, commune.region]


def test_it_shows_the_places_open_now_in_the_residents_commune(auch, marciac):
    cafe = make_place(auch, "Café Gascon", "restaurant", opening_hours="Mo-Sa 08:00-20:00; PH off")
    make_place(auch, "Mairie d'Auch", "mairie", opening_hours="Tu-Fr 09:00-12:00")
    make_place(marciac, "Café de Marciac", "restaurant", opening_hours="24/7")
    make_place(auch, "Brouillon", opening_hours="24/7", status=Status.DRAFT)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        items = near_you(chain(auch), 10)
    assert [item.title for item in items] == ["Café Gascon"]
    assert items[0].summary == "Ouvert · ferme à 20:00"
    assert items[0].module == "directory"
    assert str(cafe.pk) in items[0].url


def test_it_shows_nothing_open_on_14_july_for_places_closed_on_holidays(auch):
    make_place(auch, "Café Gascon", "restaurant", opening_hours="Mo-Sa 08:00-20:00; PH off")
    with time_machine.travel(NATIONAL_HOLIDAY, tick=False):
        assert near_you(chain(auch), 10) == []


def test_it_lists_the_next_markets_of_the_commune_and_its_epci(auch, marciac, grand_auch, gers, occitanie):
    make_place(auch, "Marché d'Auch", "market", opening_hours="Sa 07:30-13:00")
    neighbour = make_territory(
        TerritoryKind.COMMUNE, "32107", "Duran", epci=grand_auch, departement=gers, region=occitanie
    )
    make_place(neighbour, "Marché de Duran", "market", opening_hours="Th 08:00-12:00")
    make_place(marciac, "Marché de Marciac", "market", opening_hours="We 08:00-13:00")
    with time_machine.travel(MONDAY_MORNING, tick=False):
        items = near_you(chain(auch), 10)
    assert [(item.title, item.territory_name) for item in items] == [
        ("Marché de Duran", "Duran"), ("Marché d'Auch", "Auch"),
    ]
    assert items[0].summary == "Marché jeudi 16 juillet, 08:00–12:00"
    assert items[1].summary == "Marché samedi 18 juillet, 07:30–13:00"


def test_it_contributes_nothing_without_a_commune(gers):
    assert near_you([gers], 10) == []
    assert near_you([], 10) == []


def test_it_is_registered_in_the_directory_module_and_reaches_the_home_feed(gers_portal, auch):
    module = registry.get("directory")
    assert module is not None
    assert module.feed is near_you
    make_place(auch, "Café Gascon", "restaurant", opening_hours="Mo-Sa 08:00-20:00")
    with time_machine.travel(MONDAY_MORNING, tick=False):
        titles = [item.title for item in feed_for(gers_portal, chain(auch))]
    assert "Café Gascon" in titles


@pytest.mark.parametrize("count", [3, 30])
def test_its_query_count_does_not_grow_with_the_number_of_places(auch, count, django_assert_max_num_queries):
    # The communes of the EPCI, then the places and markets in one query.
    for step in range(count):
        make_place(auch, f"Lieu {step:02d}", "restaurant", opening_hours="Mo-Sa 08:00-20:00")
        make_place(auch, f"Marché {step:02d}", "market", opening_hours="Sa 07:30-13:00")
    territories = chain(auch)
    with time_machine.travel(MONDAY_MORNING, tick=False), django_assert_max_num_queries(2):
        items = near_you(territories, 10)
    assert len(items) == 6
