"""Daily and weekly digests: one e-mail per person listing, by topic, what the fan-out kept for
their digest (deliveries in status DIGEST with that frequency).

`clocher notifications digest daily|weekly` runs `send_digests`. Each person's deliveries are claimed
and marked SENT in the same transaction that sends their e-mail: a second run (or a second worker)
finds nothing left for them, and an e-mail that could not be sent rolls the claim back, so the
next run tries again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .emails import MAIL_ERRORS, UNSUBSCRIBED, Sites, build_message, language_of
from .models import Channel, Delivery, DeliveryStatus, EmailFrequency, Notification, Topic
from .services import drop_unwanted, unsubscribed_topics

logger = logging.getLogger(__name__)

PEOPLE_BATCH = 500
# A digest lists this many items per topic at most; the rest are counted and wait in the inbox.
PER_TOPIC = 20
SUBJECTS = {
    EmailFrequency.DAILY: _("Votre résumé du jour"),
    EmailFrequency.WEEKLY: _("Votre résumé de la semaine"),
}


@dataclass
class Section:
    """One topic's part of a digest."""

    topic: str
    label: Any
    items: list[dict[str, Any]] = field(default_factory=list)
    more: int = 0


def _people(frequency: str) -> Iterator[int]:
    """Who has something waiting for this digest, by increasing id, a page at a time."""
    waiting = Delivery.objects.filter(channel=Channel.EMAIL, status=DeliveryStatus.DIGEST, frequency=frequency)
    last = 0
    while True:
        page = list(
            waiting.filter(user_id__gt=last).order_by("user_id").values_list("user_id", flat=True).distinct()[:PEOPLE_BATCH]
        )
        if not page:
            return
        yield from page
        last = page[-1]


def sections(notifications: list[Notification], site: Any) -> list[Section]:
    """The notifications grouped by topic in the topics' order, newest first in each."""
    by_topic: dict[str, Section] = {}
    for notification in sorted(notifications, key=lambda n: (n.created_at, n.pk), reverse=True):
        section = by_topic.setdefault(notification.topic, Section(notification.topic, Topic(notification.topic).label))
        if len(section.items) >= PER_TOPIC:
            section.more += 1
            continue
        section.items.append({
            "title": notification.shown_title, "body": notification.shown_body,
            "link": site.absolute(notification.url),
            "territory_name": notification.territory.name if notification.territory else "",
            "created_at": notification.created_at,
        })
    return [by_topic[topic] for topic in Topic.values if topic in by_topic]


def _send_to(user_id: int, frequency: str, sites: Sites) -> bool:
    """Claims, marks sent and e-mails one person's digest, all in one transaction; True if sent."""
    now = timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        claimed = Delivery.objects.filter(
            user_id=user_id, channel=Channel.EMAIL, status=DeliveryStatus.DIGEST, frequency=frequency,
        ).update(status=DeliveryStatus.SENT, sent_at=now, claim=token)
        if not claimed:
            return False  # another run took them
        rows = list(Delivery.objects.filter(claim=token).select_related("notification", "notification__territory"))
        dropped = unsubscribed_topics(user_id, {row.notification.topic for row in rows})
        drop_unwanted([row for row in rows if row.notification.topic in dropped], UNSUBSCRIBED)
        rows = [row for row in rows if row.notification.topic not in dropped]
        user = get_user_model().objects.select_related("home_commune").filter(pk=user_id).first()
        if user is None or not rows:
            return False
        if not user.is_active or not user.email:
            drop_unwanted(rows, "no address")
            return False
        notifications = [row.notification for row in rows]
        site = sites.for_territory(user.home_commune or notifications[0].territory)
        with translation.override(language_of(user)):
            parts = sections(notifications, site)
        message = build_message(
            user=user, site=site, subject=str(SUBJECTS[EmailFrequency(frequency)]), template="digest",
            context={"sections": parts, "frequency": frequency, "count": len(rows),
                     "inbox_url": site.absolute(reverse("notifications:inbox"))},
            topics=[part.topic for part in parts],
        )
        # Sent inside the transaction: if the mail server refuses it, the claim is rolled back.
        message.send()
    return True


def send_digests(frequency: str) -> int:
    """Sends the digest of this frequency to everyone who has one waiting; returns how many e-mails."""
    if frequency not in (EmailFrequency.DAILY, EmailFrequency.WEEKLY):
        raise ValueError(f"Unknown digest frequency {frequency!r}")
    sites = Sites()
    sent = 0
    for user_id in _people(frequency):
        try:
            sent += _send_to(user_id, frequency, sites)
        except MAIL_ERRORS as error:
            logger.warning("Digest for user %s not sent, kept for the next run: %s", user_id, error)
    return sent
