"""`clocher import pabulib FILE.pb`: a shared Pabulib file becomes a draft budget whose count is the
file's own (`clocher pb tally`), a second import is refused, and files Clocher cannot hold are
refused with the reason, storing nothing."""

from __future__ import annotations

import datetime
import io
import json
from fractions import Fraction

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from clocher.participation import budget_vote
from clocher.participation.budget_results import ImportRefused, import_pb
from clocher.participation.budgets import (
    BallotKind,
    BallotSource,
    Budget,
    BudgetBallot,
    BudgetStatus,
    CountingRule,
)
from clocher.participation.counting import Rule, tally
from clocher.territories.geography import shared_data_dir
from clocher.territories.models import AuditEntry, Territory

pytestmark = pytest.mark.django_db
SHARED = shared_data_dir() / "pabulib"
needs_files = pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Pabulib files are not here")

FILES = {
    "approval": "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb",
    "cumulative": "Poland_Gdansk_2020_Rudniki.pb",
    "ordinal": "Poland_Krakow_2018_Wzgorza_Krzeslawickie.pb",
    "choose-1": "Poland_Zabrze_2021_Grzybowice.pb",
    "mes": "Netherlands_Assen_2024.pb",
}


def pb_tally(name: str, rule: str) -> list[str]:
    out = io.StringIO()
    call_command("pb", "tally", str(SHARED / name), "--rule", rule, stdout=out)
    winners: list[str] = json.loads(out.getvalue())
    return winners


def run_import(name: str, *extra: str) -> str:
    out = io.StringIO()
    call_command("import", "pabulib", str(SHARED / name), "--territory", "32013", *extra, stdout=out)
    return out.getvalue()


@needs_files
@pytest.mark.parametrize("kind", sorted(FILES))
def test_an_imported_file_counts_as_clocher_pb_tally_counts_it(kind: str, auch: Territory, bob: object) -> None:
    name = FILES[kind]
    message = run_import(name)
    budget = Budget.objects.get()
    assert f"Budget n° {budget.pk}" in message and "(brouillon)" in message
    assert budget.status == BudgetStatus.DRAFT and budget.territory == auch
    assert BudgetBallot.objects.filter(budget=budget, source=BallotSource.IMPORTED).count() == int(budget.pabulib_meta["num_votes"])
    assert budget.projects.count() == int(budget.pabulib_meta["num_projects"])
    rules = ["greedy"] if kind == "ordinal" else ["greedy", "mes"] if kind in ("mes", "approval") else ["greedy"]
    for rule in rules:
        assert list(tally(budget_vote.election_of(budget), Rule(rule)).winners) == pb_tally(name, rule), rule
    # The staff's count of the budget, by the rule the file names, is the same.
    budget_vote.count_votes(bob, budget)
    budget.refresh_from_db()
    assert budget.results["winners"] == pb_tally(name, budget.rule)
    assert AuditEntry.objects.filter(action="participation.budget_imported").count() == 1


@needs_files
def test_the_file_gives_the_kind_of_ballot_the_dates_and_the_rule(auch: Territory) -> None:
    run_import(FILES["choose-1"])
    run_import(FILES["mes"])
    run_import(FILES["ordinal"], "--title", "Cracovie 2018")
    zabrze, assen, krakow = Budget.objects.order_by("pk")
    assert (zabrze.ballot_kind, zabrze.max_projects) == (BallotKind.APPROVAL, 1)
    assert assen.rule == CountingRule.MES and zabrze.rule == CountingRule.GREEDY
    assert krakow.ballot_kind == BallotKind.RANKING and krakow.title == "Cracovie 2018"
    # date_begin 31.03.2024, date_end 15.04.2024: the vote closes at the end of that day.
    assert timezone.localtime(assen.vote_opens_at) == datetime.datetime(2024, 3, 31, tzinfo=timezone.get_current_timezone())
    assert timezone.localtime(assen.vote_closes_at) == datetime.datetime(2024, 4, 16, tzinfo=timezone.get_current_timezone())


@needs_files
def test_a_second_import_of_the_same_file_is_refused_and_names_the_budget(auch: Territory) -> None:
    run_import(FILES["approval"])
    first = Budget.objects.get()
    with pytest.raises(CommandError, match=f"déjà été importé pour Auch : budget n° {first.pk}"):
        run_import(FILES["approval"])
    assert Budget.objects.count() == 1


@needs_files
def test_a_budget_in_cents_is_refused_with_the_reason(auch: Territory) -> None:
    with pytest.raises(CommandError, match="Le budget vaut 106165.64 : Clocher compte en euros"):
        run_import("Poland_Warszawa_2018_Przyczolek_Grochowski.pb")
    assert not Budget.objects.exists() and not BudgetBallot.objects.exists()


def test_scoring_ballots_a_malformed_file_and_an_unknown_territory_are_refused(auch: Territory, tmp_path: object) -> None:
    scoring = "META\nkey;value\nbudget;100\nvote_type;scoring\nPROJECTS\nproject_id;cost\n1;50\nVOTES\nvoter_id;vote;points\na;1;-2\n"
    with pytest.raises(ImportRefused, match="« scoring » n'ont pas d'équivalent"):
        import_pb(scoring, auch)
    with pytest.raises(ImportRefused, match="Il manque la section"):
        import_pb("META\nkey;value\nbudget;100\nvote_type;approval\n", auch)
    with pytest.raises(CommandError, match="Aucun territoire de code « 99999 »"):
        call_command("import", "pabulib", "nowhere.pb", "--territory", "99999")
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("import", "pabulib", "nowhere.pb", "--territory", "32013")
    assert not Budget.objects.exists()


def test_a_small_file_without_dates_closes_its_vote_at_the_import(auch: Territory) -> None:
    text = ("META\nkey;value\nbudget;100\nvote_type;cumulative\nmax_sum_points;5\nPROJECTS\nproject_id;cost;name\n"
            "1;60;Bancs\n2;50;Jardin\nVOTES\nvoter_id;vote;points\na;1,2;3,2\nb;2;5\nc;;\n")
    imported = import_pb(text, auch)
    budget = imported.budget
    assert (imported.projects, imported.ballots, budget.points) == (2, 3, 5)
    assert budget.vote_closes_at - budget.vote_opens_at == datetime.timedelta(days=1)
    instance = budget_vote.instance_of(budget)
    assert sorted((b.voter_id, b.projects, b.points) for b in instance.ballots) == [
        ("a", ("1", "2"), (Fraction(3), Fraction(2))), ("b", ("2",), (Fraction(5),)), ("c", (), ()),
    ]
