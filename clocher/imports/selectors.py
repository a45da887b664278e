"""Reads of sources for the staff pages: always within one territory, so that another territory's
source is a 404 exactly like one that does not exist."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from clocher.territories.models import Territory

from .models import ImportRun, ImportSource

RUNS_SHOWN = 20


def access_source(territory: Territory, source_id: int) -> ImportSource:
    """The source of this territory, else 404."""
    source = (
        ImportSource.objects.select_related("territory", "organisation")
        .filter(pk=source_id, territory=territory).first()
    )
    if source is None:
        raise Http404(_("Source introuvable."))
    return source


def sources_with_last_run(territory: Territory) -> list[tuple[ImportSource, ImportRun | None]]:
    """The territory's sources, each with its latest run: two queries however many there are."""
    latest = ImportRun.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-pk").values("pk")[:1]
    sources = list(
        ImportSource.objects.filter(territory=territory).select_related("organisation")
        .annotate(latest_run_id=Subquery(latest)).order_by("pk")
    )
    runs = ImportRun.objects.in_bulk([s.latest_run_id for s in sources if s.latest_run_id is not None])
    return [(source, runs.get(source.latest_run_id)) for source in sources]


def recent_runs(source: ImportSource) -> list[ImportRun]:
    return list(source.runs.order_by("-started_at", "-pk")[:RUNS_SHOWN])
