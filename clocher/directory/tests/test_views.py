"""The resident's directory pages: lists around a commune or a person, a place, the map, contacts."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from clocher.directory.models import Access, Place, PlaceCategory
from clocher.directory.templatetags.places import distance, phone_display, phone_href
from clocher.territories.content import Status
from clocher.territories.models import ModuleSetting, Territory

PARIS = ZoneInfo("Europe/Paris")
AUCH = (43.6465, 0.5855)
# A Wednesday afternoon in Auch.
WEDNESDAY_3PM = datetime.datetime(2026, 11, 25, 15, 0, tzinfo=PARIS)


def make_place(commune: Territory, name: str, *categories: str, **fields: Any) -> Place:
    fields.setdefault("territory", commune)
    fields.setdefault("status", Status.PUBLISHED)
    place = Place.objects.create(commune=commune, name=name, **fields)
    PlaceCategory.objects.bulk_create([PlaceCategory(place=place, category=slug) for slug in categories])
    return place


def north_of_auch(metres: float) -> tuple[float, float]:
    return AUCH[0] + metres / 111_320, AUCH[1]


def places_url(code: str = "32013") -> str:
    return reverse("directory:places", kwargs={"code": code})


def names(response: Any) -> list[str]:
    return [row.place.name for row in response.context["rows"]]


# Lists


def test_it_lists_a_communes_places_nearest_first_with_their_distance(gers_client, auch):
    lat, lon = north_of_auch(1200)
    make_place(auch, "Loin", "restaurant", lat=lat, lon=lon)
    lat, lon = north_of_auch(850)
    make_place(auch, "Près", "restaurant", lat=lat, lon=lon)
    response = gers_client.get(places_url())
    assert response.status_code == 200
    assert names(response) == ["Près", "Loin"]
    page = response.content.decode()
    assert "à 850 m" in page
    assert "à 1,2 km" in page
    assert "4 lieux" not in page
    assert "2 lieux à moins de 10 km du centre d’Auch" in page


def test_it_lists_the_places_of_a_commune_without_a_centre_by_name(gers_client, marciac):
    make_place(marciac, "Zénith du jazz", "culture")
    make_place(marciac, "Arènes", "heritage")
    response = gers_client.get(places_url("32233"))
    assert names(response) == ["Arènes", "Zénith du jazz"]


def test_it_lists_every_place_of_the_portal_by_name(gers_client, auch, marciac, alencon):
    make_place(marciac, "Bastide")
    make_place(auch, "Cathédrale Sainte-Marie")
    make_place(alencon, "Musée des Beaux-Arts d'Alençon")
    response = gers_client.get(reverse("directory:all_places"))
    assert names(response) == ["Bastide", "Cathédrale Sainte-Marie"]


def test_it_filters_by_category_text_commune_and_wheelchair(gers_client, auch, marciac):
    make_place(auch, "Le Café Gascon", "restaurant", wheelchair=Access.YES)
    make_place(auch, "La Table d'Auch", "restaurant", wheelchair=Access.NO)
    make_place(auch, "Musée des Amériques", "museum", wheelchair=Access.YES)
    make_place(marciac, "L'Atelier", "restaurant", wheelchair=Access.YES)
    url = reverse("directory:all_places")
    assert names(gers_client.get(url, {"category": "restaurant"})) == [
        "L'Atelier", "La Table d'Auch", "Le Café Gascon",
    ]
    assert names(gers_client.get(url, {"category": "restaurant", "accessible": "on"})) == [
        "L'Atelier", "Le Café Gascon",
    ]
    assert names(gers_client.get(url, {"q": "amériques"})) == ["Musée des Amériques"]
    assert names(gers_client.get(url, {"commune": "Marciac"})) == ["L'Atelier"]
    assert names(gers_client.get(url, {"commune": "32013", "category": "museum"})) == ["Musée des Amériques"]


def test_it_keeps_only_the_places_open_now(gers_client, auch):
    make_place(auch, "Ouvert en semaine", opening_hours="Mo-Fr 09:00-18:00")
    make_place(auch, "Marché du samedi", "market", opening_hours="Sa 07:30-13:00")
    make_place(auch, "Sans horaires")
    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = gers_client.get(reverse("directory:all_places"), {"open": "on"})
        everything = gers_client.get(reverse("directory:all_places"))
    assert names(response) == ["Ouvert en semaine"]
    page = everything.content.decode()
    assert "Ouvert · ferme à 18:00" in page
    assert "Fermé · ouvre samedi à 07:30" in page
    assert "Horaires non renseignés" in page


def test_near_me_measures_from_the_phones_position_within_the_radius(gers_client, auch):
    lat, lon = north_of_auch(1500)
    make_place(auch, "À 1,5 km", "restaurant", lat=lat, lon=lon)
    lat, lon = north_of_auch(3500)
    make_place(auch, "À 3,5 km", "restaurant", lat=lat, lon=lon)
    response = gers_client.get(
        reverse("directory:all_places"),
        {"near": "on", "lat": f"{AUCH[0]:.5f}", "lon": f"{AUCH[1]:.5f}", "radius": "2"},
    )
    assert names(response) == ["À 1,5 km"]
    assert "à moins de 2 km de votre position" in response.content.decode()


def test_near_me_without_a_position_starts_from_my_communes_centre(gers_client, auch):
    lat, lon = north_of_auch(400)
    make_place(auch, "Tout près", lat=lat, lon=lon)
    gers_client.cookies["commune"] = "32013"
    response = gers_client.get(reverse("directory:all_places"), {"near": "on"})
    assert names(response) == ["Tout près"]
    assert "du centre d’Auch" in response.content.decode()


def test_near_me_without_a_position_or_a_commune_says_so(gers_client, auch):
    make_place(auch, "Quelque part")
    response = gers_client.get(reverse("directory:all_places"), {"near": "on"})
    assert response.status_code == 200
    assert "Votre position n’est pas connue" in response.content.decode()
    assert names(response) == ["Quelque part"]


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "abc", "lon": "0.5", "near": "on"},
        {"lat": "nan", "lon": "inf", "near": "on"},
        {"lat": "95", "lon": "0.5", "near": "on"},
        {"radius": "3"},
        {"category": "casino"},
        {"page": "abc"},
        {"page": "999"},
        {"q": "a\x00b"},
        {"q": "x" * 500},
    ],
)
def test_bad_filters_are_form_errors_never_a_500(gers_client, auch, params):
    make_place(auch, "Le Café Gascon")
    response = gers_client.get(reverse("directory:all_places"), params)
    # A NUL byte is refused at the door (400) by the foundation, before the page.
    assert response.status_code == (400 if "\x00" in params.get("q", "") else 200)


def test_an_unknown_commune_is_a_form_error(gers_client, auch, alencon):
    response = gers_client.get(reverse("directory:all_places"), {"commune": "Alençon"})
    assert response.status_code == 200
    assert "Aucune commune de ce territoire ne correspond à « Alençon »" in response.content.decode()


def test_the_list_is_paginated_and_keeps_its_filters(gers_client, auch):
    for number in range(25):
        make_place(auch, f"Restaurant {number:02d}", "restaurant")
    response = gers_client.get(reverse("directory:all_places"), {"category": "restaurant"})
    assert len(response.context["rows"]) == 20
    assert "?category=restaurant&amp;page=2" in response.content.decode()
    second = gers_client.get(reverse("directory:all_places"), {"category": "restaurant", "page": "2"})
    assert names(second) == [f"Restaurant {number}" for number in range(20, 25)]


def test_the_number_of_queries_of_a_list_does_not_grow_with_its_length(
    gers_client, auch, django_assert_max_num_queries
):
    for number in range(40):
        lat, lon = north_of_auch(100 * number)
        make_place(auch, f"Lieu {number:02d}", "restaurant", "cafe-bar", lat=lat, lon=lon, opening_hours="Mo-Su 08:00-20:00")
    with django_assert_max_num_queries(8):
        gers_client.get(reverse("directory:all_places"), {"open": "on", "category": "restaurant"})
    with django_assert_max_num_queries(8):
        gers_client.get(places_url())
    with django_assert_max_num_queries(8):
        gers_client.get(
            reverse("directory:all_places"),
            {"near": "on", "lat": str(AUCH[0]), "lon": str(AUCH[1]), "open": "on"},
        )


# A place


def test_a_place_page_shows_its_hours_call_directions_and_share(gers_client, auch):
    place = make_place(
        auch, "Le Café Gascon", "restaurant", lat=AUCH[0], lon=AUCH[1], phone="+33562612100",
        email="bonjour@cafe-gascon.fr", website="https://cafe-gascon.fr/",
        opening_hours="Mo-Fr 09:00-18:00", wheelchair=Access.YES, languages=["en", "es"],
        price_range=2, street="1 place de la Libération", postcode="32000", city="Auch",
    )
    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = gers_client.get(reverse("directory:place", kwargs={"pk": place.pk, "slug": "le-cafe-gascon"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ouvert · ferme à 18:00" in page
    assert "Mercredi 25 novembre" in page
    assert "09:00–18:00" in page
    assert "Samedi 28 novembre" in page
    assert 'href="tel:+33562612100"' in page
    assert "05 62 61 21 00" in page
    assert 'href="geo:43.64650,0.58550"' in page
    assert "https://www.openstreetmap.org/?mlat=43.64650&amp;mlon=0.58550#map=17/43.64650/0.58550" in page
    assert "mailto:bonjour@cafe-gascon.fr" in page
    assert "data-share" in page
    assert f"http://gers.test/lieux/{place.pk}/le-cafe-gascon/" in page
    assert "anglais, espagnol" in page
    assert "Accès en fauteuil roulant" in page
    assert "data-place-map" in page


def test_a_place_page_costs_a_few_queries(gers_client, auch, django_assert_max_num_queries):
    place = make_place(auch, "Le Café Gascon", "restaurant", "cafe-bar", opening_hours="Mo-Fr 09:00-18:00")
    with django_assert_max_num_queries(6):
        assert gers_client.get(reverse("directory:place", kwargs={"pk": place.pk})).status_code == 200


def test_a_search_without_a_distance_shows_the_default_one(gers_client, auch):
    response = gers_client.get(reverse("directory:all_places"), {"q": "café"})
    assert '<option value="10" selected>' in response.content.decode()


def test_a_place_without_location_or_hours_still_has_a_page(gers_client, auch):
    place = make_place(auch, "Sans rien")
    response = gers_client.get(reverse("directory:place", kwargs={"pk": place.pk}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Les horaires ne sont pas renseignés." in page
    assert "data-place-map" not in page
    assert "leaflet.js" not in page


def test_a_wrong_name_in_a_place_address_redirects_to_the_right_one(gers_client, auch):
    place = make_place(auch, "Le Café Gascon")
    response = gers_client.get(reverse("directory:place", kwargs={"pk": place.pk, "slug": "ancien-nom"}))
    assert response.status_code == 301
    assert response["Location"] == f"/lieux/{place.pk}/le-cafe-gascon/"


def test_a_draft_place_is_not_found(gers_client, auch):
    place = make_place(auch, "Brouillon", status=Status.DRAFT)
    assert gers_client.get(reverse("directory:place", kwargs={"pk": place.pk})).status_code == 404


# Portals and modules


def test_a_gers_place_and_commune_are_not_found_in_the_orne(orne_client, gers_portal, auch):
    place = make_place(auch, "Le Café Gascon")
    assert orne_client.get(reverse("directory:place", kwargs={"pk": place.pk})).status_code == 404
    assert orne_client.get(places_url()).status_code == 404
    assert orne_client.get(reverse("directory:contacts", kwargs={"code": "32013"})).status_code == 404
    assert place.name not in orne_client.get(reverse("directory:all_places")).content.decode()


def test_every_page_answers_404_where_the_commune_has_the_directory_off(gers_client, auch, marciac):
    ModuleSetting.objects.create(territory=auch, module="directory", enabled=False)
    in_auch = make_place(auch, "Le Café Gascon")
    make_place(marciac, "L'Atelier")
    assert gers_client.get(places_url()).status_code == 404
    assert gers_client.get(reverse("directory:contacts", kwargs={"code": "32013"})).status_code == 404
    assert gers_client.get(reverse("directory:place", kwargs={"pk": in_auch.pk})).status_code == 404
    assert names(gers_client.get(reverse("directory:all_places"))) == ["L'Atelier"]
    assert gers_client.get(places_url("32233")).status_code == 200


def test_a_portal_without_the_directory_by_default_shows_only_communes_that_chose_it(
    gers_client, gers_portal, auch, marciac
):
    gers_portal.default_modules = ["news"]
    gers_portal.save()
    ModuleSetting.objects.create(territory=marciac, module="directory", enabled=True)
    make_place(auch, "Le Café Gascon")
    make_place(marciac, "L'Atelier")
    assert gers_client.get(places_url()).status_code == 404
    assert names(gers_client.get(reverse("directory:all_places"))) == ["L'Atelier"]


# The map


def test_the_map_page_loads_markers_from_the_api_and_links_to_the_list(gers_client, auch, settings):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    response = gers_client.get(reverse("directory:map"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-markers-url="/api/v1/places/markers"' in page
    assert 'data-place-url="/lieux/0/"' in page
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in page
    assert f'href="{reverse("directory:all_places")}"' in page
    assert "leaflet.markercluster.js" in page


# Filters


@pytest.mark.parametrize(
    ("metres", "text"),
    [(4, "10 m"), (851, "850 m"), (994, "990 m"), (996, "1,0 km"), (1234, "1,2 km"), (9940, "9,9 km"), (14_400, "14 km")],
)
def test_distances_read_as_people_say_them(metres, text):
    assert distance(metres) == text


def test_phone_numbers_are_shown_as_dialled_and_called_in_full():
    assert phone_display("+33562612100") == "05 62 61 21 00"
    assert phone_href("+33562612100") == "tel:+33562612100"
    assert phone_display("3919") == "3919"
    assert phone_href("3919") == "tel:3919"
    assert phone_href("116 117") == "tel:116117"


# Useful contacts


def test_the_contacts_page_lists_national_and_local_numbers_by_theme_one_tap_to_call(
    gers_client, auch, marciac, grand_auch
):
    from clocher.directory.models import ContactTheme, UsefulContact

    UsefulContact.objects.create(
        territory=auch, theme=ContactTheme.ENFANCE, name="Crèche municipale", phone="+33562612101"
    )
    UsefulContact.objects.create(
        territory=grand_auch, theme=ContactTheme.DECHETS, name="Déchetterie du Grand Auch", phone="+33562612102"
    )
    UsefulContact.objects.create(
        territory=marciac, theme=ContactTheme.ENFANCE, name="Crèche de Marciac", phone="+33562612103"
    )
    response = gers_client.get(reverse("directory:contacts", kwargs={"code": "32013"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Crèche municipale" in page
    assert 'href="tel:+33562612101"' in page
    assert "05 62 61 21 01" in page
    assert "Déchetterie du Grand Auch" in page
    assert "Crèche de Marciac" not in page
    # The national numbers come with the data migration.
    assert 'href="tel:112"' in page
    assert page.index("Urgences") < page.index("Enfance") < page.index("Déchets")
