"""The agents' report pages in /gestion/: queue, bulk change, CSV export, plan, report page, figures."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from clocher.accounts.models import User
from clocher.reports.figures import category_figures
from clocher.reports.models import EventKind, Report, ReportCategory, ReportStatus
from clocher.territories.models import Collectivity, Portal, Role, Territory
from conftest import grant, make_user

S = ReportStatus


@pytest.fixture
def joined_auch(gers_portal: Portal, auch: Territory) -> Territory:
    if not Collectivity.objects.filter(territory=auch).exists():
        Collectivity.objects.create(territory=auch, portal=gers_portal)
    return auch


@pytest.fixture
def agent(joined_auch: Territory) -> User:
    user = make_user("agathe@example.org", display_name="Agathe")
    grant(user, joined_auch, Role.AGENT)
    return user


@pytest.fixture
def lighting(auch: Territory) -> ReportCategory:
    return ReportCategory.objects.create(territory=auch, code="eclairage", name="Éclairage public")


@pytest.fixture
def roads(auch: Territory) -> ReportCategory:
    return ReportCategory.objects.create(territory=auch, code="voirie", name="Voirie")


def make_report(territory: Territory, category: ReportCategory, **extra: Any) -> Report:
    values: dict[str, Any] = {"territory": territory, "commune": territory, "category": category,
                              "lat": 43.6465, "lon": 0.5855, "description": "Lampadaire éteint"}
    values.update(extra)
    report = Report.objects.create(**values)
    report.events.create(kind=EventKind.CREATED, status=S.NEW)
    return report


@pytest.fixture
def report(auch: Territory, lighting: ReportCategory) -> Report:
    return make_report(auch, lighting, reporter_name="Jean", reporter_email="jean@example.org")


@pytest.fixture
def agent_client(gers_client: Client, agent: User) -> Client:
    gers_client.force_login(agent)
    return gers_client


def _url(name: str, territory: Territory, **kwargs: int) -> str:
    return reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk, **kwargs})


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(buffer, "PNG")
    return buffer.getvalue()


# Queue

def test_the_queue_lists_the_reports_with_a_flat_query_count(
    agent_client: Client, auch: Territory, lighting: ReportCategory, django_assert_max_num_queries: Any
) -> None:
    def queries_for(count: int) -> int:
        for _ in range(count):
            make_report(auch, lighting, assignee=make_user(f"a{Report.objects.count()}@example.org"))
        with CaptureQueriesContext(connection) as captured:
            response = agent_client.get(_url("reports", auch))
        assert response.content.decode().count("Éclairage public</a>") == Report.objects.count()
        return len(captured)

    queries_for(1)  # the first request of a session writes it
    assert queries_for(2) == queries_for(10)
    with django_assert_max_num_queries(16):
        assert agent_client.get(_url("reports", auch)).status_code == 200


def test_the_queue_filters_by_status_category_and_age(
    agent_client: Client, auch: Territory, lighting: ReportCategory, roads: ReportCategory
) -> None:
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC)):
        old = make_report(auch, roads)
    fresh = make_report(auch, lighting)
    closed = make_report(auch, lighting, status=S.RESOLVED)
    page = agent_client.get(_url("reports", auch), {"categorie": str(lighting.pk), "etat": "open"}).context["page"]
    assert list(page.object_list) == [fresh]
    page = agent_client.get(_url("reports", auch), {"anciennete": "30"}).context["page"]
    assert list(page.object_list) == [old]
    page = agent_client.get(_url("reports", auch), {"etat": "closed", "anciennete": "x"}).context["page"]
    assert list(page.object_list) == [closed]


def test_a_bulk_change_goes_through_the_workflow_and_reports_each_refusal(
    agent_client: Client, auch: Territory, lighting: ReportCategory
) -> None:
    first, second = make_report(auch, lighting), make_report(auch, lighting, status=S.RESOLVED)
    response = agent_client.post(_url("reports", auch), {"reports": [first.pk, second.pk], "bulk_status": "acknowledged"},
                                 follow=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (S.ACKNOWLEDGED, S.RESOLVED)
    text = response.content.decode()
    assert f"Signalement n° {second.pk}" in text
    assert first.acknowledged_at is not None


def test_a_bulk_change_without_a_status_changes_nothing(
    agent_client: Client, auch: Territory, lighting: ReportCategory
) -> None:
    first = make_report(auch, lighting)
    response = agent_client.post(_url("reports", auch), {"reports": [first.pk], "bulk_status": ""}, follow=True)
    assert "Cochez au moins un signalement" in response.content.decode()
    first.refresh_from_db()
    assert first.status == S.NEW


def test_the_status_form_offers_only_the_workflow_steps(agent_client: Client, auch: Territory, report: Report) -> None:
    url = _url("report", auch, report_id=report.pk)
    choices = [value for value, _label in agent_client.get(url).context["status_form"].fields["status"].choices]
    assert "new" not in choices and "acknowledged" in choices
    response = agent_client.post(url, {"action": "status", "status-status": "new"})
    assert response.status_code == 200
    assert "status" in response.context["status_form"].errors


def test_a_bulk_change_never_touches_another_territorys_report(
    agent_client: Client, auch: Territory, marciac: Territory
) -> None:
    theirs = make_report(marciac, ReportCategory.objects.create(territory=marciac, code="x", name="X"))
    agent_client.post(_url("reports", auch), {"reports": [theirs.pk], "bulk_status": "acknowledged"})
    theirs.refresh_from_db()
    assert theirs.status == S.NEW


# CSV

def test_the_export_is_a_csv_of_the_filtered_queue_with_formulas_neutralised(
    agent_client: Client, auch: Territory, lighting: ReportCategory, roads: ReportCategory
) -> None:
    make_report(auch, lighting, description="=HYPERLINK(\"http://evil\")", reporter_name="@Jean",
                reporter_email="jean@example.org", address="+33 rue")
    make_report(auch, roads, description="Nid de poule")
    response = agent_client.get(_url("reports_export", auch), {"categorie": lighting.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Description"] == "'=HYPERLINK(\"http://evil\")"
    assert row["Nom"] == "'@Jean"
    assert row["Adresse"] == "'+33 rue"
    assert row["E-mail"] == "jean@example.org"
    assert row["Catégorie"] == "Éclairage public"


# Plan

def test_the_plan_places_each_report_as_a_link(agent_client: Client, auch: Territory, report: Report) -> None:
    response = agent_client.get(_url("reports_map", auch))
    assert response.status_code == 200
    assert _url("report", auch, report_id=report.pk) in response.content.decode()
    assert "<circle" in response.content.decode()


# A report's page

def test_the_report_page_shows_the_reporter_and_marks_internal_notes(
    agent_client: Client, auch: Territory, report: Report
) -> None:
    agent_client.post(_url("report", auch, report_id=report.pk), {"action": "note", "note-text": "Voir avec Enedis"})
    text = agent_client.get(_url("report", auch, report_id=report.pk)).content.decode()
    assert "jean@example.org" in text
    assert "Voir avec Enedis" in text
    assert "(interne)" in text


def test_an_agent_acknowledges_then_resolves_and_the_reporter_is_told(
    agent_client: Client, auch: Territory, report: Report, django_capture_on_commit_callbacks: Any
) -> None:
    url = _url("report", auch, report_id=report.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url, {"action": "status", "status-status": "acknowledged"})
        agent_client.post(url, {"action": "update", "update-text": "Lampe changée",
                                "update-photo": SimpleUploadedFile("apres.png", _png(), "image/png")})
        agent_client.post(url, {"action": "status", "status-status": "resolved"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == S.RESOLVED
    update = report.events.get(kind=EventKind.PUBLIC_UPDATE)
    media = update.media.get()
    assert media.content_type == "image/jpeg"
    assert [m.to for m in mail.outbox] == [["jean@example.org"]] * 3
    assert "Lampe changée" in agent_client.get(url).content.decode()


def test_a_refused_photo_publishes_nothing(agent_client: Client, auch: Territory, report: Report) -> None:
    response = agent_client.post(_url("report", auch, report_id=report.pk), {
        "action": "update", "update-text": "Lampe changée",
        "update-photo": SimpleUploadedFile("apres.png", b"not an image", "image/png")})
    assert response.status_code == 200
    assert not report.events.filter(kind=EventKind.PUBLIC_UPDATE).exists()
    assert response.context["update_form"].errors


def test_a_rejection_without_reason_is_a_form_error(agent_client: Client, auch: Territory, report: Report) -> None:
    response = agent_client.post(_url("report", auch, report_id=report.pk),
                                 {"action": "status", "status-status": "rejected"})
    assert response.status_code == 200
    assert "public_reason" in response.context["status_form"].errors
    report.refresh_from_db()
    assert report.status == S.NEW


def test_a_duplicate_points_to_a_report_of_the_same_queue(
    agent_client: Client, auch: Territory, report: Report, lighting: ReportCategory
) -> None:
    original = make_report(auch, lighting)
    url = _url("report", auch, report_id=report.pk)
    response = agent_client.post(url, {"action": "status", "status-status": "duplicate", "status-duplicate_of": "999999"})
    assert "duplicate_of" in response.context["status_form"].errors
    agent_client.post(url, {"action": "status", "status-status": "duplicate", "status-duplicate_of": original.pk})
    report.refresh_from_db()
    assert (report.status, report.duplicate_of) == (S.DUPLICATE, original)


def test_a_report_is_assigned_to_an_agent_of_the_territory_only(
    agent_client: Client, auch: Territory, report: Report, agent: User, resident: User
) -> None:
    url = _url("report", auch, report_id=report.pk)
    response = agent_client.post(url, {"action": "assign", "assign-assignee": resident.pk})
    assert response.status_code == 200
    agent_client.post(url, {"action": "assign", "assign-assignee": agent.pk})
    report.refresh_from_db()
    assert report.assignee == agent
    assert report.events.filter(kind=EventKind.ASSIGNED, is_public=False).exists()


def _assignable(client: Client, territory: Territory, report: Report) -> set[int]:
    form = client.get(_url("report", territory, report_id=report.pk)).context["assign_form"]
    return {value for value, _label in form.fields["assignee"].choices if value != ""}


def test_the_assign_list_offers_the_collectivitys_handlers_only(
    agent_client: Client, auch: Territory, grand_auch: Territory, report: Report, agent: User, bob: User,
    dora: User, mona: User
) -> None:
    epci_agent = make_user("emile@example.org", display_name="Émile")
    grant(epci_agent, grand_auch, Role.AGENT)
    assert _assignable(agent_client, auch, report) == {agent.pk, bob.pk}
    response = agent_client.post(_url("report", auch, report_id=report.pk),
                                 {"action": "assign", "assign-assignee": epci_agent.pk})
    assert response.status_code == 200 and response.context["assign_form"].errors
    report.refresh_from_db()
    assert report.assignee is None


def test_a_collectivity_that_delegates_to_its_epci_may_assign_the_epcis_agents(
    agent_client: Client, auch: Territory, grand_auch: Territory, report: Report, agent: User
) -> None:
    epci_agent = make_user("emile@example.org", display_name="Émile")
    grant(epci_agent, grand_auch, Role.AGENT)
    Collectivity.objects.filter(territory=auch).update(delegates_to_parent=True)
    assert _assignable(agent_client, auch, report) == {agent.pk, epci_agent.pk}
    agent_client.post(_url("report", auch, report_id=report.pk), {"action": "assign", "assign-assignee": epci_agent.pk})
    report.refresh_from_db()
    assert report.assignee == epci_agent


def test_a_bulk_duplicate_needs_the_original_report(
    agent_client: Client, auch: Territory, marciac: Territory, lighting: ReportCategory
) -> None:
    first, second, original = make_report(auch, lighting), make_report(auch, lighting), make_report(auch, lighting)
    theirs = make_report(marciac, ReportCategory.objects.create(territory=marciac, code="x", name="X"))
    ids = [first.pk, second.pk]
    response = agent_client.post(_url("reports", auch), {"reports": ids, "bulk_status": "duplicate"}, follow=True)
    assert "indiquez le numéro du signalement d'origine" in html.unescape(response.content.decode())
    for target in (theirs.pk, "abc", 999999):
        response = agent_client.post(_url("reports", auch), {"reports": ids, "bulk_status": "duplicate",
                                                             "bulk_duplicate_of": target}, follow=True)
        assert "n'existe pas dans votre file" in html.unescape(response.content.decode())
    assert set(Report.objects.filter(status=S.DUPLICATE)) == set()
    response = agent_client.post(_url("reports", auch), {"reports": [*ids, original.pk], "bulk_status": "duplicate",
                                                         "bulk_duplicate_of": original.pk}, follow=True)
    assert "2 signalement(s) modifié(s)" in response.content.decode()
    assert f"Signalement n° {original.pk}" in response.content.decode()  # not a duplicate of itself
    assert set(Report.objects.filter(status=S.DUPLICATE, duplicate_of=original)) == {first, second}


# Map

def test_the_map_page_lists_each_point_for_the_leaflet_map_and_keeps_the_plan(
    agent_client: Client, auch: Territory, lighting: ReportCategory, roads: ReportCategory
) -> None:
    shown = make_report(auch, lighting, lat=43.64651, lon=0.58552, status=S.IN_PROGRESS)
    make_report(auch, roads)
    response = agent_client.get(_url("reports_map", auch), {"categorie": lighting.pk})
    text = response.content.decode()
    assert text.count("data-report-point") == 1
    assert 'data-lat="43.64651" data-lon="0.58552" data-status="in_progress"' in text
    assert "data-reports-map data-points hidden" in text and "js/reports-map.js" in text
    assert "<circle" in text and 'data-reports-plan' in text
    assert _url("report", auch, report_id=shown.pk) in text
    assert 'id="filter-category"' in text


def test_the_map_says_when_it_shows_only_the_newest(
    agent_client: Client, auch: Territory, lighting: ReportCategory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clocher.backoffice import reports

    monkeypatch.setattr(reports, "MAP_LIMIT", 2)
    for _ in range(3):
        make_report(auch, lighting)
    text = agent_client.get(_url("reports_map", auch)).content.decode()
    assert text.count("data-report-point") == 2
    assert "data-truncated" in text and "Seuls les 2 signalements les plus récents" in text


# Figures

def test_figures_give_counts_and_median_delays_per_category(
    auch: Territory, lighting: ReportCategory, roads: ReportCategory
) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    for hours_to_ack, hours_to_close in ((1, 10), (3, 30), (5, None)):
        created = now - timedelta(days=10)
        make_report(auch, lighting, acknowledged_at=created + timedelta(hours=hours_to_ack),
                    resolved_at=created + timedelta(hours=hours_to_close) if hours_to_close else None)
    Report.objects.filter(category=lighting).update(created_at=now - timedelta(days=10))
    make_report(auch, roads)
    ancient = make_report(auch, roads)
    Report.objects.filter(pk=ancient.pk).update(created_at=now - timedelta(days=400))
    with time_machine.travel(now):
        rows = category_figures(auch)
    assert [(r.name, r.count, r.median_acknowledge_hours, r.median_resolve_hours) for r in rows] == [
        ("Éclairage public", 3, 3.0, 20.0), ("Voirie", 1, None, None)]


def test_the_figures_page_draws_an_svg_with_a_table(agent_client: Client, auch: Territory, report: Report) -> None:
    text = agent_client.get(_url("reports_figures", auch)).content.decode()
    assert "<svg" in text and "<title" in text and "<table" in text


# Who may see what

def test_a_resident_or_another_portal_gets_404(client: Client, orne_client: Client, auch: Territory, report: Report,
                                              resident: User, charlie: User, gers_client: Client) -> None:
    gers_client.force_login(resident)
    orne_client.force_login(charlie)
    for name, extra in (("reports", {}), ("reports_export", {}), ("reports_map", {}), ("reports_figures", {}),
                        ("report", {"report_id": report.pk})):
        assert gers_client.get(_url(name, auch, **extra)).status_code == 404
        assert orne_client.get(_url(name, auch, **extra)).status_code == 404
