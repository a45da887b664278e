"""Budget ballots: a resident votes during the vote only, within the budget's rules, and may change
their ballot until the close; a refused ballot stores nothing; staff enter paper ballots, count and
publish results."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from clocher.accounts.models import User
from clocher.participation import budget_vote
from clocher.participation.budget_selectors import voter_key
from clocher.participation.budgets import (
    BallotKind,
    BallotSource,
    Budget,
    BudgetBallot,
    BudgetBallotItem,
    CountingRule,
    Project,
    ProjectStatus,
)
from clocher.participation.models import Participation
from clocher.participation.services import ParticipationRefused
from clocher.territories.models import AuditEntry, Territory
from conftest import make_user

from .test_budget_vote_factories import NOW, make_budget, pks, verified

pytestmark = pytest.mark.django_db
AFTER = NOW + datetime.timedelta(days=8)


@pytest.fixture
def voter(resident: User, auch: Territory) -> User:
    verified(resident, auch)
    return resident


def refused(user: User, budget: Budget, marks: dict[int, int]) -> list[str]:
    with pytest.raises(ParticipationRefused) as exc, time_machine.travel(NOW, tick=False):
        budget_vote.submit_ballot(user, budget, marks)
    assert not BudgetBallot.objects.filter(budget=budget).exists()
    assert not Participation.objects.filter(user=user).exists()
    return exc.value.reasons


def cast(user: User, budget: Budget, marks: dict[int, int]) -> BudgetBallot:
    with time_machine.travel(NOW, tick=False):
        return budget_vote.submit_ballot(user, budget, marks)


def chosen(ballot: BudgetBallot) -> dict[str, tuple[int | None, int | None]]:
    return {item.project.code: (item.points, item.rank) for item in ballot.items.select_related("project")}


# Casting and changing

def test_a_first_ballot_writes_one_participation_and_a_ballot_found_by_its_keyed_digest(voter: User, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    ballot = cast(voter, budget, {p["1"]: 1, p["2"]: 1})
    assert ballot.source == BallotSource.ONLINE
    assert ballot.voter_key == voter_key(budget, voter) and len(ballot.voter_key) == 64
    assert set(chosen(ballot)) == {"1", "2"}
    assert Participation.objects.filter(user=voter, object_id=budget.pk).count() == 1


def test_a_resident_changes_their_ballot_until_the_close_and_keeps_one_ballot(voter: User, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    first = cast(voter, budget, {p["1"]: 1, p["2"]: 1})
    second = cast(voter, budget, {p["3"]: 1, p["4"]: 1})
    assert first.pk == second.pk
    assert set(chosen(second)) == {"3", "4"}
    assert BudgetBallot.objects.filter(budget=budget).count() == 1
    assert BudgetBallotItem.objects.filter(ballot__budget=budget).count() == 2
    assert Participation.objects.filter(user=voter).count() == 1
    with time_machine.travel(AFTER, tick=False), pytest.raises(ParticipationRefused) as exc:
        budget_vote.submit_ballot(voter, budget, {p["1"]: 1})
    assert exc.value.reasons == ["Le vote est clos."]
    assert set(chosen(second)) == {"3", "4"}


def test_a_ballot_over_the_envelope_is_refused_with_the_excess_named(voter: User, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    reasons = refused(voter, budget, {p["1"]: 1, p["2"]: 1, p["4"]: 1})
    assert len(reasons) == 1
    assert "65\xa0000 €" in reasons[0] and "10\xa0000 € de plus" in reasons[0] and "55\xa0000 €" in reasons[0]


def test_a_ballot_over_the_maximum_of_projects_is_refused(voter: User, auch: Territory) -> None:
    budget = make_budget(auch, ballot_kind=BallotKind.APPROVAL, max_projects=2)
    p = pks(budget)
    assert refused(voter, budget, {p["1"]: 1, p["2"]: 1, p["3"]: 1}) == [
        "Vous pouvez choisir 2 projets au plus ; vous en avez choisi 3."
    ]
    assert refused(voter, budget, {}) == ["Choisissez au moins un projet."]


def test_a_ballot_for_an_ineligible_or_another_budgets_project_is_refused(voter: User, auch: Territory) -> None:
    budget = make_budget(auch)
    other = make_budget(auch, title="Un autre")
    p = pks(budget)
    Project.objects.filter(pk=p["4"]).update(status=ProjectStatus.INELIGIBLE)
    for marks in ({p["4"]: 1}, {pks(other)["1"]: 1}, {10**9: 1}):
        reasons = refused(voter, budget, marks)
        assert any("ne fait pas partie de ce vote" in reason for reason in reasons)


def test_a_ballot_before_the_opening_or_after_the_close_is_refused(voter: User, auch: Territory) -> None:
    budget = make_budget(auch, now=NOW + datetime.timedelta(days=2))  # opens tomorrow
    p = pks(budget)
    assert refused(voter, budget, {p["1"]: 1}) == ["Le vote n'est pas encore ouvert."]
    closed = make_budget(auch, now=NOW - datetime.timedelta(days=10))
    assert refused(voter, closed, {pks(closed)["1"]: 1}) == ["Le vote est clos."]


def test_someone_who_may_not_take_part_is_refused_with_the_reasons(resident: User, auch: Territory, marciac: Territory) -> None:
    budget = make_budget(marciac)
    reasons = refused(resident, budget, {pks(budget)["1"]: 1})
    assert any("réservée aux habitants de Marciac" in reason for reason in reasons)


def test_cumulative_ballots_give_whole_points_within_the_total(voter: User, auch: Territory) -> None:
    budget = make_budget(auch, ballot_kind=BallotKind.CUMULATIVE, points=10)
    p = pks(budget)
    assert refused(voter, budget, {p["1"]: 8, p["2"]: 3}) == [
        "Vous avez donné 11 points, 1 de plus que les 10 à répartir : retirez-en."
    ]
    assert refused(voter, budget, {p["1"]: 0}) == ["Donnez des points à au moins un projet."]
    assert refused(voter, budget, {p["1"]: -1, p["2"]: 2}) == ["Un nombre de points ou un rang ne peut pas être négatif."]
    ballot = cast(voter, budget, {p["1"]: 7, p["2"]: 3, p["3"]: 0})
    assert chosen(ballot) == {"1": (7, None), "2": (3, None)}


def test_ranking_ballots_use_ranks_one_to_n_once_each(voter: User, auch: Territory) -> None:
    budget = make_budget(auch, ballot_kind=BallotKind.RANKING, max_projects=3)
    p = pks(budget)
    assert "même rang" in refused(voter, budget, {p["1"]: 1, p["2"]: 1})[0]
    assert "sans trou" in refused(voter, budget, {p["1"]: 1, p["2"]: 3})[0]
    assert refused(voter, budget, {p["1"]: 1, p["2"]: 2, p["3"]: 3, p["4"]: 4}) == [
        "Vous pouvez choisir 3 projets au plus ; vous en avez choisi 4."
    ]
    ballot = cast(voter, budget, {p["3"]: 1, p["1"]: 2})
    assert chosen(ballot) == {"3": (None, 1), "1": (None, 2)}


def test_a_change_refused_keeps_the_ballot_as_it_was(voter: User, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    cast(voter, budget, {p["1"]: 1})
    with time_machine.travel(NOW, tick=False), pytest.raises(ParticipationRefused):
        budget_vote.submit_ballot(voter, budget, {p["1"]: 1, p["2"]: 1, p["3"]: 1})
    assert set(chosen(BudgetBallot.objects.get(budget=budget))) == {"1"}


def test_own_ballot_finds_the_persons_ballot_only(voter: User, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    other = verified(make_user("other@example.org", home_commune=auch), auch)
    cast(other, budget, {p["2"]: 1})
    assert budget_vote.own_ballot(budget, voter) is None
    cast(voter, budget, {p["1"]: 1})
    own = budget_vote.own_ballot(budget, voter)
    assert own is not None and set(chosen(own)) == {"1"}


# Paper ballots

def test_staff_enter_list_and_delete_paper_ballots_with_journal_lines(bob: User, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    with time_machine.travel(NOW, tick=False):
        ballot = budget_vote.add_paper_ballot(bob, budget, " Mairie-001 ", {p["1"]: 1})
        assert ballot.source == BallotSource.PAPER and ballot.voter_key is None and ballot.label == "Mairie-001"
        with pytest.raises(budget_vote.VoteRefused, match="déjà la référence"):
            budget_vote.add_paper_ballot(bob, budget, "Mairie-001", {p["2"]: 1})
        with pytest.raises(budget_vote.VoteRefused, match="de plus que l'enveloppe"):
            budget_vote.add_paper_ballot(bob, budget, "Mairie-002", {p["1"]: 1, p["2"]: 1, p["3"]: 1})
        budget_vote.delete_paper_ballot(bob, budget, ballot)
    assert not BudgetBallot.objects.exists()
    actions = list(AuditEntry.objects.filter(territory=auch).values_list("action", flat=True))
    assert "participation.budget_paper_ballot_added" in actions
    assert "participation.budget_paper_ballot_deleted" in actions


def test_paper_ballots_are_refused_to_others_and_after_the_results(
    bob: User, mona: User, charlie: User, dora: User, auch: Territory,
) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    with time_machine.travel(NOW, tick=False):
        for outsider in (mona, charlie, dora):  # a moderator, another portal, the département above
            with pytest.raises(budget_vote.VoteRefused, match="droits"):
                budget_vote.add_paper_ballot(outsider, budget, "X", {p["1"]: 1})
    with time_machine.travel(AFTER, tick=False):
        budget_vote.add_paper_ballot(bob, budget, "Tardif", {p["1"]: 1})  # counted after the close: fine
        budget_vote.count_votes(bob, budget)
        budget_vote.publish_results(bob, budget)
        budget.refresh_from_db()
        with pytest.raises(budget_vote.VoteRefused, match="résultats sont publiés"):
            budget_vote.add_paper_ballot(bob, budget, "Trop tard", {p["1"]: 1})
        with pytest.raises(budget_vote.VoteRefused, match="résultats sont publiés"):
            budget_vote.delete_paper_ballot(bob, budget, BudgetBallot.objects.get())
    online = BudgetBallot(budget=budget, source=BallotSource.ONLINE, voter_key="x")
    with pytest.raises(budget_vote.VoteRefused, match="Seuls les bulletins papier"):
        budget_vote.delete_paper_ballot(bob, budget, online)


# Counting and publishing

def test_count_waits_for_the_close_then_stores_the_tally_and_publish_needs_it(voter: User, bob: User, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    cast(voter, budget, {p["2"]: 1, p["3"]: 1})
    with time_machine.travel(NOW, tick=False), pytest.raises(budget_vote.VoteRefused, match="pas clos"):
        budget_vote.count_votes(bob, budget)
    with time_machine.travel(AFTER, tick=False):
        with pytest.raises(budget_vote.VoteRefused, match="Dépouillez d'abord"):
            budget_vote.publish_results(bob, budget)
        budget_vote.count_votes(bob, budget)
        budget.refresh_from_db()
        assert budget.results["ballots"] == 1
        # Greedy: 2 and 3 (one vote each, 45 000 €), then 1 (30 000) does not fit, 4 (10 000) does.
        assert budget.results["winners"] == ["2", "3", "4"]
        assert budget.results_computed_at is not None
        budget_vote.publish_results(bob, budget)
        budget.refresh_from_db()
        assert budget.results_published_at is not None
        with pytest.raises(budget_vote.VoteRefused, match="déjà publiés"):
            budget_vote.count_votes(bob, budget)
    actions = set(AuditEntry.objects.filter(territory=auch).values_list("action", flat=True))
    assert {"participation.budget_counted", "participation.budget_results_published"} <= actions


def test_a_paper_ballot_after_the_count_clears_it_until_counted_again(bob: User, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    with time_machine.travel(AFTER, tick=False):
        budget_vote.count_votes(bob, budget)
        budget.refresh_from_db()
        assert budget.results["ballots"] == 0
        budget_vote.add_paper_ballot(bob, budget, "A", {p["1"]: 1})
        budget.refresh_from_db()
        assert budget.results == {} and budget.results_computed_at is None
        with pytest.raises(budget_vote.VoteRefused, match="Dépouillez d'abord"):
            budget_vote.publish_results(bob, budget)


def test_mes_is_refused_for_ranking_ballots(bob: User, auch: Territory) -> None:
    budget = make_budget(auch, ballot_kind=BallotKind.RANKING, rule=CountingRule.MES)
    with time_machine.travel(AFTER, tick=False), pytest.raises(budget_vote.VoteRefused, match="parts égales"):
        budget_vote.count_votes(bob, budget)
    assert not budget_vote.rule_fits(BallotKind.RANKING, CountingRule.MES)
    assert budget_vote.rule_fits(BallotKind.CUMULATIVE, CountingRule.MES)


def test_staff_of_another_territory_cannot_count(charlie: User, dora: User, auch: Territory) -> None:
    budget = make_budget(auch)
    with time_machine.travel(AFTER, tick=False):
        for outsider in (charlie, dora):
            with pytest.raises(budget_vote.VoteRefused, match="droits"):
                budget_vote.count_votes(outsider, budget)


def test_the_election_reads_every_kind_of_ballot(voter: User, bob: User, auch: Territory) -> None:
    budget = make_budget(auch, ballot_kind=BallotKind.RANKING)
    p = pks(budget)
    cast(voter, budget, {p["3"]: 1, p["1"]: 2})
    with time_machine.travel(NOW, tick=False):
        budget_vote.add_paper_ballot(bob, budget, "P1", {p["2"]: 1})
    election = budget_vote.election_of(budget)
    assert election.vote_type == "ordinal"
    assert sorted(ballot.projects for ballot in election.ballots) == [("2",), ("3", "1")]
    assert election.costs == {"1": 30000, "2": 25000, "3": 20000, "4": 10000}
