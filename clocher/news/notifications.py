"""What the news announce to residents (issue 8): an alert when it starts, an article when it is
published. The notifications app decides who gets what; this file only says what happened.

Each announcement has a key naming the event, so announcing twice (a retried task, a second
worker, an article published again after a withdrawal) is announcing once.
"""

from __future__ import annotations

from django.urls import reverse

from clocher.notifications.announce import Announcement, announce
from clocher.notifications.models import Notification, Topic
from clocher.territories.content import visible_now

from .models import Alert, Article, Severity


def alert_key(alert: Alert) -> str:
    return f"news.alert:{alert.pk}:started"


def article_key(article: Article) -> str:
    return f"news.article:{article.pk}:published"


def announce_alert_started(alert: Alert) -> Notification:
    """Announces a started alert to the followers of its audience (or of its publisher). A danger
    is urgent: it rings through quiet hours; information and vigilance wait for them to end."""
    return announce(Announcement(
        key=alert_key(alert), topic=Topic.ALERTS, title=alert.title, body=alert.message,
        url=reverse("news:alert", args=[alert.pk]), territory=alert.territory,
        audience=list(alert.audience.all()), urgent=alert.severity == Severity.DANGER,
    ))


def announce_article_published(article: Article) -> Notification | None:
    """Announces an article residents can see now; None for one that is not (still a draft,
    scheduled later, withdrawn, archived or expired since), which announces nothing."""
    if not visible_now(Article.objects.filter(pk=article.pk)).exists():
        return None
    return announce(Announcement(
        key=article_key(article), topic=Topic.NEWS, title=article.title, body=article.summary,
        url=reverse("news:article", args=[article.pk]), territory=article.territory,
        audience=list(article.audience.all()),
    ))
