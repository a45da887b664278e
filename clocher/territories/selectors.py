"""Reads that encode visibility for territories, portals, modules and staff roles.

`access_*` functions fetch and check at once: what the caller may not see and what does not exist
get the same answer, Http404.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from clocher.core.modules import Module, registry

from .models import (
    Collectivity,
    ModuleSetting,
    Portal,
    PortalHost,
    Role,
    StaffRole,
    Territory,
    TerritoryKind,
    with_parents,
)

# Every request needs its portal, and portals change rarely (the Django admin edits them): each
# process keeps what it found for a few seconds, as Django's sites framework keeps its Site.
PORTAL_CACHE_SECONDS = 10.0
_PORTAL_CACHE_MAX_HOSTS = 256
_portal_cache: dict[str, tuple[float, Portal | None]] = {}


def forget_portals() -> None:
    """Drop the portals this process remembers, so the next request reads them again."""
    _portal_cache.clear()


def portal_for_host(host: str) -> Portal | None:
    """The active portal answering on this host name (port ignored), or None.

    The portal comes with its root territory and the root's ancestors, so pages showing the root
    need no further query; the polygons, tens of kilobytes of JSON each, are left out. The object
    is shared by the requests of the next few seconds: treat it as read-only.
    """
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    hostname = hostname.strip("[]").lower()
    now = time.monotonic()
    cached = _portal_cache.get(hostname)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = (
        PortalHost.objects.select_related(
            "portal", "portal__root", "portal__root__epci", "portal__root__departement",
            "portal__root__region",
        )
        .defer(
            "portal__root__boundary", "portal__root__epci__boundary",
            "portal__root__departement__boundary", "portal__root__region__boundary",
        )
        .filter(hostname=hostname, portal__is_active=True)
        .first()
    )
    portal = found.portal if found else None
    if len(_portal_cache) >= _PORTAL_CACHE_MAX_HOSTS:
        _portal_cache.clear()
    _portal_cache[hostname] = (now + PORTAL_CACHE_SECONDS, portal)
    return portal


def territories_of_portal(portal: Portal) -> QuerySet[Territory]:
    """Every territory the portal covers: its root and all that is part of it."""
    root = portal.root
    if root.kind == TerritoryKind.REGION:
        scope = Q(pk=root.pk) | Q(region=root)
    elif root.kind == TerritoryKind.DEPARTEMENT:
        # An EPCI is in the portal when one of its member communes is.
        scope = (
            Q(pk=root.pk)
            | Q(departement=root)
            | Q(kind=TerritoryKind.EPCI, pk__in=Territory.objects.filter(departement=root).values("epci"))
        )
    elif root.kind == TerritoryKind.EPCI:
        scope = Q(pk=root.pk) | Q(epci=root)
    else:
        scope = Q(pk=root.pk)
    return Territory.objects.filter(scope)


def is_in_portal(portal: Portal, territory: Territory) -> bool:
    root = portal.root
    if territory.pk == root.pk:
        return True
    if territory.kind == TerritoryKind.EPCI and root.kind == TerritoryKind.DEPARTEMENT:
        return Territory.objects.filter(epci=territory, departement=root).exists()
    if territory.kind == TerritoryKind.EPCI and root.kind == TerritoryKind.REGION:
        return Territory.objects.filter(epci=territory, region=root).exists()
    return root.pk in territory.parent_ids()


def access_territory(portal: Portal, *, kind: str, code: str) -> Territory:
    """The territory of this kind and code within the portal, or 404 (another portal's is a 404)."""
    territory = with_parents(Territory.objects.all()).filter(
        kind=kind, code=code
    ).first()
    if territory is None or not is_in_portal(portal, territory):
        raise Http404(_("Territoire introuvable."))
    return territory


def access_territory_by_code(portal: Portal, code: str) -> Territory:
    """A commune by INSEE code, an EPCI by SIREN, a département or a région by code, in the
    portal; 404 otherwise. For addresses that name a territory by its code alone (feeds)."""
    code = code.strip().upper()[:16]
    if len(code) == 9:
        kinds = [TerritoryKind.EPCI]
    elif len(code) == 5:
        kinds = [TerritoryKind.COMMUNE]
    else:
        kinds = [TerritoryKind.DEPARTEMENT, TerritoryKind.REGION]
    for kind in kinds:
        try:
            return access_territory(portal, kind=kind, code=code)
        except Http404:
            continue
    raise Http404(_("Territoire introuvable."))


def access_commune(portal: Portal, code: str) -> Territory:
    return access_territory(portal, kind=TerritoryKind.COMMUNE, code=code)


def ancestors(territory: Territory) -> list[Territory]:
    """The territory itself then those it is part of, nearest first: commune, EPCI, département, région."""
    chain: list[Territory] = [territory]
    for parent in (territory.epci, territory.departement, territory.region):
        if parent is not None:
            chain.append(parent)
    return chain


def communes_within(territory: Territory) -> QuerySet[Territory]:
    """The active communes of a territory (itself when it is a commune), by name, without boundaries."""
    field = {
        str(TerritoryKind.REGION): "region", str(TerritoryKind.DEPARTEMENT): "departement",
        str(TerritoryKind.EPCI): "epci",
    }.get(territory.kind)
    scope = Q(pk=territory.pk) if field is None else Q(**{field: territory})
    return (
        Territory.objects.filter(scope, kind=TerritoryKind.COMMUNE, is_active=True)
        .defer("boundary").order_by("search_name", "name")
    )


def collectivity_of(territory: Territory) -> Collectivity | None:
    try:
        return territory.collectivity
    except Collectivity.DoesNotExist:
        return None


def enabled_modules(portal: Portal, territory: Territory) -> list[Module]:
    """The registered modules a resident of this territory sees.

    A joined collectivity's own ModuleSetting rows win; a passive territory, or a module the
    collectivity never chose, follows the portal's defaults (or the module's own default when the
    portal lists none).
    """
    settings_by_name = dict(
        ModuleSetting.objects.filter(territory=territory).values_list("module", "enabled")
    )
    enabled = []
    for module in registry.all():
        if not module.switchable:
            on = True
        elif module.name in settings_by_name:
            on = settings_by_name[module.name]
        elif portal.default_modules:
            on = module.name in portal.default_modules
        else:
            on = module.enabled_by_default
        if on:
            enabled.append(module)
    return enabled


def is_module_enabled(portal: Portal, territory: Territory, name: str) -> bool:
    return any(m.name == name for m in enabled_modules(portal, territory))


def roles_of(user: Any, territory: Territory) -> set[str]:
    """The roles a user holds on this territory itself, or through a parent it delegates to."""
    if not getattr(user, "is_authenticated", False):
        return set()
    territory_ids = [territory.pk]
    collectivity = collectivity_of(territory)
    if collectivity is not None and collectivity.delegates_to_parent:
        territory_ids += territory.parent_ids()
    return set(
        StaffRole.objects.filter(user=user, territory_id__in=territory_ids).values_list("role", flat=True)
    )


def staff_territories(user: Any, portal: Portal | None = None) -> QuerySet[Territory]:
    """The territories on which the user holds at least one role (within the portal if given)."""
    if not getattr(user, "is_authenticated", False):
        return Territory.objects.none()
    qs = Territory.objects.filter(staff_roles__user=user).distinct()
    if portal is not None:
        qs = qs.filter(pk__in=territories_of_portal(portal).values("pk"))
    return qs.order_by("name")


def access_staff_territory(
    user: Any, portal: Portal, territory_id: int, roles: Iterable[str] = tuple(Role.values)
) -> Territory:
    """The territory if the user holds one of `roles` on it within this portal, else 404."""
    territory = with_parents(Territory.objects.all()).filter(pk=territory_id).first()
    if territory is None or not is_in_portal(portal, territory):
        raise Http404(_("Territoire introuvable."))
    if not roles_of(user, territory) & set(roles):
        raise Http404(_("Territoire introuvable."))
    return territory
