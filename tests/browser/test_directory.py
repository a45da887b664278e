"""A visitor in Auch finds the restaurants open now within 2 km, opens one, sees its hours and can
call it; the map and the useful contacts pass the same checks. Tiles come from a same-origin address
that answers 404, as when the tile server cannot be reached: the pages must stay usable."""

import re

import pytest
from playwright.sync_api import expect

from clocher.directory.models import ContactTheme, Place, PlaceCategory, UsefulContact
from clocher.territories.content import Status

from .conftest import check, visit

AUCH = {"latitude": 43.6465, "longitude": 0.5855}


def place(commune, name, category, metres_north, hours, **fields):
    created = Place.objects.create(
        commune=commune, territory=commune, status=Status.PUBLISHED, name=name,
        lat=AUCH["latitude"] + metres_north / 111_320, lon=AUCH["longitude"], opening_hours=hours, **fields,
    )
    PlaceCategory.objects.create(place=created, category=category)
    return created


@pytest.fixture(autouse=True)
def _tiles_that_fail(settings):
    settings.MAP_TILE_URL = "/tuiles-absentes/{z}/{x}/{y}.png"


def test_a_visitor_in_auch_finds_a_restaurant_open_now_nearby_and_calls_it(page, context, auch):
    place(auch, "Le Café Gascon", "restaurant", 600, "Mo-Su 00:00-24:00", phone="+33562612100")
    place(auch, "La Table fermée", "restaurant", 300, "Jan 1 09:00-10:00")
    place(auch, "L'Auberge lointaine", "restaurant", 4500, "Mo-Su 00:00-24:00")
    place(auch, "Musée des Amériques", "museum", 200, "Mo-Su 00:00-24:00")
    context.grant_permissions(["geolocation"])
    context.set_geolocation(AUCH)

    visit(page, "/communes/32013/lieux/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Auch")
    page.get_by_text("Filtres").click()
    page.get_by_label("Catégorie").select_option("restaurant")
    page.get_by_label("Ouvert maintenant").check()
    page.get_by_label("Près de moi").check()
    page.get_by_label("Distance").select_option("2")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher les lieux").click()
    check(page)
    assert "lat=43.6465" in page.url
    results = page.locator(".places")
    expect(results).to_contain_text("Le Café Gascon")
    expect(results).to_contain_text("à 600 m")
    expect(results).not_to_contain_text("La Table fermée")
    expect(results).not_to_contain_text("L'Auberge lointaine")
    expect(results).not_to_contain_text("Musée des Amériques")
    expect(page.get_by_role("heading", level=2)).to_contain_text("de votre position")

    page.get_by_role("link", name="Le Café Gascon").click()
    page.wait_for_url(re.compile(r"/lieux/\d+/le-cafe-gascon/$"))
    check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Le Café Gascon")
    expect(page.locator(".place__state")).to_contain_text("Ouvert")
    hours = page.get_by_role("table")
    expect(hours).to_contain_text("Toute la journée")
    expect(hours.get_by_role("row")).to_have_count(7)
    call = page.get_by_role("link", name=re.compile("Appeler le 05 62 61 21 00"))
    expect(call).to_have_attribute("href", "tel:+33562612100")
    expect(page.get_by_role("link", name="Voir sur OpenStreetMap")).to_be_visible()
    # The small map is drawn, with its marker, even though no tile loads.
    expect(page.locator("[data-place-map] .leaflet-marker-icon")).to_have_count(1)


def test_the_map_shows_the_places_and_a_marker_opens_one(page, auch):
    place(auch, "Le Café Gascon", "restaurant", 600, "Mo-Su 00:00-24:00")
    visit(page, "/lieux/carte/")
    expect(page.locator("[data-map-status]")).to_contain_text("Un lieu sur la carte")
    check(page)
    expect(page.get_by_role("link", name="Voir les lieux sous forme de liste")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Restaurant")).click()
    check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Le Café Gascon")


def test_the_useful_contacts_are_one_tap_away(page, auch):
    # Live-server tests empty the database between tests, national numbers included: bring them.
    UsefulContact.objects.create(theme=ContactTheme.URGENCES, name="Numéro d'urgence européen", phone="112")
    UsefulContact.objects.create(
        territory=auch, theme=ContactTheme.ENFANCE, name="Crèche municipale", phone="+33562612101",
        hours="Du lundi au vendredi, 7 h 30 – 18 h 30",
    )
    visit(page, "/communes/32013/contacts-utiles/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contacts utiles à Auch")
    expect(page.get_by_role("link", name=re.compile(r"Appeler le\s+112"))).to_have_attribute("href", "tel:112")
    expect(page.get_by_role("link", name=re.compile(r"Appeler le\s+05 62 61 21 01"))).to_have_attribute(
        "href", "tel:+33562612101"
    )
