"""What a resident's home is made of: the territory they look at and the feed of what concerns it.

The feed is assembled from the module registry: each enabled module with a `feed` function
contributes its newest items, and the foundation merges them. No module is named here, so a new
module shows up on the home page by registering itself.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from clocher.core.modules import FeedItem, Module

from .models import Portal, Territory, TerritoryKind, with_parents
from .selectors import ancestors, enabled_modules, is_in_portal

logger = logging.getLogger(__name__)

COMMUNE_COOKIE = "commune"
# The cached attribute on the request, so the layout and the page share one lookup.
_REQUEST_CACHE = "_clocher_territory"


def _commune_in_portal(portal: Portal, code: str) -> Territory | None:
    if not code or len(code) > 16:
        return None
    territory = (
        with_parents(Territory.objects.select_related("collectivity"))
        .filter(kind=TerritoryKind.COMMUNE, code=code, is_active=True)
        .first()
    )
    if territory is None or not is_in_portal(portal, territory):
        return None
    return territory


def chosen_commune(request: HttpRequest) -> Territory | None:
    """The commune this person chose, within the request's portal, or None.

    A signed-in resident's home commune wins over the cookie, so the choice follows them from
    one phone to another. A choice that belongs to another portal is ignored, not an error: the
    same person may use two portals.
    """
    if hasattr(request, _REQUEST_CACHE):
        cached: Territory | None = getattr(request, _REQUEST_CACHE)
        return cached
    portal: Portal | None = getattr(request, "portal", None)
    commune = None
    if portal is not None:
        user: Any = getattr(request, "user", None)
        home_id = getattr(user, "home_commune_id", None) if user is not None else None
        if home_id is not None:
            territory = with_parents(Territory.objects.select_related("collectivity")).filter(pk=home_id).first()
            if territory is not None and is_in_portal(portal, territory):
                commune = territory
        if commune is None:
            commune = _commune_in_portal(portal, request.COOKIES.get(COMMUNE_COOKIE, ""))
    setattr(request, _REQUEST_CACHE, commune)
    return commune


def current_territory(request: HttpRequest, portal: Portal) -> Territory:
    """The chosen commune, or the portal's root territory when nobody chose one yet."""
    commune = chosen_commune(request)
    if commune is not None:
        return commune
    return portal.root


def territories_for(request: HttpRequest, territory: Territory) -> list[Territory]:
    """The territories whose news concern this person: their own and those they follow.

    Each comes with its ancestors (EPCI, département, région), deduplicated, own first.
    """
    chain: list[Territory] = list(ancestors(territory))
    user: Any = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        followed = with_parents(user.followed_communes.all())
        portal = getattr(request, "portal", None)
        for commune in followed:
            if portal is not None and is_in_portal(portal, commune):
                chain.extend(ancestors(commune))
    return _dedupe(chain)


def _dedupe(territories: Iterable[Territory]) -> list[Territory]:
    seen: set[int] = set()
    unique = []
    for territory in territories:
        if territory.pk not in seen:
            seen.add(territory.pk)
            unique.append(territory)
    return unique


@dataclass(frozen=True)
class FeedPage:
    """One page of a resident's feed, and where the next one starts (None when there is none)."""

    items: list[FeedItem]
    next_before: datetime.datetime | None


def feed_page(
    portal: Portal,
    territories: Sequence[Territory],
    limit: int = 20,
    before: datetime.datetime | None = None,
    modules: Sequence[Module] | None = None,
) -> FeedPage:
    """The newest items the enabled modules publish for these territories, older than `before`.

    `territories[0]` is the resident's own territory: the modules it has on are the ones asked,
    unless `modules` is given (the caller often has them already). Each module is asked for one
    item more than the page holds, which tells whether a next page exists without counting.
    """
    if not territories or limit <= 0:
        return FeedPage([], None)
    if modules is None:
        modules = enabled_modules(portal, territories[0])
    items: list[FeedItem] = []
    for module in modules:
        if module.feed is None:
            continue
        try:
            items.extend(module.feed(list(territories), limit + 1, before))
        except Exception:
            # One faulty module must not take the whole home page down for every resident; the
            # error still reaches the logs (and the error tracker) with its traceback.
            logger.exception("The %s module failed to build its feed.", module.name)
    if before is not None:
        # A module that ignores the cursor must not repeat what the previous page showed.
        items = [item for item in items if item.published_at < before]
    items.sort(key=lambda item: item.published_at, reverse=True)
    items.sort(key=lambda item: not item.urgent)
    page = items[:limit]
    next_before = page[-1].published_at if len(items) > limit and page else None
    return FeedPage(page, next_before)


def feed_for(
    portal: Portal,
    territories: Sequence[Territory],
    limit: int = 20,
    modules: Sequence[Module] | None = None,
) -> list[FeedItem]:
    """The first page of the feed (see feed_page)."""
    return feed_page(portal, territories, limit, None, modules).items


def banner_for(
    portal: Portal, territories: Sequence[Territory], modules: Sequence[Module] | None = None
) -> list[FeedItem]:
    """What stays above the feed until it ends (urgent alerts), from the modules that have some."""
    if not territories:
        return []
    if modules is None:
        modules = enabled_modules(portal, territories[0])
    items: list[FeedItem] = []
    for module in modules:
        if module.banner is None:
            continue
        try:
            items.extend(module.banner(list(territories)))
        except Exception:
            logger.exception("The %s module failed to build its banner.", module.name)
    return items


def module_links(modules: list[Module], commune: Territory) -> list[dict[str, Any]]:
    """The resident pages of these modules for a commune, skipping modules without one."""
    links: list[dict[str, Any]] = []
    if not commune.is_commune:
        return links
    for module in modules:
        if not module.resident_url_name:
            continue
        try:
            url = reverse(module.resident_url_name, kwargs={"code": commune.code})
        except NoReverseMatch:
            # A module may be registered before its pages are wired in (or in a test setup).
            continue
        links.append(
            {"name": module.name, "label": module.label, "url": url, "description": module.description}
        )
    return links


def modules_for(request: HttpRequest, territory: Territory) -> list[Module]:
    """The modules on for this territory, looked up once per request (the layout needs them too)."""
    cache: dict[int, list[Module]] = request.__dict__.setdefault("_clocher_modules", {})
    if territory.pk not in cache:
        portal: Portal = request.portal  # type: ignore[attr-defined]  # set by PortalMiddleware
        cache[territory.pk] = enabled_modules(portal, territory)
    return cache[territory.pk]
