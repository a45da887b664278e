"""Counting a participatory budget: greedy by votes, or the Method of Equal Shares raised by add1.

Pure functions over plain data (an Election: budget, costs, ballots); no Django model, no I/O.
Both rules are those of pabutools 1.2.3, the reference the issue names, down to tie-breaking, and
tests check it on every shared Pabulib file (docs/participation.md, "Counting").

Greedy: projects in decreasing order of votes, each funded if its cost fits in what is left,
otherwise skipped. "Votes" are what Pabulib's `votes`/`score` columns count: the ballots naming
the project (approval, choose-1), the points given to it (cumulative, scoring), or, for ranked
ballots, k points from a ballot of k projects to its first, k-1 to its second... (ordinal, as
the file's `score`). Equal votes: the smaller project id first, compared as text ("10" < "9"),
which is pabutools' default lexicographic tie-breaking.

Method of Equal Shares (MES): the budget is split equally between the voters; in each round the
project whose supporters can pay for it at the lowest price per unit of utility wins, each
supporter paying that price times their utility or, if they cannot, all they have left. Utility
is the project's cost for approval and choose-1 ballots (pabutools' Cost_Sat, what Pabulib's
`equalshares` uses) and the points given for cumulative and scoring ballots (Additive_Cardinal_Sat).
Equal prices: the smaller id, as text. MES is not defined here for ranked ballots.

add1 (Pabulib's `equalshares/add1`, pabutools' voter_budget_increment=1): while the outcome
leaves money that could fund another supported project, every voter's share is raised by one
currency unit and MES is run again from the start; it stops at the first outcome that is
exhaustive (returned) or that would cost more than the budget (the previous one is returned).

Speed: that loop runs MES thousands of times on real files (7,725 times for a Toulouse district).
Here one run also proves for how many more raises its outcome cannot change, and the count jumps
over them. Given which supporters of each winner paid all they had left and which paid a full
share, every budget, price and comparison of the run is an affine function of the voters' share;
a run records the comparisons that decided it (who paid what, which project was cheapest, which
could not be afforded) with their slopes, and the first raise at which one of them could turn is
the next one computed. Arithmetic is exact (integers over a common denominator), so ties are
ties, as with pabutools' rationals.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from functools import reduce
from typing import Protocol

from django.utils.translation import gettext as _


class CountingError(ValueError):
    """The rule cannot count these ballots; the message says why, in French."""


class VoteType(StrEnum):
    """Pabulib's ballot types (the META field vote_type)."""

    APPROVAL = "approval"
    CUMULATIVE = "cumulative"
    ORDINAL = "ordinal"
    CHOOSE_1 = "choose-1"
    SCORING = "scoring"

    @property
    def has_points(self) -> bool:
        """Whether each ballot gives the projects it names a number of points."""
        return self in (VoteType.CUMULATIVE, VoteType.SCORING)


class Rule(StrEnum):
    GREEDY = "greedy"
    MES = "mes"


class Reason(StrEnum):
    """Why a project won or lost, for the results page (the numbers are in ProjectOutcome)."""

    WON_BY_VOTES = "won_by_votes"  # greedy: its turn came and its cost fitted in what was left
    SKIPPED_OVER_BUDGET = "skipped_over_budget"  # greedy: cost above what was left at its turn
    WON_BY_SHARES = "won_by_shares"  # MES: its supporters paid for it from their shares
    WON_FREE = "won_free"  # MES: it costs nothing and some ballot supports it
    SUPPORTERS_COULD_NOT_PAY = "supporters_could_not_pay"  # MES: their money left < its cost
    NO_SUPPORT = "no_support"  # MES: no ballot gives it anything


class Vote(Protocol):
    """A ballot as counting reads it: the projects named (a ranking for ordinal ballots) and,
    for cumulative and scoring ballots, the points given to each."""

    @property
    def projects(self) -> tuple[str, ...]: ...

    @property
    def points(self) -> tuple[Fraction, ...] | None: ...


