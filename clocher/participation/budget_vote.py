"""Writes for a participatory budget's vote: residents cast and change their ballot, staff enter paper
ballots, count them and publish the results; and the counting view of the ballots stored.

A resident's first ballot goes through `participate_once`: the participation row (who) and the
ballot (what) are written in one transaction. The ballot carries `voter_key` (budget_selectors), so
that its voter finds it again and replaces its choices until the vote closes; nothing else ties it
to them. Every refusal is a French sentence, and nothing at all is stored when a ballot is refused.

Staff services check the actor's role on the budget's territory again (ADR 0004) and write a line
in the territory's journal. Counting uses counting.py on the ballots as stored (`election_of`),
and keeps its result in `Budget.results` (`budget_results.tally_to_json`) until a ballot changes.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clocher.territories.selectors import roles_of
from clocher.territories.services import EDIT_ROLES, ActionRefused, record_audit

from . import pabulib
from .budget_selectors import Phase, ballot_projects, phase_of, voter_key
from .budgets import (
    BallotKind,
    BallotSource,
    Budget,
    BudgetBallot,
    BudgetBallotItem,
    BudgetStatus,
    CountingRule,
    Project,
)
from .counting import CountingError, Election, Rule, VoteType, tally
from .eligibility import can_take_part
from .models import Participation
from .services import ParticipationRefused, participate_once

# A paper ballot's reference, as staff write it on the sheet and in the form.
LABEL_MAX = 64
# Online ballot changes per person and budget and hour: a resident hesitating changes a few times;
# a script rewriting its ballot in a loop only loads the database.
CHANGES_PER_HOUR = 30


class VoteRefused(ActionRefused):
    """A staff action on a budget's vote the rules forbid; str(exc) is a French sentence."""


# Ballot checking ------------------------------------------------------------------------------

def euros(value: int | Fraction) -> str:
    """An amount as the pages write it: "40 000 €", with cents only when there are some."""
    amount = Fraction(value)
    if amount.denominator == 1:
        text = number_format(int(amount), 0, force_grouping=True)
    else:
        text = number_format(round(float(amount), 2), 2, force_grouping=True)
    return _("%(amount)s €") % {"amount": text}


@dataclass(frozen=True)
class CheckedBallot:
    """A ballot as the rules read it: what is chosen, in order, and the figures the page shows.

    items: (project, value) where value is 1 (approval), the points, or the rank. cost: the total
    cost of the projects chosen (approval kinds); points: the points given (cumulative).
    """

    items: list[tuple[Project, int]]
    cost: int
    points: int
    reasons: list[str]

    @property
    def ok(self) -> bool:
        return not self.reasons


