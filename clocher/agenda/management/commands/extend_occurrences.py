"""`clocher extend_occurrences`: push recurring events' dates forward, once a day from cron.

    clocher extend_occurrences            enqueue the work for the task worker (clocher db_worker)
    clocher extend_occurrences --now      do it in this process and say how many events moved
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clocher.agenda.tasks import extend_horizons, extend_horizons_task


class Command(BaseCommand):
    help = "Prolonge les dates des événements récurrents (une fois par jour, par cron ou un timer systemd)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true",
            help="Faire le travail tout de suite dans ce processus, au lieu de le confier au worker.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            rebuilt = extend_horizons()
            self.stdout.write(f"Événements récurrents prolongés : {rebuilt}")
        else:
            extend_horizons_task.enqueue()
            self.stdout.write("Prolongation des événements récurrents confiée au worker.")
