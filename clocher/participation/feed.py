"""Participation in the resident's home feed: what is open to them now (core.modules).

- a poll or a consultation open now, dated by its opening;
- a participatory budget whose proposals are open, dated by their opening; whose vote is open, dated
  by the vote's opening; whose results came out in the last RESULTS_SHOWN_DAYS days, dated by them.

"Concerns these territories" means the same for all three: reserved to one of the territories, or
open to everyone and run by one of them. One query per kind of process, three in all; each asks for
`limit` rows at most, and the home feed keeps the newest.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clocher.core.modules import FeedItem

from .budget_selectors import Phase, phase_of
from .budgets import Budget, BudgetStatus
from .consultations import Consultation, ConsultationStatus
from .poll_feed import SUMMARY_LENGTH, poll_feed

RESULTS_SHOWN_DAYS = 30


def _concerning(model: Any, ids: list[int]) -> QuerySet[Any]:
    """The ids of the processes of `model` that concern these territories (a subquery)."""
    found: QuerySet[Any] = model.objects.filter(
        Q(eligibility__territories__in=ids) | Q(eligibility__territories__isnull=True, territory__in=ids)
    ).values("pk")
    return found


def _summary(text: str) -> str:
    return " ".join(text.split())[:SUMMARY_LENGTH]


def _until(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j F Y à H:i")


def consultation_feed(territories: Sequence[Any], limit: int, before: datetime.datetime | None) -> list[FeedItem]:
    """At most `limit` consultations open now for these territories, newest opening first."""
    if not territories or limit <= 0:
        return []
    now = timezone.now()
    found = Consultation.objects.filter(
        pk__in=_concerning(Consultation, [t.pk for t in territories]), status=ConsultationStatus.PUBLISHED,
        opens_at__lte=now, closes_at__gt=now,
    )
    if before is not None:
        found = found.filter(opens_at__lt=before)
    rows = found.select_related("territory").only(
        "pk", "title", "description", "opens_at", "closes_at", "territory__name",
    ).order_by("-opens_at", "-pk")[:limit]
    return [
        FeedItem(
            title=consultation.title,
            url=reverse("consultations:detail", kwargs={"pk": consultation.pk}),
            published_at=consultation.opens_at,
            module="participation",
            territory_name=consultation.territory.name,
            summary=_summary(consultation.description),
            kind=_("Consultation"),
            when=_("Ouverte jusqu'au %(date)s") % {"date": _until(consultation.closes_at)},
        )
        for consultation in rows
    ]


def _budget_item(budget: Budget, now: datetime.datetime) -> FeedItem | None:
    phase = phase_of(budget, now)
    common: dict[str, Any] = {
        "module": "participation", "territory_name": budget.territory.name, "kind": _("Budget participatif"),
        "summary": _summary(budget.description),
    }
    if phase == Phase.PROPOSALS:
        return FeedItem(
            title=_("%(title)s : proposez vos projets") % {"title": budget.title},
            url=reverse("budgets:detail", kwargs={"pk": budget.pk}), published_at=budget.proposals_opens_at,
            when=_("Dépôt des projets jusqu'au %(date)s") % {"date": _until(budget.proposals_closes_at)}, **common,
        )
    if phase == Phase.VOTE:
        return FeedItem(
            title=_("%(title)s : le vote est ouvert") % {"title": budget.title},
            url=reverse("budgets:vote", kwargs={"pk": budget.pk}), published_at=budget.vote_opens_at,
            when=_("Vote ouvert jusqu'au %(date)s") % {"date": _until(budget.vote_closes_at)}, **common,
        )
    if phase == Phase.RESULTS and budget.results_published_at is not None:
        return FeedItem(
            title=_("%(title)s : les résultats") % {"title": budget.title},
            url=reverse("budgets:results", kwargs={"pk": budget.pk}), published_at=budget.results_published_at,
            **common,
        )
    return None


def budget_feed(territories: Sequence[Any], limit: int, before: datetime.datetime | None) -> list[FeedItem]:
    """At most `limit` participatory budgets with proposals or a vote open now, or results just out,
    for these territories, newest first (by the date of what is open)."""
    if not territories or limit <= 0:
        return []
    now = timezone.now()
    in_proposals = Q(proposals_opens_at__lte=now, proposals_closes_at__gt=now)
    in_vote = Q(vote_opens_at__lte=now, vote_closes_at__gt=now)
    results_out = Q(results_published_at__lte=now,
                    results_published_at__gt=now - datetime.timedelta(days=RESULTS_SHOWN_DAYS))
    found = Budget.objects.filter(
        in_proposals | in_vote | results_out,
        pk__in=_concerning(Budget, [t.pk for t in territories]), status=BudgetStatus.PUBLISHED,
    ).select_related("territory").only(
        "pk", "title", "description", "status", "proposals_opens_at", "proposals_closes_at", "vote_opens_at",
        "vote_closes_at", "results_published_at", "territory__name",
    ).order_by("-vote_opens_at", "-pk")[: limit * 2]
    items = [item for budget in found if (item := _budget_item(budget, now)) is not None]
    if before is not None:
        items = [item for item in items if item.published_at < before]
    items.sort(key=lambda item: item.published_at, reverse=True)
    return items[:limit]


def participation_feed(territories: Sequence[Any], limit: int, before: datetime.datetime | None) -> list[FeedItem]:
    """The module's part of the home feed: polls, consultations and budgets, newest first."""
    items = (
        poll_feed(territories, limit, before) + consultation_feed(territories, limit, before)
        + budget_feed(territories, limit, before)
    )
    items.sort(key=lambda item: item.published_at, reverse=True)
    return items[:limit]
