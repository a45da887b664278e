"""Participation in the resident's home feed: what is open to them now (core.modules).

- a poll or a consultation open now, dated by its opening;
- a participatory budget whose proposals are open, dated by their opening; whose vote is open, dated
  by the vote's opening; whose results came out in the last RESULTS_SHOWN_DAYS days, dated by them.

"Concerns these territories" means the same for all three: reserved to one of the territories, or
open to everyone and run by one of them. The three kinds are read in ONE query (a UNION ALL of the
same columns), so the home page pays one query for the whole module, however many kinds it grows.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import Case, CharField, DateTimeField, F, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clocher.core.modules import FeedItem

from .budgets import Budget, BudgetStatus
from .consultations import Consultation, ConsultationStatus
from .eligibility import concerning
from .polls import Poll, PollStatus

RESULTS_SHOWN_DAYS = 30
SUMMARY_LENGTH = 200
COLUMNS = ("feed_kind", "pk", "title", "description", "dated", "until", "territory__name")
POLL, CONSULTATION, PROPOSALS, VOTE, RESULTS = "poll", "consultation", "proposals", "vote", "results"


def _concerning(model: Any, ids: list[int]) -> QuerySet[Any]:
    """The ids of the processes of `model` that concern these territories (a subquery)."""
    found: QuerySet[Any] = model.objects.filter(concerning(ids)).values("pk")
    return found


def _kind(value: str) -> Value:
    return Value(value, output_field=CharField())


def _open_now(model: Any, published: str, kind: str, ids: list[int], now: datetime.datetime,
              before: datetime.datetime | None) -> QuerySet[Any]:
    """Polls or consultations open now for these territories, as feed rows."""
    found = model.objects.filter(
        pk__in=_concerning(model, ids), status=published, opens_at__lte=now, closes_at__gt=now,
    )
    if before is not None:
        found = found.filter(opens_at__lt=before)
    rows: QuerySet[Any] = (
        found.annotate(feed_kind=_kind(kind), dated=F("opens_at"), until=F("closes_at")).order_by().values(*COLUMNS)
    )
    return rows


def _budgets(ids: list[int], now: datetime.datetime, before: datetime.datetime | None) -> QuerySet[Any]:
    """Budgets with proposals or a vote open now, or results just out, as feed rows: `feed_kind` says which."""
    in_proposals = Q(proposals_opens_at__lte=now, proposals_closes_at__gt=now)
    in_vote = Q(vote_opens_at__lte=now, vote_closes_at__gt=now)
    results_out = Q(results_published_at__lte=now,
                    results_published_at__gt=now - datetime.timedelta(days=RESULTS_SHOWN_DAYS))
    found = Budget.objects.filter(
        in_proposals | in_vote | results_out, pk__in=_concerning(Budget, ids), status=BudgetStatus.PUBLISHED,
    ).annotate(
        # Published results win over the dates: a budget whose results are out is in its last phase.
        feed_kind=Case(When(results_out, then=_kind(RESULTS)), When(in_vote, then=_kind(VOTE)),
                      default=_kind(PROPOSALS), output_field=CharField()),
        dated=Case(When(results_out, then=F("results_published_at")), When(in_vote, then=F("vote_opens_at")),
                       default=F("proposals_opens_at"), output_field=DateTimeField()),
        until=Case(When(results_out, then=Value(None, output_field=DateTimeField())),
                       When(in_vote, then=F("vote_closes_at")), default=F("proposals_closes_at"),
                       output_field=DateTimeField()),
    )
    if before is not None:
        found = found.filter(dated__lt=before)
    rows: QuerySet[Any] = found.order_by().values(*COLUMNS)
    return rows


def _until(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j F Y à H:i")


def _item(row: dict[str, Any]) -> FeedItem:
    kind, pk, title = row["feed_kind"], row["pk"], row["title"]
    common: dict[str, Any] = {
        "published_at": row["dated"], "module": "participation", "territory_name": row["territory__name"],
        "summary": " ".join((row["description"] or "").split())[:SUMMARY_LENGTH],
    }
    if kind == POLL:
        return FeedItem(title=title, url=reverse("polls:detail", kwargs={"pk": pk}), kind=_("Sondage"),
                        when=_("Vote ouvert jusqu'au %(date)s") % {"date": _until(row["until"])}, **common)
    if kind == CONSULTATION:
        return FeedItem(title=title, url=reverse("consultations:detail", kwargs={"pk": pk}), kind=_("Consultation"),
                        when=_("Ouverte jusqu'au %(date)s") % {"date": _until(row["until"])}, **common)
    common["kind"] = _("Budget participatif")
    if kind == PROPOSALS:
        return FeedItem(title=_("%(title)s : proposez vos projets") % {"title": title},
                        url=reverse("budgets:detail", kwargs={"pk": pk}),
                        when=_("Dépôt des projets jusqu'au %(date)s") % {"date": _until(row["until"])}, **common)
    if kind == VOTE:
        return FeedItem(title=_("%(title)s : le vote est ouvert") % {"title": title},
                        url=reverse("budgets:vote", kwargs={"pk": pk}),
                        when=_("Vote ouvert jusqu'au %(date)s") % {"date": _until(row["until"])}, **common)
    return FeedItem(title=_("%(title)s : les résultats") % {"title": title},
                    url=reverse("budgets:results", kwargs={"pk": pk}), **common)


def _feed(parts: list[QuerySet[Any]], limit: int) -> list[FeedItem]:
    # Each part is unordered (SQLite refuses ORDER BY inside a compound statement); the union is.
    if not parts:
        return []
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    rows = union.order_by("-dated", "feed_kind", "-pk")[:limit]
    return [_item(row) for row in rows]


def participation_feed(territories: Sequence[Any], limit: int, before: datetime.datetime | None) -> list[FeedItem]:
    """The module's part of the home feed: polls, consultations and budgets, newest first. One query."""
    if not territories or limit <= 0:
        return []
    now, ids = timezone.now(), [t.pk for t in territories]
    return _feed([
        _open_now(Poll, PollStatus.PUBLISHED, POLL, ids, now, before),
        _open_now(Consultation, ConsultationStatus.PUBLISHED, CONSULTATION, ids, now, before),
        _budgets(ids, now, before),
    ], limit)


def poll_feed(territories: Sequence[Any], limit: int, before: datetime.datetime | None) -> list[FeedItem]:
    """Polls open now for these territories, newest opening first. One query."""
    if not territories or limit <= 0:
        return []
    ids = [t.pk for t in territories]
    return _feed([_open_now(Poll, PollStatus.PUBLISHED, POLL, ids, timezone.now(), before)], limit)


def consultation_feed(territories: Sequence[Any], limit: int, before: datetime.datetime | None) -> list[FeedItem]:
    """Consultations open now for these territories, newest opening first. One query."""
    if not territories or limit <= 0:
        return []
    ids = [t.pk for t in territories]
    return _feed([_open_now(Consultation, ConsultationStatus.PUBLISHED, CONSULTATION, ids, timezone.now(), before)],
                 limit)


def budget_feed(territories: Sequence[Any], limit: int, before: datetime.datetime | None) -> list[FeedItem]:
    """Budgets with proposals or a vote open now, or results just out, newest first. One query."""
    if not territories or limit <= 0:
        return []
    return _feed([_budgets([t.pk for t in territories], timezone.now(), before)], limit)
