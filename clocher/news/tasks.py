"""Background work of the news: announcing an alert when it starts, an article when it is published.

`services.raise_alert` schedules `announce_alert` after its commit (through `schedule_announcement`),
deferred to the alert's start when the task backend can defer; `services.publish_article` and
`proposals.accept_article_proposal` schedule `announce_article` the same way for the article's
publication. Both hand the event to the notifications app (clocher.news.notifications), which
decides who gets it on which channel.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks import task

from clocher.territories.content import visible_now

from . import notifications
from .models import Alert, Article


@task()
def announce_alert(alert_id: int) -> dict[str, Any]:
    """Announces a started alert to the residents it concerns (notifications.announce_alert_started:
    topic alerts, urgent when it is a danger, one notification per alert whatever the retries).

    The banner needs nothing from here: the home page reads current alerts on every request, and
    anonymous home pages are cached for 15 seconds (territories.views), so a new alert shows
    everywhere within 15 seconds with no cache to drop, which is acceptable for a banner.

    Returns what was (or would be) announced, or why nothing was: the alert is gone, over, or has
    not started (a backend that cannot defer runs this at once; the banner still shows at the start).
    """
    alert = Alert.objects.filter(pk=alert_id).select_related("territory").first()
    if alert is None:
        return {"alert": alert_id, "announced": False, "reason": "missing"}
    if not visible_now(Alert.objects.filter(pk=alert.pk)).exists():
        reason = "over" if alert.expires_at is not None and alert.expires_at <= timezone.now() else "not_started"
        return {"alert": alert_id, "announced": False, "reason": reason}
    audience = list(alert.audience.values_list("code", flat=True)) or [alert.territory.code]
    notifications.announce_alert_started(alert)
    return {"alert": alert_id, "announced": True, "severity": alert.severity, "territories": audience}


def schedule_announcement(alert: Alert) -> None:
    """Enqueues announce_alert for the alert's start (at once when it started or the backend
    cannot defer)."""
    start = alert.published_at
    if start is not None and start > timezone.now() and announce_alert.get_backend().supports_defer:
        announce_alert.using(run_after=start).enqueue(alert.pk)
    else:
        announce_alert.enqueue(alert.pk)


@task()
def announce_article(article_id: int) -> dict[str, Any]:
    """Announces a published article to the followers of its audience (topic news). Nothing for an
    article gone, or not visible now: still scheduled later (it was moved: the task scheduled for
    its new date announces it), withdrawn, archived or expired."""
    article = Article.objects.filter(pk=article_id).select_related("territory").first()
    if article is None:
        return {"article": article_id, "announced": False, "reason": "missing"}
    notification = notifications.announce_article_published(article)
    if notification is None:
        return {"article": article_id, "announced": False, "reason": "not_visible"}
    return {"article": article_id, "announced": True, "notification": notification.pk}


def schedule_article_announcement(article: Article) -> None:
    """Enqueues announce_article for the article's publication (at once when it is published now
    or the backend cannot defer: then a scheduled article is shown at its date, unannounced)."""
    start = article.published_at
    if start is not None and start > timezone.now() and announce_article.get_backend().supports_defer:
        announce_article.using(run_after=start).enqueue(article.pk)
    else:
        announce_article.enqueue(article.pk)
