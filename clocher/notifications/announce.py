"""The one interface modules use to notify: `announce(Announcement(...))`.

A domain service calls it inside its transaction, where the thing happened (an alert starts, an
article is published, a report changes status...). It writes the `Notification` (once per key) and,
after the commit, enqueues the fan-out task: nothing is sent from the request. Notifications import
no domain app; domain apps import this module only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

from clocher.territories.models import Territory

from .models import Notification, Topic

TITLE_MAX = 200
BODY_MAX = 1000
# A text is what staff wrote (a str, shown as written to everyone), or a function that writes it
# with gettext, called once per language so every resident reads it in theirs.
Text = str | Callable[[], str]


@dataclass(frozen=True)
class Announcement:
    """What happened, for whom, in words a person reads on a lock screen.

    `key` names the event and makes announcing it idempotent ("news.article:42:published").
    `territory` published it; `audience` are the territories it is for (empty: the publisher's);
    `recipient` makes it personal (one person, whatever they follow). `url` is the page it opens,
    a path on the portal ("/actualites/42/"). `title` and `body` may be functions that write them
    with gettext: they are then written in every language of the site.
    """

    key: str
    topic: str
    title: Text
    url: str
    body: Text = ""
    territory: Territory | None = None
    audience: Sequence[Territory] = field(default_factory=tuple)
    recipient: Any = None
    category: str = ""
    urgent: bool = False


def _clean(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def _written(announcement: Announcement) -> tuple[str, str, dict[str, dict[str, str]]]:
    """The title and body in the site's language, and in its other languages when written by code."""
    def write() -> tuple[str, str]:
        title, body = announcement.title, announcement.body
        return (_clean(title() if callable(title) else title, TITLE_MAX),
                _clean(body() if callable(body) else body, BODY_MAX))

    with translation.override(settings.LANGUAGE_CODE):
        title, body = write()
    translations: dict[str, dict[str, str]] = {}
    if callable(announcement.title) or callable(announcement.body):
        for code, _name in settings.LANGUAGES:
            if code != settings.LANGUAGE_CODE:
                with translation.override(code):
                    other_title, other_body = write()
                translations[code] = {"title": other_title, "body": other_body}
    return title, body, translations


def announce(announcement: Announcement) -> Notification:
    """Records the notification and schedules its fan-out after the commit; announcing the same key
    again returns the first notification and schedules nothing."""
    if announcement.topic not in Topic.values:
        raise ValueError(f"Unknown topic {announcement.topic!r}")
    if announcement.recipient is None and announcement.territory is None:
        raise ValueError("An announcement is for a territory's followers or for one recipient.")
    existing = Notification.objects.filter(key=announcement.key).first()
    if existing is not None:
        return existing
    title, body, translations = _written(announcement)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=announcement.key, topic=announcement.topic, territory=announcement.territory,
                recipient=announcement.recipient, category=announcement.category[:300],
                title=title, body=body, translations=translations, url=announcement.url,
                urgent=announcement.urgent,
            )
            if announcement.audience:
                notification.audience.set(announcement.audience)
    except IntegrityError:  # the same key, announced at the same moment by another request
        return Notification.objects.get(key=announcement.key)
    from .tasks import fan_out_task

    transaction.on_commit(lambda: fan_out_task.enqueue(notification.pk))
    return notification
