"""Reads of a person's notification settings and inbox. Everything here is the signed-in person's
own: another person's delivery is a 404, exactly as one that does not exist."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import (
    Channel,
    Delivery,
    NotificationSettings,
    PushSubscription,
    Topic,
    TopicPreference,
)
from .topics import DEFAULTS, Wanted


def settings_of(user: Any) -> NotificationSettings:
    """The person's settings row, or an unsaved one holding the defaults."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found if found is not None else NotificationSettings(user=user)


def preferences_of(user: Any) -> dict[str, Wanted]:
    """What the person wants for every topic, in the topics' order: their rows, else the defaults."""
    rows = {row.topic: row for row in TopicPreference.objects.filter(user=user)}
    chosen: dict[str, Wanted] = {}
    for topic in Topic.values:
        row = rows.get(topic)
        chosen[topic] = (
            DEFAULTS[topic] if row is None
            else Wanted(push=row.push, inbox=row.inbox, email=row.email, categories=tuple(row.categories or ()))
        )
    return chosen


def inbox(user: Any) -> QuerySet[Delivery]:
    """The person's inbox entries, newest first, with their notification."""
    return (
        Delivery.objects.filter(user=user, channel=Channel.INBOX)
        .select_related("notification")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: Any) -> int:
    """How many inbox entries the person has not opened: one COUNT on the inbox index."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Delivery.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True).count()


def access_delivery(user: Any, pk: int) -> Delivery:
    """One of the person's inbox entries, or 404 (someone else's entry is not found either)."""
    return get_object_or_404(inbox(user), pk=pk)


def personal_data(user: Any) -> dict[str, Any]:
    """What notifications hold about a person, for "download my data". Push keys are left out: they
    are secrets of the browser, not information about the person."""
    current = settings_of(user)
    return {
        "settings": {
            "follow_home": current.follow_home,
            "quiet_start": current.quiet_start,
            "quiet_end": current.quiet_end,
        },
        "topics": {
            topic: {"push": wanted.push, "inbox": wanted.inbox, "email": wanted.email,
                    "categories": list(wanted.categories)}
            for topic, wanted in preferences_of(user).items()
        },
        "push_subscriptions": [
            {"endpoint": row.endpoint, "user_agent": row.user_agent, "language": row.language,
             "created_at": row.created_at, "last_success_at": row.last_success_at}
            for row in PushSubscription.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "inbox": [
            {"title": row.notification.title, "body": row.notification.body, "url": row.notification.url,
             "topic": row.notification.topic, "received_at": row.created_at, "read_at": row.read_at}
            for row in inbox(user).iterator(chunk_size=500)
        ],
        "emails": [
            {"title": row.notification.title, "topic": row.notification.topic, "status": row.status,
             "frequency": row.frequency, "sent_at": row.sent_at}
            for row in Delivery.objects.filter(user=user, channel=Channel.EMAIL).select_related("notification")
            .order_by("-created_at", "-pk").iterator(chunk_size=500)
        ],
    }
