"""Counting: greedy and MES with add1 give pabutools' winners on every shared Pabulib file and on
random elections, the file's own `selected` column where it used one of our rules, and say why.

pabutools runs live for greedy on every file, and for MES where it takes about a second or less
(pabutools_mes.json records how long); on the others, where its add1 loop runs 2 to 15 seconds,
the MES winners compared are those pabutools_mes.json recorded (`python -m bench.pb_tally
--expected` recomputes them with pabutools). Random elections are also checked against a plain
re-implementation below, which raises the shares one unit at a time with no jump.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from fractions import Fraction

import pytest

from clocher.participation.counting import (
    CountingError,
    Election,
    Reason,
    Rule,
    VoteType,
    equal_shares,
    greedy,
    tally,
)
from clocher.participation.pabulib import Ballot, read_pb
from clocher.participation.tests.pabutools_reference import (
    recorded,
    reference_for,
    reference_winners,
)
from clocher.territories.geography import shared_data_dir

SHARED = shared_data_dir() / "pabulib"
FILES = sorted(path.name for path in SHARED.glob("*.pb")) if SHARED.is_dir() else []
RECORDED = recorded()
LIVE_SECONDS = 1.1  # pabutools' MES runs live in the tests on files it counts in about a second
ASSEN = "Netherlands_Assen_2024.pb"


def election(budget: int | str, costs: Mapping[str, int | str], ballots: list[tuple[str, ...]],
             vote_type: VoteType = VoteType.APPROVAL,
             points: list[tuple[int, ...]] | None = None) -> Election:
    return Election(
        Fraction(budget), {name: Fraction(cost) for name, cost in costs.items()}, vote_type,
        [Ballot(str(number), ballot, tuple(Fraction(p) for p in points[number]) if points else None)
         for number, ballot in enumerate(ballots)],
    )


def test_the_shared_files_are_there():
    assert len(FILES) >= 28
    assert ASSEN in FILES


@pytest.mark.parametrize("name", FILES)
def test_greedy_winners_are_pabutools_on_every_shared_file(name):
    path = SHARED / name
    expected, _seconds = reference_winners(path, "greedy")
    assert set(greedy(read_pb(path).election()).winners) == expected


def test_every_shared_file_but_the_ordinal_ones_has_recorded_mes_winners():
    ordinal = {name for name in FILES if read_pb(SHARED / name).vote_type is VoteType.ORDINAL}
    assert ordinal == {"Poland_Krakow_2018_Wzgorza_Krzeslawickie.pb"}
    assert set(RECORDED) == set(FILES) - ordinal


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_mes_winners_are_pabutools_on_every_shared_file(name):
    path = SHARED / name
    winners = set(equal_shares(read_pb(path).election()).winners)
    assert sorted(winners) == RECORDED[name]["winners"]
    if RECORDED[name]["seconds"] <= LIVE_SECONDS:
        live, _seconds = reference_winners(path, "mes")
        assert winners == live


def test_winners_equal_the_selected_column_of_files_counted_by_one_of_our_rules():
    checked = []
    for name in FILES:
        instance = read_pb(SHARED / name)
        rule = {"greedy": Rule.GREEDY, "equalshares/add1": Rule.MES}.get(instance.meta.get("rule", ""))
        selected = instance.file_selected()
        if rule is None or selected is None:
            continue
        assert set(tally(instance.election(), rule).winners) == selected, name
        checked.append(name)
    assert ASSEN in checked


def test_assen_2024_is_counted_after_843_raises_of_one_euro():
    result = equal_shares(read_pb(SHARED / ASSEN).election())
    assert result.raises == 843
    assert result.voter_budget == Fraction(100000, 84) + 843
    assert result.spent <= result.budget


def test_plain_equal_shares_without_add1_is_pabutools_without_increment():
    path = SHARED / ASSEN
    expected, _seconds = reference_winners(path, "mes", add1=False)
    result = equal_shares(read_pb(path).election(), add1=False)
    assert set(result.winners) == expected
    assert result.raises == 0
    assert len(result.winners) < len(equal_shares(read_pb(path).election()).winners)


def test_the_count_jumps_over_the_raises_that_cannot_change_the_outcome():
    path = SHARED / "France_Toulouse_2022_9_-_Trois_Cocus_Borderouge_Croix-Daurade_Paleficat_Grand_Selve.pb"
    result = equal_shares(read_pb(path).election())
    # pabutools runs MES 7,725 times on this district, once per raise of one euro.
    assert result.raises == 7724
    assert result.runs is not None and result.runs < 30


# Ties and edge cases --------------------------------------------------------------------------

def test_greedy_breaks_equal_votes_by_the_project_id_as_text():
    tied = election(100, {"9": 60, "10": 60}, [("9", "10"), ("10", "9")])
    assert greedy(tied).winners == ("10",)
    assert reference_for(tied, "greedy") == {"10"}


def test_mes_breaks_equal_prices_by_the_project_id_as_text():
    tied = election(100, {"b": 60, "a": 60, "c": 60}, [("a", "b", "c")] * 4)
    assert equal_shares(tied).winners == ("a",)
    assert reference_for(tied, "mes") == {"a"}


def test_greedy_counts_points_for_cumulative_ballots_and_ranks_for_ordinal_ones():
    cumulative = election(100, {"a": 60, "b": 60}, [("a", "b"), ("b",)], VoteType.CUMULATIVE, [(5, 1), (3,)])
    assert greedy(cumulative).winners == ("a",)  # 5 points against 4, from fewer ballots
    assert greedy(cumulative).projects["a"].votes == 5
    ordinal = election(100, {"a": 60, "b": 60}, [("a", "b"), ("a", "b"), ("b",)], VoteType.ORDINAL)
    assert greedy(ordinal).projects["a"].votes == 4  # first of two on two ballots: 2 + 2
    assert greedy(ordinal).projects["b"].votes == 3  # second of two twice, first of one once
    assert greedy(ordinal).winners == ("a",)
    assert reference_for(ordinal, "greedy") == {"a"}


def test_greedy_funds_projects_nobody_voted_for_if_money_is_left_as_pabutools_does():
    result = greedy(election(100, {"a": 50, "b": 30}, [("a",)]))
    assert result.winners == ("a", "b")
    assert result.projects["b"].votes == 0


def test_mes_is_refused_for_ranked_ballots_and_negative_points():
    ordinal = election(100, {"a": 60}, [("a",)], VoteType.ORDINAL)
    with pytest.raises(CountingError, match="ordinal"):
        equal_shares(ordinal)
    scoring = election(100, {"a": 60, "b": 10}, [("a", "b")], VoteType.SCORING, [(2, -1)])
    with pytest.raises(CountingError, match="négatifs"):
        equal_shares(scoring)
    assert greedy(scoring).winners == ("a", "b")


def test_no_ballot_funds_nothing_by_mes():
    result = equal_shares(election(100, {"a": 60}, []))
    assert result.winners == ()
    assert result.projects["a"].reason is Reason.NO_SUPPORT


def test_a_supported_project_that_costs_nothing_wins_free():
    result = equal_shares(election(100, {"a": 0, "b": 80, "c": 50}, [("a",), ("b",)]))
    assert result.projects["a"].reason is Reason.WON_FREE
    assert result.projects["c"].reason is Reason.NO_SUPPORT
    assert set(result.winners) == {"a", "b"}


# Why each project won or lost -----------------------------------------------------------------

def test_greedy_says_how_many_votes_won_and_what_was_left_for_the_skipped():
    path = SHARED / "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb"
    result = greedy(read_pb(path).election())
    assert result.winners == ("182", "183")  # README: greedy-by-votes gives {182, 183}
    ranked = sorted(result.projects.values(), key=lambda outcome: (-outcome.votes, outcome.project_id))
    assert [outcome.project_id for outcome in ranked][:1] == ["182"]
    for outcome in result.projects.values():
        assert outcome.remaining_before is not None
        if outcome.won:
            assert outcome.reason is Reason.WON_BY_VOTES
            assert outcome.cost <= outcome.remaining_before
        else:
            assert outcome.reason is Reason.SKIPPED_OVER_BUDGET
            assert outcome.cost > outcome.remaining_before
    assert result.spent == sum(result.projects[name].cost for name in result.winners)
    assert [result.projects[name].rank for name in result.winners] == [1, 2]


def test_mes_says_who_paid_for_the_winners_and_what_the_losers_supporters_had_left():
    result = equal_shares(read_pb(SHARED / ASSEN).election())
    assert result.voter_budget is not None
    for name, outcome in result.projects.items():
        if outcome.won:
            assert outcome.reason is Reason.WON_BY_SHARES
            assert outcome.payers is not None and 0 < outcome.payers <= outcome.supporters
            assert outcome.largest_share is not None
            assert outcome.cost / outcome.payers <= outcome.largest_share <= result.voter_budget
        elif outcome.supporters:
            assert outcome.reason is Reason.SUPPORTERS_COULD_NOT_PAY
            assert outcome.supporters_money is not None and outcome.supporters_money < outcome.cost, name
        else:
            assert outcome.reason is Reason.NO_SUPPORT


# Random elections -----------------------------------------------------------------------------

def plain_mes(counted: Election, add1: bool = True) -> set[str]:
    """MES written as its definition reads, voter by voter in fractions; add1 one unit at a time."""
    voters = len(counted.ballots)
    utilities: list[dict[str, Fraction]] = []
    for ballot in counted.ballots:
        if counted.vote_type.has_points:
            utilities.append({name: points for name, points in zip(ballot.projects, ballot.points or (), strict=True)
                              if points > 0})
        else:
            utilities.append({name: counted.costs[name] for name in ballot.projects})
    candidates = sorted(name for name in counted.costs
                        if counted.costs[name] > 0 and any(name in given for given in utilities))

    def run(share: Fraction) -> list[str]:
        money = [share] * voters
        left = set(candidates)
        chosen: list[str] = []
        while True:
            best: tuple[Fraction, str] | None = None
            for name in sorted(left):
                backers = [voter for voter in range(voters) if name in utilities[voter]]
                if sum(money[voter] for voter in backers) < counted.costs[name]:
                    continue
                # The smallest price rho at which the backers' min(money, rho * utility) covers the cost.
                backers.sort(key=lambda voter: money[voter] / utilities[voter][name])
                paid = Fraction(0)
                rest = sum(utilities[voter][name] for voter in backers)
                for voter in backers:
                    rho = (counted.costs[name] - paid) / rest
                    if rho * utilities[voter][name] <= money[voter]:
                        break
                    paid += money[voter]
                    rest -= utilities[voter][name]
                if best is None or rho < best[0]:
                    best = (rho, name)
            if best is None:
                return chosen
            rho, name = best
            for voter in range(voters):
                if name in utilities[voter]:
                    money[voter] -= min(money[voter], rho * utilities[voter][name])
            left.discard(name)
            chosen.append(name)

    if not voters:
        return set()
    share = counted.budget / voters
    outcome = run(share)
    previous = outcome
    while add1:
        spent = sum(counted.costs[name] for name in outcome)
        if spent > counted.budget:
            return set(previous)
        if all(name in outcome or counted.costs[name] > counted.budget - spent for name in candidates):
            return set(outcome)
        previous = outcome
        share += 1
        outcome = run(share)
    return set(outcome)


def random_election(seed: int) -> Election:
    generator = random.Random(seed)
    vote_type = generator.choice([VoteType.APPROVAL, VoteType.APPROVAL, VoteType.CUMULATIVE, VoteType.CHOOSE_1])
    names = generator.sample(["1", "2", "9", "10", "11", "a", "b", "B"], generator.randint(1, 6))
    # Few distinct costs and budgets, so that equal prices (ties) are frequent.
    costs = {name: generator.choice(["10", "20", "30", "35", "50", "15.5", "7.25"]) for name in names}
    ballots: list[tuple[str, ...]] = []
    points: list[tuple[int, ...]] = []
    for _voter in range(generator.randint(0, 14)):
        size = 1 if vote_type is VoteType.CHOOSE_1 else generator.randint(0, len(names))
        ballots.append(tuple(generator.sample(names, size)))
        points.append(tuple(generator.randint(0, 3) for _name in ballots[-1]))
    budget = generator.choice(["40", "60", "100", "137", "33.3"])
    return election(budget, costs, ballots, vote_type, points if vote_type is VoteType.CUMULATIVE else None)


def test_mes_with_add1_equals_its_plain_definition_on_random_elections():
    for seed in range(400):
        counted = random_election(seed)
        assert set(equal_shares(counted).winners) == plain_mes(counted), seed
        assert set(equal_shares(counted, add1=False).winners) == plain_mes(counted, add1=False), seed


def test_mes_with_add1_and_greedy_equal_pabutools_on_random_elections():
    for seed in range(1000, 1120):
        counted = random_election(seed)
        assert set(equal_shares(counted).winners) == reference_for(counted, "mes"), seed
        assert set(greedy(counted).winners) == reference_for(counted, "greedy"), seed
