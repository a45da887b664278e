"""Pabulib files: every ballot type is read into plain dataclasses, a malformed file is refused
with the line and the field at fault, and what we write reads back the same and passes
pabulib-checker, the format's own validator."""

from __future__ import annotations

import contextlib
import io
from fractions import Fraction
from typing import Any

import pytest
from pabulib.checker import Checker  # type: ignore[import-untyped]  # pabulib-checker ships no type hints

from clocher.participation.counting import Rule, VoteType, tally
from clocher.participation.pabulib import (
    Ballot,
    Instance,
    PabulibError,
    Project,
    parse_pb,
    read_pb,
    write_pb,
)
from clocher.territories.geography import shared_data_dir

SHARED = shared_data_dir() / "pabulib"
FILES = sorted(path.name for path in SHARED.glob("*.pb")) if SHARED.is_dir() else []

APPROVAL = """META
key;value
description;Budget participatif de Marciac
country;France
unit;Marciac
instance;2026
num_projects;3
num_votes;3
budget;10000
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name;category
1;6000;"Bancs; et tables";culture
2;4000.50;Jardin partagé;None
10;3000;Boîte à livres;culture,education
VOTES
voter_id;vote
a;1,2
b;10
c;
"""


def checker_results(text: str) -> dict[str, Any]:
    """pabulib-checker's errors and warnings for the text of a file (it prints as it goes)."""
    with contextlib.redirect_stdout(io.StringIO()):
        results = Checker().process_files([text])
    (key,) = (key for key in results if key not in ("metadata", "summary"))
    found: dict[str, Any] = results[key]["results"]
    return found


# Reading --------------------------------------------------------------------------------------

def test_an_approval_file_is_read_with_its_quoted_fields_and_extra_columns():
    instance = parse_pb(APPROVAL)
    assert instance.meta["unit"] == "Marciac"
    assert instance.budget == 10000
    assert instance.vote_type is VoteType.APPROVAL
    assert list(instance.projects) == ["1", "2", "10"]
    assert instance.projects["1"] == Project("1", Fraction(6000), "Bancs; et tables", {"category": "culture"})
    assert instance.projects["2"].cost == Fraction("4000.5")
    assert instance.projects["2"].extra == {}  # Pabulib's None is no value
    assert instance.ballots[0] == Ballot("a", ("1", "2"))
    assert instance.ballots[2].projects == ()
    assert instance.file_selected() is None


def test_a_byte_order_mark_windows_line_ends_and_a_comma_decimal_are_read():
    text = APPROVAL.replace("4000.50", "4000,50").replace("\n", "\r\n")
    instance = parse_pb(b"\xef\xbb\xbf" + text.encode())
    assert instance.projects["2"].cost == Fraction("4000.5")
    assert instance.meta["description"] == "Budget participatif de Marciac"


def test_cumulative_and_scoring_ballots_keep_their_points_and_ordinal_ones_their_order():
    cumulative = parse_pb(APPROVAL.replace("vote_type;approval", "vote_type;cumulative").replace(
        "voter_id;vote\na;1,2\nb;10\nc;\n", "voter_id;vote;points;age\na;1,2;2,1.5;34\nb;10;3;None\nc;;;71\n"))
    assert cumulative.ballots[0] == Ballot("a", ("1", "2"), (Fraction(2), Fraction(3, 2)), {"age": "34"})
    assert cumulative.ballots[2].points == ()
    scoring = parse_pb(APPROVAL.replace("vote_type;approval", "vote_type;scoring").replace(
        "voter_id;vote\na;1,2\nb;10\nc;\n", "voter_id;vote;points\na;1,2;-1,2\nb;10;0\nc;;\n"))
    assert scoring.ballots[0].points == (Fraction(-1), Fraction(2))
    ordinal = parse_pb(APPROVAL.replace("vote_type;approval", "vote_type;ordinal").replace("a;1,2", "a;2,1"))
    assert ordinal.ballots[0].projects == ("2", "1")
    assert ordinal.ballots[0].points is None


def test_the_selected_column_says_which_projects_won():
    text = APPROVAL.replace("project_id;cost;name;category", "project_id;cost;name;category;selected")
    text = text.replace(";culture\n2;", ";culture;1\n2;").replace(";None\n10;", ";None;0\n10;")
    text = text.replace("culture,education\n", "culture,education;3\n")
    instance = parse_pb(text)
    assert instance.file_selected() == {"1"}  # 3 is "funded from elsewhere": not a win of this vote


