"""Writes of a person's own notification settings: preferences, inbox reads, unsubscribing.

These are the person's own choices about their own messages: no staff right is involved, so no
audit line is written (the audit log records what staff do to a territory's data).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EmailFrequency,
    NotificationSettings,
    Topic,
    TopicPreference,
)
from .topics import DEFAULTS, Wanted


@transaction.atomic
def save_preferences(
    user: Any,
    *,
    follow_home: bool,
    quiet_start: datetime.time | None,
    quiet_end: datetime.time | None,
    topics: Mapping[str, Wanted],
) -> None:
    """Stores everything the preferences page shows, at once (all or nothing).

    Refuses quiet hours with only one end, or with the same start and end (they would mean nothing),
    an unknown topic and an unknown e-mail frequency. Deliveries already planned keep their channel;
    from now on the fan-out follows the new choices.
    """
    if (quiet_start is None) != (quiet_end is None):
        raise ValidationError(_("Donnez le début et la fin des heures calmes, ou aucun des deux."), code="quiet")
    if quiet_start is not None and quiet_start == quiet_end:
        raise ValidationError(_("Les heures calmes doivent commencer et finir à des heures différentes."),
                              code="quiet")
    for topic, wanted in topics.items():
        if topic not in Topic.values:
            raise ValidationError(_("Sujet inconnu."), code="topic")
        if wanted.email not in EmailFrequency.values:
            raise ValidationError(_("Fréquence d'e-mail inconnue."), code="frequency")
    NotificationSettings.objects.update_or_create(
        user=user, defaults={"follow_home": follow_home, "quiet_start": quiet_start, "quiet_end": quiet_end},
    )
    for topic, wanted in topics.items():
        TopicPreference.objects.update_or_create(
            user=user, topic=topic,
            defaults={"push": wanted.push, "inbox": wanted.inbox, "email": wanted.email,
                      "categories": sorted(wanted.categories)},
        )


@transaction.atomic
def stop_emails(user: Any, topics: Iterable[str]) -> list[str]:
    """Turns off the e-mails of these topics (the unsubscribe link); returns the topics turned off.

    Unknown topics are ignored (a link made by an older version); the other channels keep their
    choice, starting from the topic's defaults when the person never chose.
    """
    done: list[str] = []
    for topic in topics:
        if topic not in Topic.values:
            continue
        default = DEFAULTS[topic]
        row, created = TopicPreference.objects.select_for_update().get_or_create(
            user=user, topic=topic,
            defaults={"push": default.push, "inbox": default.inbox, "email": EmailFrequency.OFF,
                      "categories": list(default.categories)},
        )
        if not created and row.email != EmailFrequency.OFF:
            row.email = EmailFrequency.OFF
            row.save(update_fields=["email", "updated_at"])
        done.append(topic)
    return done


def mark_read(user: Any, delivery: Delivery) -> None:
    """Marks one of the person's inbox entries read (once: the first reading time stays)."""
    if delivery.user_id != user.pk or delivery.channel != Channel.INBOX:
        raise ValidationError(_("Cette notification n'est pas dans votre boîte."), code="not_yours")
    Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(read_at=timezone.now())


def mark_all_read(user: Any) -> int:
    """Marks every unread entry of the person's inbox read; returns how many."""
    return Delivery.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True).update(
        read_at=timezone.now(),
    )


def unsubscribed_topics(user_id: int, topics: Iterable[str]) -> set[str]:
    """Among these topics, those whose e-mails the person has turned off since they were planned."""
    return set(
        TopicPreference.objects.filter(user_id=user_id, topic__in=list(topics), email=EmailFrequency.OFF)
        .values_list("topic", flat=True)
    )


def drop_unwanted(deliveries: Iterable[Delivery], reason: str) -> None:
    """Closes e-mail deliveries that will not be sent (the person unsubscribed meanwhile)."""
    ids = [d.pk for d in deliveries]
    if ids:
        Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.FAILED, error=reason[:300])
