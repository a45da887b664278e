"""Sources a territory keeps in sync: adding, switching off, removing, and synchronising them.

A synchronisation downloads the source (clocher.imports.fetch: public hosts only, 10 s, a size
cap), hands it to the agenda's importer of its format, unpublishes the events the source no
longer lists (they come back if it lists them again) and records an ImportRun. It never raises:
whatever goes wrong is written on the run, for the staff page to show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.agenda.importers.datatourisme import import_datatourisme_url
from clocher.agenda.importers.ics import import_ics
from clocher.agenda.importers.openagenda import import_openagenda
from clocher.agenda.models import Event
from clocher.agenda.services import unpublish_missing
from clocher.directory.importers import ImportFailed, ImportReport
from clocher.organisations.models import Organisation
from clocher.territories.content import Status
from clocher.territories.models import Role, Territory
from clocher.territories.selectors import roles_of
from clocher.territories.services import ActionRefused, record_audit

from .fetch import MAX_BYTES, FetchRefused, check_url, fetch_url
from .models import MAX_INTERVAL_HOURS, ImportRun, ImportSource, RunOutcome, SourceKind

logger = logging.getLogger(__name__)

MANAGE_ROLES = (Role.ADMIN, Role.EDITOR)
# What a run keeps of its rejections: enough to fix the source, not a copy of it.
MAX_REJECTIONS_KEPT = 200

Fetch = Callable[[str], bytes]


class SourceRefused(ActionRefused):
    """A source the rules refuse; str(exc) is French, `field` names the form field concerned."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _check_role(actor: Any, territory: Territory) -> None:
    if not roles_of(actor, territory) & set(MANAGE_ROLES):
        raise SourceRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def safe_fetch(url: str) -> bytes:
    """fetch_url with the importers' failure: ImportFailed, with the French reason."""
    try:
        return fetch_url(url, max_bytes=MAX_BYTES)
    except FetchRefused as error:
        raise ImportFailed(str(error)) from error


@transaction.atomic
def add_source(
    actor: Any,
    territory: Territory,
    *,
    kind: str,
    url: str,
    name: str = "",
    interval_hours: int = 24,
    organisation: Organisation | None = None,
) -> ImportSource:
    """Adds a source the territory will publish the events of, synchronised every `interval_hours`.

    Refuses an actor who is neither admin nor editor of the territory; an unknown format; a URL
    that is not http(s) or whose host resolves to a private, loopback or link-local address; the
    same URL twice for one territory; an interval outside 1 hour to a week; an organisation of
    another territory. Writes an AuditEntry and schedules a first synchronisation after the commit.
    """
    _check_role(actor, territory)
    if kind not in SourceKind.values:
        raise SourceRefused(_("Format inconnu."), "kind")
    try:
        url = check_url(url)
    except FetchRefused as error:
        raise SourceRefused(str(error), "url") from error
    if len(url) > 1000:
        raise SourceRefused(_("Adresse trop longue (1000 caractères au plus)."), "url")
    if ImportSource.objects.filter(territory=territory, url=url).exists():
        raise SourceRefused(_("Cette adresse est déjà une source de ce territoire."), "url")
    if not 1 <= interval_hours <= MAX_INTERVAL_HOURS:
        raise SourceRefused(
            _("Entre 1 et %(max)d heures.") % {"max": MAX_INTERVAL_HOURS}, "interval_hours"
        )
    if organisation is not None and organisation.territory_id != territory.pk:
        raise SourceRefused(_("Cette association n'est pas rattachée à ce territoire."), "organisation")
    source = ImportSource.objects.create(
        territory=territory, kind=kind, url=url, name=name.strip()[:120], interval_hours=interval_hours,
        organisation=organisation, created_by=actor if getattr(actor, "pk", None) else None,
    )
    record_audit(
        territory, actor, "imports.source.add",
        _("Source ajoutée : %(source)s") % {"source": source},
        {"source": source.pk, "kind": kind, "url": url},
    )
    _schedule(source)
    return source


def _schedule(source: ImportSource) -> None:
    from .tasks import sync_source_task

    source_id = source.pk
    transaction.on_commit(lambda: sync_source_task.enqueue(source_id))


@transaction.atomic
def request_sync(actor: Any, source: ImportSource) -> None:
    """Schedules a synchronisation of the source now (after the commit). Refuses an actor who is
    neither admin nor editor of its territory and a disabled source. Writes an AuditEntry."""
    _check_role(actor, source.territory)
    if not source.enabled:
        raise SourceRefused(_("Cette source est désactivée : réactivez-la d'abord."))
    record_audit(
        source.territory, actor, "imports.source.sync",
        _("Synchronisation demandée : %(source)s") % {"source": source}, {"source": source.pk},
    )
    _schedule(source)


@transaction.atomic
def set_source_enabled(actor: Any, source: ImportSource, enabled: bool) -> bool:
    """Switches the source's schedule on or off; returns whether anything changed. Its events stay
    as they are. Refuses an actor who is neither admin nor editor of its territory. Writes an
    AuditEntry when something changed."""
    _check_role(actor, source.territory)
    changed = ImportSource.objects.filter(pk=source.pk).exclude(enabled=enabled).update(enabled=enabled)
    if not changed:
        return False
    source.enabled = enabled
    record_audit(
        source.territory, actor, "imports.source.enable" if enabled else "imports.source.disable",
        (_("Source réactivée : %(source)s") if enabled else _("Source désactivée : %(source)s"))
        % {"source": source},
        {"source": source.pk},
    )
    return True


