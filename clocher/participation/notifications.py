"""What participation announces to residents (issue 8): a poll or a consultation opening and closing
(its results), a participatory budget's proposals and vote opening and its results published.

Topic participation, for the territories the process is reserved to (its eligibility), or the
organiser's followers when it is open to all. Openings and closings happen at a date, not at a
request: `clocher participation announce-due`, run by cron every few minutes, announces what became
due within its window (`announce_due`). A key per process and phase makes it idempotent: the next
run, a second cron, or the publish service announcing an opening already due, announce nothing new.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clocher.notifications.announce import Announcement, announce
from clocher.notifications.models import Notification, Topic

from .budgets import Budget, BudgetStatus
from .consultations import Consultation, ConsultationStatus
from .consultations import ResultsVisibility as ConsultationResults
from .polls import Poll, PollStatus

# How far back a run looks: a cron stopped for less than a day loses nothing when it restarts;
# older phases are not worth a notification any more.
DEFAULT_WINDOW = datetime.timedelta(days=1)


def _day(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def _announce(process: Poll | Consultation | Budget, kind: str, phase: str, title: Callable[[], str],
              body: Callable[[], str], url: str) -> Notification:
    # Title and body are written by code, so once per language of the site (announce does it).
    return announce(Announcement(
        key=f"participation.{kind}:{process.pk}:{phase}", topic=Topic.PARTICIPATION, title=title, body=body,
        url=url, territory=process.territory, audience=list(process.eligibility.territories.all()),
    ))


def poll_opened(poll: Poll) -> Notification:
    return _announce(poll, "poll", "opened", lambda: _("Sondage ouvert : %(title)s") % {"title": poll.title},
                     lambda: _("Votez jusqu'au %(day)s.") % {"day": _day(poll.closes_at)},
                     reverse("polls:detail", args=[poll.pk]))


def poll_closed(poll: Poll) -> Notification:
    return _announce(poll, "poll", "closed", lambda: _("Sondage clos : %(title)s") % {"title": poll.title},
                     lambda: _("Les résultats sont publiés."), reverse("polls:results", args=[poll.pk]))


def consultation_opened(consultation: Consultation) -> Notification:
    return _announce(consultation, "consultation", "opened",
                     lambda: _("Consultation ouverte : %(title)s") % {"title": consultation.title},
                     lambda: _("Répondez jusqu'au %(day)s.") % {"day": _day(consultation.closes_at)},
                     reverse("consultations:detail", args=[consultation.pk]))


def consultation_closed(consultation: Consultation) -> Notification:
    body: Callable[[], str]
    if consultation.results_visibility == ConsultationResults.STAFF:
        body, url = lambda: _("Merci à toutes celles et ceux qui ont répondu."), reverse(
            "consultations:detail", args=[consultation.pk])
    else:
        body, url = lambda: _("Les résultats sont publiés."), reverse("consultations:results", args=[consultation.pk])
    return _announce(consultation, "consultation", "closed",
                     lambda: _("Consultation close : %(title)s") % {"title": consultation.title}, body, url)


def budget_proposals_opened(budget: Budget) -> Notification:
    return _announce(budget, "budget", "proposals_opened",
                     lambda: _("Budget participatif : proposez vos projets — %(title)s") % {"title": budget.title},
                     lambda: _("Dépôt des projets jusqu'au %(day)s.") % {"day": _day(budget.proposals_closes_at)},
                     reverse("budgets:detail", args=[budget.pk]))


def budget_vote_opened(budget: Budget) -> Notification:
    return _announce(budget, "budget", "vote_opened",
                     lambda: _("Budget participatif : le vote est ouvert — %(title)s") % {"title": budget.title},
                     lambda: _("Votez jusqu'au %(day)s.") % {"day": _day(budget.vote_closes_at)},
                     reverse("budgets:vote", args=[budget.pk]))


def budget_results_published(budget: Budget) -> Notification:
    return _announce(budget, "budget", "results",
                     lambda: _("Budget participatif : les résultats — %(title)s") % {"title": budget.title},
                     lambda: _("Découvrez les projets retenus."), reverse("budgets:results", args=[budget.pk]))


def _each(queryset: Iterable[Any], announcer: Any) -> list[str]:
    return [announcer(process).key for process in queryset]


def announce_due(now: datetime.datetime | None = None, window: datetime.timedelta = DEFAULT_WINDOW) -> list[str]:
    """Announces every published process whose phase began within `window` before `now` and is still
    on (an opening whose process has not closed since); returns the keys announced, old and new.

    Drafts announce nothing; a process published late, after its opening, is announced by the
    first run after its publication if its opening is still in the window (and at once by its
    publish service, under the same key)."""
    now = now or timezone.now()
    since = now - window
    related = ("territory", "eligibility")
    polls = Poll.objects.filter(status=PollStatus.PUBLISHED).select_related(*related)
    consultations = Consultation.objects.filter(status=ConsultationStatus.PUBLISHED).select_related(*related)
    budgets = Budget.objects.filter(status=BudgetStatus.PUBLISHED).select_related(*related)
    keys: list[str] = []
    keys += _each(polls.filter(opens_at__gt=since, opens_at__lte=now, closes_at__gt=now), poll_opened)
    keys += _each(polls.filter(closes_at__gt=since, closes_at__lte=now), poll_closed)
    keys += _each(consultations.filter(opens_at__gt=since, opens_at__lte=now, closes_at__gt=now),
                  consultation_opened)
    keys += _each(consultations.filter(closes_at__gt=since, closes_at__lte=now), consultation_closed)
    keys += _each(budgets.filter(proposals_opens_at__gt=since, proposals_opens_at__lte=now,
                                 proposals_closes_at__gt=now), budget_proposals_opened)
    keys += _each(budgets.filter(vote_opens_at__gt=since, vote_opens_at__lte=now, vote_closes_at__gt=now),
                  budget_vote_opened)
    keys += _each(budgets.filter(results_published_at__gt=since, results_published_at__lte=now),
                  budget_results_published)
    return keys
