"""Reads of places: what each portal shows, filters, near a point, open now."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404
from django.utils import timezone

from clocher.directory.models import Access, Place, PlaceCategory
from clocher.directory.selectors import (
    access_place,
    filter_open_now,
    filter_places,
    haversine_m,
    open_now,
    places_near,
    visible_places,
)
from clocher.territories.content import Status
from clocher.territories.models import Territory

PARIS = ZoneInfo("Europe/Paris")
CATHEDRAL_OF_AUCH = (43.6465, 0.5855)


def make_place(commune: Territory, name: str, *categories: str, **fields: Any) -> Place:
    """A published place in the commune, published by the commune itself unless told."""
    fields.setdefault("territory", commune)
    fields.setdefault("status", Status.PUBLISHED)
    place = Place.objects.create(commune=commune, name=name, **fields)
    PlaceCategory.objects.bulk_create([PlaceCategory(place=place, category=slug) for slug in categories])
    return place


def test_it_shows_a_published_place_of_the_portal(gers_portal, auch):
    place = make_place(auch, "Le Café Gascon", "restaurant")
    assert list(visible_places(gers_portal)) == [place]
    assert access_place(gers_portal, place.pk) == place


def test_it_hides_drafts_archived_and_expired_places(gers_portal, auch):
    make_place(auch, "Brouillon", status=Status.DRAFT)
    make_place(auch, "Fermé pour de bon", status=Status.ARCHIVED)
    expired = make_place(auch, "Expiré", expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert list(visible_places(gers_portal)) == []
    with pytest.raises(Http404):
        access_place(gers_portal, expired.pk)


def test_it_never_shows_a_gers_place_in_the_orne_portal(gers_portal, orne_portal, auch, alencon):
    gers_place = make_place(auch, "Le Café Gascon")
    orne_place = make_place(alencon, "Crêperie d'Alençon")
    assert list(visible_places(orne_portal)) == [orne_place]
    with pytest.raises(Http404):
        access_place(orne_portal, gers_place.pk)
    with pytest.raises(Http404):
        access_place(orne_portal, 999_999)


def test_it_filters_by_category(gers_portal, auch):
    restaurant = make_place(auch, "Le Café Gascon", "restaurant", "cafe-bar")
    make_place(auch, "Musée des Amériques", "museum")
    assert list(filter_places(visible_places(gers_portal), category="restaurant")) == [restaurant]


def test_it_filters_by_commune_epci_and_departement(gers_portal, auch, marciac, grand_auch, bastides, gers):
    in_auch = make_place(auch, "A Auch")
    in_marciac = make_place(marciac, "B Marciac")
    qs = visible_places(gers_portal)
    assert list(filter_places(qs, territory=auch)) == [in_auch]
    assert list(filter_places(qs, territory=bastides)) == [in_marciac]
    assert list(filter_places(qs, territory=grand_auch)) == [in_auch]
    assert list(filter_places(qs, territory=gers)) == [in_auch, in_marciac]


def test_it_finds_a_place_by_a_word_of_its_name_or_address(gers_portal, auch):
    cafe = make_place(auch, "Le Café Gascon", street="5 rue Dessoles")
    make_place(auch, "Musée des Amériques")
    qs = visible_places(gers_portal)
    assert list(filter_places(qs, q="gascon")) == [cafe]
    assert list(filter_places(qs, q="Dessoles")) == [cafe]


def test_it_keeps_only_wheelchair_accessible_places_when_asked(gers_portal, auch):
    ramp = make_place(auch, "Avec rampe", wheelchair=Access.YES)
    make_place(auch, "Avec marches", wheelchair=Access.NO)
    make_place(auch, "Non renseigné")
    assert list(filter_places(visible_places(gers_portal), accessible=True)) == [ramp]


def test_it_sorts_places_near_a_point_by_distance_within_the_radius(gers_portal, auch):
    lat, lon = CATHEDRAL_OF_AUCH
    far = make_place(auch, "A 1,5 km", lat=lat + 0.0135, lon=lon)
    near = make_place(auch, "A 100 m", lat=lat + 0.0009, lon=lon)
    make_place(auch, "A 3 km", lat=lat - 0.027, lon=lon)
    make_place(auch, "Sans position")
    found = places_near(visible_places(gers_portal), lat, lon, 2000, 20)
    assert [place for place, _distance in found] == [near, far]
    assert found[0][1] == pytest.approx(100, abs=2)
    assert found[1][1] == pytest.approx(1501, abs=5)


def test_it_keeps_the_nearest_places_up_to_the_limit(gers_portal, auch):
    lat, lon = CATHEDRAL_OF_AUCH
    for step in range(5):
        make_place(auch, f"Lieu {step}", lat=lat, lon=lon + 0.001 * (5 - step))
    found = places_near(visible_places(gers_portal), lat, lon, 2000, 2)
    assert [place.name for place, _d in found] == ["Lieu 4", "Lieu 3"]


def test_it_leaves_out_a_corner_of_the_box_beyond_the_radius(gers_portal, auch):
    lat, lon = CATHEDRAL_OF_AUCH
    # In the bounding box of a 1 km circle, but 1.3 km away on the diagonal.
    make_place(auch, "Coin", lat=lat + 0.0085, lon=lon + 0.0115)
    assert places_near(visible_places(gers_portal), lat, lon, 1000, 20) == []


def test_it_measures_a_degree_of_latitude_as_about_111_km():
    assert haversine_m(43.0, 0.5, 44.0, 0.5) == pytest.approx(111_195, rel=1e-3)


def test_it_keeps_the_places_open_now(auch):
    market = make_place(auch, "Marché d'Auch", "market", opening_hours="Sa 07:30-13:00")
    mairie = make_place(auch, "Mairie", "mairie", opening_hours="Mo-Fr 09:00-12:00; PH off")
    make_place(auch, "Sans horaires")
    saturday_morning = datetime.datetime(2026, 7, 18, 9, 0, tzinfo=PARIS)
    monday_morning = datetime.datetime(2026, 7, 13, 9, 0, tzinfo=PARIS)
    national_holiday = datetime.datetime(2026, 7, 14, 9, 0, tzinfo=PARIS)
    places = list(Place.objects.all())
    assert open_now(places, saturday_morning) == [market]
    assert open_now(places, monday_morning) == [mairie]
    assert open_now(places, national_holiday) == []


def test_it_reads_the_visible_places_in_a_fixed_number_of_queries(
    gers_portal, auch, django_assert_max_num_queries
):
    for step in range(30):
        make_place(auch, f"Lieu {step}", "restaurant", "cafe-bar")
    with django_assert_max_num_queries(2):
        places = list(visible_places(gers_portal))
        assert all(len(p.category_links.all()) == 2 for p in places)
        assert all(p.commune is not None and p.commune.name == "Auch" for p in places)


def test_it_filters_open_places_in_the_database_with_the_same_answer(gers_portal, auch):
    market = make_place(auch, "Marché d'Auch", "market", opening_hours="Sa 07:30-13:00")
    other_market = make_place(auch, "Marché bio", "market", opening_hours="Sa 07:30-13:00")
    make_place(auch, "Mairie", "mairie", opening_hours="Mo-Fr 09:00-12:00; PH off")
    make_place(auch, "Sans horaires")
    saturday_morning = datetime.datetime(2026, 7, 18, 9, 0, tzinfo=PARIS)

    assert list(filter_open_now(visible_places(gers_portal), saturday_morning)) == [other_market, market]


def test_it_looks_further_when_the_nearest_places_do_not_match_the_filters(gers_portal, auch):
    lat, lon = CATHEDRAL_OF_AUCH
    for step in range(25):
        make_place(auch, f"Gîte {step}", "gite", lat=lat, lon=lon + 0.0001 * step)
    cinema = make_place(auch, "Ciné 32", "cinema", lat=lat + 0.005, lon=lon)
    qs = filter_places(visible_places(gers_portal), category="cinema")
    assert [place for place, _d in places_near(qs, lat, lon, 2000, 20)] == [cinema]
