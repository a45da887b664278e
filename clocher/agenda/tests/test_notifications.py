"""What the agenda announces (issue 8): an event when residents can see it, with its category and its
audience, at its scheduled date for a scheduled one; once, whatever the retries; nothing for a draft."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from clocher.agenda import tasks
from clocher.agenda.services import (
    accept_event,
    archive_event,
    create_event,
    create_proposed_event,
    publish_event,
)
from clocher.notifications.models import Notification, Topic
from clocher.territories.content import Status

NOW = datetime.datetime(2026, 6, 10, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _june_2026_and_inline_tasks(settings: Any) -> Any:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with time_machine.travel(NOW, tick=False):
        yield


def concert(**extra: Any) -> dict[str, Any]:
    return {"title": "Concert d'été", "starts_at": "2026-07-14T21:00", "ends_at": "2026-07-14T23:00",
            "location_name": "Jardin Ortholan", **extra}


def only(event_pk: int) -> Notification:
    return Notification.objects.get(key=f"agenda.event:{event_pk}:published")


def test_an_event_published_now_is_announced_with_its_categories_and_audience(
    dora, gers, marciac, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        event = create_event(dora, gers, concert(), ["concert", "culture"], status=Status.PUBLISHED,
                             audience=[marciac])
    notification = only(event.pk)
    assert notification.topic == Topic.EVENTS
    assert notification.category == "concert,culture"
    assert notification.territory == gers
    assert list(notification.audience.all()) == [marciac]
    assert notification.url == f"/agenda/{event.pk}/"
    assert notification.urgent is False
    assert notification.title == "Concert d'été"
    assert notification.body == "14 juillet 2026 à 21:00, Jardin Ortholan"


def test_a_draft_is_not_announced_publishing_it_is_and_publishing_again_is_once(
    bob, auch, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        event = create_event(bob, auch, concert(), [])
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        publish_event(bob, event)
    assert only(event.pk).category == ""
    assert list(only(event.pk).audience.all()) == []
    with django_capture_on_commit_callbacks(execute=True):
        archive_event(bob, event)
        publish_event(bob, event)
    assert tasks.announce_event.call(event.pk)["announced"] is True
    assert Notification.objects.count() == 1


def test_a_scheduled_event_is_announced_at_its_date_not_before(bob, auch, django_capture_on_commit_callbacks):
    at = NOW + datetime.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        event = create_event(bob, auch, concert(), ["fete"], status=Status.PUBLISHED, published_at=at)
    assert event.status == Status.SCHEDULED
    assert not Notification.objects.exists()
    assert tasks.announce_event.call(event.pk)["reason"] == "not_visible"
    with time_machine.travel(at + datetime.timedelta(seconds=1), tick=False):
        assert tasks.announce_event.call(event.pk)["announced"] is True
    assert only(event.pk).category == "fete"


def test_an_accepted_proposal_is_announced_a_pending_one_is_not(
    erin, mona, auch, foyer_rural, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        proposed = create_proposed_event(erin, auch, foyer_rural,
                                         {"title": "Loto", "starts_at": "2026-12-06T14:30"}, ["association"])
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        accept_event(mona, proposed)
    assert only(proposed.pk).category == "association"


def test_an_archived_or_missing_event_announces_nothing(bob, auch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        event = create_event(bob, auch, concert(), [], status=Status.PUBLISHED)
    archive_event(bob, event)
    assert tasks.announce_event.call(event.pk)["reason"] == "not_visible"
    assert tasks.announce_event.call(0)["reason"] == "missing"
    assert not Notification.objects.exists()


def test_the_agenda_offers_its_categories_to_notification_preferences() -> None:
    from clocher.agenda.taxonomy import category_choices
    from clocher.notifications.categories import event_categories

    assert [slug for slug, _label in event_categories()] == [slug for slug, _label in category_choices()]