def check_ballot(budget: Budget, projects: list[Project], marks: Mapping[int, int]) -> CheckedBallot:
    """What `marks` (project pk → 1, points or rank) says under the budget's ballot rules, and
    every reason it would be refused. Pure: stores nothing, the page uses it for "Vérifier"."""
    by_pk = {project.pk: project for project in projects}
    reasons: list[str] = []
    unknown = [pk for pk in marks if pk not in by_pk]
    if unknown:
        reasons.append(_("Un projet choisi ne fait pas partie de ce vote (il n'est pas soumis au vote, ou a été "
                         "retiré) : rechargez la page et choisissez à nouveau."))
    kind = budget.ballot_kind
    given = {pk: value for pk, value in marks.items() if pk in by_pk}
    if any(value < 0 for value in given.values()):
        reasons.append(_("Un nombre de points ou un rang ne peut pas être négatif."))
    # 0 points, or no rank, is not a choice.
    given = {pk: value for pk, value in given.items() if value > 0}
    items = [(by_pk[pk], value) for pk, value in given.items()]
    if kind == BallotKind.RANKING:
        items.sort(key=lambda item: (item[1], item[0].pk))
    else:
        items.sort(key=lambda item: (item[0].title, item[0].pk))
    count = len(items)
    cost = sum(project.cost for project, _value in items) if kind != BallotKind.CUMULATIVE else 0
    points = sum(value for _project, value in items) if kind == BallotKind.CUMULATIVE else 0

    if kind == BallotKind.CUMULATIVE:
        allowed = budget.points or 0
        if count == 0:
            reasons.append(_("Donnez des points à au moins un projet."))
        if points > allowed:
            reasons.append(
                ngettext(
                    "Vous avez donné %(points)s points, %(excess)s de plus que les %(allowed)s à répartir : "
                    "retirez-en.",
                    "Vous avez donné %(points)s points, %(excess)s de plus que les %(allowed)s à répartir : "
                    "retirez-en.", points,
                ) % {"points": points, "excess": points - allowed, "allowed": allowed}
            )
    else:
        minimum = max(budget.min_projects, 1)
        if count < minimum:
            reasons.append(
                _("Choisissez au moins un projet.") if minimum == 1 else
                _("Choisissez au moins %(min)s projets ; vous en avez choisi %(count)s.")
                % {"min": minimum, "count": count}
            )
        if budget.max_projects and count > budget.max_projects:
            reasons.append(
                ngettext(
                    "Vous pouvez choisir %(max)s projet au plus ; vous en avez choisi %(count)s.",
                    "Vous pouvez choisir %(max)s projets au plus ; vous en avez choisi %(count)s.",
                    budget.max_projects,
                ) % {"max": budget.max_projects, "count": count}
            )
        if kind == BallotKind.APPROVAL_BUDGET and cost > budget.amount:
            reasons.append(
                _("Votre choix coûte %(cost)s, soit %(excess)s de plus que l'enveloppe de %(amount)s : "
                  "retirez un projet.")
                % {"cost": euros(cost), "excess": euros(cost - budget.amount), "amount": euros(budget.amount)}
            )
        if kind == BallotKind.RANKING:
            ranks = [value for _project, value in items]
            if len(set(ranks)) != len(ranks):
                twice = sorted({rank for rank in ranks if ranks.count(rank) > 1})
                reasons.append(
                    _("Deux projets ont le même rang (%(ranks)s) : chaque rang ne sert qu'une fois.")
                    % {"ranks": ", ".join(str(rank) for rank in twice)}
                )
            elif ranks and sorted(ranks) != list(range(1, count + 1)):
                reasons.append(
                    _("Les rangs se suivent à partir de 1, sans trou : 1, 2, 3… (vous avez donné %(ranks)s).")
                    % {"ranks": ", ".join(str(rank) for rank in sorted(ranks))}
                )
    return CheckedBallot(items, cost, points, reasons)


def _vote_closed_reason(budget: Budget, now: datetime.datetime) -> list[str]:
    phase = phase_of(budget, now)
    if phase == Phase.VOTE:
        return []
    if Phase.ORDER.index(phase) < Phase.ORDER.index(Phase.VOTE):
        return [_("Le vote n'est pas encore ouvert.")]
    return [_("Le vote est clos.")]


def _still_open(budget: Budget) -> None:
    """Reads the budget again inside the transaction: staff may have changed its dates since."""
    now = timezone.now()
    if not Budget.objects.filter(
        pk=budget.pk, status=BudgetStatus.PUBLISHED, vote_opens_at__lte=now, vote_closes_at__gt=now,
        results_published_at__isnull=True,
    ).exists():
        raise ParticipationRefused([_("Le vote est clos.")])


def _invalidate_results(budget: Budget) -> None:
    # Conditional, so that during the vote (no count yet) it touches no row and takes no lock:
    # voters do not queue behind each other on the budget's row.
    Budget.objects.filter(pk=budget.pk, results_computed_at__isnull=False).update(
        results={}, results_computed_at=None,
    )


def _write_items(ballot: BudgetBallot, budget: Budget, checked: CheckedBallot) -> None:
    kind = budget.ballot_kind
    BudgetBallotItem.objects.bulk_create([
        BudgetBallotItem(
            ballot=ballot, project=project,
            points=value if kind == BallotKind.CUMULATIVE else None,
            rank=value if kind == BallotKind.RANKING else None,
        )
        for project, value in checked.items
    ])


# Residents' ballots ---------------------------------------------------------------------------

def own_ballot(budget: Budget, user: Any) -> BudgetBallot | None:
    """The person's own online ballot in the budget, or None. Never anyone else's."""
    if not getattr(user, "is_authenticated", False):
        return None
    return BudgetBallot.objects.filter(budget=budget, voter_key=voter_key(budget, user)).first()


def ballot_marks(ballot: BudgetBallot) -> dict[int, int]:
    """A stored ballot as marks (project pk → 1, points or rank), to fill the form again."""
    return {
        item.project_id: item.rank if item.rank is not None else item.points if item.points is not None else 1
        for item in ballot.items.all()
    }


