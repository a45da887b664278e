"""Writes for polls: staff create, edit, publish and close them; residents vote, once and secretly.

Staff services check the actor's role on the poll's territory again (ADR 0004), so a command or the
API cannot skip what a view checks, and write a line in the territory's journal. A vote goes through
`participate_once`: the participation row (who) and the ballot (what) are written in one
transaction, and nothing at all is stored when the vote is refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.territories.models import Territory
from clocher.territories.selectors import roles_of
from clocher.territories.services import EDIT_ROLES, ActionRefused, record_audit

from . import notifications
from .models import Eligibility, Level, Participation
from .poll_selectors import eligibility_choices
from .polls import (
    MAX_OPTIONS,
    Ballot,
    BallotChoice,
    Poll,
    PollKind,
    PollOption,
    PollStatus,
    ResultsVisibility,
)
from .services import ParticipationRefused, participate_once

MAX_AGE = 120


class PollRefused(ActionRefused):
    """A staff action on a poll the rules forbid; `field` names the form field at fault, if one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class PollData:
    """What staff write about a poll, as the form cleaned it."""

    title: str
    options: list[str]
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    description: str = ""
    kind: str = PollKind.SINGLE
    max_choices: int | None = None
    results_visibility: str = ResultsVisibility.AFTER_CLOSING
    territories: list[Territory] = field(default_factory=list)
    min_age: int | None = None
    level: str = Level.EMAIL


def _check_staff(actor: Any, territory: Territory) -> None:
    if not roles_of(actor, territory) & set(EDIT_ROLES):
        raise PollRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _clean(territory: Territory, data: PollData) -> PollData:
    """Refuses what no poll may be; returns the data with options and title trimmed."""
    title = data.title.strip()
    if not title:
        raise PollRefused(_("Écrivez la question."), "title")
    options = [line.strip() for line in data.options if line.strip()]
    if len(options) < 2:
        raise PollRefused(_("Proposez au moins deux réponses."), "options")
    if len(options) > MAX_OPTIONS:
        raise PollRefused(_("Proposez %(max)s réponses au plus.") % {"max": MAX_OPTIONS}, "options")
    if any(len(option) > 200 for option in options):
        raise PollRefused(_("Chaque réponse tient en 200 caractères au plus."), "options")
    if len({option.casefold() for option in options}) < len(options):
        raise PollRefused(_("Deux réponses sont identiques."), "options")
    if data.kind not in PollKind.values:
        raise PollRefused(_("Type de sondage inconnu."), "kind")
    max_choices = data.max_choices if data.kind == PollKind.MULTIPLE else None
    if max_choices is not None and not 1 <= max_choices <= len(options):
        raise PollRefused(
            _("Le nombre de choix au plus doit être compris entre 1 et le nombre de réponses (%(count)s).")
            % {"count": len(options)}, "max_choices",
        )
    if data.closes_at <= data.opens_at:
        raise PollRefused(_("La clôture doit venir après l'ouverture."), "closes_at")
    if data.results_visibility not in ResultsVisibility.values:
        raise PollRefused(_("Choix de visibilité des résultats inconnu."), "results_visibility")
    if data.level not in Level.values:
        raise PollRefused(_("Niveau de vérification inconnu."), "level")
    if data.min_age is not None and not 0 <= data.min_age <= MAX_AGE:
        raise PollRefused(_("L'âge minimum doit être compris entre 0 et %(max)s ans.") % {"max": MAX_AGE}, "min_age")
    allowed = set(eligibility_choices(territory).values_list("pk", flat=True))
    if any(t.pk not in allowed for t in data.territories):
        raise PollRefused(_("Un sondage ne peut être réservé qu'aux habitants de votre territoire."), "territories")
    return PollData(
        title=title[:200], options=options, opens_at=data.opens_at, closes_at=data.closes_at,
        description=data.description.strip(), kind=data.kind, max_choices=max_choices,
        results_visibility=data.results_visibility, territories=list(data.territories),
        min_age=data.min_age or None, level=data.level,
    )


def has_started(poll: Poll, now: datetime.datetime | None = None) -> bool:
    """Whether votes may have been cast: published and past its opening."""
    return poll.status == PollStatus.PUBLISHED and (now or timezone.now()) >= poll.opens_at


