"""`clocher participation ACTION ...`: participation's periodic work, one sub-command per action.

    clocher participation announce-due [--window-hours 24]

`announce-due` announces the phases that began since the window: a poll or a consultation opening
or closing, a participatory budget's proposals or vote opening, its results published
(clocher.participation.notifications). Cron runs it every few minutes:

    */5 * * * *  clocher participation announce-due

Idempotent: each phase of each process has its key, so a second run announces nothing new; a
cron stopped for less than the window loses nothing when it restarts.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clocher.notifications.models import Notification
from clocher.participation.notifications import DEFAULT_WINDOW, announce_due


class Command(BaseCommand):
    help = "Travaux périodiques de la participation. Voir « clocher participation ACTION --help »."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        due = subparsers.add_parser(
            "announce-due", help="Annonce les ouvertures, clôtures et résultats survenus depuis la fenêtre.",
        )
        due.add_argument(
            "--window-hours", type=float, default=DEFAULT_WINDOW.total_seconds() / 3600,
            help="Jusqu'où remonter, en heures (24 par défaut).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["window_hours"]
        if not 0 < hours <= 24 * 31:
            raise CommandError("--window-hours : entre 0 et 744 heures.")
        before = Notification.objects.count()
        keys = announce_due(window=datetime.timedelta(hours=hours))
        created = Notification.objects.count() - before
        self.stdout.write(f"{len(keys)} phase(s) dans la fenêtre, {created} nouvelle(s) annonce(s).")
