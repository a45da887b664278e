"""`clocher notifications digest daily|weekly` and `clocher notifications release`, run by cron.

    clocher notifications digest daily     each person's daily digest (e.g. every day at 07:00)
    clocher notifications digest weekly    each person's weekly digest (e.g. Mondays at 07:00)
    clocher notifications release          pushes held for quiet hours whose hours are over, and
                                           deliveries a dead worker left half-sent for 15 minutes,
                                           sent now (e.g. every 5 minutes)

Each run sends only what no run sent before (digests are claimed and marked sent in one
transaction, pushes are claimed): running one twice, or two at once, sends nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clocher.notifications import fanout, sending
from clocher.notifications.digests import send_digests
from clocher.notifications.models import EmailFrequency


class Command(BaseCommand):
    help = "Envoie les résumés par e-mail (digest daily|weekly) ou les notifications retenues (release)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        digest = actions.add_parser("digest", help="Envoie les résumés quotidiens ou hebdomadaires.")
        digest.add_argument("frequency", choices=[EmailFrequency.DAILY.value, EmailFrequency.WEEKLY.value])
        actions.add_parser("release", help="Envoie les notifications retenues pendant les heures calmes.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "digest":
            sent = send_digests(options["frequency"])
            self.stdout.write(f"{sent} résumé(s) envoyé(s).")
            return
        released = fanout.release_held() + fanout.recover_stuck()
        counts = sending.send_pending()
        self.stdout.write(
            f"{released} notification(s) libérée(s) ; {counts['pushes']} push, {counts['emails']} e-mail(s) envoyé(s)."
        )
