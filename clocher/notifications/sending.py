"""Sends what the fan-out planned: pushes (push.py) and immediate e-mails (emails.py), batch by batch,
each batch claimed first (fanout.claim) so that no delivery is sent twice."""

from __future__ import annotations

from django.db.models import QuerySet

from . import fanout
from .models import Channel, Delivery, Notification


def _pending(notification: Notification | None, channel: str) -> QuerySet[Delivery]:
    found = Delivery.objects.filter(channel=channel)
    return found.filter(notification=notification) if notification is not None else found


def send_pending(notification: Notification | None = None) -> dict[str, int]:
    """Sends the pending pushes and immediate e-mails (of one notification, or all); returns counts."""
    from .emails import send_email_deliveries
    from .push import send_push_deliveries

    counts = {"pushes": 0, "emails": 0}
    while batch := fanout.claim(_pending(notification, Channel.PUSH)):
        send_push_deliveries(batch)
        counts["pushes"] += len(batch)
    while batch := fanout.claim(_pending(notification, Channel.EMAIL)):
        send_email_deliveries(batch)
        counts["emails"] += len(batch)
    return counts
