"""Figures on how a collectivity handles its reports: per category, how many, and the median time
to acknowledge and to resolve, over a bounded period.

Medians are computed in Python from the rows of the period (two timestamps per report): portable
across SQLite and PostgreSQL, and the period bounds the rows read.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from clocher.territories.models import Territory

from .models import Report

PERIOD_DAYS = 365


@dataclass(frozen=True)
class CategoryFigures:
    name: str
    count: int
    acknowledged: int
    resolved: int
    # Medians in hours; None when no report of the category reached that step.
    median_acknowledge_hours: float | None
    median_resolve_hours: float | None


def _median_hours(durations: list[timedelta]) -> float | None:
    if not durations:
        return None
    return round(statistics.median(d.total_seconds() for d in durations) / 3600, 1)


def category_figures(territory: Territory, *, since: datetime | None = None) -> list[CategoryFigures]:
    """One row per category with reports created since `since` (12 months ago by default), by
    number of reports then name. Time to resolve runs from creation to the moment the report was
    closed (resolved_at); reports still open count in `count` only."""
    start = since or timezone.now() - timedelta(days=PERIOD_DAYS)
    rows = (
        Report.objects.filter(territory=territory, created_at__gte=start)
        .values_list("category__name", "created_at", "acknowledged_at", "resolved_at")
        .order_by()
    )
    counts: dict[str, int] = {}
    acknowledge: dict[str, list[timedelta]] = {}
    resolve: dict[str, list[timedelta]] = {}
    for name, created, acknowledged, resolved in rows.iterator():
        counts[name] = counts.get(name, 0) + 1
        if acknowledged is not None:
            acknowledge.setdefault(name, []).append(acknowledged - created)
        if resolved is not None:
            resolve.setdefault(name, []).append(resolved - created)
    figures = [
        CategoryFigures(
            name=name,
            count=count,
            acknowledged=len(acknowledge.get(name, [])),
            resolved=len(resolve.get(name, [])),
            median_acknowledge_hours=_median_hours(acknowledge.get(name, [])),
            median_resolve_hours=_median_hours(resolve.get(name, [])),
        )
        for name, count in counts.items()
    ]
    figures.sort(key=lambda row: (-row.count, row.name))
    return figures
