"""Polls in the resident's home feed: the polls open now for their territories (core.modules)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clocher.core.modules import FeedItem

from .polls import Poll, PollStatus

SUMMARY_LENGTH = 200


def poll_feed(territories: Sequence[Any], limit: int, before: datetime.datetime | None) -> list[FeedItem]:
    """At most `limit` polls open now that concern these territories (reserved to one of them, or
    open to everyone and run by one of them), dated by their opening, newest first, opened strictly
    before `before`. One query."""
    if not territories or limit <= 0:
        return []
    now = timezone.now()
    ids = [t.pk for t in territories]
    concerned = Poll.objects.filter(
        Q(eligibility__territories__in=ids) | Q(eligibility__territories__isnull=True, territory__in=ids)
    ).values("pk")
    polls = Poll.objects.filter(
        pk__in=concerned, status=PollStatus.PUBLISHED, opens_at__lte=now, closes_at__gt=now,
    )
    if before is not None:
        polls = polls.filter(opens_at__lt=before)
    found = polls.select_related("territory").only(
        "pk", "title", "description", "opens_at", "closes_at", "territory__name",
    ).order_by("-opens_at", "-pk")[:limit]
    return [
        FeedItem(
            title=poll.title,
            url=reverse("polls:detail", kwargs={"pk": poll.pk}),
            published_at=poll.opens_at,
            module="participation",
            territory_name=poll.territory.name,
            summary=" ".join(poll.description.split())[:SUMMARY_LENGTH],
            kind=_("Sondage"),
            when=_("Vote ouvert jusqu'au %(date)s") % {
                "date": formats.date_format(timezone.localtime(poll.closes_at), "j F Y à H:i"),
            },
        )
        for poll in found
    ]
