"""Event categories a resident may narrow the events topic to.

Notifications import no domain app: the agenda registers a function giving its categories
(slug, label) from its AppConfig.ready(), and the preferences page asks for them here. Until a
module registers one, the page offers no category choice and events are all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

CategoryProvider = Callable[[], Sequence[tuple[str, Any]]]
_providers: dict[str, CategoryProvider] = {}


def register_event_categories(name: str, provider: CategoryProvider) -> None:
    """Registers (or replaces) a module's provider of event categories: (slug, label) pairs."""
    _providers[name] = provider


def unregister_event_categories(name: str) -> None:
    _providers.pop(name, None)


def event_categories() -> list[tuple[str, Any]]:
    """Every registered category, once per slug, in the providers' order."""
    seen: dict[str, Any] = {}
    for provider in _providers.values():
        for slug, label in provider():
            seen.setdefault(slug, label)
    return list(seen.items())
