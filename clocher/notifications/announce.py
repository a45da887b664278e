"""The one interface modules use to notify: `announce(Announcement(...))`.

A domain service calls it inside its transaction, where the thing happened (an alert starts, an
article is published, a report changes status...). It writes the `Notification` (once per key) and,
after the commit, enqueues the fan-out task: nothing is sent from the request. Notifications import
no domain app; domain apps import this module only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from clocher.territories.models import Territory

from .models import Notification, Topic

TITLE_MAX = 200
BODY_MAX = 1000


@dataclass(frozen=True)
class Announcement:
    """What happened, for whom, in words a person reads on a lock screen.

    `key` names the event and makes announcing it idempotent ("news.article:42:published").
    `territory` published it; `audience` are the territories it is for (empty: the publisher's);
    `recipient` makes it personal (one person, whatever they follow). `url` is the page it opens,
    a path on the portal ("/actualites/42/").
    """

    key: str
    topic: str
    title: str
    url: str
    body: str = ""
    territory: Territory | None = None
    audience: Sequence[Territory] = field(default_factory=tuple)
    recipient: Any = None
    category: str = ""
    urgent: bool = False


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
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=announcement.key, topic=announcement.topic, territory=announcement.territory,
                recipient=announcement.recipient, category=announcement.category[:300],
                title=" ".join(announcement.title.split())[:TITLE_MAX],
                body=" ".join(announcement.body.split())[:BODY_MAX], url=announcement.url,
                urgent=announcement.urgent,
            )
            if announcement.audience:
                notification.audience.set(announcement.audience)
    except IntegrityError:  # the same key, announced at the same moment by another request
        return Notification.objects.get(key=announcement.key)
    from .tasks import fan_out_task

    transaction.on_commit(lambda: fan_out_task.enqueue(notification.pk))
    return notification
