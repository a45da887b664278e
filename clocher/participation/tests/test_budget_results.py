"""Results of a budget: the count kept as JSON reads back exactly, every outcome has its sentence,
and the export of a finished vote is a Pabulib file pabulib-checker finds valid."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest
import time_machine

from clocher.accounts.models import User
from clocher.participation import budget_vote
from clocher.participation.budget_results import (
    explain,
    export_pb,
    results_csv,
    results_of,
    tally_to_json,
)
from clocher.participation.budgets import BallotKind, Budget, CountingRule
from clocher.participation.counting import Election, Reason, Rule, VoteType, tally
from clocher.participation.pabulib import Ballot, parse_pb
from clocher.territories.models import Territory
from conftest import make_user

from .test_budget_vote_factories import NOW, make_budget, pks, verified
from .test_pabulib import checker_results

pytestmark = pytest.mark.django_db
AFTER = NOW + datetime.timedelta(days=8)


def vote_and_count(bob: User, budget: Budget, ballots: list[dict[str, int]]) -> Budget:
    p = pks(budget)
    with time_machine.travel(NOW, tick=False):
        for number, marks in enumerate(ballots):
            person = verified(make_user(f"voter{number}@example.org", home_commune=budget.territory), budget.territory)
            budget_vote.submit_ballot(person, budget, {p[code]: value for code, value in marks.items()})
    with time_machine.travel(AFTER, tick=False):
        budget_vote.count_votes(bob, budget)
    budget.refresh_from_db()
    return budget


def test_the_stored_tally_reads_back_exactly() -> None:
    election = Election(Fraction(10), {"a": Fraction(7), "b": Fraction(5), "c": Fraction(3)}, VoteType.APPROVAL,
                        [Ballot("1", ("a",)), Ballot("2", ("b", "c")), Ballot("3", ("b",))])
    result = tally(election, Rule.MES)
    stored = tally_to_json(result, ballots=3, ballot_kind=BallotKind.APPROVAL)
    assert stored["winners"] == list(result.winners)
    for code, outcome in result.projects.items():
        data = stored["projects"][code]
        assert Fraction(data["votes"]) == outcome.votes and data["reason"] == outcome.reason
        if outcome.largest_share is not None:
            assert Fraction(data["largest_share"]) == outcome.largest_share


def test_every_reason_has_a_sentence_with_the_counts_figures() -> None:
    base = {"votes": "1234", "cost": "40000", "supporters": 1234, "remaining_before": "55000", "payers": 900,
            "largest_share": "81/2", "supporters_money": "12000"}
    sentences = {reason: explain({**base, "reason": reason}, 3, 12, "voix") for reason in Reason}
    assert sentences[Reason.WON_BY_VOTES] == (
        "Ce projet est retenu : 1\xa0234 voix, au rang 3 sur 12, et son coût de 40\xa0000 € tenait dans les "
        "55\xa0000 € restants."
    )
    assert "dépassait les 55\xa0000 € qui restaient à son tour" in sentences[Reason.SKIPPED_OVER_BUDGET]
    unsupported = explain({**base, "votes": "0", "reason": Reason.WON_BY_VOTES}, 4, 4, "voix")
    assert unsupported.startswith("Ce projet est retenu bien qu'aucun bulletin ne le choisisse")
    assert "900 y ont contribué, au plus 40,50 € chacun" in sentences[Reason.WON_BY_SHARES]
    assert "n'avaient plus que 12\xa0000 €" in sentences[Reason.SUPPORTERS_COULD_NOT_PAY]
    assert sentences[Reason.NO_SUPPORT] == "Ce projet n'est pas retenu : aucun bulletin ne le soutient."
    assert "ne coûte rien" in sentences[Reason.WON_FREE]


def test_mes_results_explain_shares_and_losers(bob: User, auch: Territory) -> None:
    budget = make_budget(auch, ballot_kind=BallotKind.APPROVAL, rule=CountingRule.MES)
    budget = vote_and_count(bob, budget, [{"1": 1}, {"1": 1}, {"2": 1, "3": 1}, {"3": 1}])
    results = results_of(budget)
    assert results is not None and results.rule == "mes" and results.ballots == 4
    by_code = {row.code: row for row in results.projects}
    assert by_code["4"].reason == Reason.NO_SUPPORT
    assert all(row.won for row in results.winners)
    assert any(row.reason == Reason.WON_BY_SHARES and "parts égales" in row.explanation for row in results.winners)
    assert [row.code for row in results.projects][0] in ("1", "3")  # most votes first
    csv = results_csv(results)
    assert csv.startswith("\ufeffIdentifiant;Projet;") and "aucun bulletin ne le soutient" in csv


@pytest.mark.parametrize(("kind", "rule", "ballots"), [
    (BallotKind.APPROVAL_BUDGET, CountingRule.GREEDY, [{"1": 1, "3": 1}, {"1": 1}, {"2": 1, "4": 1}]),
    (BallotKind.APPROVAL, CountingRule.MES, [{"1": 1, "2": 1}, {"1": 1}, {"3": 1, "4": 1}, {"4": 1}]),
    (BallotKind.CUMULATIVE, CountingRule.GREEDY, [{"1": 6, "2": 4}, {"3": 10}, {"1": 1}]),
    (BallotKind.RANKING, CountingRule.GREEDY, [{"2": 1, "1": 2}, {"3": 1}, {"1": 1, "4": 2, "2": 3}]),
])
def test_the_export_of_a_finished_vote_is_valid_for_pabulib_checker(
    bob: User, auch: Territory, kind: str, rule: str, ballots: list[dict[str, int]],
) -> None:
    budget = make_budget(auch, ballot_kind=kind, rule=rule, points=10)
    budget = vote_and_count(bob, budget, ballots)
    with time_machine.travel(AFTER, tick=False):
        budget_vote.add_paper_ballot(bob, budget, "Mairie-1", {pks(budget)["4"]: 1 if kind != BallotKind.CUMULATIVE else 3})
        budget_vote.count_votes(bob, budget)
    budget.refresh_from_db()
    text = export_pb(budget)
    found = checker_results(text)
    assert found["errors"] == {}, found
    assert found["warnings"] == {}, found
    instance = parse_pb(text)
    assert len(instance.ballots) == len(ballots) + 1
    assert {b.voter_id for b in instance.ballots} >= {"papier-Mairie-1"}
    assert instance.file_selected() == set(budget.results["winners"])
    assert instance.meta["rule"] == ("equalshares/add1" if rule == CountingRule.MES else "greedy")


def test_an_export_with_winners_other_than_the_rules_is_caught_by_the_checker(bob: User, auch: Territory) -> None:
    """The checker really checks the winners: the test above cannot pass on any file."""
    budget = vote_and_count(bob, make_budget(auch), [{"1": 1}, {"1": 1}, {"2": 1}])
    budget.results["winners"] = ["2"]
    assert checker_results(export_pb(budget))["errors"]
