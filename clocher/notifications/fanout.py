"""Who gets a notification, on which channel: the plan of `Delivery` rows, then their sending.

`plan(notification)` writes the deliveries in batches of people (memory stays flat however many
follow the territory), ignoring those that exist: running it twice plans nothing new. `claim`
moves pending deliveries to "sending" under a fresh token, and the sender sends only what its
token claimed: two workers never send the same delivery.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from clocher.territories.selectors import communes_within

from .models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EmailFrequency,
    Notification,
    NotificationSettings,
    PushSubscription,
    Topic,
    TopicPreference,
)
from .topics import DEFAULTS, Wanted

BATCH = 1000


def covered_territories(notification: Notification) -> set[int]:
    """The territories whose followers a notification reaches: its audience (or its publisher) and
    every commune within them, so a département's alert reaches who follows one of its communes."""
    targets = list(notification.audience.all()) or ([notification.territory] if notification.territory else [])
    covered: set[int] = set()
    for territory in targets:
        covered.add(territory.pk)
        covered.update(communes_within(territory).values_list("pk", flat=True))
    return covered


def follower_ids(covered: set[int]) -> QuerySet[Any]:
    """The active people who follow one of these territories: as their home commune (unless they
    turned that off) or among the communes they follow. Ids only, in order."""
    User = get_user_model()
    home = Q(home_commune__in=covered) & ~Q(notification_settings__follow_home=False)
    followed = Q(followed_communes__in=covered)
    ids = User.objects.filter(is_active=True).filter(home | followed).values("pk")
    return User.objects.filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)


def _batches(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def wanted(topic: str, user_ids: list[int]) -> dict[int, Wanted]:
    """Each person's choice for the topic: their preference row, or the topic's defaults."""
    default = DEFAULTS[topic]
    chosen = dict.fromkeys(user_ids, default)
    for row in TopicPreference.objects.filter(topic=topic, user_id__in=user_ids):
        chosen[row.user_id] = Wanted(push=row.push, inbox=row.inbox, email=row.email,
                                     categories=tuple(row.categories or ()))
    return chosen


def quiet_until(user_ids: list[int], now: datetime.datetime) -> dict[int, datetime.datetime]:
    """For the people in their quiet hours now, when those hours end."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    until: dict[int, datetime.datetime] = {}
    rows = NotificationSettings.objects.filter(
        user_id__in=user_ids, quiet_start__isnull=False, quiet_end__isnull=False,
    ).values_list("user_id", "quiet_start", "quiet_end")
    for user_id, start, end in rows:
        if start is None or end is None:
            continue
        clock = local.time()
        inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
        if start == end or not inside:
            continue
        ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if ends <= local:
            ends += datetime.timedelta(days=1)
        until[user_id] = ends.astimezone(datetime.UTC)
    return until


def _deliveries_for(notification: Notification, user_ids: list[int], now: datetime.datetime) -> list[Delivery]:
    choices = wanted(notification.topic, user_ids)
    quiet = {} if notification.urgent else quiet_until(user_ids, now)
    pushing = [pk for pk in user_ids if choices[pk].push and choices[pk].wants(notification.category)]
    subscriptions: dict[int, list[int]] = {}
    for sub_id, user_id in PushSubscription.objects.filter(user_id__in=pushing).values_list("pk", "user_id"):
        subscriptions.setdefault(user_id, []).append(sub_id)
    rows: list[Delivery] = []
    for user_id in user_ids:
        choice = choices[user_id]
        if not choice.wants(notification.category):
            continue
        if choice.inbox:
            rows.append(Delivery(notification=notification, channel=Channel.INBOX, user_id=user_id,
                                 status=DeliveryStatus.SENT, sent_at=now))
        if choice.email == EmailFrequency.IMMEDIATE:
            rows.append(Delivery(notification=notification, channel=Channel.EMAIL, user_id=user_id))
        elif choice.email in (EmailFrequency.DAILY, EmailFrequency.WEEKLY):
            rows.append(Delivery(notification=notification, channel=Channel.EMAIL, user_id=user_id,
                                 status=DeliveryStatus.DIGEST, frequency=choice.email))
        for sub_id in subscriptions.get(user_id, ()):
            held = quiet.get(user_id)
            rows.append(Delivery(
                notification=notification, channel=Channel.PUSH, user_id=user_id, subscription_id=sub_id,
                status=DeliveryStatus.HELD if held else DeliveryStatus.PENDING, send_after=held,
            ))
    return rows


def plan(notification: Notification, now: datetime.datetime | None = None) -> int:
    """Writes the notification's deliveries that do not exist yet; returns how many were asked for."""
    moment = now or timezone.now()
    asked = 0
    if notification.recipient_id is not None:
        user_ids: Iterable[int] = [notification.recipient_id]
        covered: set[int] = set()
    else:
        covered = covered_territories(notification)
        user_ids = follower_ids(covered).iterator(chunk_size=BATCH)
    for batch in _batches(user_ids):
        rows = _deliveries_for(notification, batch, moment)
        Delivery.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
        asked += len(rows)
    if notification.topic == Topic.ALERTS and notification.recipient_id is None:
        # Browsers without an account that follow a commune's alerts.
        anonymous = PushSubscription.objects.filter(user__isnull=True, commune_id__in=covered)
        for batch in _batches(anonymous.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=BATCH)):
            rows = [Delivery(notification=notification, channel=Channel.PUSH, subscription_id=pk) for pk in batch]
            Delivery.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
            asked += len(rows)
    Notification.objects.filter(pk=notification.pk, fanned_out_at__isnull=True).update(fanned_out_at=moment)
    return asked


def claim(deliveries: QuerySet[Delivery], limit: int = BATCH) -> list[Delivery]:
    """Moves up to `limit` of these deliveries from pending to sending under a fresh token and
    returns those this call claimed (another worker's claim is not ours to send)."""
    token = uuid.uuid4()
    ids = list(deliveries.filter(status=DeliveryStatus.PENDING).order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, claim=token, claimed_at=timezone.now(),
    )
    return list(
        Delivery.objects.filter(claim=token).select_related("notification", "subscription", "user").order_by("pk")
    )


def release_held(now: datetime.datetime | None = None) -> int:
    """Held pushes whose quiet hours are over become pending again; returns how many."""
    moment = now or timezone.now()
    return Delivery.objects.filter(status=DeliveryStatus.HELD, send_after__lte=moment).update(
        status=DeliveryStatus.PENDING,
    )


STUCK_AFTER = datetime.timedelta(minutes=15)


def recover_stuck(now: datetime.datetime | None = None) -> int:
    """Deliveries left "sending" for STUCK_AFTER (their worker died mid-batch) become pending again;
    returns how many. A message the dead worker had sent before dying may then go out twice: for a
    notification, once more is better than never."""
    moment = now or timezone.now()
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lte=moment - STUCK_AFTER).update(
        status=DeliveryStatus.PENDING, claim=None, claimed_at=None,
    )
