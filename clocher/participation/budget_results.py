"""A participatory budget's results: the count kept as JSON, each outcome explained in a sentence,
the CSV and the Pabulib export, and the import of a Pabulib file into a budget to inspect it.

`Budget.results` holds the last count (`tally_to_json`): numbers as exact fractions written as
text, so that the pages, the CSV and the export read the very figures the count produced. The
explanations come from counting.Reason and the figures of counting.ProjectOutcome.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from clocher.core.text import spreadsheet_cell
from clocher.territories.models import Territory
from clocher.territories.services import record_audit

from . import pabulib
from .budget_vote import euros, instance_of
from .budgets import (
    BallotKind,
    BallotSource,
    Budget,
    BudgetBallot,
    BudgetBallotItem,
    BudgetStatus,
    CountingRule,
    Project,
    ProjectStatus,
)
from .counting import Reason, Tally, VoteType
from .models import Eligibility, Level

# Stored results -------------------------------------------------------------------------------


def _text(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def tally_to_json(result: Tally, *, ballots: int, ballot_kind: str) -> dict[str, Any]:
    """The count as JSON for `Budget.results`; fractions as "n/d" text, exactly."""
    return {
        "rule": str(result.rule),
        "ballot_kind": ballot_kind,
        "ballots": ballots,
        "budget": str(result.budget),
        "spent": str(result.spent),
        "winners": list(result.winners),
        "voter_budget": _text(result.voter_budget),
        "raises": result.raises,
        "projects": {
            code: {
                "cost": str(outcome.cost), "votes": str(outcome.votes), "supporters": outcome.supporters,
                "won": outcome.won, "reason": str(outcome.reason), "rank": outcome.rank,
                "remaining_before": _text(outcome.remaining_before), "payers": outcome.payers,
                "largest_share": _text(outcome.largest_share),
                "supporters_money": _text(outcome.supporters_money),
            }
            for code, outcome in result.projects.items()
        },
    }


def _fraction(value: Any) -> Fraction | None:
    return None if value is None else Fraction(str(value))


def _number(value: Fraction) -> str:
    if value.denominator == 1:
        return number_format(int(value), 0, force_grouping=True)
    return number_format(round(float(value), 2), 2, force_grouping=True)


@dataclass(frozen=True)
class ProjectResult:
    """One project's line on the results page."""

    code: str
    title: str
    project: Project | None
    cost: Fraction
    votes: Fraction
    supporters: int
    won: bool
    reason: str
    rank: int | None  # order of selection among winners
    position: int  # order by votes (greedy's reading order), 1 the most supported
    explanation: str
    percent: float  # of the most supported project's votes, for the bar chart

    @property
    def votes_text(self) -> str:
        return _number(self.votes)

    @property
    def cost_text(self) -> str:
        return euros(self.cost)


@dataclass(frozen=True)
class Results:
    """A count as the pages show it: the figures of the whole and each project's line."""

    rule: str
    ballots: int
    amount: Fraction
    spent: Fraction
    winners: list[ProjectResult]
    projects: list[ProjectResult]  # by votes, most supported first
    unit: str  # "voix" or "points": what `votes` counts
    ballot_kind: str
    voter_budget: Fraction | None

    @property
    def counts_ballots(self) -> bool:
        """Whether `votes` is a number of ballots (approval), so that supporters say nothing more."""
        return self.ballot_kind in (BallotKind.APPROVAL, BallotKind.APPROVAL_BUDGET)

    @property
    def remaining(self) -> Fraction:
        return self.amount - self.spent

    @property
    def spent_text(self) -> str:
        return euros(self.spent)

    @property
    def amount_text(self) -> str:
        return euros(self.amount)

    @property
    def voter_budget_text(self) -> str:
        return euros(self.voter_budget) if self.voter_budget is not None else ""

    @property
    def spent_percent(self) -> float:
        return float(self.spent / self.amount * 100) if self.amount else 0.0


def _unit(ballot_kind: str) -> str:
    if ballot_kind == BallotKind.CUMULATIVE:
        return _("points")
    if ballot_kind == BallotKind.RANKING:
        return _("points de classement")
    return _("voix")