@dataclass(frozen=True)
class Election:
    """What a count needs: the budget, each project's cost, the ballot type and the ballots."""

    budget: Fraction
    costs: Mapping[str, Fraction]
    vote_type: VoteType
    ballots: Sequence[Vote]


@dataclass(frozen=True)
class ProjectOutcome:
    """One project's result and the figures that explain it.

    votes: what greedy ranks by (ballots naming it, or points); supporters: ballots giving it
    something. rank: 1 for the first project funded, None for a loser. remaining_before
    (greedy): the budget left when its turn came. payers and largest_share (MES, winners): how
    many voters paid towards it and the most one of them paid. supporters_money (MES, losers):
    what its supporters had left at the end, less than its cost.
    """

    project_id: str
    cost: Fraction
    votes: Fraction
    supporters: int
    won: bool
    reason: Reason
    rank: int | None = None
    remaining_before: Fraction | None = None
    payers: int | None = None
    largest_share: Fraction | None = None
    supporters_money: Fraction | None = None


@dataclass(frozen=True)
class Tally:
    """The result of a count: the winners in the order they were chosen, and every project's story.

    voter_budget (MES): each voter's share in the counted run, the budget divided by the number
    of ballots plus `raises` add1 raises of one unit. runs: how many times MES was computed.
    """

    rule: Rule
    budget: Fraction
    winners: tuple[str, ...]
    projects: dict[str, ProjectOutcome]
    spent: Fraction
    voter_budget: Fraction | None = None
    raises: int | None = None
    runs: int | None = None


def votes_given(election: Election) -> list[dict[str, Fraction]]:
    """Each ballot's votes per project: 1, its points, or its rank points (k, k-1, ... 1)."""
    given: list[dict[str, Fraction]] = []
    one = Fraction(1)
    for ballot in election.ballots:
        projects = ballot.projects
        if election.vote_type.has_points:
            points = ballot.points or ()
            given.append(dict(zip(projects, points, strict=True)))
        elif election.vote_type is VoteType.ORDINAL:
            size = len(projects)
            given.append({project: Fraction(size - rank) for rank, project in enumerate(projects)})
        else:
            given.append(dict.fromkeys(projects, one))
    return given


def _totals(election: Election) -> tuple[dict[str, Fraction], dict[str, int]]:
    votes = dict.fromkeys(election.costs, Fraction(0))
    supporters = dict.fromkeys(election.costs, 0)
    for ballot in votes_given(election):
        for project, value in ballot.items():
            votes[project] += value
            if value > 0:
                supporters[project] += 1
    return votes, supporters


def tally(election: Election, rule: Rule | str) -> Tally:
    """Counts the election by the rule chosen for the budget (greedy or mes with add1)."""
    if Rule(rule) is Rule.GREEDY:
        return greedy(election)
    return equal_shares(election)


# Greedy ---------------------------------------------------------------------------------------

def greedy(election: Election) -> Tally:
    """Funds projects by decreasing votes, skipping those that no longer fit (ties: smaller id).

    Projects nobody voted for come last and are funded too if money is left, as in pabutools and
    pabulib-checker: the rule looks at costs and votes only.
    """
    votes, supporters = _totals(election)
    order = sorted(election.costs, key=lambda project: (-votes[project], project))
    remaining = election.budget
    winners: list[str] = []
    outcomes: dict[str, ProjectOutcome] = {}
    for project in order:
        cost = election.costs[project]
        won = cost <= remaining
        outcomes[project] = ProjectOutcome(
            project, cost, votes[project], supporters[project], won,
            Reason.WON_BY_VOTES if won else Reason.SKIPPED_OVER_BUDGET,
            rank=len(winners) + 1 if won else None, remaining_before=remaining,
        )
        if won:
            winners.append(project)
            remaining -= cost
    return Tally(Rule.GREEDY, election.budget, tuple(winners), outcomes, election.budget - remaining)