def _write_options(poll: Poll, labels: Sequence[str]) -> None:
    poll.options.all().delete()
    PollOption.objects.bulk_create(
        [PollOption(poll=poll, label=label, position=position) for position, label in enumerate(labels)]
    )


def create_poll(actor: Any, territory: Territory, data: PollData) -> Poll:
    """A draft poll of `territory`, with its options and who may take part.

    Refuses an actor without an admin or editor role on `territory`, fewer than two options or more
    than 30, closing before opening, a maximum of choices outside 1..options, and a reservation to
    territories outside `territory`. Writes a journal line.
    """
    _check_staff(actor, territory)
    clean = _clean(territory, data)
    with transaction.atomic():
        eligibility = Eligibility.objects.create(min_age=clean.min_age, level=clean.level)
        eligibility.territories.set(clean.territories)
        poll = Poll.objects.create(
            territory=territory, title=clean.title, description=clean.description, eligibility=eligibility,
            kind=clean.kind, max_choices=clean.max_choices, opens_at=clean.opens_at, closes_at=clean.closes_at,
            results_visibility=clean.results_visibility, author=actor,
        )
        _write_options(poll, clean.options)
        record_audit(territory, actor, "participation.poll_created",
                     _("Sondage « %(title)s » créé") % {"title": poll.title}, {"poll": poll.pk})
    return poll


# What may still change once votes may have been cast: the wording around the question, and the
# closing date. Options, kind, eligibility and results visibility are what voters answered under.
_FROZEN_ONCE_STARTED = _("Le vote a commencé : seuls la question, la présentation et la date de clôture "
                         "peuvent encore changer.")


def _same_frozen_fields(poll: Poll, clean: PollData) -> bool:
    eligibility = poll.eligibility
    return (
        [o.label for o in poll.options.all()] == clean.options
        and poll.kind == clean.kind and poll.max_choices == clean.max_choices
        and poll.opens_at == clean.opens_at and poll.results_visibility == clean.results_visibility
        and eligibility.min_age == clean.min_age and eligibility.level == clean.level
        and set(eligibility.territories.values_list("pk", flat=True)) == {t.pk for t in clean.territories}
    )


def update_poll(actor: Any, poll: Poll, data: PollData) -> Poll:
    """Change a poll. Before it opens, everything may change; once it is open, only the question,
    the presentation and the closing date (not to a past moment): refuses anything else.
    Refuses what `create_poll` refuses. Writes a journal line."""
    _check_staff(actor, poll.territory)
    clean = _clean(poll.territory, data)
    now = timezone.now()
    with transaction.atomic():
        poll = Poll.objects.select_for_update().select_related("territory", "eligibility").get(pk=poll.pk)
        if has_started(poll, now):
            if not _same_frozen_fields(poll, clean):
                raise PollRefused(_FROZEN_ONCE_STARTED)
            if clean.closes_at != poll.closes_at and clean.closes_at <= now:
                raise PollRefused(
                    _("Pour clore le vote maintenant, utilisez « Clore le vote » ; la date de clôture ne "
                      "peut être dans le passé."), "closes_at",
                )
        poll.title, poll.description, poll.closes_at = clean.title, clean.description, clean.closes_at
        poll.kind, poll.max_choices, poll.opens_at = clean.kind, clean.max_choices, clean.opens_at
        poll.results_visibility = clean.results_visibility
        poll.save(update_fields=["title", "description", "closes_at", "kind", "max_choices", "opens_at",
                                 "results_visibility", "updated_at"])
        if not has_started(poll, now):
            _write_options(poll, clean.options)
            eligibility = poll.eligibility
            eligibility.min_age, eligibility.level = clean.min_age, clean.level
            eligibility.save(update_fields=["min_age", "level"])
            eligibility.territories.set(clean.territories)
        record_audit(poll.territory, actor, "participation.poll_updated",
                     _("Sondage « %(title)s » modifié") % {"title": poll.title}, {"poll": poll.pk})
    return poll


