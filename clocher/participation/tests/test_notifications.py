"""What participation announces (issue 8): a poll, a consultation or a budget phase when it begins
(`clocher participation announce-due`, by cron), a process published already open at once, results;
for the territories the process is reserved to, each phase once however often the command runs."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from clocher.accounts.models import User
from clocher.notifications.models import Notification, Topic
from clocher.participation import consultation_services, poll_services
from clocher.participation.budgets import BudgetStatus
from clocher.participation.consultations import QuestionKind
from clocher.participation.consultations import ResultsVisibility as ConsultationResults
from clocher.participation.notifications import announce_due
from clocher.participation.polls import Poll
from clocher.territories.models import Territory

from .test_budget_vote_factories import make_budget

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _inline_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def make_poll(actor: User, territory: Territory, opens_at: datetime.datetime, **changes: Any) -> Poll:
    data = poll_services.PollData(title="Quel nom pour la médiathèque ?", options=["Simone Veil", "Les Arts"],
                                  opens_at=opens_at, closes_at=opens_at + 7 * DAY, **changes)
    with time_machine.travel(NOW - 2 * DAY, tick=False):
        poll = poll_services.create_poll(actor, territory, data)
        return poll_services.publish_poll(actor, poll)


def only(key: str) -> Notification:
    return Notification.objects.get(key=key)


def test_a_poll_is_announced_when_it_opens_to_the_territories_it_is_reserved_to_and_once(
    dora: User, gers: Territory, marciac: Territory, django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        poll = make_poll(dora, gers, NOW, territories=[marciac])
    assert not Notification.objects.exists()  # published before its opening: nothing yet
    assert announce_due(NOW - HOUR) == []
    key = f"participation.poll:{poll.pk}:opened"
    assert announce_due(NOW + HOUR) == [key]
    assert announce_due(NOW + 2 * HOUR) == [key]
    notification = only(key)
    assert Notification.objects.count() == 1
    assert notification.topic == Topic.PARTICIPATION
    assert notification.territory == gers
    assert list(notification.audience.all()) == [marciac]
    assert notification.url == f"/sondages/{poll.pk}/"
    assert notification.urgent is False
    assert notification.title == "Sondage ouvert : Quel nom pour la médiathèque ?"
    assert notification.body == "Votez jusqu'au 11 mai 2026."


def test_a_poll_published_already_open_is_announced_at_once_and_the_command_adds_nothing(
    bob: User, auch: Territory, django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        poll = make_poll(bob, auch, NOW - 3 * DAY)  # published at NOW - 2 days, open since NOW - 3 days
    notification = only(f"participation.poll:{poll.pk}:opened")
    assert list(notification.audience.all()) == []  # open to all: the organiser's followers
    announce_due(NOW - 2 * DAY + HOUR)
    assert Notification.objects.count() == 1


def test_a_closed_poll_announces_its_results_and_a_draft_announces_nothing(bob: User, auch: Territory) -> None:
    poll = make_poll(bob, auch, NOW)
    draft = poll_services.create_poll(bob, auch, poll_services.PollData(
        title="Brouillon", options=["Oui", "Non"], opens_at=NOW, closes_at=NOW + DAY))
    closed = only(announce_due(poll.closes_at + HOUR)[0])
    assert closed.key == f"participation.poll:{poll.pk}:closed"
    assert closed.url == f"/sondages/{poll.pk}/resultats/"
    assert not Notification.objects.filter(key__contains=f"poll:{draft.pk}:").exists()


def test_a_phase_older_than_the_window_is_not_announced(bob: User, auch: Territory) -> None:
    make_poll(bob, auch, NOW)
    assert announce_due(NOW + 2 * DAY) == []
    assert announce_due(NOW + 2 * DAY, window=3 * DAY) != []


def test_a_consultation_is_announced_when_it_opens_and_when_it_closes(
    alice: User, auch: Territory, django_capture_on_commit_callbacks: Any,
) -> None:
    data = consultation_services.ConsultationData(
        title="La place de la mairie", opens_at=NOW - DAY, closes_at=NOW + 14 * DAY,
        results_visibility=ConsultationResults.STAFF)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        consultation = consultation_services.create_consultation(alice, auch, data)
        consultation_services.add_question(alice, consultation, consultation_services.QuestionData(
            kind=QuestionKind.LONG_TEXT, label="Un commentaire ?"))
        consultation_services.publish_consultation(alice, consultation)
    opened = only(f"participation.consultation:{consultation.pk}:opened")
    assert (opened.topic, opened.url) == (Topic.PARTICIPATION, f"/consultations/{consultation.pk}/")
    assert opened.title == "Consultation ouverte : La place de la mairie"
    closed = only(announce_due(consultation.closes_at + HOUR)[0])
    # Results seen by staff only: the notification leads to the consultation, not to its results.
    assert (closed.key, closed.url) == (f"participation.consultation:{consultation.pk}:closed",
                                        f"/consultations/{consultation.pk}/")


def test_a_budget_announces_its_proposals_its_vote_and_its_results(auch: Territory, marciac: Territory) -> None:
    budget = make_budget(auch, now=NOW, proposals_opens_at=NOW, proposals_closes_at=NOW + 30 * DAY,
                         vote_opens_at=NOW + 40 * DAY, vote_closes_at=NOW + 50 * DAY)
    budget.eligibility.territories.add(marciac)
    prefix = f"participation.budget:{budget.pk}"
    assert announce_due(NOW + HOUR) == [f"{prefix}:proposals_opened"]
    proposals = only(f"{prefix}:proposals_opened")
    assert proposals.url == f"/budgets/{budget.pk}/"
    assert set(proposals.audience.all()) == {auch, marciac}
    assert announce_due(NOW + 40 * DAY + HOUR) == [f"{prefix}:vote_opened"]
    assert only(f"{prefix}:vote_opened").url == f"/budgets/{budget.pk}/vote/"
    assert announce_due(NOW + 51 * DAY) == []
    budget.results_published_at = NOW + 52 * DAY
    budget.save(update_fields=["results_published_at"])
    assert announce_due(NOW + 52 * DAY + HOUR) == [f"{prefix}:results"]
    results = only(f"{prefix}:results")
    assert (results.topic, results.url) == (Topic.PARTICIPATION, f"/budgets/{budget.pk}/resultats/")
    assert Notification.objects.count() == 3


def test_a_draft_budget_announces_nothing(auch: Territory) -> None:
    make_budget(auch, now=NOW, status=BudgetStatus.DRAFT, vote_opens_at=NOW, results_published_at=NOW)
    assert announce_due(NOW + HOUR) == []


def test_the_command_announces_what_is_due_and_says_so(bob: User, auch: Territory) -> None:
    make_poll(bob, auch, NOW)
    out = StringIO()
    with time_machine.travel(NOW + HOUR, tick=False):
        call_command("participation", "announce-due", stdout=out)
        call_command("participation", "announce-due", "--window-hours", "2", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 phase(s) dans la fenêtre, 1 nouvelle(s) annonce(s).",
        "1 phase(s) dans la fenêtre, 0 nouvelle(s) annonce(s).",
    ]
    with pytest.raises(CommandError):
        call_command("participation", "announce-due", "--window-hours", "0")
