"""Template helpers of the agenda's pages: event addresses and dates as French readers say them."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django import template
from django.urls import reverse
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clocher.agenda.models import Event
from clocher.agenda.taxonomy import category_label

register = template.Library()
PARIS = ZoneInfo("Europe/Paris")


@register.filter
def event_url(event: Event) -> str:
    # The name in the address is for people reading it; only the number finds the event.
    return reverse("agenda:event", kwargs={"pk": event.pk, "slug": slugify(event.title)[:60] or "evenement"})


@register.filter
def event_category(code: str) -> str:
    return category_label(code)


@register.filter
def clock(moment: datetime.datetime) -> str:
    """A time of day as French writes it: "20 h 30", "9 h"."""
    local = moment.astimezone(PARIS)
    if local.minute:
        return _("%(hour)d h %(minute)02d") % {"hour": local.hour, "minute": local.minute}
    return _("%(hour)d h") % {"hour": local.hour}


@register.filter
def day_label(moment: datetime.datetime | datetime.date) -> str:
    """"samedi 29 novembre" (the year only when it is not this one)."""
    local = moment.astimezone(PARIS) if isinstance(moment, datetime.datetime) else moment
    day = local.date() if isinstance(local, datetime.datetime) else local
    if day.year != datetime.datetime.now(PARIS).year:
        return formats.date_format(day, "l j F Y")
    return formats.date_format(day, "l j F")


def when(starts_at: datetime.datetime, all_day: bool, ends_at: datetime.datetime | None = None) -> str:
    """When an occurrence happens, in words: "samedi 29 novembre à 20 h 30", "samedi 29 novembre",
    "du samedi 29 novembre au dimanche 30 novembre" for an all-day stretch of several days."""
    if all_day:
        # An all-day end is the local midnight after the last day (iCalendar's exclusive end).
        last = (ends_at.astimezone(PARIS) - datetime.timedelta(seconds=1)).date() if ends_at else None
        first = starts_at.astimezone(PARIS).date()
        if last is not None and last > first:
            return _("du %(first)s au %(last)s") % {"first": day_label(first), "last": day_label(last)}
        return day_label(first)
    return _("%(day)s à %(time)s") % {"day": day_label(starts_at), "time": clock(starts_at)}


@register.simple_tag
def when_label(starts_at: datetime.datetime, all_day: bool, ends_at: datetime.datetime | None = None) -> str:
    return when(starts_at, all_day, ends_at)
