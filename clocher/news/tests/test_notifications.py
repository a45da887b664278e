"""What the news announce (issue 8): an alert when it starts, urgent when it is a danger; an article
when residents can see it, at its scheduled date when it has one; each once, whatever the retries."""

from __future__ import annotations

import datetime

import time_machine
from django.utils import timezone

from clocher.news import proposals, services, tasks
from clocher.news.tests.conftest import alert, publish
from clocher.notifications.models import Notification, Topic


def only(key: str) -> Notification:
    return Notification.objects.get(key=key)


def test_a_danger_is_announced_at_once_urgent_to_its_audience(dora, gers, marciac, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        raised = alert(dora, gers, "Tempête", severity="danger", audience=[marciac], message="Restez chez vous.")
    notification = only(f"news.alert:{raised.pk}:started")
    assert notification.topic == Topic.ALERTS
    assert notification.urgent is True
    assert notification.territory == gers
    assert list(notification.audience.all()) == [marciac]
    assert notification.url == f"/alertes/{raised.pk}/"
    assert (notification.title, notification.body) == ("Tempête", "Restez chez vous.")


def test_a_vigilance_is_not_urgent_and_announcing_it_twice_is_once(bob, auch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        raised = alert(bob, auch, severity="warning")
    tasks.announce_alert.call(raised.pk)
    assert Notification.objects.count() == 1
    notification = only(f"news.alert:{raised.pk}:started")
    assert notification.urgent is False
    assert list(notification.audience.all()) == []  # the publisher's followers: Auch's


def test_an_alert_starting_later_is_announced_only_when_it_starts(bob, auch, django_capture_on_commit_callbacks):
    start = timezone.now() + datetime.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        raised = alert(bob, auch, starts_at=start, ends_at=start + datetime.timedelta(hours=3))
    # The immediate backend cannot defer: the task ran at once and found the alert not started.
    assert not Notification.objects.exists()
    with time_machine.travel(start + datetime.timedelta(minutes=1)):
        assert tasks.announce_alert.call(raised.pk)["announced"] is True
    assert only(f"news.alert:{raised.pk}:started").topic == Topic.ALERTS


def test_an_article_published_now_is_announced_once_even_when_published_again(
    bob, auch, marciac, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        article = publish(bob, auch, "Marché de Noël", summary="Place de la Libération.")
    notification = only(f"news.article:{article.pk}:published")
    assert notification.topic == Topic.NEWS
    assert notification.territory == auch
    assert notification.urgent is False
    assert notification.url == f"/actualites/{article.pk}/"
    assert (notification.title, notification.body) == ("Marché de Noël", "Place de la Libération.")
    with django_capture_on_commit_callbacks(execute=True):
        services.unpublish_article(bob, article)
        services.publish_article(bob, article)
    assert tasks.announce_article.call(article.pk)["announced"] is True
    assert Notification.objects.count() == 1


def test_an_article_keeps_its_audience(dora, gers, marciac, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article = publish(dora, gers, "Routes départementales", audience=[marciac])
    assert list(only(f"news.article:{article.pk}:published").audience.all()) == [marciac]


def test_a_scheduled_article_is_announced_at_its_date_not_before(bob, auch, django_capture_on_commit_callbacks):
    at = timezone.now() + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        article = publish(bob, auch, "Vœux du maire", at=at)
    assert not Notification.objects.exists()
    assert tasks.announce_article.call(article.pk) == {"article": article.pk, "announced": False,
                                                       "reason": "not_visible"}
    with time_machine.travel(at + datetime.timedelta(seconds=5)):
        assert tasks.announce_article.call(article.pk)["announced"] is True
    assert only(f"news.article:{article.pk}:published").topic == Topic.NEWS


def test_a_draft_an_archived_or_a_missing_article_announces_nothing(bob, auch, django_capture_on_commit_callbacks):
    draft = services.create_article(bob, auch, {"title": "Brouillon"})
    assert tasks.announce_article.call(draft.pk)["reason"] == "not_visible"
    with django_capture_on_commit_callbacks(execute=False):
        article = publish(bob, auch)
    services.archive_article(bob, article)
    assert tasks.announce_article.call(article.pk)["reason"] == "not_visible"
    assert tasks.announce_article.call(0)["reason"] == "missing"
    assert not Notification.objects.exists()


def test_an_accepted_proposal_is_announced(erin, mona, foyer_rural, auch, gers_portal, django_capture_on_commit_callbacks):
    proposed = proposals.propose_article(erin, gers_portal, foyer_rural, auch, {"title": "Loto du foyer"})
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        proposals.accept_article_proposal(mona, proposed)
    assert only(f"news.article:{proposed.pk}:published").title == "Loto du foyer"
