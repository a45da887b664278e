"""The module registry: how a module (directory, agenda, news...) plugs into the foundation.

A module registers one `Module` from its AppConfig.ready(). The foundation reads the registry to build
the resident menu, the home feed and the staff interface, so adding a module never edits the
foundation. Whether a collectivity has a module on is data (territories.ModuleSetting), read through
`clocher.territories.selectors.enabled_modules`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise


@dataclass(frozen=True)
class FeedItem:
    """One entry a module contributes to a resident's home feed."""

    title: str
    url: str
    published_at: datetime.datetime
    module: str
    territory_name: str = ""
    summary: str = ""
    urgent: bool = False
    # What kind of item it is, in words ("Travaux", "Événement"), and when it happens for what
    # has a date of its own (an event's next date), already formatted for the reader.
    kind: str = ""
    when: str = ""
    image_url: str = ""
    image_alt: str = ""
    # Alerts: "info", "warning" or "danger".
    severity: str = ""


# A feed function receives the territories a resident cares about (their commune and its ancestors,
# as territories.Territory objects), a maximum count, and `before`: None for the first page, else the
# `published_at` of the last item already shown. It returns, newest first, at most `limit` of its
# items published strictly before `before`, in a number of queries that does not grow with `limit`.
FeedFunction = Callable[[Sequence[Any], int, "datetime.datetime | None"], Sequence[FeedItem]]
# A banner function receives the same territories and returns what must stay above the feed until
# it ends (urgent alerts), most severe first. It is never paginated.
BannerFunction = Callable[[Sequence[Any]], Sequence[FeedItem]]


@dataclass(frozen=True)
class Module:
    """What a module tells the foundation about itself."""

    name: str
    label: _StrOrPromise
    icon: str
    description: _StrOrPromise = ""
    # URL names: the resident entry page takes the commune code as `code`, the staff one the
    # territory's pk as `territory_id`. None when the module has no such page.
    resident_url_name: str | None = None
    staff_url_name: str | None = None
    feed: FeedFunction | None = None
    banner: BannerFunction | None = None
    enabled_by_default: bool = True
    order: int = 100
    # URL namespaces whose pages belong to this module, so they answer 404 where it is off.
    url_namespaces: tuple[str, ...] = field(default_factory=tuple)
    # What the module holds about a person, for "download my data" (RGPD): receives the user and
    # returns JSON-serialisable data, or None when the module keeps nothing personal.
    personal_data: Callable[[Any], Any] | None = None
    # False for a part every collectivity has, which staff cannot turn off (the accounts of
    # associations and businesses): no checkbox on the staff modules page, always on.
    switchable: bool = True


class ModuleRegistry:
    def __init__(self) -> None:
        self._modules: dict[str, Module] = {}

    def register(self, module: Module) -> Module:
        if module.name in self._modules and self._modules[module.name] != module:
            raise ValueError(f"A module named {module.name!r} is already registered.")
        self._modules[module.name] = module
        return module

    def unregister(self, name: str) -> None:
        self._modules.pop(name, None)

    def get(self, name: str) -> Module | None:
        return self._modules.get(name)

    def all(self) -> list[Module]:
        return sorted(self._modules.values(), key=lambda m: (m.order, m.name))

    def switchable(self) -> list[Module]:
        """The modules a collectivity may turn on or off."""
        return [module for module in self.all() if module.switchable]

    def names(self) -> list[str]:
        return [m.name for m in self.all()]


registry = ModuleRegistry()