# Method of Equal Shares -----------------------------------------------------------------------

def equal_shares(election: Election, add1: bool = True) -> Tally:
    """MES, completed by add1 unless add1 is False (then Pabulib's plain `equalshares`)."""
    return _EqualShares(election).count(add1)


@dataclass
class _State:
    """MES at the start of a round: money and its slope per raise, for each unit and project.

    Money is integer in units of 1 / (M * voters * scale); `scale` grows as winners are paid
    for, by the smallest factor that keeps every payment an integer. `bounds[p]` is (N, dN, U):
    N / U, in that money per unit of utility, bounds p's price from below (dN is N's slope per
    raise); it is p's exact price while p is fresh in the run (evaluated, and none of its
    supporters has paid since).
    """

    raises: int
    value: list[int]
    slope: list[int]
    cost: list[int]
    scale: int
    bounds: list[tuple[int, int, int]]
    remaining: set[int]

    def copy(self) -> _State:
        return _State(self.raises, list(self.value), list(self.slope), list(self.cost), self.scale,
                      list(self.bounds), set(self.remaining))


@dataclass
class _Run:
    """One MES computation at `raises` add1 raises: its winners and how long they hold.

    states[r] is the state at the start of round r (round r picks winners[r]; the last round
    picks nothing). turns[r] is the number of raises after which a comparison made in round r
    could first change sign (None: never). `full` runs computed every round themselves, so
    their `payments` and `final` state explain the outcome; resumed runs only find it.
    """

    raises: int
    winners: list[str]
    states: list[_State]
    turns: list[int | None]
    full: bool
    # Per winner: voters who paid something, the largest payment and the scale it is in.
    payments: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    final: _State | None = None

    @property
    def steady(self) -> int | None:
        """The first number of further raises at which the outcome may differ: the raises in
        between provably give the same winners. None if no comparison can ever change."""
        known = [turn for turn in self.turns if turn is not None]
        return min(known) if known else None