@pytest.mark.parametrize("name", FILES)
def test_every_shared_file_is_read_whole(name):
    instance = read_pb(SHARED / name)
    assert len(instance.projects) == int(instance.meta["num_projects"])
    assert len(instance.ballots) == int(instance.meta["num_votes"])
    votes = dict.fromkeys(instance.projects, 0)
    for ballot in instance.ballots:
        for project in ballot.projects:
            votes[project] += 1
    for counted in instance.projects.values():
        if "votes" in counted.extra:
            assert votes[counted.id] == int(counted.extra["votes"])


BROKEN = [
    ("", "Il manque la section META"),
    ("PROJECTS\nproject_id;cost\n", "Ligne 1 : la section PROJECTS arrive avant META"),
    (APPROVAL.replace("key;value", "clé;valeur"), "Ligne 2 : la section META commence par"),
    (APPROVAL.replace("vote_type;approval\n", ""), "Il manque la clé META « vote_type »"),
    (APPROVAL.replace("vote_type;approval", "vote_type;borda"), "vote_type « borda » inconnu"),
    (APPROVAL.replace("budget;10000", "budget;dix mille"), "le champ META « budget » doit être un nombre"),
    (APPROVAL.replace("budget;10000", "budget;-5"), "Le budget ne peut pas être négatif"),
    (APPROVAL.replace("instance;2026", "instance;2026;x"), "Ligne 6 : une ligne de META a deux champs"),
    (APPROVAL.replace("rule;greedy", "rule;greedy\nbudget;3"), "Ligne 12 : la clé META « budget » apparaît deux fois"),
    (APPROVAL.replace("project_id;cost;name", "project_id;prix;name"), "Ligne 13 : l'en-tête de PROJECTS n'a pas de colonne « cost »"),
    (APPROVAL.replace("2;4000.50;Jardin partagé;None", "2;4000.50;Jardin partagé"), "Ligne 15 : 3 champs, alors que l'en-tête de PROJECTS en a 4"),
    (APPROVAL.replace("10;3000", "1;3000"), "Ligne 16 : le projet « 1 » apparaît deux fois"),
    (APPROVAL.replace("10;3000", "10;-3000"), "Ligne 16 : le coût du projet « 10 » est négatif"),
    (APPROVAL.replace("10;3000", "10;3 000"), "Ligne 16, coût du projet « 10 » doit être un nombre"),
    (APPROVAL.replace("10;3000", "10;1e999999999"), "Ligne 16, coût du projet « 10 » doit être un nombre"),
    (APPROVAL.replace("10;3000", "10;None"), "Ligne 16 : le projet « 10 » n'a pas de coût"),
    (APPROVAL.replace("a;1,2", "a;1,7"), "Ligne 19 : le bulletin de « a » nomme le projet « 7 », absent de PROJECTS"),
    (APPROVAL.replace("a;1,2", "a;1,1"), "Ligne 19 : le bulletin de « a » nomme deux fois le même projet"),
    (APPROVAL.replace("a;1,2", "a;1,,2"), "Ligne 19 : le bulletin de « a » a un nom de projet vide"),
    (APPROVAL.replace("b;10", "a;10"), "Ligne 20 : le votant « a » a deux bulletins"),
    (APPROVAL.replace("num_votes;3", "num_votes;4"), "META annonce num_votes = 4 mais la section VOTES en a 3"),
    (APPROVAL.replace("VOTES\nvoter_id;vote\n", "VOTES\nvoter;vote\n"), "Ligne 18 : l'en-tête de VOTES n'a pas de colonne « voter_id »"),
    (APPROVAL + "VOTES\nvoter_id;vote\n", "Ligne 22 : la section VOTES apparaît deux fois"),
    (APPROVAL.replace("vote_type;approval", "vote_type;choose-1"), "Ligne 19 : un bulletin « choose-1 » nomme un seul projet"),
    (APPROVAL.replace("vote_type;approval", "vote_type;cumulative"), "Ligne 18 : des bulletins « cumulative » ont besoin d'une colonne « points »"),
    (APPROVAL.replace("vote_type;approval", "vote_type;cumulative").replace("voter_id;vote\na;1,2\nb;10\nc;\n", "voter_id;vote;points\na;1,2;3\n").replace("num_votes;3", "num_votes;1"),
     "Ligne 19 : le bulletin de « a » nomme 2 projets mais donne 1 points"),
    (APPROVAL.replace("vote_type;approval", "vote_type;cumulative").replace("voter_id;vote\na;1,2\nb;10\nc;\n", "voter_id;vote;points\na;1,2;3,-1\n").replace("num_votes;3", "num_votes;1"),
     "Ligne 19 : le bulletin cumulatif de « a » a des points négatifs"),
    (APPROVAL.replace('"Bancs; et tables"', '"Bancs'), "Ligne 14 : 3 champs"),  # an unclosed quote swallows the rest
    (APPROVAL.replace("Marciac\ncountry", "Marciac\x00\ncountry"), "caractère nul"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_a_malformed_file_is_refused_with_the_line_and_the_field(text, message):
    with pytest.raises(PabulibError, match=message.replace("(", r"\(")):
        parse_pb(text)


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(PabulibError, match="pas en UTF-8"):
        parse_pb(APPROVAL.encode("latin-1"))


def test_a_missing_file_or_a_folder_is_refused(tmp_path):
    with pytest.raises(PabulibError, match="Fichier introuvable"):
        read_pb(tmp_path / "absent.pb")
    with pytest.raises(PabulibError, match="est un dossier"):
        read_pb(tmp_path)


# Writing --------------------------------------------------------------------------------------

def same(first: Instance, second: Instance) -> None:
    """Same projects, costs, names and ballots; the META may only gain the recomputed counts."""
    assert {key: value for key, value in second.meta.items() if key not in ("budget",)} == {
        **{key: value for key, value in first.meta.items() if key not in ("budget",)},
        "num_projects": str(len(first.projects)), "num_votes": str(len(first.ballots)),
    }
    assert second.budget == first.budget
    assert {key: (project.cost, project.name) for key, project in second.projects.items()} == {
        key: (project.cost, project.name) for key, project in first.projects.items()
    }
    assert second.ballots == first.ballots


def test_what_is_written_reads_back_the_same():
    instance = parse_pb(APPROVAL)
    again = parse_pb(write_pb(instance))
    same(instance, again)
    assert again.projects["1"].name == "Bancs; et tables"
    assert again.projects["1"].extra == {"category": "culture", "votes": "1"}


@pytest.mark.parametrize("name", FILES)
def test_every_shared_file_written_with_our_winners_reads_back_and_passes_the_checker(name):
    """Written with the winners of the file's rule, each file has no error the original has not."""
    path = SHARED / name
    instance = read_pb(path)
    rule = Rule.MES if instance.meta["rule"].startswith("equalshares") else Rule.GREEDY
    winners = tally(instance.election(), rule).winners
    text = write_pb(instance, winners)
    again = parse_pb(text)
    same(instance, again)
    assert again.file_selected() == set(winners)
    original = checker_results(path.read_text(encoding="utf-8-sig"))
    ours = checker_results(text)
    # For rules greedy and equalshares/add1 the checker recounts the winners itself and agrees.
    assert set(ours.get("errors", {})) <= set(original.get("errors", {}))
    if not original.get("errors"):
        assert not ours.get("errors")


def a_clocher_vote(vote_type: VoteType, rule: str) -> Instance:
    """A budget as Clocher would export it: the META a finished vote has, ballots of each kind."""
    meta = {
        "description": "Budget participatif 2026 de Marciac", "country": "France", "unit": "Marciac",
        "instance": "2026", "budget": "10000", "vote_type": str(vote_type), "rule": rule,
        "date_begin": "01.03.2026", "date_end": "31.03.2026", "language": "fr", "currency": "EUR",
    }
    if vote_type.has_points:
        meta["max_sum_points"] = "6"  # the checker wants a cumulative vote's rule
    projects = {
        "1": Project("1", Fraction(6000), "Bancs et tables"),
        "2": Project("2", Fraction("4000.5"), "Jardin partagé"),
        "3": Project("3", Fraction(3000), "Boîte à livres"),
    }
    names = [("1", "2"), ("3",), ("2", "3"), ("1", "3", "2"), ("2",)]
    if vote_type is VoteType.CHOOSE_1:
        names = [(ballot[0],) for ballot in names]
    ballots = []
    for number, chosen in enumerate(names, start=1):
        points = tuple(Fraction(3 - rank) for rank in range(len(chosen))) if vote_type.has_points else None
        ballots.append(Ballot(f"v{number}", chosen, points))
    return Instance(meta, projects, ballots)


@pytest.mark.parametrize("vote_type", [VoteType.APPROVAL, VoteType.CUMULATIVE, VoteType.ORDINAL, VoteType.CHOOSE_1])
def test_a_finished_greedy_vote_is_exported_as_a_file_the_checker_finds_valid(vote_type):
    instance = a_clocher_vote(vote_type, "greedy")
    text = write_pb(instance, tally(instance.election(), Rule.GREEDY).winners)
    assert checker_results(text) == {"errors": {}, "warnings": {}}


def test_a_finished_equal_shares_vote_is_exported_as_a_file_the_checker_finds_valid():
    instance = a_clocher_vote(VoteType.APPROVAL, "equalshares/add1")
    winners = tally(instance.election(), Rule.MES).winners
    assert checker_results(write_pb(instance, winners)) == {"errors": {}, "warnings": {}}
    # The checker recounts MES with add1 itself: other winners are an error.
    assert checker_results(write_pb(instance, winners[:-1]))["errors"]