def submit_ballot(user: Any, budget: Budget, marks: Mapping[int, int]) -> BudgetBallot:
    """Casts `user`'s ballot in `budget`, or replaces the choices of the one they cast before.

    Refuses, with French reasons and storing nothing: a vote not open now (checked again inside
    the transaction), a person `can_take_part` turns down, a project not on the ballot, and a
    ballot the budget's rules forbid (`check_ballot`: over the envelope, over the maximum...).
    The first ballot is written with the participation (`participate_once`); a later one locks
    the ballot found by `voter_key` and replaces its items in one transaction. Two first ballots
    sent at once end in one participation and one ballot: the loser replaces the winner's.
    Clears a stored count.
    """
    now = timezone.now()
    reasons = _vote_closed_reason(budget, now)
    if reasons:
        raise ParticipationRefused(reasons)
    checked = check_ballot(budget, list(ballot_projects(budget)), marks)
    if not checked.ok:
        raise ParticipationRefused(checked.reasons)
    key = voter_key(budget, user)

    def change() -> BudgetBallot | None:
        with transaction.atomic():
            _still_open(budget)
            ballot = BudgetBallot.objects.select_for_update().filter(budget=budget, voter_key=key).first()
            if ballot is None:
                return None
            BudgetBallotItem.objects.filter(ballot=ballot).delete()
            _write_items(ballot, budget, checked)
            _invalidate_results(budget)
            return ballot

    def first(participation: Participation) -> None:
        _still_open(budget)
        ballot = BudgetBallot.objects.create(budget=budget, source=BallotSource.ONLINE, voter_key=key)
        _write_items(ballot, budget, checked)
        _invalidate_results(budget)

    existing = BudgetBallot.objects.filter(budget=budget, voter_key=key).exists()
    if existing:
        decision = can_take_part(user, budget.eligibility)
        if not decision.ok:
            raise ParticipationRefused(decision.reasons)
        changed = change()
        if changed is not None:
            return changed
    try:
        participate_once(user, budget, budget.eligibility, then=first)
    except ParticipationRefused as exc:
        if exc.reasons != [_("Vous avez déjà participé.")]:
            raise
        # Another request of the same person wrote the first ballot meanwhile: this one is a change.
        changed = change()
        if changed is None:
            raise
        return changed
    except IntegrityError:
        # The ballot's unique key, hit by a participation-less ballot of this person (cannot
        # happen through this service): refuse rather than answer with a 500.
        raise ParticipationRefused([_("Vous avez déjà participé.")]) from None
    ballot = BudgetBallot.objects.get(budget=budget, voter_key=key)
    return ballot


# Paper ballots --------------------------------------------------------------------------------

def _check_staff(actor: Any, budget: Budget) -> None:
    if not roles_of(actor, budget.territory) & set(EDIT_ROLES):
        raise VoteRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def paper_ballots_open(budget: Budget, now: datetime.datetime | None = None) -> bool:
    """Whether staff may enter or delete paper ballots: from the vote's opening until the results
    are published (the mairie's box is often counted after the online vote closes)."""
    moment = now or timezone.now()
    return (
        budget.status == BudgetStatus.PUBLISHED and moment >= budget.vote_opens_at
        and budget.results_published_at is None
    )


def _check_paper_window(budget: Budget) -> None:
    now = timezone.now()
    if budget.results_published_at is not None:
        raise VoteRefused(_("Les résultats sont publiés : les bulletins papier ne peuvent plus changer."))
    if budget.status != BudgetStatus.PUBLISHED or now < budget.vote_opens_at:
        raise VoteRefused(_("Le vote n'est pas encore ouvert : les bulletins papier se saisissent à partir de "
                            "son ouverture."))


def add_paper_ballot(actor: Any, budget: Budget, label: str, marks: Mapping[int, int]) -> BudgetBallot:
    """Enters a ballot cast on paper at the mairie, under the reference staff wrote on it.

    Refuses an actor without an admin or editor role on the budget's territory, a moment outside
    the vote's opening to the results' publication, an empty or repeated reference, and whatever
    `check_ballot` refuses (raised as VoteRefused, one sentence per reason). Writes a journal line
    and clears a stored count.
    """
    _check_staff(actor, budget)
    label = " ".join(label.split())
    if not label:
        raise VoteRefused(_("Écrivez la référence du bulletin (le numéro porté sur la feuille)."))
    if len(label) > LABEL_MAX:
        raise VoteRefused(_("La référence tient en %(max)s caractères au plus.") % {"max": LABEL_MAX})
    checked = check_ballot(budget, list(ballot_projects(budget)), marks)
    if not checked.ok:
        raise VoteRefused(" ".join(checked.reasons))
    with transaction.atomic():
        budget = Budget.objects.select_for_update().select_related("territory").get(pk=budget.pk)
        _check_paper_window(budget)
        if BudgetBallot.objects.filter(budget=budget, source=BallotSource.PAPER, label=label).exists():
            raise VoteRefused(_("Un bulletin papier porte déjà la référence « %(label)s ».") % {"label": label})
        ballot = BudgetBallot.objects.create(budget=budget, source=BallotSource.PAPER, label=label)
        _write_items(ballot, budget, checked)
        _invalidate_results(budget)
        record_audit(
            budget.territory, actor, "participation.budget_paper_ballot_added",
            _("Bulletin papier « %(label)s » saisi pour « %(title)s »") % {"label": label, "title": budget.title},
            {"budget": budget.pk, "ballot": str(ballot.pk)},
        )
    return ballot