class _EqualShares:
    """MES over identical ballots merged into units with a weight (their number)."""

    def __init__(self, election: Election) -> None:
        vote_type = election.vote_type
        if vote_type is VoteType.ORDINAL:
            raise CountingError(
                _("La méthode des parts égales n'est pas définie pour des bulletins classés "
                  "(ordinal) : choisissez le glouton.")
            )
        self.election = election
        self.budget = election.budget
        self.voters = len(election.ballots)
        self.votes, self.supporters = _totals(election)
        given = votes_given(election)
        if vote_type.has_points and any(value < 0 for ballot in given for value in ballot.values()):
            raise CountingError(
                _("La méthode des parts égales a besoin de points positifs ou nuls ; "
                  "ces bulletins en donnent de négatifs.")
            )
        costs = election.costs
        supported = {project for project, count in self.supporters.items() if count > 0}
        self.free = sorted(project for project in supported if costs[project] == 0)
        self.candidates = sorted(project for project in supported if costs[project] > 0)
        index = self.position = {project: position for position, project in enumerate(self.candidates)}

        # Money in integer units of 1 / (M * voters): a share is then an integer at every raise.
        denominators = [costs[project].denominator for project in self.candidates]
        self.M = reduce(math.lcm, denominators, self.budget.denominator)
        self.unit = self.M * max(self.voters, 1)
        self.cost = [int(costs[project] * self.unit) for project in self.candidates]
        self.base = int(self.budget * self.M)  # a share before any raise, in money units
        self.step = self.unit  # one currency unit, in money units

        # Utilities as integers: the cost for approval-like ballots, the points otherwise.
        if vote_type.has_points:
            scale = reduce(math.lcm, (value.denominator for ballot in given for value in ballot.values()), 1)

            def utility(project: str, value: Fraction) -> int:
                return int(value * scale)
        else:
            def utility(project: str, value: Fraction) -> int:
                return int(costs[project] * self.M)

        merged: dict[tuple[tuple[int, int], ...], int] = {}
        for ballot in given:
            key = tuple(sorted(
                (index[project], utility(project, value))
                for project, value in ballot.items() if project in index and value > 0
            ))
            if key:
                merged[key] = merged.get(key, 0) + 1
        self.weights = list(merged.values())
        # Per candidate, in parallel lists: its supporting units, their weights, their utilities,
        # and the multipliers that turn money / utility into an integer sort key.
        count = len(self.candidates)
        self.units: list[list[int]] = [[] for _project in range(count)]
        self.utilities: list[list[int]] = [[] for _project in range(count)]
        for unit, key in enumerate(merged):
            for project, value in key:
                self.units[project].append(unit)
                self.utilities[project].append(value)
        self.unit_weights = [[self.weights[unit] for unit in units] for units in self.units]
        self.multipliers = [
            [reduce(math.lcm, set(utilities), 1) // value for value in utilities] for utilities in self.utilities
        ]
        self.total_utility = [
            sum(map(operator.mul, weights, utilities))
            for weights, utilities in zip(self.unit_weights, self.utilities, strict=True)
        ]
        units_of = [set(units) for units in self.units]
        self.neighbours = [
            [other for other in range(len(self.candidates)) if units_of[other] & units_of[project]]
            for project in range(len(self.candidates))
        ]

    # The add1 loop ----------------------------------------------------------------------------

    def count(self, add1: bool) -> Tally:
        if self.voters == 0 or not self.candidates:
            return self.result(None, 0)
        runs = 1
        current = self.run(0)
        previous: _Run | None = None
        if add1:
            while True:
                # In money units (1 / (M * voters)), exactly.
                spent = sum(self.cost[self.position[project]] for project in current.winners)
                if spent > self.base * self.voters:
                    # pabutools returns the previous outcome: with a jump, the raise just before
                    # this one had it too; it is recomputed below for its figures.
                    if previous is None:  # cannot happen: the first run spends at most the budget
                        return self.result(None, runs)
                    current = _Run(current.raises - 1, previous.winners, [], [], False)
                    break
                if self.exhaustive(current.winners, spent) or current.steady is None:
                    # steady None: no later raise can change this outcome, so the loop would not end.
                    break
                previous = current
                current = self.resume(current, max(1, current.steady))
                runs += 1
        if not current.full:
            current = self.run(current.raises)
            runs += 1
        return self.result(current, runs)

    def exhaustive(self, winners: list[str], spent: int) -> bool:
        """No supported project left out would fit in the budget that is left (pabutools' test)."""
        chosen = set(winners)
        left = self.base * self.voters - spent
        return all(
            project in chosen or self.cost[p] > left for p, project in enumerate(self.candidates)
        )

    def result(self, run: _Run | None, runs: int) -> Tally:
        costs = self.election.costs
        outcomes: dict[str, ProjectOutcome] = {}
        winners = [*self.free, *(run.winners if run else [])]
        money = Fraction(1, self.unit * (run.final.scale if run and run.final else 1))
        for rank, project in enumerate(winners, start=1):
            payers, largest, scale = run.payments.get(project, (0, 0, 1)) if run else (0, 0, 1)
            outcomes[project] = ProjectOutcome(
                project, costs[project], self.votes[project], self.supporters[project], True,
                Reason.WON_FREE if costs[project] == 0 else Reason.WON_BY_SHARES, rank=rank,
                payers=payers, largest_share=Fraction(largest, self.unit * scale),
            )
        final = run.final if run else None
        for project in sorted(costs):
            if project in outcomes:
                continue
            if self.supporters[project] == 0:
                outcomes[project] = ProjectOutcome(
                    project, costs[project], self.votes[project], 0, False, Reason.NO_SUPPORT,
                )
                continue
            left = 0
            if final is not None:
                p = self.position[project]
                left = sum(map(operator.mul, self.unit_weights[p], map(final.value.__getitem__, self.units[p])))
            outcomes[project] = ProjectOutcome(
                project, costs[project], self.votes[project], self.supporters[project], False,
                Reason.SUPPORTERS_COULD_NOT_PAY, supporters_money=left * money,
            )
        raises = run.raises if run else 0
        share = self.budget / self.voters + raises if self.voters else None
        return Tally(
            Rule.MES, self.budget, tuple(winners), outcomes, sum((costs[p] for p in winners), Fraction(0)),
            voter_budget=share, raises=raises, runs=runs,
        )

    # MES runs ---------------------------------------------------------------------------------

    def run(self, raises: int) -> _Run:
        """MES from the start with every share raised `raises` times."""
        units = len(self.weights)
        state = _State(
            raises, [self.base + raises * self.step] * units, [self.step] * units, list(self.cost), 1,
            [(self.cost[p], 0, self.total_utility[p]) for p in range(len(self.candidates))],
            set(range(len(self.candidates))),
        )
        return self.rounds(raises, state, [], [], [], full=True)

    def resume(self, run: _Run, raises: int) -> _Run:
        """`run`'s MES after `raises` more raises, recomputing only from the first round that can
        differ: the rounds before it made the same choices, so their state moves along its slopes.
        """
        first = next((r for r, turn in enumerate(run.turns) if turn == raises), None)
        if first is None:  # not a turn of `run`: nothing to reuse
            return self.run(run.raises + raises)
        start = run.states[first]  # kept from the run that computed that round, maybe an earlier one
        later = run.raises + raises - start.raises
        state = _State(
            run.raises + raises,
            [amount + later * delta for amount, delta in zip(start.value, start.slope, strict=True)],
            list(start.slope), list(start.cost), start.scale,
            [(N + later * dN, dN, U) for N, dN, U in start.bounds], set(start.remaining),
        )
        turns = [turn - raises if turn is not None else None for turn in run.turns[:first]]
        return self.rounds(run.raises + raises, state, run.winners[:first], run.states[:first], turns, full=False)

    def rounds(
        self, raises: int, state: _State, winners: list[str], states: list[_State],
        turns: list[int | None], full: bool,
    ) -> _Run:
        """Runs MES rounds from `state` to the end, recording each round's comparisons' turns.

        Every recorded comparison is h > 0 (strict) or h >= 0 with h and its slope dh per raise
        exact; it keeps its sign for the number of raises before h + raises * dh crosses zero.
        """
        names = self.candidates
        units_of, weights_of, utilities_of = self.units, self.unit_weights, self.utilities
        multipliers_of, neighbours, total_utility = self.multipliers, self.neighbours, self.total_utility
        value, slope, cost = state.value, state.slope, state.cost
        bounds, remaining = state.bounds, state.remaining
        mul = operator.mul
        # Evaluated projects whose supporters have not paid since: their supporters' positions
        # in their lists, poorest first, and how many of them could not pay a full share.
        fresh: dict[int, tuple[list[int], int]] = {}
        payments: dict[str, tuple[int, int, int]] = {}
        winners = list(winners)
        states = list(states)
        turns = list(turns)
        turn: int | None = None

        def hold(h: int, dh: int, strict: bool) -> None:
            nonlocal turn
            if dh < 0:
                at = -(h // dh) if strict else h // -dh + 1  # ceil(h / -dh), or floor + 1
                if turn is None or at < turn:
                    turn = at

        def evaluate(p: int) -> bool:
            """p's exact price, or False if its supporters cannot pay for it (it is dropped).

            Supporters poorest first (money / utility); each who cannot pay the price that the
            others would then share gives all they have.
            """
            units, weights, utilities = units_of[p], weights_of[p], utilities_of[p]
            target = cost[p]
            money = sum(map(mul, weights, map(value.__getitem__, units)))
            if money < target:
                hold(target - money, -sum(map(mul, weights, map(slope.__getitem__, units))), True)
                remaining.discard(p)
                return False
            keys = list(map(mul, map(value.__getitem__, units), multipliers_of[p]))
            order = sorted(range(len(units)), key=keys.__getitem__)
            paid = 0
            dpaid = 0
            rest = total_utility[p]
            poor = 0
            for i in order:
                unit, weight, utility = units[i], weights[i], utilities[i]
                if (target - paid) * utility <= value[unit] * rest:
                    break
                paid += weight * value[unit]
                dpaid += weight * slope[unit]
                rest -= weight * utility
                poor += 1
            bounds[p] = (target - paid, -dpaid, rest)
            fresh[p] = (order, poor)
            return True

        while True:
            states.append(state.copy())
            turn = None
            # Visit projects from the lowest bound (rounded: it only orders the visit); skip those
            # whose exact bound already comes after the best exact price found.
            best = -1
            scale = state.scale
            for p in sorted(remaining, key=lambda p: ((bounds[p][0] << 64) // (bounds[p][2] * scale), names[p])):
                if best >= 0 and _after(bounds[p], names[p], bounds[best], names[best]):
                    continue
                if p not in fresh and not evaluate(p):
                    continue
                if best < 0 or _after(bounds[best], names[best], bounds[p], names[p]):
                    best = p
            if best < 0:
                turns.append(turn)
                break
            N, dN, U = bounds[best]
            order, poor_count = fresh[best]
            units, weights, utilities = units_of[best], weights_of[best], utilities_of[best]
            # The comparisons that chose it: every other project's bound is above its price...
            for p in remaining:
                if p != best:
                    Np, dNp, Up = bounds[p]
                    hold(Np * U - N * Up, dNp * U - dN * Up, names[p] < names[best])
            # ... its poorest supporters could not pay a full share and gave all they had, the
            # others could.
            for position, i in enumerate(order):
                unit, utility = units[i], utilities[i]
                h = value[unit] * U - N * utility
                dh = slope[unit] * U - dN * utility
                if position < poor_count:
                    hold(-h, -dh, True)
                else:
                    hold(h, dh, False)
            turns.append(turn)

            rich_gcd = reduce(math.gcd, (utilities[i] for i in order[poor_count:]), 0)
            factor = U // math.gcd(U, N * rich_gcd, dN * rich_gcd)
            if factor != 1:
                state.scale *= factor
                value[:] = map(factor.__mul__, value)
                slope[:] = map(factor.__mul__, slope)
                cost[:] = map(factor.__mul__, cost)
                for p in remaining:
                    Np, dNp, Up = bounds[p]
                    bounds[p] = (Np * factor, dNp * factor, Up)
            NF, dNF = N * factor, dN * factor
            payers = 0
            largest = 0
            for position, i in enumerate(order):
                unit, weight, utility = units[i], weights[i], utilities[i]
                if position < poor_count:
                    pay = value[unit]
                    value[unit] = 0
                    slope[unit] = 0
                else:
                    pay = NF * utility // U
                    value[unit] -= pay
                    slope[unit] -= dNF * utility // U
                if pay > 0:
                    payers += weight
                    largest = max(largest, pay)
            remaining.discard(best)
            for p in neighbours[best]:
                fresh.pop(p, None)
            winners.append(names[best])
            payments[names[best]] = (payers, largest, state.scale)
        return _Run(raises, winners, states, turns, full, payments, state)


def _after(a: tuple[int, int, int], a_name: str, b: tuple[int, int, int], b_name: str) -> bool:
    """Whether (price a, a_name) comes after (price b, b_name): prices first, then ids as text."""
    left, right = a[0] * b[2], b[0] * a[2]
    return left > right or (left == right and a_name > b_name)
