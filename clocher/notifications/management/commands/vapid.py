"""`clocher vapid`: makes the installation's VAPID key pair if there is none, and prints its public key.

Run at set-up (and safe to run at every start): it never replaces a key, since every browser's
subscription is bound to the public key it was made with.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clocher.notifications import vapid


class Command(BaseCommand):
    help = "Makes the VAPID key pair for Web Push if missing (idempotent) and prints the public key."

    def handle(self, *args: Any, **options: Any) -> None:
        keys, created = vapid.ensure_keys()
        if options["verbosity"] >= 1:
            if created:
                self.stderr.write("VAPID key pair created and kept in the database.")
            elif keys.source == "settings":
                self.stderr.write("VAPID key pair from settings (VAPID_PRIVATE_KEY).")
        self.stdout.write(keys.public_key)