def delete_paper_ballot(actor: Any, budget: Budget, ballot: BudgetBallot) -> None:
    """Deletes a paper ballot entered by mistake. Refuses what `add_paper_ballot` refuses about the
    actor and the moment, and any ballot that is not a paper ballot of this budget. Writes a
    journal line and clears a stored count."""
    _check_staff(actor, budget)
    if ballot.budget_id != budget.pk or ballot.source != BallotSource.PAPER:
        raise VoteRefused(_("Seuls les bulletins papier saisis en mairie peuvent être supprimés."))
    with transaction.atomic():
        budget = Budget.objects.select_for_update().select_related("territory").get(pk=budget.pk)
        _check_paper_window(budget)
        label = ballot.label
        deleted, _rows = BudgetBallot.objects.filter(pk=ballot.pk, source=BallotSource.PAPER).delete()
        if not deleted:
            raise VoteRefused(_("Ce bulletin a déjà été supprimé."))
        _invalidate_results(budget)
        record_audit(
            budget.territory, actor, "participation.budget_paper_ballot_deleted",
            _("Bulletin papier « %(label)s » supprimé pour « %(title)s »") % {"label": label, "title": budget.title},
            {"budget": budget.pk, "ballot": str(ballot.pk)},
        )


# Counting -------------------------------------------------------------------------------------

VOTE_TYPES = {
    BallotKind.APPROVAL: VoteType.APPROVAL,
    BallotKind.APPROVAL_BUDGET: VoteType.APPROVAL,
    BallotKind.CUMULATIVE: VoteType.CUMULATIVE,
    BallotKind.RANKING: VoteType.ORDINAL,
}


def rule_fits(ballot_kind: str, rule: str) -> bool:
    """Whether the counting rule is defined for the ballot kind: MES is not for ranked ballots."""
    return not (ballot_kind == BallotKind.RANKING and rule == CountingRule.MES)


def voter_ids(ballots: list[BudgetBallot], *, public: bool = False) -> dict[Any, str]:
    """The voter id each ballot gets in a Pabulib file, distinct: an imported ballot keeps its
    file's id, a paper ballot its reference ("papier-…"), an online ballot a number. Ballots
    come ordered by their random key, so numbers say nothing of who voted when.

    `public`: the file anyone downloads, where a paper ballot is "papier-<number>" instead of the
    reference staff typed, which is free text (a name written on the sheet would name a voter)."""
    ids: dict[Any, str] = {}
    number = paper = 0
    for ballot in ballots:
        if ballot.source == BallotSource.IMPORTED and ballot.label:
            ids[ballot.pk] = ballot.label
        elif ballot.source == BallotSource.PAPER:
            paper += 1
            ids[ballot.pk] = f"papier-{paper}" if public else f"papier-{ballot.label}"
        else:
            number += 1
            ids[ballot.pk] = str(number)
    if len(set(ids.values())) != len(ids):  # a mixed budget where two kinds of ids meet
        ids = {ballot.pk: str(position) for position, ballot in enumerate(ballots, start=1)}
    return ids