@transaction.atomic
def delete_source(actor: Any, source: ImportSource) -> int:
    """Deletes the source and its runs; its events are unpublished (kept as drafts, with their
    provenance), not deleted. Returns how many were unpublished. Refuses an actor who is neither
    admin nor editor of its territory. Writes an AuditEntry."""
    _check_role(actor, source.territory)
    unpublished = unpublish_missing(source.event_source, set())
    record_audit(
        source.territory, actor, "imports.source.delete",
        _("Source supprimée : %(source)s") % {"source": source},
        {"source": source.pk, "url": source.url, "unpublished": unpublished},
    )
    source.delete()
    return unpublished


def _published_ids(event_source: str) -> set[int]:
    return set(
        Event.objects.filter(source=event_source, status=Status.PUBLISHED).values_list("pk", flat=True)
    )


def _import(source: ImportSource, fetch: Fetch) -> tuple[ImportReport, int]:
    """Runs the importer of the source's format; returns its report and how many events were
    unpublished because the source no longer lists them."""
    name = source.event_source
    if source.kind == SourceKind.ICS:
        # import_ics unpublishes what it did not see itself; count it from the database.
        before = _published_ids(name)
        report = import_ics(
            source.url, territory=source.territory, source=name,
            organisation=source.organisation, fetch=fetch,
        )
        after = set(
            Event.objects.filter(pk__in=before, status=Status.PUBLISHED).values_list("pk", flat=True)
        )
        return report, len(before - after)
    if source.kind == SourceKind.OPENAGENDA:
        events = import_openagenda(
            source.url, territory=source.territory, source=name, organisation=source.organisation,
            fetch=fetch,
        )
    elif source.kind == SourceKind.DATATOURISME_EVENTS:
        events = import_datatourisme_url(
            source.url, territory=source.territory, source=name, fetch=fetch,
            organisation=source.organisation,
        )
    else:
        raise ImportFailed(_("Format inconnu : %(kind)s") % {"kind": source.kind})
    return events, unpublish_missing(name, events.seen)


def sync_source(source: ImportSource, *, fetch: Fetch | None = None) -> ImportRun:
    """Downloads the source, imports its events and records the run; never raises.

    Events are upserted as `src:<pk>`; those the source no longer lists are unpublished (not
    deleted) and come back when it lists them again. A failed download, a document the importer
    cannot read or an unexpected error is recorded in the run's `error` and the source's
    `last_outcome`, and nothing is unpublished. Writes no AuditEntry (the run is the record).
    """
    started = timezone.now()
    run = ImportRun.objects.create(source=source, started_at=started)
    error = ""
    report: ImportReport | None = None
    unpublished = 0
    try:
        report, unpublished = _import(source, fetch or safe_fetch)
    except ImportFailed as failure:
        error = str(failure)
    except FetchRefused as failure:
        error = str(failure)
    except Exception as failure:
        # A run must end recorded whatever happens: the staff page shows it, the log keeps the trace.
        logger.exception("Synchronisation of source %s failed", source.pk)
        error = _("Erreur inattendue : %(error)s") % {"error": str(failure)[:300]}
    run.finished_at = timezone.now()
    run.error = error[:2000]
    run.outcome = RunOutcome.FAILED if error else RunOutcome.OK
    if report is not None:
        run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
        run.rejected = len(report.rejected)
        run.rejections = [[where, reason] for where, reason in report.rejected[:MAX_REJECTIONS_KEPT]]
    run.unpublished = unpublished
    run.save()
    ImportSource.objects.filter(pk=source.pk).update(last_run_at=started, last_outcome=run.outcome)
    source.last_run_at, source.last_outcome = started, run.outcome
    return run


def due_sources(now: datetime | None = None) -> list[ImportSource]:
    """Enabled sources never run, or whose last run is older than their interval."""
    now = now or timezone.now()
    candidates = ImportSource.objects.filter(enabled=True).filter(
        Q(last_run_at=None) | Q(last_run_at__lte=now - timedelta(hours=1))
    ).order_by(F("last_run_at").asc(nulls_first=True), "pk")
    return [
        source for source in candidates
        if source.last_run_at is None or source.last_run_at <= now - timedelta(hours=source.interval_hours)
    ]


def enqueue_due_sources(now: datetime | None = None) -> list[int]:
    """Enqueues a synchronisation of every due source; returns their ids. The `last_run_at` of each
    is set to now so that a second call before the worker runs does not enqueue it twice."""
    from .tasks import sync_source_task

    now = now or timezone.now()
    ids: list[int] = []
    for source in due_sources(now):
        claimed = ImportSource.objects.filter(pk=source.pk, last_run_at=source.last_run_at).update(last_run_at=now)
        if claimed:
            sync_source_task.enqueue(source.pk)
            ids.append(source.pk)
    return ids
