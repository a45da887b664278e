"""Events and their occurrences.

An event says what happens, where, and when: a first start and end in Europe/Paris, and a recurrence
(RRULE, RDATE, EXDATE). Imported iCalendar events keep their VEVENTs as received (`ical`), moved and
cancelled occurrences included, so that their expansion is the source's own. Occurrences are
materialised rows (clocher.agenda.occurrences) so that "this weekend within 20 km" is one indexed
query; they are rebuilt whenever the event changes.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from clocher.directory.models import Access, Place
from clocher.organisations.models import Proposable
from clocher.territories.content import PublishedContent
from clocher.territories.models import Territory


class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Prévu")
    CANCELLED = "cancelled", _("Annulé")
    POSTPONED = "postponed", _("Reporté")


def _image_path(instance: Any, filename: str) -> str:
    # A random name: media are public, and the image of a draft or a pending proposal must not be
    # found by counting (/media/agenda/12/image.jpg).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not (extension.isascii() and extension.isalnum()):
        extension = "jpg"
    return f"agenda/{secrets.token_hex(16)}.{extension[:5]}"


class Event(PublishedContent, Proposable):
    """Something that happens at a time and a place: a concert, a fête, a market day, a meeting.

    Published by a territory (its staff, or an organisation whose proposal was accepted), for an
    audience of territories. A cancelled or postponed event stays visible with that state.
    """

    title = models.CharField(_("titre"), max_length=200)
    # Markdown (or imported text) as written, and its sanitised HTML as shown.
    description = models.TextField(_("description"), blank=True)
    description_html = models.TextField(blank=True, editable=False)
    image = models.ImageField(_("image"), upload_to=_image_path, blank=True)
    image_alt = models.CharField(_("description de l'image"), max_length=200, blank=True)

    # The first occurrence, timezone-aware. An all-day event starts at local midnight and ends at
    # the local midnight after its last day (iCalendar's exclusive DTEND).
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"), null=True, blank=True)
    all_day = models.BooleanField(_("toute la journée"), default=False)
    # Recurrence of events written here: an RRULE value ("FREQ=WEEKLY;BYDAY=SA"), extra dates and
    # excluded dates (ISO 8601 datetimes, local time for Europe/Paris).
    rrule = models.CharField(_("récurrence (RRULE)"), max_length=500, blank=True)
    rdates = models.JSONField(_("dates ajoutées"), default=list, blank=True)
    exdates = models.JSONField(_("dates exclues"), default=list, blank=True)
    # Imported iCalendar events: the VCALENDAR text of this event (its VTIMEZONEs, the master VEVENT
    # and its RECURRENCE-ID overrides). When set, occurrences are expanded from it.
    ical = models.TextField(blank=True, editable=False)

    place = models.ForeignKey(
        Place, models.SET_NULL, null=True, blank=True, related_name="events", verbose_name=_("lieu")
    )
    # Where it happens when it is not a place of the directory (or as the source wrote it).
    location_name = models.CharField(_("lieu (nom)"), max_length=200, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    commune = models.ForeignKey(
        Territory, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("commune")
    )

    price = models.CharField(_("tarif"), max_length=200, blank=True)
    is_free = models.BooleanField(_("gratuit"), null=True, blank=True)
    booking_url = models.URLField(_("réservation"), max_length=500, blank=True)
    wheelchair = models.CharField(_("accès fauteuil roulant"), max_length=8, choices=Access.choices, blank=True)
    hearing = models.CharField(_("handicap auditif"), max_length=8, choices=Access.choices, blank=True)
    sight = models.CharField(_("handicap visuel"), max_length=8, choices=Access.choices, blank=True)
    mental = models.CharField(_("handicap mental"), max_length=8, choices=Access.choices, blank=True)
    accessibility_note = models.CharField(_("accessibilité (précisions)"), max_length=300, blank=True)

    event_status = models.CharField(
        _("déroulement"), max_length=10, choices=EventStatus.choices, default=EventStatus.SCHEDULED
    )
    status_note = models.CharField(
        _("précision sur l'annulation ou le report"), max_length=300, blank=True
    )

    class Meta:
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["status", "territory"], name="event_status_territory"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~models.Q(source=""),
                name="event_unique_provenance",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule or self.rdates or self.ical)


class EventCategory(models.Model):
    """A category of an event, from clocher.agenda.taxonomy."""

    event = models.ForeignKey(Event, models.CASCADE, related_name="categories")
    category = models.CharField(_("catégorie"), max_length=32)

    class Meta:
        verbose_name = _("catégorie d'événement")
        verbose_name_plural = _("catégories d'événements")
        constraints = [
            models.UniqueConstraint(fields=["event", "category"], name="event_category_unique"),
        ]
        indexes = [models.Index(fields=["category", "event"], name="event_category_lookup")]

    def __str__(self) -> str:
        return self.category


class Occurrence(models.Model):
    """One time an event happens, materialised from its recurrence.

    Location and commune are copied from the event (or the occurrence's own override) so that date
    and distance filters need no join; they are rewritten with the occurrences.
    """

    event = models.ForeignKey(Event, models.CASCADE, related_name="occurrences")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    all_day = models.BooleanField(default=False)
    # A moved or edited occurrence (RECURRENCE-ID) may carry its own title or place.
    title = models.CharField(max_length=200, blank=True)
    location_name = models.CharField(max_length=200, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    commune = models.ForeignKey(Territory, models.SET_NULL, null=True, blank=True, related_name="+")
    is_cancelled = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("date d'un événement")
        verbose_name_plural = _("dates des événements")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["starts_at", "ends_at"], name="occurrence_when"),
            models.Index(fields=["event", "starts_at"], name="occurrence_event"),
            models.Index(fields=["lat", "lon", "starts_at"], name="occurrence_where_when"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.event_id} · {self.starts_at:%Y-%m-%d %H:%M}"
