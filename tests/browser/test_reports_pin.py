"""Step 1 of the report form: the pin goes where the resident taps, or at the map's centre."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from clocher.reports.models import Competence, ReportCategory
from clocher.reports.tests.geo import inside, with_boundaries

from .conftest import check, visit

pytestmark = pytest.mark.usefixtures("no_tiles")


def test_tapping_the_map_or_the_centre_button_places_the_point(page, gers, auch, marciac):
    with_boundaries(auch, marciac)
    # Without a chosen commune, the map opens on the portal's territory.
    gers.min_lat, gers.min_lon, gers.max_lat, gers.max_lon = 43.31, -0.28, 44.08, 1.20
    gers.save()
    ReportCategory.objects.create(territory=auch, code="voirie", name="Voirie", competence=Competence.COMMUNE)
    visit(page, "/signalements/nouveau/")
    map_box = page.locator("[data-pin-map]")
    expect(map_box).to_be_visible()
    lat, lon = page.get_by_label("Latitude"), page.get_by_label("Longitude")

    page.get_by_role("button", name="Placer le point ici (au centre de la carte)").click()
    expect(page.locator("[data-pin-status]")).to_have_text("Point placé : vérifiez-le puis continuez.")
    centre = (float(lat.input_value()), float(lon.input_value()))
    assert 43.31 < centre[0] < 44.08 and -0.28 < centre[1] < 1.20

    # Typed coordinates move the pin and the map (zoomed in on them).
    a_lat, a_lon = inside(auch.code)
    lat.fill(f"{a_lat:.6f}")
    lon.fill(f"{a_lon:.6f}")
    lon.press("Tab")
    centre = (a_lat, a_lon)
    box = map_box.bounding_box()
    map_box.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.5})
    tapped = (float(lat.input_value()), float(lon.input_value()))
    assert tapped[1] < centre[1]  # left of the centre: further west
    assert abs(tapped[0] - centre[0]) < 0.001 and centre[1] - tapped[1] < 0.005
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    check(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Continuer").click()
    check(page)
    expect(page.get_by_text("Étape 2 sur 2")).to_be_visible()
