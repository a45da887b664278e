"""What the reports announce (issue 8): a new status or a public update, to the account that made the
report (personal, topic "my reports"), instead of the direct e-mail, which still reaches a reporter
who left an address only; internal steps announce nothing; each event once."""

from __future__ import annotations

from typing import Any

import pytest

from clocher.notifications.models import Notification, Topic
from clocher.reports.models import Report, ReportCategory, ReportStatus
from clocher.reports.notifications import announce_to_reporter
from clocher.reports.services import add_note, assign, change_status, post_update, submit_report
from clocher.territories.models import Role, Territory
from conftest import grant, make_user

from .test_routing import CATHEDRAL_OF_AUCH

S = ReportStatus


@pytest.fixture
def agent(auch: Territory) -> Any:
    user = make_user("agathe@example.org", display_name="Agathe")
    grant(user, auch, Role.AGENT)
    return user


def submit(portal: Any, category: ReportCategory, **extra: Any) -> Report:
    report, created = submit_report(portal=portal, category=category, lat=CATHEDRAL_OF_AUCH[0],
                                    lon=CATHEDRAL_OF_AUCH[1], description="Lampadaire éteint", **extra)
    assert created
    return report


@pytest.fixture
def mine(gers_portal: Any, bounded: Any, lighting: ReportCategory, resident: Any) -> Report:
    # An account holder who also left an address: the notification replaces the e-mail all the same.
    return submit(gers_portal, lighting, reporter=resident, email="autre@example.org", consent=True)


def test_a_status_change_is_announced_to_the_reporters_account_and_not_e_mailed(
    mine, agent, resident, auch, mailoutbox, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        event = change_status(agent, mine, S.REJECTED, public_reason="Propriété privée.")
    notification = Notification.objects.get(key=f"reports.event:{event.pk}")
    assert notification.topic == Topic.MY_REPORTS
    assert notification.recipient == resident
    assert notification.territory == auch
    assert list(notification.audience.all()) == []
    assert notification.urgent is False
    assert notification.url == f"/signalements/{mine.pk}/"
    assert notification.title == f"Votre signalement n° {mine.pk} : Rejeté"
    assert "Propriété privée." in notification.body
    assert mailoutbox == []


def test_a_public_update_is_announced_once_however_often_it_is_told(
    mine, agent, resident, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        event = post_update(agent, mine, "L'ampoule sera changée jeudi.")
    announce_to_reporter(event)
    (notification,) = Notification.objects.all()
    assert notification.key == f"reports.event:{event.pk}"
    assert notification.recipient == resident
    assert notification.title == f"Votre signalement n° {mine.pk} : une information de Auch"
    assert notification.body == "L'ampoule sera changée jeudi."


def test_each_change_is_its_own_notification_with_the_status_it_set(mine, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        change_status(agent, mine, S.ACKNOWLEDGED)
        change_status(agent, mine, S.IN_PROGRESS)
    titles = sorted(Notification.objects.values_list("title", flat=True))
    assert titles == [f"Votre signalement n° {mine.pk} : En cours",
                      f"Votre signalement n° {mine.pk} : Pris en compte"]


def test_internal_steps_announce_nothing(mine, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = add_note(agent, mine, "Appeler le prestataire")
        assign(agent, mine, agent)
    assert announce_to_reporter(note) is None
    assert not Notification.objects.exists()


def test_a_reporter_without_an_account_is_e_mailed_and_not_notified(
    gers_portal, bounded, lighting, agent, mailoutbox, django_capture_on_commit_callbacks,
):
    report = submit(gers_portal, lighting, email="habitant@example.org", name="Jean", consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        event = change_status(agent, report, S.ACKNOWLEDGED)
    assert [m.to for m in mailoutbox] == [["habitant@example.org"]]
    assert announce_to_reporter(event) is None
    assert not Notification.objects.exists()
