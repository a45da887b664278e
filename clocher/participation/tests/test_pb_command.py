"""`clocher pb tally FILE.pb --rule greedy|mes` replays a real election: the winners as a JSON list
of the file's project ids, in the order the rule chose them; a bad file is a clear error."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clocher.participation.pabulib import read_pb
from clocher.territories.geography import shared_data_dir

SHARED = shared_data_dir() / "pabulib"
ASSEN = SHARED / "Netherlands_Assen_2024.pb"
MIRAIL = SHARED / "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb"


def tally(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("pb", "tally", *args, stdout=out)
    winners: list[str] = json.loads(out.getvalue())
    return winners


def test_greedy_prints_the_winners_in_the_order_they_were_funded():
    assert tally(str(MIRAIL), "--rule", "greedy") == ["182", "183"]


def test_mes_prints_the_winners_the_file_records():
    winners = tally(str(ASSEN), "--rule", "mes")
    assert set(winners) == read_pb(ASSEN).file_selected()
    assert winners[:2] == ["3", "9"]  # the order of the rounds, not of the ids


def test_a_malformed_file_is_a_command_error_that_says_where(tmp_path):
    broken = tmp_path / "broken.pb"
    broken.write_text("META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\n"
                      "VOTES\nvoter_id;vote\nv1;2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Ligne 10 : le bulletin de « v1 » nomme le projet « 2 »"):
        tally(str(broken), "--rule", "greedy")


def test_a_missing_file_a_rule_mes_cannot_count_and_an_unknown_rule_are_command_errors(tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        tally(str(tmp_path / "absent.pb"), "--rule", "greedy")
    with pytest.raises(CommandError, match="ordinal"):
        tally(str(SHARED / "Poland_Krakow_2018_Wzgorza_Krzeslawickie.pb"), "--rule", "mes")
    with pytest.raises(CommandError, match="invalid choice"):
        tally(str(ASSEN), "--rule", "borda")


def test_from_the_shell_a_bad_file_exits_non_zero_with_the_reason_and_no_traceback(tmp_path):
    broken = tmp_path / "broken.pb"
    broken.write_bytes(b"META\nkey;value\nbudget;\xff\n")
    command = [sys.executable, "-m", "clocher.manage", "pb", "tally", str(broken), "--rule", "greedy"]
    failed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603  # our interpreter, our arguments
    assert failed.returncode != 0
    assert "CommandError: Le fichier n'est pas en UTF-8" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert failed.stdout == ""
