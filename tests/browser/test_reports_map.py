"""The reports on a map, on a phone, with tiles that answer 404 (as when the tile server cannot be
reached): a resident sees Auch's reports with their status in shape and words, filters them and opens
one; an agent sees the filtered queue on a map above the list. Every page goes through axe-core, and
a phone-sized screenshot of each map is left in /tmp/shots/."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from clocher.reports.models import EventKind, Report, ReportCategory, ReportStatus
from clocher.reports.tests.geo import with_boundaries
from clocher.territories.models import Role
from conftest import PASSWORD, grant, make_user

from .conftest import check, sign_in, visit

pytestmark = pytest.mark.usefixtures("no_tiles")

# Phone-sized screenshots of each map, to look at (the brief's /tmp/shots/ on Linux).
SHOTS = Path(tempfile.gettempdir()) / "shots"
S = ReportStatus


@pytest.fixture
def reports(auch, marciac):
    """Three reports in Auch (new, in progress, resolved), one with the reporter's details."""
    with_boundaries(auch, marciac)  # the map opens on the commune when nothing matches
    lighting = ReportCategory.objects.create(territory=auch, code="eclairage", name="Éclairage public")
    roads = ReportCategory.objects.create(territory=auch, code="voirie", name="Voirie")
    made = []
    for category, status, lat, lon in (
        (lighting, S.NEW, 43.6465, 0.5855),
        (roads, S.IN_PROGRESS, 43.6490, 0.5880),
        (lighting, S.RESOLVED, 43.6440, 0.5830),
    ):
        report = Report.objects.create(
            territory=auch, commune=auch, category=category, status=status, lat=lat, lon=lon,
            description="Constaté ce matin", reporter_name="Rosalie Discrète", reporter_email="rosalie@example.org",
        )
        report.events.create(kind=EventKind.CREATED, status=S.NEW)
        made.append(report)
    return made


def _markers(page):
    return page.locator("[data-reports-map] .leaflet-marker-icon")


def test_a_resident_sees_auchs_reports_on_a_map_filters_them_and_opens_one(page, auch, reports):
    visit(page, f"/communes/{auch.code}/signalements/")
    expect(_markers(page)).to_have_count(3)
    expect(page.get_by_role("status").filter(has_text="3 signalements sur la carte")).to_be_visible()
    expect(page.locator("[data-reports-legend]")).to_be_visible()
    # Each marker says its status in words, not only in colour.
    expect(page.get_by_role("button", name=re.compile(r"Voirie · En cours$"))).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Rosalie")
    check(page)
    SHOTS.mkdir(exist_ok=True)
    page.locator("[data-reports-map]").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "reports-map-public.png"))
    page.evaluate("window.scrollTo(0, 0)")

    page.get_by_label("État").select_option(label="En attente ou en cours")
    page.get_by_label("Catégorie").select_option(label="Voirie")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    expect(_markers(page)).to_have_count(1)
    expect(page.locator(".report-list > li")).to_have_count(1)
    check(page)

    page.get_by_role("button", name=re.compile("Voirie · En cours")).click()
    popup = page.locator(".leaflet-popup")
    expect(popup).to_contain_text(f"N° {reports[1].pk} · Voirie")
    with page.expect_navigation():
        popup.get_by_role("link", name="Voir le signalement").click()
    check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Voirie")


def test_the_map_says_so_when_nothing_matches(page, auch, reports):
    visit(page, f"/communes/{auch.code}/signalements/?status=rejected")
    expect(page.get_by_role("status").filter(has_text="Aucun signalement sur la carte")).to_be_visible()
    expect(_markers(page)).to_have_count(0)
    check(page)


def test_an_agent_sees_the_filtered_queue_on_a_map_above_the_list(page, gers_portal, auch, reports):
    agent = make_user("agathe@example.org", display_name="Agathe")
    grant(agent, auch, Role.AGENT)
    sign_in(page, agent.email, PASSWORD)
    check(page)

    visit(page, f"/gestion/{auch.pk}/signalements/carte/?etat=open")
    expect(_markers(page)).to_have_count(2)
    expect(page.get_by_role("status").filter(has_text="2 signalements sur la carte")).to_be_visible()
    # The Leaflet map replaces the plan on screen; the list stays.
    expect(page.locator("[data-reports-plan]")).to_be_hidden()
    expect(page.locator("[data-report-point]")).to_have_count(2)
    expect(page.get_by_label("État")).to_be_hidden()  # the filters are folded, the map comes first
    expect(page.locator("[data-reports-map]")).to_be_in_viewport()
    check(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "reports-map-agents.png"))

    page.locator("summary", has_text="Filtres (appliqués)").click()
    page.get_by_label("Catégorie").select_option(label="Voirie")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    expect(_markers(page)).to_have_count(1)
    check(page)
    visit(page, f"/gestion/{auch.pk}/signalements/carte/?etat=open")
    page.get_by_role("button", name=re.compile(r"Éclairage public · Nouveau$")).click()
    with page.expect_navigation():
        page.locator(".leaflet-popup").get_by_role("link", name="Ouvrir le signalement").click()
    check(page)
    expect(page.get_by_text("rosalie@example.org")).to_be_visible()