def explain(data: dict[str, Any], position: int, count: int, unit: str) -> str:
    """The sentence that says why a project won or lost, with the count's own figures."""
    reason = data["reason"]
    figures = {
        "votes": _number(Fraction(data["votes"])), "unit": unit, "position": position, "count": count,
        "cost": euros(Fraction(data["cost"])), "supporters": data["supporters"],
    }
    if reason == Reason.WON_BY_VOTES and Fraction(data["votes"]) == 0:
        return _("Ce projet est retenu bien qu'aucun bulletin ne le choisisse : la règle prend les projets dans "
                 "l'ordre des %(unit)s tant que l'enveloppe le permet, et son coût de %(cost)s tenait dans les "
                 "%(remaining)s restants.") % {**figures, "remaining": euros(Fraction(data["remaining_before"]))}
    if reason == Reason.WON_BY_VOTES:
        return _("Ce projet est retenu : %(votes)s %(unit)s, au rang %(position)s sur %(count)s, et son coût de "
                 "%(cost)s tenait dans les %(remaining)s restants.") % {
            **figures, "remaining": euros(Fraction(data["remaining_before"]))}
    if reason == Reason.SKIPPED_OVER_BUDGET:
        return _("Ce projet n'est pas retenu : %(votes)s %(unit)s, au rang %(position)s sur %(count)s, mais son coût "
                 "de %(cost)s dépassait les %(remaining)s qui restaient à son tour.") % {
            **figures, "remaining": euros(Fraction(data["remaining_before"]))}
    if reason == Reason.WON_BY_SHARES:
        return _("Ce projet est retenu : ses %(supporters)s soutiens ont pu payer ses %(cost)s sur leurs parts égales "
                 "de l'enveloppe ; %(payers)s y ont contribué, au plus %(largest)s chacun.") % {
            **figures, "payers": data["payers"] or 0, "largest": euros(Fraction(data["largest_share"] or 0))}
    if reason == Reason.WON_FREE:
        return _("Ce projet est retenu : il ne coûte rien et au moins un bulletin le soutient.")
    if reason == Reason.SUPPORTERS_COULD_NOT_PAY:
        return _("Ce projet n'est pas retenu : à la fin du calcul, ses %(supporters)s soutiens n'avaient plus que "
                 "%(money)s sur leurs parts, moins que son coût de %(cost)s.") % {
            **figures, "money": euros(Fraction(data["supporters_money"] or 0))}
    return _("Ce projet n'est pas retenu : aucun bulletin ne le soutient.")


def results_of(budget: Budget) -> Results | None:
    """The stored count of the budget as the pages show it, or None before any count."""
    stored = budget.results
    if not stored or "projects" not in stored:
        return None
    unit = _unit(stored.get("ballot_kind", budget.ballot_kind))
    by_code = {project.code: project for project in Project.objects.filter(budget=budget, code__in=list(stored["projects"]))}
    order = sorted(stored["projects"], key=lambda code: (-Fraction(stored["projects"][code]["votes"]), code))
    top = max((Fraction(data["votes"]) for data in stored["projects"].values()), default=Fraction(0))
    rows: list[ProjectResult] = []
    for position, code in enumerate(order, start=1):
        data = stored["projects"][code]
        project = by_code.get(code)
        votes = Fraction(data["votes"])
        rows.append(ProjectResult(
            code=code, title=project.title if project else code, project=project, cost=Fraction(data["cost"]),
            votes=votes, supporters=data["supporters"], won=data["won"], reason=data["reason"], rank=data["rank"],
            position=position, explanation=explain(data, position, len(order), unit),
            percent=float(votes / top * 100) if top else 0.0,
        ))
    by_row = {row.code: row for row in rows}
    return Results(
        rule=stored["rule"], ballots=stored["ballots"], amount=Fraction(stored["budget"]),
        spent=Fraction(stored["spent"]), winners=[by_row[code] for code in stored["winners"] if code in by_row],
        projects=rows, unit=unit, ballot_kind=stored.get("ballot_kind", budget.ballot_kind), voter_budget=_fraction(stored.get("voter_budget")),
    )


