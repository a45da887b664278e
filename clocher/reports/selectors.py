"""Reads on reports that encode who may see what.

The public sees a report's category, place, status and timeline, never who reported it: public
reads load only PUBLIC_FIELDS. Agents, editors and admins of the collectivity that handles a
report see all of it; a role on any other territory, a sibling commune included, grants nothing.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.territories.models import Portal, Role, Territory, TerritoryKind
from clocher.territories.selectors import is_in_portal, roles_of, territories_of_portal

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


def public_reports(portal: Portal) -> QuerySet[Report]:
    """Every report made in a commune of the portal, newest first, in the public shape
    (PUBLIC_FIELDS, with the names of its collectivity, commune and category)."""
    communes = territories_of_portal(portal).filter(kind=TerritoryKind.COMMUNE).values("pk")
    return _public(Report.objects.filter(commune_id__in=communes))


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
    queryset = Report.objects.filter(territory=territory).select_related("category", "commune", "assignee")
    if status == "open":
        queryset = queryset.exclude(status__in=CLOSED_STATUSES)
    elif status == "closed":
        queryset = queryset.filter(status__in=CLOSED_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
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
        .filter(pk=_pk(pk))
        .first()
    )
    if report is None or not is_in_portal(portal, report.territory) or not can_handle(user, report.territory):
        raise Http404(_("Signalement introuvable."))
    return report
