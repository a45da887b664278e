"""Reads on reports that encode who may see what.

The public sees a report's category, place, status and timeline, never who reported it: public
reads load only PUBLIC_FIELDS, and only in communes that have the reports module on. Agents,
editors and admins of the collectivity that handles a report see all of it; a role on any other
territory, a sibling commune included, grants nothing (unless the collectivity delegates to its
parent, as everywhere in Clocher).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.accounts.models import User
from clocher.core.modules import registry
from clocher.territories.models import (
    ModuleSetting,
    Portal,
    Role,
    StaffRole,
    Territory,
    TerritoryKind,
)
from clocher.territories.selectors import (
    collectivity_of,
    is_in_portal,
    roles_of,
    territories_of_portal,
)

from .models import CLOSED_STATUSES, Report, ReportCategory

HANDLER_ROLES = frozenset({Role.AGENT, Role.EDITOR, Role.ADMIN})

# What anyone may read of a report. The reporter's account, name, e-mail, phone and consent, the
# assignee, the token and the idempotency key are left out: reading them from a public query
# would cost a query per report, which the query-count tests would notice.
PUBLIC_FIELDS = (
    "pk", "territory", "commune", "category", "description", "lat", "lon", "address", "status",
    "public_reason", "duplicate_of", "supporters", "created_at", "updated_at", "acknowledged_at",
    "resolved_at",
)
_PUBLIC_RELATED = ("territory__name", "commune__name", "category__name", "category__code")

# 1 degree of latitude, in metres (mean Earth radius 6,371 km).
_METRES_PER_DEGREE = 111_195.0

# A status filter: one ReportStatus value, or every open one, or every closed one.
STATUS_GROUPS = ("open", "closed")
MODULE = "reports"


def can_handle(user: Any, territory: Territory) -> bool:
    """Whether the user holds the agent, editor or admin role on this collectivity."""
    return bool(roles_of(user, territory) & HANDLER_ROLES)


def _public(queryset: QuerySet[Report]) -> QuerySet[Report]:
    return queryset.select_related("territory", "commune", "category").only(
        *PUBLIC_FIELDS, *_PUBLIC_RELATED
    )


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Haversine: at 50 m, any formula would do, but this one stays right near the poles too.
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, a)))


def nearby_open_reports(
    category: ReportCategory, lat: float, lon: float, radius_m: float = 50, *, limit: int = 5
) -> list[Report]:
    """Open reports of this category within `radius_m` of the point, nearest first ("is it this
    one?"), in the public shape. One query: a bounding box on the (lat, lon) index, then the
    exact distance."""
    dlat = radius_m / _METRES_PER_DEGREE
    dlon = radius_m / (_METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))
    candidates = _public(
        Report.objects.filter(
            category=category,
            lat__range=(lat - dlat, lat + dlat),
            lon__range=(lon - dlon, lon + dlon),
        ).exclude(status__in=CLOSED_STATUSES)
    )
    near = [(d, r) for r in candidates if (d := _distance_m(lat, lon, r.lat, r.lon)) <= radius_m]
    near.sort(key=lambda pair: (pair[0], pair[1].pk))
    return [report for _distance, report in near[:limit]]


def reporting_communes(portal: Portal) -> QuerySet[Territory]:
    """The portal's communes that have the reports module on, in one query.

    The same rule as territories.selectors.enabled_modules, written as a filter so that a list of
    reports needs no query per commune: a commune's own setting wins, else the portal's default
    modules, else the module's own default.
    """
    communes = territories_of_portal(portal).filter(kind=TerritoryKind.COMMUNE)
    module = registry.get(MODULE)
    if module is not None and not module.switchable:
        return communes
    if portal.default_modules:
        on_by_default = MODULE in portal.default_modules
    else:
        on_by_default = module.enabled_by_default if module is not None else True
    settings = ModuleSetting.objects.filter(module=MODULE)
    if on_by_default:
        return communes.exclude(pk__in=settings.filter(enabled=False).values("territory_id"))
    return communes.filter(pk__in=settings.filter(enabled=True).values("territory_id"))


def public_reports(portal: Portal) -> QuerySet[Report]:
    """Every report made in a commune of the portal that has the reports module on, in the public
    shape (PUBLIC_FIELDS, with the names of its collectivity, commune and category). A commune that
    switches reports off hides its reports everywhere the public reads them (pages, map, GeoJSON,
    Open311); its agents keep their queue."""
    return _public(Report.objects.filter(commune_id__in=reporting_communes(portal).values("pk")))


def with_status(queryset: QuerySet[Report], status: str | None) -> QuerySet[Report]:
    """Narrowed to a ReportStatus value, or to "open" / "closed"; anything else leaves it whole."""
    if status == "open":
        return queryset.exclude(status__in=CLOSED_STATUSES)
    if status == "closed":
        return queryset.filter(status__in=CLOSED_STATUSES)
    if status:
        return queryset.filter(status=status)
    return queryset


def commune_reports(
    portal: Portal, commune: Territory, *, status: str | None = None, category: int | None = None
) -> QuerySet[Report]:
    """A commune's public reports, newest first, narrowed by status (see with_status) and category."""
    queryset = with_status(public_reports(portal).filter(commune_id=commune.pk), status)
    if category is not None:
        queryset = queryset.filter(category_id=category)
    return queryset.order_by("-created_at", "-pk")


def commune_report_categories(commune: Territory) -> list[ReportCategory]:
    """The categories that have at least one report in this commune, by name: the public filter
    offers only choices that find something."""
    used = Report.objects.filter(commune_id=commune.pk).values("category_id")
    return list(ReportCategory.objects.filter(pk__in=used).only("pk", "name").order_by("name", "pk"))


def public_map_rows(queryset: QuerySet[Report], limit: int) -> tuple[list[tuple[Any, ...]], bool]:
    """At most `limit` rows (pk, lat, lon, status, category name, category code, supporters,
    created_at) of a public queryset, and whether some were left out. values_list reads these
    columns only, whatever the queryset loaded: nothing private can slip into a map."""
    rows = list(
        queryset.values_list(
            "pk", "lat", "lon", "status", "category__name", "category__code", "supporters", "created_at"
        )[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def _pk(value: Any) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404(_("Signalement introuvable.")) from None
    if pk <= 0 or pk > 2**63 - 1:
        raise Http404(_("Signalement introuvable."))
    return pk


def access_public_report(portal: Portal, pk: Any) -> Report:
    """A report of the portal in the public shape, or 404 (another portal's is a 404)."""
    report = public_reports(portal).filter(pk=_pk(pk)).first()
    if report is None:
        raise Http404(_("Signalement introuvable."))
    return report


def agent_queue(
    territory: Territory,
    *,
    status: str | None = None,
    category: ReportCategory | int | None = None,
    commune: Territory | int | None = None,
    older_than_days: int | None = None,
) -> QuerySet[Report]:
    """The reports a collectivity handles, newest first, with their category, commune and assignee
    (one query whatever the page size). `status` is a ReportStatus value, or "open" / "closed";
    `older_than_days` keeps those created at least that many days ago. The caller checks that the
    user may see this territory's queue (can_handle)."""
    queryset = with_status(
        Report.objects.filter(territory=territory)
        .select_related("category", "commune", "assignee")
        # A commune's boundary is a large JSON document the queue never shows: decoding thirty of
        # them was most of the page's time (make bench, 100,000 reports).
        .defer("commune__boundary"),
        status,
    )
    if category is not None:
        queryset = queryset.filter(category_id=getattr(category, "pk", category))
    if commune is not None:
        queryset = queryset.filter(commune_id=getattr(commune, "pk", commune))
    if older_than_days is not None:
        queryset = queryset.filter(created_at__lte=timezone.now() - timedelta(days=older_than_days))
    return queryset.order_by("-created_at", "-pk")


def access_agent_report(user: Any, portal: Portal, pk: Any) -> Report:
    """A report with everything about it, for an agent, editor or admin of the collectivity that
    handles it, in this portal; 404 otherwise, the same as a missing report."""
    report = (
        Report.objects.select_related("territory", "commune", "category", "assignee", "reporter", "duplicate_of")
        .defer("territory__boundary", "commune__boundary")
        .filter(pk=_pk(pk))
        .first()
    )
    if report is None or not is_in_portal(portal, report.territory) or not can_handle(user, report.territory):
        raise Http404(_("Signalement introuvable."))
    return report


def report_handlers(territory: Territory) -> list[User]:
    """The active people who may handle this collectivity's reports, by name: exactly those
    can_handle accepts, so the "assign to" list offers no one services.assign would refuse.

    The collectivity's own agents, editors and admins; those of its EPCI, département and région
    only when it delegates to its parent (Collectivity.delegates_to_parent), the one deliberate
    way staff of another level handle a commune's reports.
    """
    territory_ids = [territory.pk]
    collectivity = collectivity_of(territory)
    if collectivity is not None and collectivity.delegates_to_parent:
        territory_ids += territory.parent_ids()
    holders = StaffRole.objects.filter(territory_id__in=territory_ids, role__in=HANDLER_ROLES).values("user_id")
    return list(User.objects.filter(pk__in=holders, is_active=True).order_by("display_name", "email", "pk"))
