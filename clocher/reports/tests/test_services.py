"""Submitting, supporting and handling reports (clocher.reports.services)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from clocher.notifications.models import Notification
from clocher.reports import services
from clocher.reports.models import EventKind, Report, ReportCategory, ReportEvent, ReportStatus
from clocher.reports.routing import ReportRefused
from clocher.reports.services import (
    TRANSITIONS,
    add_note,
    assign,
    change_status,
    count_report,
    post_update,
    reports_left,
    submit_report,
    support_report,
)
from clocher.territories.models import Role, Territory
from conftest import grant, make_user

from .geo import inside
from .test_routing import CATHEDRAL_OF_AUCH

S = ReportStatus


@pytest.fixture
def agent(auch: Territory):
    user = make_user("agathe@example.org", display_name="Agathe")
    grant(user, auch, Role.AGENT)
    return user


@pytest.fixture
def marciac_agent(marciac: Territory):
    user = make_user("marc@example.org", display_name="Marc")
    grant(user, marciac, Role.AGENT)
    return user


def _submit(portal, category: ReportCategory, **extra) -> Report:
    values: dict[str, Any] = {"lat": CATHEDRAL_OF_AUCH[0], "lon": CATHEDRAL_OF_AUCH[1], "description": "Lampadaire éteint"}
    values.update(extra)
    report, created = submit_report(portal=portal, category=category, **values)
    assert created
    return report


@pytest.fixture
def report(gers_portal, bounded, lighting) -> Report:
    return _submit(gers_portal, lighting, email="habitant@example.org", name="Jean")


# --- submit_report -------------------------------------------------------------------------------


def test_a_report_is_routed_to_the_commune_and_writes_its_created_event(gers_portal, bounded, auch, lighting, resident):
    report = _submit(gers_portal, lighting, reporter=resident, channel="app")
    assert (report.territory, report.commune, report.status, report.channel) == (auch, auch, S.NEW, "app")
    assert report.reporter == resident
    event = report.events.get()
    assert (event.kind, event.status, event.is_public, event.actor) == (EventKind.CREATED, S.NEW, True, resident)


def test_a_departmental_road_report_goes_to_the_gers(gers_portal, bounded, gers, departmental_road):
    assert _submit(gers_portal, departmental_road).territory == gers


def test_the_description_is_stored_as_plain_text(gers_portal, bounded, lighting):
    report = _submit(gers_portal, lighting, description="<script>alert(1)</script><b>Trou</b>\x00 profond ")
    assert report.description == "alert(1)Trou profond"


def test_a_description_over_4000_characters_is_refused(gers_portal, bounded, lighting):
    with pytest.raises(ReportRefused) as refused:
        _submit(gers_portal, lighting, description="x" * 4001)
    assert refused.value.field == "description"
    assert not Report.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("email", "pas-une-adresse"), ("phone", "appelez-moi")])
def test_invalid_contact_details_are_refused(gers_portal, bounded, lighting, field, value):
    with pytest.raises(ReportRefused) as refused:
        _submit(gers_portal, lighting, **{field: value})
    assert refused.value.field == field


def test_contact_details_without_consent_are_refused(gers_portal, bounded, lighting):
    with pytest.raises(ReportRefused) as refused:
        _submit(gers_portal, lighting, email="a@example.org", consent=False)
    assert refused.value.field == "consent"


def test_an_anonymous_report_needs_no_consent(gers_portal, bounded, lighting):
    report = _submit(gers_portal, lighting, consent=False)
    assert (report.reporter, report.reporter_email, report.consent_at) == (None, "", None)


@pytest.mark.parametrize(("lat", "lon"), [("nan", 0.5), (91, 0), ("abc", 1), (None, None)])
def test_a_meaningless_point_is_refused(gers_portal, bounded, lighting, lat, lon):
    with pytest.raises(ReportRefused) as refused:
        submit_report(portal=gers_portal, category=lighting, lat=lat, lon=lon, description="x")
    assert refused.value.field == "location"


def test_a_point_outside_the_portal_is_refused(orne_portal, bounded, lighting):
    with pytest.raises(ReportRefused, match="hors du territoire"):
        _submit(orne_portal, lighting)


def test_a_category_not_offered_at_the_point_is_refused(gers_portal, bounded, marciac, lighting):
    with pytest.raises(ReportRefused) as refused:
        _submit(gers_portal, lighting, lat=inside(marciac.code)[0], lon=inside(marciac.code)[1])
    assert refused.value.field == "category"


def test_a_repeated_idempotency_key_returns_the_first_report(gers_portal, bounded, lighting):
    first = _submit(gers_portal, lighting, idempotency_key="k-1")
    again, created = submit_report(
        portal=gers_portal, category=lighting, lat=CATHEDRAL_OF_AUCH[0], lon=CATHEDRAL_OF_AUCH[1],
        description="Autre texte", idempotency_key="k-1",
    )
    assert (again, created) == (first, False)
    assert Report.objects.count() == 1
    assert ReportEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_repeated_idempotency_key_returns_the_first_report_even_under_a_race(
    gers_portal, bounded, lighting, monkeypatch
):
    winner = _submit(gers_portal, lighting, idempotency_key="race")
    real = services._existing
    calls = []

    def too_late(key):
        # The loser looked before the winner committed: it saw nothing, then hits the constraint.
        calls.append(key)
        return None if len(calls) == 1 else real(key)

    monkeypatch.setattr(services, "_existing", too_late)
    loser, created = submit_report(
        portal=gers_portal, category=lighting, lat=CATHEDRAL_OF_AUCH[0], lon=CATHEDRAL_OF_AUCH[1],
        description="Encore", idempotency_key="race",
    )
    assert (loser, created) == (winner, False)
    assert calls == ["race", "race"]
    assert Report.objects.count() == 1
    assert ReportEvent.objects.count() == 1


def test_a_key_already_used_for_another_category_is_refused(gers_portal, bounded, lighting, departmental_road):
    _submit(gers_portal, departmental_road, idempotency_key="k-2")
    with pytest.raises(ReportRefused) as refused:
        submit_report(
            portal=gers_portal, category=lighting, lat=CATHEDRAL_OF_AUCH[0], lon=CATHEDRAL_OF_AUCH[1],
            description="x", idempotency_key="k-2",
        )
    assert refused.value.field == "idempotency_key"


def test_an_overlong_idempotency_key_is_refused(gers_portal, bounded, lighting):
    with pytest.raises(ReportRefused):
        _submit(gers_portal, lighting, idempotency_key="k" * 65)


def test_ten_reports_an_hour_per_key():
    assert reports_left("ip:1") == 10
    for _ in range(10):
        count_report("ip:1")
    assert reports_left("ip:1") == 0
    assert reports_left("ip:2") == 10


# --- support_report ------------------------------------------------------------------------------


def test_a_person_supports_a_report_once(report, resident):
    assert support_report(report, resident) is True
    assert support_report(report, resident) is False
    assert report.supporters == 1
    event = report.events.get(kind=EventKind.SUPPORTED)
    assert (event.actor, event.is_public) == (resident, False)


def test_an_anonymous_visitor_supports_a_report_once_per_key(report):
    assert support_report(report, "ip:1") is True
    assert support_report(report, "ip:1") is False
    assert support_report(report, "ip:2") is True
    report.refresh_from_db()
    assert report.supporters == 2


def test_a_closed_report_cannot_be_supported(report, alice, resident):
    change_status(alice, report, S.RESOLVED)
    with pytest.raises(ReportRefused):
        support_report(report, resident)


# --- change_status -------------------------------------------------------------------------------


def _other(report: Report) -> Report:
    return Report.objects.create(
        territory=report.territory, commune=report.commune, category=report.category, lat=1, lon=1
    )


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(S.values, S.values)))
def test_every_transition_is_allowed_or_refused_as_the_workflow_says(report, agent, current, wanted):
    Report.objects.filter(pk=report.pk).update(status=current)
    report.refresh_from_db()
    extra: dict[str, Any] = {"public_reason": "Hors compétence", "duplicate_of": _other(report)}
    if wanted in TRANSITIONS[current]:
        change_status(agent, report, wanted, **extra)
        report.refresh_from_db()
        assert report.status == wanted
        assert report.events.filter(kind=EventKind.STATUS, status=wanted).exists()
    else:
        with pytest.raises(ReportRefused):
            change_status(agent, report, wanted, **extra)
        report.refresh_from_db()
        assert report.status == current


def test_the_workflow_is_the_one_of_the_brief():
    assert TRANSITIONS[S.NEW] == {S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.REJECTED, S.DUPLICATE}
    assert TRANSITIONS[S.ACKNOWLEDGED] == {S.IN_PROGRESS, S.RESOLVED, S.REJECTED, S.DUPLICATE}
    assert TRANSITIONS[S.IN_PROGRESS] == {S.RESOLVED, S.REJECTED}
    for closed in (S.RESOLVED, S.REJECTED, S.DUPLICATE):
        assert TRANSITIONS[closed] == {S.IN_PROGRESS}


def test_an_unknown_status_is_refused(report, agent):
    with pytest.raises(ReportRefused):
        change_status(agent, report, "lost")


def test_acknowledging_then_resolving_sets_the_dates_and_reopening_clears_resolution(report, agent):
    with time_machine.travel(datetime(2026, 5, 4, 9, 0, tzinfo=UTC), tick=False):
        change_status(agent, report, S.ACKNOWLEDGED)
    with time_machine.travel(datetime(2026, 5, 6, 9, 0, tzinfo=UTC), tick=False):
        change_status(agent, report, S.RESOLVED)
    report.refresh_from_db()
    assert report.acknowledged_at == datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    assert report.resolved_at == datetime(2026, 5, 6, 9, 0, tzinfo=UTC)
    change_status(agent, report, S.IN_PROGRESS)
    report.refresh_from_db()
    assert report.resolved_at is None
    assert report.acknowledged_at == datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_a_rejection_needs_a_public_reason(report, agent):
    with pytest.raises(ReportRefused) as refused:
        change_status(agent, report, S.REJECTED, public_reason="  ")
    assert refused.value.field == "public_reason"
    change_status(agent, report, S.REJECTED, public_reason="Ce n'est pas sur la voie publique.")
    report.refresh_from_db()
    assert report.public_reason == "Ce n'est pas sur la voie publique."
    assert report.events.get(kind=EventKind.STATUS).text == "Ce n'est pas sur la voie publique."


def test_a_duplicate_needs_the_report_it_repeats_in_the_same_collectivity(
    gers_portal, report, agent, departmental_road
):
    with pytest.raises(ReportRefused):
        change_status(agent, report, S.DUPLICATE)
    with pytest.raises(ReportRefused):
        change_status(agent, report, S.DUPLICATE, duplicate_of=report)
    of_the_gers = _submit(gers_portal, departmental_road)
    with pytest.raises(ReportRefused):
        change_status(agent, report, S.DUPLICATE, duplicate_of=of_the_gers)
    original = _other(report)
    change_status(agent, report, S.DUPLICATE, duplicate_of=original)
    report.refresh_from_db()
    assert (report.status, report.duplicate_of) == (S.DUPLICATE, original)


@pytest.mark.parametrize("who", ["agent", "bob", "alice"])
def test_agents_editors_and_admins_of_the_collectivity_handle_its_reports(report, who, request):
    change_status(request.getfixturevalue(who), report, S.ACKNOWLEDGED)
    report.refresh_from_db()
    assert report.status == S.ACKNOWLEDGED


@pytest.mark.parametrize("who", ["mona", "marciac_agent", "dora", "charlie", "resident"])
def test_nobody_else_handles_them(report, who, request):
    person = request.getfixturevalue(who)
    for action in (
        lambda: change_status(person, report, S.ACKNOWLEDGED),
        lambda: assign(person, report, None),
        lambda: add_note(person, report, "Vu"),
        lambda: post_update(person, report, "Vu"),
    ):
        with pytest.raises(ReportRefused):
            action()
    report.refresh_from_db()
    assert (report.status, report.events.count()) == (S.NEW, 1)


def test_a_status_change_e_mails_the_reporter_after_the_commit(
    report, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_status(agent, report, S.REJECTED, public_reason="Propriété privée.")
    (mail,) = mailoutbox
    assert mail.to == ["habitant@example.org"]
    assert "Rejeté" in mail.subject
    assert "Propriété privée." in mail.body


def test_a_reporter_with_an_account_is_told_through_the_notifications_not_a_direct_e_mail(
    gers_portal, bounded, lighting, resident, agent, mailoutbox, django_capture_on_commit_callbacks
):
    # clocher.reports.notifications: their preferences decide the channels (e-mail included).
    report = _submit(gers_portal, lighting, reporter=resident)
    with django_capture_on_commit_callbacks(execute=True):
        event = change_status(agent, report, S.ACKNOWLEDGED)
    assert mailoutbox == []
    assert Notification.objects.get(key=f"reports.event:{event.pk}").recipient == resident


def test_an_anonymous_reporter_is_not_e_mailed(
    gers_portal, bounded, lighting, agent, mailoutbox, django_capture_on_commit_callbacks
):
    report = _submit(gers_portal, lighting)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(agent, report, S.ACKNOWLEDGED)
    assert mailoutbox == []


# --- assign, add_note, post_update ---------------------------------------------------------------


def test_a_report_is_assigned_to_an_agent_of_its_collectivity_only(report, alice, agent, marciac_agent):
    with pytest.raises(ReportRefused) as refused:
        assign(alice, report, marciac_agent)
    assert refused.value.field == "assignee"
    event = assign(alice, report, agent)
    report.refresh_from_db()
    assert report.assignee == agent
    assert (event.kind, event.is_public, event.actor) == (EventKind.ASSIGNED, False, alice)
    assign(alice, report, None)
    report.refresh_from_db()
    assert report.assignee is None


def test_a_note_stays_internal_and_is_not_e_mailed(report, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = add_note(agent, report, "<i>Appeler</i> le prestataire")
    assert (event.kind, event.is_public, event.text) == (EventKind.NOTE, False, "Appeler le prestataire")
    assert mailoutbox == []


def test_an_empty_note_or_update_is_refused(report, agent):
    with pytest.raises(ReportRefused):
        add_note(agent, report, " ")
    with pytest.raises(ReportRefused):
        post_update(agent, report, "")


def test_a_public_update_is_shown_and_e_mailed(report, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = post_update(agent, report, "L'ampoule sera changée jeudi.")
    assert (event.kind, event.is_public) == (EventKind.PUBLIC_UPDATE, True)
    (mail,) = mailoutbox
    assert "L'ampoule sera changée jeudi." in mail.body
    assert "Auch" in mail.body
