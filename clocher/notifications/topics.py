"""What each topic sends by default, before a resident says otherwise (a TopicPreference row)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import EmailFrequency, Topic


@dataclass(frozen=True)
class Wanted:
    """On which channels a resident wants a topic."""

    push: bool
    inbox: bool
    email: str  # an EmailFrequency
    categories: tuple[str, ...] = ()

    def wants(self, category: str) -> bool:
        """Whether a notification of these categories (comma-separated) is wanted: events narrowed
        to some categories reach who follows one of the event's."""
        if not self.categories or not category:
            return True
        return any(slug in self.categories for slug in category.split(","))


# Pushes only reach browsers where the resident allowed notifications; by default, only what is
# urgent or about them rings the phone. News and events wait in the inbox and the weekly e-mail.
DEFAULTS: dict[str, Wanted] = {
    Topic.ALERTS: Wanted(push=True, inbox=True, email=EmailFrequency.OFF),
    Topic.NEWS: Wanted(push=False, inbox=True, email=EmailFrequency.WEEKLY),
    Topic.EVENTS: Wanted(push=False, inbox=True, email=EmailFrequency.WEEKLY),
    Topic.MENUS: Wanted(push=False, inbox=False, email=EmailFrequency.OFF),
    Topic.PARTICIPATION: Wanted(push=True, inbox=True, email=EmailFrequency.IMMEDIATE),
    Topic.MY_REPORTS: Wanted(push=True, inbox=True, email=EmailFrequency.IMMEDIATE),
}
