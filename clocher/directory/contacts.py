"""Useful contacts by theme: the national numbers every portal shows, and those a collectivity adds."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Q

from clocher.territories.models import Territory

from .models import ContactTheme, UsefulContact


def contacts_for(territories: Iterable[Territory]) -> dict[ContactTheme, list[UsefulContact]]:
    """The national contacts and those of the given territories, grouped by theme in the order of
    ContactTheme (emergencies first), national numbers first, then by position; themes without contacts are left
    out. One query.

    Pass the resident's commune and its ancestors (selectors.ancestors) for everything that
    concerns them.
    """
    ids = [territory.pk for territory in territories]
    # National numbers first in each theme: the 15 before a local doctor's line.
    rows = UsefulContact.objects.filter(Q(territory__isnull=True) | Q(territory_id__in=ids)).order_by(
        F("territory").asc(nulls_first=True), "position", "name", "pk"
    )
    grouped: dict[ContactTheme, list[UsefulContact]] = {theme: [] for theme in ContactTheme}
    for contact in rows:
        try:
            theme = ContactTheme(contact.theme)
        except ValueError:
            # A theme since removed from the choices: still a number to call.
            theme = ContactTheme.AUTRE
        grouped[theme].append(contact)
    return {theme: contacts for theme, contacts in grouped.items() if contacts}