def instance_of(budget: Budget, *, public: bool = False) -> pabulib.Instance:
    """The budget's projects on the ballot and every ballot stored, as a Pabulib instance whose
    project ids are the projects' codes. Counting, the export and the import's check use it;
    `public` as for `voter_ids`."""
    projects = list(ballot_projects(budget))
    codes = {project.pk: project.code for project in projects}
    ballots = list(BudgetBallot.objects.filter(budget=budget).order_by("id").only("id", "source", "label"))
    ids = voter_ids(ballots, public=public)
    chosen: dict[Any, list[tuple[int, int, str]]] = {ballot.pk: [] for ballot in ballots}
    items = BudgetBallotItem.objects.filter(ballot__budget=budget).values_list("ballot_id", "project_id", "points", "rank")
    for ballot_id, project_id, points, rank in items.iterator(chunk_size=5000):
        if project_id in codes:  # a project taken off the ballot after votes (hidden) counts no more
            chosen[ballot_id].append((rank or 0, points or 0, codes[project_id]))
    vote_type = VOTE_TYPES[BallotKind(budget.ballot_kind)]
    counted: list[pabulib.Ballot] = []
    for ballot in ballots:
        marks = chosen[ballot.pk]
        if vote_type is VoteType.ORDINAL:
            marks.sort()
        else:
            marks.sort(key=lambda mark: mark[2])
        names = tuple(code for _rank, _points, code in marks)
        given = tuple(Fraction(value) for _rank, value, _code in marks) if vote_type.has_points else None
        counted.append(pabulib.Ballot(ids[ballot.pk], names, given))
    meta = {"budget": str(budget.amount), "vote_type": str(vote_type)}
    return pabulib.Instance(
        meta,
        {project.code: pabulib.Project(project.code, Fraction(project.cost), project.title) for project in projects},
        counted,
    )


def election_of(budget: Budget) -> Election:
    """The counting view of the budget's ballots: the envelope, costs by code, the ballots."""
    return instance_of(budget).election()


def _check_count_window(budget: Budget) -> None:
    if timezone.now() < budget.vote_closes_at:
        raise VoteRefused(_("Le vote n'est pas clos : le dépouillement se fait après sa clôture."))
    if budget.results_published_at is not None:
        raise VoteRefused(_("Les résultats sont déjà publiés."))


def count_votes(actor: Any, budget: Budget) -> Budget:
    """Counts the ballots by the budget's rule and keeps the result for the results pages.

    Refuses an actor without an admin or editor role on the budget's territory, a vote not closed
    yet, results already published, and a rule the ballots cannot be counted by (MES on ranked
    ballots). Counting again before publishing is allowed (a paper ballot added late). Writes a
    journal line.
    """
    from .budget_results import tally_to_json

    _check_staff(actor, budget)
    _check_count_window(budget)
    if not rule_fits(budget.ballot_kind, budget.rule):
        raise VoteRefused(_("La méthode des parts égales ne s'applique pas aux bulletins de classement : "
                            "choisissez le dépouillement « les plus soutenus d'abord »."))
    with transaction.atomic():
        # Locked: a paper ballot or a second count waits, and is not lost between count and store.
        budget = Budget.objects.select_for_update().select_related("territory").get(pk=budget.pk)
        _check_count_window(budget)
        election = election_of(budget)
        try:
            result = tally(election, Rule(budget.rule))
        except CountingError as exc:
            raise VoteRefused(str(exc)) from None
        now = timezone.now()
        budget.results = tally_to_json(result, ballots=len(election.ballots), ballot_kind=budget.ballot_kind)
        budget.results_computed_at = now
        budget.save(update_fields=["results", "results_computed_at", "updated_at"])
        record_audit(
            budget.territory, actor, "participation.budget_counted",
            _("Dépouillement de « %(title)s » : %(ballots)s bulletins, %(winners)s projets retenus")
            % {"title": budget.title, "ballots": len(election.ballots), "winners": len(result.winners)},
            {"budget": budget.pk, "ballots": len(election.ballots), "winners": list(result.winners)},
        )
    return budget


def publish_results(actor: Any, budget: Budget) -> Budget:
    """Makes the counted results public: the budget moves to its results phase.

    Refuses an actor without the role, a draft budget, a vote not closed, results already
    published, and a budget not counted since its last ballot changed. Writes a journal line.
    """
    _check_staff(actor, budget)
    with transaction.atomic():
        budget = Budget.objects.select_for_update().select_related("territory").get(pk=budget.pk)
        if budget.status != BudgetStatus.PUBLISHED:
            raise VoteRefused(_("Ce budget n'est pas publié : publiez-le avant ses résultats."))
        _check_count_window(budget)
        if budget.results_computed_at is None or not budget.results:
            raise VoteRefused(_("Dépouillez d'abord le vote : les résultats publiés sont ceux du dernier "
                                "dépouillement."))
        budget.results_published_at = timezone.now()
        budget.save(update_fields=["results_published_at", "updated_at"])
        record_audit(
            budget.territory, actor, "participation.budget_results_published",
            _("Résultats de « %(title)s » publiés") % {"title": budget.title}, {"budget": budget.pk},
        )
    return budget
