"""Issue 5, done when: a resident of Auch sees the current alert, this weekend's events near them,
opens one, and downloads it to their calendar; no axe violation on any page visited."""

import datetime
import re

import icalendar
import pytest
import time_machine
from playwright.sync_api import expect

from clocher.agenda.tests.factories import at, make_event, north_of_auch
from clocher.news.models import Alert, Severity
from clocher.territories.content import Status
from conftest import PASSWORD

from .conftest import check, sign_in, visit

TUESDAY = at(2026, 11, 24, 10)


@pytest.fixture(autouse=True)
def _tiles_that_fail(settings):
    settings.MAP_TILE_URL = "/tuiles-absentes/{z}/{x}/{y}.png"


@pytest.fixture(autouse=True)
def _tuesday():
    with time_machine.travel(TUESDAY, tick=True):
        yield


def test_a_resident_of_auch_sees_the_alert_then_this_weekends_events_near_them(page, resident, auch, gers):
    Alert.objects.create(
        territory=auch, title="Coupure d'eau rue Dessoles", message="Jusqu'à 18 h, pour travaux.",
        severity=Severity.DANGER, status=Status.PUBLISHED, published_at=TUESDAY - datetime.timedelta(hours=1),
        expires_at=TUESDAY + datetime.timedelta(days=1),
    )
    lat, lon = north_of_auch(400)
    make_event(auch, "Concert de l'harmonie", at(2026, 11, 28, 20, 30), categories=["concert"],
               lat=lat, lon=lon, location_name="Cathédrale Sainte-Marie")
    # Sixty kilometres north: the département's, this weekend too, but not near Auch.
    far_lat, far_lon = north_of_auch(60_000)
    make_event(gers, "Festival lointain", at(2026, 11, 29, 15), lat=far_lat, lon=far_lon)

    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/")
    alerts = page.get_by_role("region", name="Alertes en cours")
    expect(alerts).to_contain_text("Coupure d'eau rue Dessoles")
    check(page)

    page.get_by_role("link", name="Agenda", exact=True).first.click()
    page.wait_for_url(re.compile(r"/communes/32013/agenda/"))
    check(page)
    page.get_by_role("link", name="Près de moi").click()
    page.wait_for_url(re.compile(r"/agenda/pres-de-moi/"))
    check(page)
    listing = page.locator(".agenda-list")
    expect(listing).to_contain_text("Concert de l'harmonie")
    expect(listing).not_to_contain_text("Festival lointain")

    page.get_by_role("link", name="Concert de l'harmonie").click()
    page.wait_for_url(re.compile(r"/agenda/\d+/concert-de-lharmonie/$"))
    check(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ajouter à mon agenda").click()
    with open(download_info.value.path(), "rb") as downloaded:
        calendar = icalendar.Calendar.from_ical(downloaded.read())
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Concert de l'harmonie"
    assert event.decoded("DTSTART") == at(2026, 11, 28, 20, 30)