def publish_poll(actor: Any, poll: Poll) -> Poll:
    """Make a draft poll visible to residents; votes start at its opening date.

    Refuses an actor without the role, and a poll whose closing date has passed. Writes a journal line;
    announces a poll already open after the commit (one to open later: `clocher participation announce-due`).
    """
    _check_staff(actor, poll.territory)
    if poll.status == PollStatus.PUBLISHED:
        return poll
    now = timezone.now()
    if poll.closes_at <= now:
        raise PollRefused(_("La date de clôture est passée : changez-la avant de publier."))
    with transaction.atomic():
        poll.status, poll.published_at = PollStatus.PUBLISHED, now
        poll.save(update_fields=["status", "published_at", "updated_at"])
        record_audit(poll.territory, actor, "participation.poll_published",
                     _("Sondage « %(title)s » publié") % {"title": poll.title}, {"poll": poll.pk})
        if poll.opens_at <= now:
            # Already open: say so now; an opening to come is `clocher participation announce-due`'s.
            transaction.on_commit(partial(notifications.poll_opened, poll))
    return poll


def close_poll(actor: Any, poll: Poll) -> Poll:
    """End an open poll now, before its closing date. Refuses a poll that is not open (a draft,
    one not yet open: change its dates instead, one already closed). Writes a journal line."""
    _check_staff(actor, poll.territory)
    now = timezone.now()
    if poll.status != PollStatus.PUBLISHED or now < poll.opens_at:
        raise PollRefused(_("Ce sondage n'est pas ouvert au vote : modifiez plutôt ses dates."))
    if now >= poll.closes_at:
        raise PollRefused(_("Ce sondage est déjà clos."))
    with transaction.atomic():
        poll.closes_at, poll.closed_early_at = now, now
        poll.save(update_fields=["closes_at", "closed_early_at", "updated_at"])
        record_audit(poll.territory, actor, "participation.poll_closed",
                     _("Sondage « %(title)s » clos par anticipation") % {"title": poll.title}, {"poll": poll.pk})
    return poll


def _is_open(poll: Poll, now: datetime.datetime) -> list[str]:
    if poll.status != PollStatus.PUBLISHED or now < poll.opens_at:
        return [_("Ce vote n'est pas encore ouvert.")]
    if now >= poll.closes_at:
        return [_("Ce vote est clos.")]
    return []


def vote(user: Any, poll: Poll, option_ids: Iterable[int | str]) -> Participation:
    """Cast `user`'s secret ballot for the options `option_ids` of `poll`, once.

    Refuses, with French reasons and storing nothing: a poll not open now, no option, an option of
    another poll, two options in a single-choice poll, more than its maximum in a multiple-choice
    one, a person its eligibility turns down, and a second vote (the participation's unique
    constraint decides). The ballot carries no reference to the person, no time, and a random key.
    """
    now = timezone.now()
    reasons = _is_open(poll, now)
    if reasons:
        raise ParticipationRefused(reasons)
    try:
        chosen = {int(value) for value in option_ids}
    except (TypeError, ValueError):
        raise ParticipationRefused([_("Cette réponse ne fait pas partie de ce vote.")]) from None
    options = set(poll.options.values_list("pk", flat=True))
    if not chosen:
        raise ParticipationRefused([_("Choisissez une réponse.")])
    if not chosen <= options:
        raise ParticipationRefused([_("Cette réponse ne fait pas partie de ce vote.")])
    if poll.kind == PollKind.SINGLE and len(chosen) > 1:
        raise ParticipationRefused([_("Une seule réponse est possible.")])
    if poll.kind == PollKind.MULTIPLE and poll.max_choices and len(chosen) > poll.max_choices:
        raise ParticipationRefused([
            _("Vous pouvez choisir %(max)s réponses au plus ; vous en avez choisi %(count)s.")
            % {"max": poll.max_choices, "count": len(chosen)}
        ])

    def write_ballot(participation: Participation) -> None:
        # Read again inside the transaction: staff may have closed the poll since the check above.
        if not Poll.objects.filter(pk=poll.pk, status=PollStatus.PUBLISHED, closes_at__gt=now).exists():
            raise ParticipationRefused([_("Ce vote est clos.")])
        ballot = Ballot.objects.create(poll=poll)
        BallotChoice.objects.bulk_create([BallotChoice(ballot=ballot, option_id=pk) for pk in sorted(chosen)])

    return participate_once(user, poll, poll.eligibility, then=write_ballot)
