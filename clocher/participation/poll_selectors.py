"""Reads of polls that encode who sees what: which polls a commune's residents see, a poll by its
number within a portal, the staff's polls of a territory, and the results, with who may see them when.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.core.text import spreadsheet_cell
from clocher.territories.models import Portal, Territory, TerritoryKind
from clocher.territories.selectors import (
    ancestors,
    communes_within,
    is_in_portal,
    is_module_enabled,
    territories_of_portal,
)

from .eligibility import concerning
from .models import Participation
from .polls import Ballot, BallotChoice, Poll, PollStatus, ResultsVisibility


def published_polls() -> QuerySet[Poll]:
    return Poll.objects.filter(status=PollStatus.PUBLISHED).select_related("territory")


def polls_for_commune(portal: Portal, commune: Territory) -> QuerySet[Poll]:
    """The published polls a resident of `commune` is concerned by: those reserved to the commune
    or a territory it is part of, and those open to everyone that the commune or a territory it is
    part of runs (as in the home feed), within the portal.

    A poll reserved to other communes is left out, even when the commune's EPCI runs it: it is not
    theirs to answer; so is a poll another commune runs for everyone, which its own page still shows.
    """
    chain = [t.pk for t in ancestors(commune)]
    ids = published_polls().filter(concerning(chain)).values("pk")
    return (
        published_polls().filter(pk__in=ids, territory__in=territories_of_portal(portal))
        .order_by("closes_at", "pk")
    )


def split_by_state(polls: Sequence[Poll], now: datetime.datetime | None = None) -> dict[str, list[Poll]]:
    """The polls in three lists: open now, coming, closed (newest closing first)."""
    moment = now or timezone.now()
    groups: dict[str, list[Poll]] = {"open": [], "upcoming": [], "closed": []}
    for poll in polls:
        groups[state_of(poll, moment)].append(poll)
    groups["closed"].sort(key=lambda p: p.closes_at, reverse=True)
    return groups


def state_of(poll: Poll, now: datetime.datetime | None = None) -> str:
    """"draft", "upcoming", "open" or "closed"."""
    moment = now or timezone.now()
    if poll.status != PollStatus.PUBLISHED:
        return "draft"
    if moment < poll.opens_at:
        return "upcoming"
    return "open" if moment < poll.closes_at else "closed"


def access_poll(portal: Portal, pk: int) -> Poll:
    """A published poll run by a territory of the portal, or 404 (a draft, another portal's poll)."""
    poll = published_polls().select_related("eligibility").filter(pk=pk).first()
    if (poll is None or not is_in_portal(portal, poll.territory)
            or not is_module_enabled(portal, poll.territory, "participation")):
        raise Http404(_("Sondage introuvable."))
    return poll


def polls_of(territory: Territory) -> QuerySet[Poll]:
    """The polls a staff territory runs, newest first, with their ballot counts."""
    return Poll.objects.filter(territory=territory).annotate(ballot_count=Count("ballots")).order_by("-created_at", "-pk")


def access_staff_poll(territory: Territory, poll_id: int) -> Poll:
    """A poll `territory` runs, or 404 (another territory's poll too)."""
    poll = (
        Poll.objects.filter(pk=poll_id, territory=territory)
        .select_related("territory", "eligibility").first()
    )
    if poll is None:
        raise Http404(_("Sondage introuvable."))
    return poll


def eligibility_choices(territory: Territory) -> QuerySet[Territory]:
    """The territories a poll of `territory` may be reserved to: itself, the EPCIs with a commune
    in it (for a département or a région) and its communes."""
    communes = communes_within(territory)
    scope = Q(pk=territory.pk) | Q(pk__in=communes.values("pk"))
    if territory.kind in (TerritoryKind.DEPARTEMENT, TerritoryKind.REGION):
        scope |= Q(kind=TerritoryKind.EPCI, pk__in=communes.values("epci"))
    # The territory itself first, then EPCIs, then communes, each by name.
    rank = Case(When(pk=territory.pk, then=Value(0)), When(kind=TerritoryKind.EPCI, then=Value(1)), default=Value(2))
    return Territory.objects.filter(scope).defer("boundary").order_by(rank, "search_name", "name")


def has_voted(user: Any, poll: Poll) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Participation.objects.filter(
        content_type=ContentType.objects.get_for_model(Poll), object_id=poll.pk, user=user
    ).exists()


def results_visible(poll: Poll, user: Any, now: datetime.datetime | None = None) -> bool:
    """Whether `user` may see the results now: everyone once the poll is closed; before, as the
    poll says (always, to those who voted, or nobody). Staff read them in /gestion/ at any time."""
    moment = now or timezone.now()
    if poll.status != PollStatus.PUBLISHED or moment < poll.opens_at:
        return False
    if moment >= poll.closes_at or poll.results_visibility == ResultsVisibility.ALWAYS:
        return True
    if poll.results_visibility == ResultsVisibility.AFTER_VOTING:
        return has_voted(user, poll)
    return False


@dataclass(frozen=True)
class OptionResult:
    label: str
    votes: int
    # Share of the ballots that marked this option, in percent: with a multiple choice the shares
    # add up to more than 100.
    percent: float


@dataclass(frozen=True)
class PollResults:
    ballots: int
    options: list[OptionResult]

    @property
    def leading_votes(self) -> int:
        return max((o.votes for o in self.options), default=0)


def results(poll: Poll) -> PollResults:
    """Votes per option (one GROUP BY over the choices) and the number of ballots, in the order
    of the options; options nobody chose count 0."""
    counts = dict(
        BallotChoice.objects.filter(ballot__poll=poll).values("option").annotate(votes=Count("id"))
        .values_list("option", "votes")
    )
    ballots = Ballot.objects.filter(poll=poll).count()
    return PollResults(
        ballots=ballots,
        options=[
            OptionResult(
                label=option.label, votes=counts.get(option.pk, 0),
                percent=round(100 * counts.get(option.pk, 0) / ballots, 1) if ballots else 0.0,
            )
            for option in poll.options.all()
        ],
    )



def results_csv(poll: Poll, found: PollResults) -> str:
    """The results as CSV for a spreadsheet: a BOM so it reads UTF-8, semicolons as French
    spreadsheets expect, one row per option, then the number of ballots."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Réponse"), _("Voix"), _("Pourcentage des bulletins")])
    for option in found.options:
        writer.writerow([spreadsheet_cell(option.label), option.votes, f"{option.percent:.1f}".replace(".", ",")])
    writer.writerow([_("Bulletins"), found.ballots, ""])
    return out.getvalue()