def results_csv(results: Results) -> str:
    """The results as CSV for a spreadsheet: one line per project, most supported first."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Identifiant"), _("Projet"), _("Coût (€)"), results.unit.capitalize(), _("Soutiens"),
                     _("Retenu"), _("Ordre de sélection"), _("Explication")])
    for row in results.projects:
        writer.writerow([
            spreadsheet_cell(row.code), spreadsheet_cell(row.title), pabulib.format_number(row.cost),
            str(float(row.votes)) if row.votes.denominator != 1 else str(row.votes.numerator), row.supporters,
            _("oui") if row.won else _("non"), row.rank or "", spreadsheet_cell(row.explanation),
        ])
    return "\ufeff" + out.getvalue()


# Pabulib export -------------------------------------------------------------------------------

PB_RULES = {CountingRule.GREEDY: "greedy", CountingRule.MES: "equalshares/add1"}
# META keys an imported file brought that the export keeps (the others are recomputed).
_KEPT_META = ("description", "country", "unit", "district", "subunit", "instance", "language", "currency",
              "edition", "comment", "acknowledgments")


def _day(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y")


def export_pb(budget: Budget, *, public: bool = False) -> str:
    """The counted vote as a Pabulib file, its winners in the `selected` column.

    The caller checks that the budget was counted (`results` not empty); the winners are those of
    that count, and the ballots those stored, which the count read. `public`: the residents' file,
    where paper ballots are numbered rather than named by the reference staff typed.
    """
    instance = instance_of(budget, public=public)
    kept = {key: value for key, value in budget.pabulib_meta.items() if key in _KEPT_META}
    meta: dict[str, str] = {
        "description": budget.title, "country": "France", "unit": budget.territory.name,
        "instance": str(timezone.localtime(budget.vote_closes_at).year), "language": "fr", "currency": "EUR",
        **kept,
        "budget": str(budget.amount), "vote_type": instance.meta["vote_type"], "rule": PB_RULES[CountingRule(budget.rule)],
        "date_begin": _day(budget.vote_opens_at), "date_end": _day(budget.vote_closes_at),
    }
    kind = budget.ballot_kind
    if kind in (BallotKind.APPROVAL, BallotKind.APPROVAL_BUDGET, BallotKind.RANKING):
        meta["min_length"] = str(max(budget.min_projects, 1))
        if budget.max_projects:
            meta["max_length"] = str(budget.max_projects)
    if kind == BallotKind.APPROVAL_BUDGET:
        meta["max_sum_cost"] = str(budget.amount)
    if kind == BallotKind.CUMULATIVE and budget.points:
        meta["max_sum_points"] = str(budget.points)
    instance.meta = meta
    return pabulib.write_pb(instance, budget.results.get("winners", []))


# Pabulib import -------------------------------------------------------------------------------

class ImportRefused(ValueError):
    """The file cannot become a budget; the message says why, in French."""


def _whole(value: Fraction, what: str) -> int:
    if value.denominator != 1 or value < 0:
        raise ImportRefused(
            _("%(what)s vaut %(value)s : Clocher compte en euros et en points entiers, positifs.")
            % {"what": what, "value": pabulib.format_number(value)}
        )
    return int(value)


_DAY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_YEAR = re.compile(r"\d{4}")


def _date(text: str | None) -> datetime.date | None:
    """A META date as files write it: "03.10.2022", "03/10/2022", or a year alone ("2019")."""
    if not text:
        return None
    text = text.strip()
    found = _DAY.fullmatch(text)
    try:
        if found:
            day, month, year = (int(part) for part in found.groups())
            return datetime.date(year, month, day)
        if _YEAR.fullmatch(text):
            return datetime.date(int(text), 1, 1)
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _vote_dates(meta: dict[str, str]) -> tuple[datetime.datetime, datetime.datetime]:
    """The vote's opening and closing from date_begin and date_end (the end of that day); without
    them, a vote that closed at the import, one day long."""
    begin, end = _date(meta.get("date_begin")), _date(meta.get("date_end"))
    if begin is None or end is None or end < begin:
        closes = timezone.now().replace(microsecond=0)
        return closes - datetime.timedelta(days=1), closes
    if meta.get("date_end", "").strip().isdigit():  # a year alone: the vote lasted that year
        end = datetime.date(end.year, 12, 31)
    zone = timezone.get_current_timezone()
    opens = datetime.datetime.combine(begin, datetime.time.min, tzinfo=zone)
    closes = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return opens, closes


# Budget.points is a small integer.
MAX_POINTS = 32767

KINDS = {
    VoteType.APPROVAL: BallotKind.APPROVAL,
    VoteType.CHOOSE_1: BallotKind.APPROVAL,
    VoteType.CUMULATIVE: BallotKind.CUMULATIVE,
    VoteType.ORDINAL: BallotKind.RANKING,
}


@dataclass(frozen=True)
class Imported:
    budget: Budget
    projects: int
    ballots: int


def import_pb(data: bytes | str, territory: Territory, *, title: str = "", actor: Any = None) -> Imported:
    """Loads a Pabulib file as a draft budget of `territory`, to inspect and count it: its projects
    (code = the file's project id, final cost = its cost, eligible) and its ballots (imported, the
    voter id as label), the vote's dates from date_begin and date_end.

    Refuses, with a French sentence: a malformed file (PabulibError), a ballot type Clocher has no
    ballot for (scoring), amounts or points that are not whole and positive, and a file already
    imported for this territory (same META section): the budget found is named. Writes a journal
    line. Nothing is stored when refused.
    """
    try:
        instance = pabulib.parse_pb(data)
    except pabulib.PabulibError as exc:
        raise ImportRefused(str(exc)) from None
    vote_type = instance.vote_type
    if vote_type not in KINDS:
        raise ImportRefused(
            _("Les bulletins « %(type)s » n'ont pas d'équivalent dans Clocher (approbation, points, classement).")
            % {"type": vote_type}
        )
    amount = _whole(instance.budget, _("Le budget"))
    costs = {project.id: _whole(project.cost, _("Le coût du projet « %(id)s »") % {"id": project.id})
             for project in instance.projects.values()}
    too_long = [project_id for project_id in instance.projects if len(project_id) > 64]
    if too_long:
        raise ImportRefused(_("L'identifiant de projet « %(id)s » dépasse 64 caractères.") % {"id": too_long[0][:80]})
    long_voters = [ballot.voter_id for ballot in instance.ballots if len(ballot.voter_id) > 64]
    if long_voters:
        raise ImportRefused(_("L'identifiant de votant « %(id)s » dépasse 64 caractères.") % {"id": long_voters[0][:80]})
    points_given: list[tuple[int, ...]] = []
    if vote_type.has_points:
        for ballot in instance.ballots:
            points_given.append(tuple(
                _whole(value, _("Un nombre de points du bulletin « %(id)s »") % {"id": ballot.voter_id})
                for value in ballot.points or ()
            ))
    meta = dict(instance.meta)
    for existing in Budget.objects.filter(territory=territory).exclude(pabulib_meta={}).only("pk", "title", "pabulib_meta"):
        if existing.pabulib_meta == meta:
            raise ImportRefused(
                _("Ce fichier a déjà été importé pour %(territory)s : budget n° %(pk)s, « %(title)s ».")
                % {"territory": territory.name, "pk": existing.pk, "title": existing.title}
            )
    opens, closes = _vote_dates(meta)
    name = title.strip() or " ".join(
        part for part in (meta.get("description") or "", meta.get("unit") or "", meta.get("instance") or "") if part
    ) or _("Budget importé de Pabulib")
    longest = max((len(ballot.projects) for ballot in instance.ballots), default=1)
    max_projects: int | None = None
    if vote_type is VoteType.CHOOSE_1:
        max_projects = 1
    elif meta.get("max_length", "").strip().isdigit():
        max_projects = max(int(meta["max_length"]), longest)
    points: int | None = None
    if vote_type.has_points:
        declared = meta.get("max_sum_points", "").strip()
        largest = max((sum(given) for given in points_given), default=0)
        points = max(int(declared) if declared.isdigit() else 0, largest, 1)
        if points > MAX_POINTS:
            raise ImportRefused(
                _("Les bulletins donnent jusqu'à %(points)s points : Clocher en répartit %(max)s au plus.")
                % {"points": points, "max": MAX_POINTS}
            )
    rule = CountingRule.GREEDY if vote_type is VoteType.ORDINAL or "equalshares" not in meta.get("rule", "") \
        else CountingRule.MES
    with transaction.atomic():
        eligibility = Eligibility.objects.create(level=Level.EMAIL)
        budget = Budget.objects.create(
            territory=territory, title=name[:200], description=meta.get("comment", "")[:5000],
            eligibility=eligibility, amount=amount, ballot_kind=KINDS[vote_type], max_projects=max_projects,
            min_projects=0, points=points, rule=rule,
            proposals_opens_at=opens - datetime.timedelta(days=2), proposals_closes_at=opens - datetime.timedelta(days=1),
            vote_opens_at=opens, vote_closes_at=closes, status=BudgetStatus.DRAFT, pabulib_meta=meta, author=actor,
        )
        projects = Project.objects.bulk_create([
            Project(
                budget=budget, code=project.id, title=(project.name or _("Projet %(id)s") % {"id": project.id})[:200],
                description=project.extra.get("description", ""), estimated_cost=costs[project.id],
                final_cost=costs[project.id], status=ProjectStatus.ELIGIBLE, reviewed_at=timezone.now(),
            )
            for project in instance.projects.values()
        ], batch_size=1000)
        by_code = {project.code: project for project in projects}
        ballots = [BudgetBallot(budget=budget, source=BallotSource.IMPORTED, label=ballot.voter_id)
                   for ballot in instance.ballots]
        BudgetBallot.objects.bulk_create(ballots, batch_size=2000)
        items: list[BudgetBallotItem] = []
        for index, (stored, ballot) in enumerate(zip(ballots, instance.ballots, strict=True)):
            for position, code in enumerate(ballot.projects):
                items.append(BudgetBallotItem(
                    ballot=stored, project=by_code[code],
                    points=points_given[index][position] if vote_type.has_points else None,
                    rank=position + 1 if vote_type is VoteType.ORDINAL else None,
                ))
        BudgetBallotItem.objects.bulk_create(items, batch_size=5000)
        record_audit(
            territory, actor, "participation.budget_imported",
            _("Budget « %(title)s » importé d'un fichier Pabulib : %(projects)s projets, %(ballots)s bulletins")
            % {"title": budget.title, "projects": len(projects), "ballots": len(ballots)},
            {"budget": budget.pk, "projects": len(projects), "ballots": len(ballots)},
        )
    return Imported(budget, len(projects), len(ballots))

