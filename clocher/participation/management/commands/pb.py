"""`clocher pb ACTION ...`: participatory budgets from Pabulib `.pb` files, one sub-command per action.

    clocher pb tally FILE.pb --rule greedy|mes     the winners, as a JSON list of the file's project ids

`tally` replays a real election: it reads the file, counts it by the rule chosen (mes is the
Method of Equal Shares completed by add1) and prints the winners in the order the rule chose
them. Nothing is stored. A new action is one entry in ACTIONS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clocher.participation.counting import CountingError, Rule, tally
from clocher.participation.pabulib import PabulibError, read_pb


@dataclass(frozen=True)
class Action:
    help: str
    add_arguments: Callable[[CommandParser], None]
    run: Callable[[BaseCommand, dict[str, Any]], None]


def _tally_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", type=Path, help="Fichier Pabulib (.pb).")
    parser.add_argument(
        "--rule", required=True, choices=[rule.value for rule in Rule],
        help="greedy : par nombre de voix ; mes : méthode des parts égales complétée par add1.",
    )


def _run_tally(command: BaseCommand, options: dict[str, Any]) -> None:
    try:
        result = tally(read_pb(options["file"]).election(), options["rule"])
    except (PabulibError, CountingError) as error:
        raise CommandError(str(error)) from error
    command.stdout.write(json.dumps(list(result.winners), ensure_ascii=False))


ACTIONS = {
    "tally": Action(
        "Compte un fichier .pb et affiche les projets gagnants (liste JSON de leurs identifiants).",
        _tally_arguments, _run_tally,
    ),
}


class Command(BaseCommand):
    help = "Budgets participatifs au format Pabulib. Voir « clocher pb ACTION --help »."
    # Counting a file touches neither the database nor the URLs: the system checks would cost
    # seconds per file to someone replaying a folder of elections.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for name, action in ACTIONS.items():
            sub = subparsers.add_parser(name, help=action.help, description=action.help)
            action.add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        ACTIONS[options["action"]].run(self, options)
