"""pabutools (1.2.3), the issue's reference, run on a .pb file with its own parser: the winners of
its rules set up as ours are (clocher/participation/counting.py). Tests compare with it, and
bench/pb_tally.py times it; `python -m bench.pb_tally --expected` records its MES winners in
pabutools_mes.json for the files on which it is too slow to run in the tests.

- greedy: greedy_utilitarian_welfare ranks by satisfaction per unit of cost. With Cost_Sat
  (a project's cost for each ballot naming it) that is the number of ballots naming it; for
  points and ranks, a satisfaction of points x cost makes it the points received.
- mes: method_of_equal_shares with voter_budget_increment=1 (add1), Cost_Sat for approval and
  choose-1 ballots, Additive_Cardinal_Sat (the points) for cumulative and scoring ballots.
Both break ties with pabutools' default, the project names in lexicographic order.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pabutools.election import (  # type: ignore[import-untyped]  # pabutools ships no type hints
    Additive_Cardinal_Sat,
    ApprovalBallot,
    ApprovalProfile,
    Cost_Sat,
    CumulativeBallot,
    CumulativeProfile,
    Instance,
    OrdinalBallot,
    OrdinalProfile,
    Project,
    parse_pabulib,
)
from pabutools.election.satisfaction import AdditiveSatisfaction  # type: ignore[import-untyped]  # no hints
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares  # type: ignore[import-untyped]  # no hints

EXPECTED = Path(__file__).with_name("pabutools_mes.json")


def _points_times_cost(instance: Any, profile: Any, ballot: Any, project: Any, precomputed: Any) -> Any:
    return ballot.get(project, 0) * project.cost


def _rank_points_times_cost(instance: Any, profile: Any, ballot: Any, project: Any, precomputed: Any) -> Any:
    if project not in ballot:
        return 0
    return (len(ballot) - ballot.index(project)) * project.cost


class PointsTimesCost(AdditiveSatisfaction):  # type: ignore[misc]  # pabutools is untyped
    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        super().__init__(instance, profile, ballot, _points_times_cost)


class RankPointsTimesCost(AdditiveSatisfaction):  # type: ignore[misc]  # pabutools is untyped
    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        super().__init__(instance, profile, ballot, _rank_points_times_cost)


def reference_winners(path: Path, rule: str, add1: bool = True) -> tuple[set[str], float]:
    """pabutools' winners for the file by the rule ("greedy" or "mes"), and the seconds its rule
    took (parsing excluded)."""
    instance, profile = parse_pabulib(str(path))
    return _winners(instance, profile, instance.meta["vote_type"], rule, add1)


def reference_for(election: Any, rule: str, add1: bool = True) -> set[str]:
    """pabutools' winners for a counting.Election built in a test."""
    instance = Instance(budget_limit=election.budget)
    projects = {name: Project(name, cost) for name, cost in election.costs.items()}
    for project in projects.values():
        instance.add(project)
    vote_type = str(election.vote_type)
    profile: Any
    if vote_type in ("cumulative", "scoring"):
        profile = CumulativeProfile([
            CumulativeBallot({projects[name]: points for name, points in zip(ballot.projects, ballot.points, strict=True)})
            for ballot in election.ballots
        ])
    elif vote_type == "ordinal":
        profile = OrdinalProfile([OrdinalBallot([projects[name] for name in ballot.projects]) for ballot in election.ballots])
    else:
        profile = ApprovalProfile([ApprovalBallot([projects[name] for name in ballot.projects]) for ballot in election.ballots])
    return _winners(instance, profile, vote_type, rule, add1)[0]


def _winners(instance: Any, profile: Any, vote_type: str, rule: str, add1: bool) -> tuple[set[str], float]:
    started = time.perf_counter()
    if rule == "greedy":
        satisfaction = {"cumulative": PointsTimesCost, "scoring": PointsTimesCost,
                        "ordinal": RankPointsTimesCost}.get(vote_type, Cost_Sat)
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=satisfaction)
    else:
        satisfaction = Additive_Cardinal_Sat if vote_type in ("cumulative", "scoring") else Cost_Sat
        outcome = method_of_equal_shares(
            instance, profile, sat_class=satisfaction, voter_budget_increment=1 if add1 else None,
        )
    seconds = time.perf_counter() - started
    return {project.name for project in outcome}, seconds


def recorded() -> dict[str, Any]:
    """The MES winners bench/pb_tally.py recorded, by file name."""
    data: dict[str, Any] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return data
