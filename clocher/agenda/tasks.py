"""Background work of the agenda: pushing recurring events' occurrences forward, and announcing an
event when it is published (`announce_event`, scheduled by the services for the publication date).

Occurrences are materialised up to now + HORIZON (clocher.agenda.occurrences). An open-ended
recurrence ("every Saturday") must gain its new dates as time passes: once a day, cron or a
systemd timer runs

    clocher extend_occurrences

and the database worker (`clocher db_worker`) rebuilds them (see docs/decisions/0008-occurrences.md).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from clocher.territories.content import Status

from . import notifications
from .models import Event
from .occurrences import rebuild_occurrences

logger = logging.getLogger(__name__)


def extend_horizons() -> int:
    """Rebuilds the occurrences of every recurring event that is not archived; returns how many
    events were rebuilt. Each event in its own transaction, its row locked so an edit at the same
    moment cannot interleave its own rebuild."""
    recurring = (
        Event.objects.exclude(status=Status.ARCHIVED)
        .filter(~Q(rrule="") | ~Q(ical="") | ~Q(rdates=[]))
        .values_list("pk", flat=True)
    )
    rebuilt = 0
    for pk in list(recurring.iterator(chunk_size=1000)):
        with transaction.atomic():
            event = Event.objects.select_for_update(of=("self",)).select_related("place").filter(pk=pk).first()
            if event is None:
                continue
            rebuild_occurrences(event)
            rebuilt += 1
    logger.info("Occurrences of %d recurring events extended", rebuilt)
    return rebuilt


@task()
def extend_horizons_task() -> int:
    """The daily run of `extend_horizons`, for the task worker."""
    return extend_horizons()


@task()
def announce_event(event_id: int) -> dict[str, object]:
    """Announces a published event to the followers of its audience (topic events). Nothing for an
    event gone or not visible now (scheduled later: the task scheduled for its new date announces
    it; a draft, archived, expired)."""
    event = Event.objects.filter(pk=event_id).select_related("territory", "place").first()
    if event is None:
        return {"event": event_id, "announced": False, "reason": "missing"}
    notification = notifications.announce_event_published(event)
    if notification is None:
        return {"event": event_id, "announced": False, "reason": "not_visible"}
    return {"event": event_id, "announced": True, "notification": notification.pk}


def schedule_event_announcement(event: Event) -> None:
    """Enqueues announce_event for the event's publication: at its date when the backend can defer,
    else at once (then an event scheduled later shows at its date, unannounced)."""
    start = event.published_at
    if start is not None and start > timezone.now() and announce_event.get_backend().supports_defer:
        announce_event.using(run_after=start).enqueue(event.pk)
    else:
        announce_event.enqueue(event.pk)
