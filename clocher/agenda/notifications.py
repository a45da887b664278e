"""What the agenda announces to residents (issue 8): an event when it is published, to the followers
of its audience (or of its publisher), with its category so those who follow some categories only
get the events of those.

One key per event: publishing it again after a withdrawal, or a retried task, announces once.
Imported events (OpenAgenda, DATAtourisme) are not announced: a first import brings hundreds of
events at once, which would bury every other notification of the week; they stay in the agenda,
its feeds and its calendars.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clocher.notifications.announce import Announcement, announce
from clocher.notifications.models import Notification, Topic
from clocher.territories.content import visible_now

from .models import Event, EventCategory


def event_key(event: Event) -> str:
    return f"agenda.event:{event.pk}:published"


def category_of(event: Event) -> str:
    """The event's categories, comma-separated in the order staff chose them: who follows one of them
    gets it (notifications.topics.Wanted.wants)."""
    return ",".join(EventCategory.objects.filter(event=event).order_by("pk").values_list("category", flat=True))


def when(event: Event) -> str:
    """When it starts, as residents read it ("14 juillet 2026 à 21:00", or the day alone)."""
    start = timezone.localtime(event.starts_at)
    day = formats.date_format(start, "DATE_FORMAT")
    if event.all_day:
        return day
    return _("%(day)s à %(time)s") % {"day": day, "time": formats.time_format(start, "TIME_FORMAT")}


def announce_event_published(event: Event) -> Notification | None:
    """Announces an event residents can see now (topic events, its category, its audience); None
    for one they cannot (a draft, scheduled later, archived or expired), which announces nothing."""
    if not visible_now(Event.objects.filter(pk=event.pk)).exists():
        return None
    where = event.location_name or (event.place.name if event.place_id and event.place else "")

    def body() -> str:  # the date is written in each resident's language
        return f"{when(event)}, {where}" if where else when(event)

    return announce(Announcement(
        key=event_key(event), topic=Topic.EVENTS, title=event.title, body=body,
        url=reverse("agenda:event", args=[event.pk]), territory=event.territory,
        audience=list(event.audience.all()), category=category_of(event),
    ))
