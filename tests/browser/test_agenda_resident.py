"""A visitor of Auch opens the agenda, looks at this weekend, opens an event and adds it to their
own calendar (.ics). Map tiles come from an address that answers 404, as when the tile server
cannot be reached: the event's page must stay usable."""

import re

import icalendar
import pytest
import time_machine
from playwright.sync_api import expect

from clocher.agenda.models import EventStatus
from clocher.agenda.tests.factories import at, make_event, north_of_auch

# A Tuesday morning; the clock keeps running from there for the live server too.
TUESDAY = at(2026, 11, 24, 10)


@pytest.fixture(autouse=True)
def _tiles_that_fail(settings):
    settings.MAP_TILE_URL = "/tuiles-absentes/{z}/{x}/{y}.png"


@pytest.fixture(autouse=True)
def _tuesday():
    with time_machine.travel(TUESDAY, tick=True):
        yield


def test_a_visitor_of_auch_finds_this_weekends_concert_and_adds_it_to_their_calendar(page, context, auch, gers):
    lat, lon = north_of_auch(400)
    make_event(
        auch, "Concert de l'harmonie", at(2026, 11, 28, 20, 30), categories=["concert"], lat=lat, lon=lon,
        location_name="Cathédrale Sainte-Marie", price="10 €", wheelchair="yes",
    )
    make_event(gers, "Bal de la Sainte-Catherine", at(2026, 11, 29, 15), event_status=EventStatus.CANCELLED,
               status_note="Salle indisponible")
    make_event(auch, "Conférence de mercredi", at(2026, 11, 25, 18))

    from .conftest import check, visit

    visit(page, "/communes/32013/agenda/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agenda à Auch")
    expect(page.locator(".agenda-list")).to_contain_text("Conférence de mercredi")

    page.get_by_role("link", name="Ce week-end").click()
    page.wait_for_url(re.compile(r"quand=weekend"))
    check(page)
    listing = page.locator(".agenda-list")
    expect(listing).to_contain_text("Concert de l'harmonie")
    expect(listing).to_contain_text("Annulé")
    expect(listing).not_to_contain_text("Conférence de mercredi")

    page.get_by_role("link", name="Concert de l'harmonie").click()
    page.wait_for_url(re.compile(r"/agenda/\d+/concert-de-lharmonie/$"))
    check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Concert de l'harmonie")
    expect(page.locator("article")).to_contain_text("Samedi 28 novembre à 20 h 30")
    expect(page.locator("article")).to_contain_text("10 €")

    link = page.get_by_role("link", name="Ajouter à mon agenda")
    answer = page.request.get(link.get_attribute("href"))
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    with open(download.path(), "rb") as downloaded:
        calendar = icalendar.Calendar.from_ical(downloaded.read())
    events = list(calendar.walk("VEVENT"))
    assert [str(event["SUMMARY"]) for event in events] == ["Concert de l'harmonie"]
    assert events[0].decoded("DTSTART") == at(2026, 11, 28, 20, 30)


def test_the_month_calendar_and_near_me_pass_the_same_checks(page, context, auch):
    lat, lon = north_of_auch(2500)
    make_event(auch, "Marché de Noël", at(2026, 12, 12), all_day=True, lat=lat, lon=lon)
    make_event(auch, "Loto", at(2026, 11, 28, 20, 30), lat=lat, lon=lon)
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": lat, "longitude": lon})

    from .conftest import check, visit

    visit(page, "/communes/32013/agenda/calendrier/")
    page.get_by_role("link", name="Samedi 28 novembre : 1 événement").click()
    expect(page.locator("#jour-2026-11-28")).to_contain_text("Loto")
    check(page)
    page.get_by_role("link", name=re.compile("décembre 2026")).click()
    page.wait_for_url(re.compile(r"mois=2026-12"))
    check(page)
    expect(page.locator("#jour-2026-12-12")).to_contain_text("Marché de Noël")

    visit(page, "/communes/32013/agenda/pres-de-moi/")
    expect(page.locator(".agenda-list")).to_contain_text("Loto")
    expect(page.locator(".agenda-list")).to_contain_text("à 2,5 km")
    page.get_by_role("button", name="Autour de moi").click()
    page.wait_for_url(re.compile(r"lat="))
    check(page)
    expect(page.locator(".agenda-list")).to_contain_text("Loto")
    expect(page.get_by_role("heading", level=2).first).to_contain_text("de votre position")
