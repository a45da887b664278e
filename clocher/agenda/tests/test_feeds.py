"""iCalendar out: a territory's feed, a category of it, and one event's "add to my calendar"."""

from __future__ import annotations

import datetime
from typing import Any

import icalendar
import pytest
import recurring_ical_events  # type: ignore[import-untyped]  # ships no py.typed
import time_machine
from django.urls import reverse

from clocher.agenda.models import Event, EventCategory, Occurrence
from clocher.agenda.occurrences import rebuild_occurrences
from clocher.agenda.tests.factories import at, make_event
from clocher.territories.content import Status

TUESDAY = at(2026, 11, 24, 10)


@pytest.fixture(autouse=True)
def _tuesday() -> Any:
    with time_machine.travel(TUESDAY, tick=False):
        yield


def feed_url(code: str, category: str | None = None) -> str:
    if category:
        return reverse("agenda:category_ics", kwargs={"territory_code": code, "category": category})
    return reverse("agenda:territory_ics", kwargs={"territory_code": code})


def summaries(response: Any) -> set[str]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(component["SUMMARY"]) for component in calendar.walk("VEVENT")}


def recurring(territory: Any, title: str, **fields: Any) -> Event:
    """An event written in Clocher with a recurrence, its occurrences materialised by the agenda."""
    event = Event.objects.create(
        territory=territory, commune=territory, title=title, status=Status.PUBLISHED,
        published_at=at(2026, 1, 1), **fields,
    )
    rebuild_occurrences(event)
    return event


def test_a_communes_feed_is_a_calendar_of_its_events_and_those_for_it(gers_client, auch, marciac, gers):
    make_event(auch, "Concert", at(2026, 11, 28, 20, 30), categories=["concert"])
    make_event(gers, "Fête du Gers", at(2026, 12, 5, 14))
    make_event(marciac, "Jazz à Marciac", at(2026, 11, 28, 21))
    make_event(auch, "Brouillon", at(2026, 11, 28, 21), status=Status.DRAFT)
    make_event(auch, "Il y a longtemps", at(2025, 1, 1, 21))
    response = gers_client.get(feed_url("32013"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert summaries(response) == {"Concert", "Fête du Gers"}
    assert summaries(gers_client.get(feed_url("32"))) == {"Concert", "Fête du Gers", "Jazz à Marciac"}


def test_a_category_feed_keeps_that_category(gers_client, auch):
    make_event(auch, "Concert", at(2026, 11, 28, 20, 30), categories=["concert"])
    make_event(auch, "Match", at(2026, 11, 28, 15), categories=["sport"])
    assert summaries(gers_client.get(feed_url("32013", "sport"))) == {"Match"}
    assert gers_client.get(feed_url("32013", "inconnue")).status_code == 404


def test_the_feed_reparses_to_the_same_occurrences_as_ours(gers_client, auch):
    # Weekly over the change to summer time, with a date excluded and one added.
    event = recurring(
        auch, "Marché du samedi", starts_at=at(2027, 3, 13, 8), ends_at=at(2027, 3, 13, 12),
        rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=6", exdates=["2027-03-27T08:00:00"], rdates=["2027-04-01T08:00:00"],
    )
    EventCategory.objects.create(event=event, category="marche")
    monthly = recurring(
        auch, "Conseil municipal", starts_at=at(2026, 12, 3, 18, 30), ends_at=at(2026, 12, 3, 20, 30),
        rrule="FREQ=MONTHLY;BYDAY=1TH;COUNT=8",
    )
    calendar = icalendar.Calendar.from_ical(gers_client.get(feed_url("32013")).content)
    window = (at(2026, 1, 1), at(2028, 1, 1))
    theirs = sorted(
        (str(component["SUMMARY"]), component.decoded("DTSTART"))
        for component in recurring_ical_events.of(calendar).between(*window)
    )
    ours = sorted(
        (o.event.title, o.starts_at)
        for o in Occurrence.objects.filter(event__in=[event, monthly]).select_related("event")
    )
    assert len(ours) == 6 + 8
    assert [(title, start.astimezone(datetime.UTC)) for title, start in theirs] == [
        (title, start.astimezone(datetime.UTC)) for title, start in ours
    ]


def test_an_event_downloads_as_its_own_calendar(gers_client, auch):
    event = make_event(auch, "Bal", at(2026, 11, 28, 21))
    response = gers_client.get(reverse("agenda:event_ics", kwargs={"pk": event.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    assert summaries(response) == {"Bal"}
    calendar = icalendar.Calendar.from_ical(response.content)
    vevent = next(iter(calendar.walk("VEVENT")))
    assert vevent.decoded("DTSTART") == at(2026, 11, 28, 21)
    assert "/agenda/" in str(vevent["URL"])


def test_another_portals_territory_or_event_is_a_404(gers_client, orne_client, auch, alencon):
    event = make_event(alencon, "Fête d'Alençon", at(2026, 11, 28, 20))
    draft = make_event(auch, "Brouillon", at(2026, 11, 28, 20), status=Status.DRAFT)
    assert gers_client.get(feed_url("61001")).status_code == 404
    assert gers_client.get(feed_url("61001", "sport")).status_code == 404
    assert gers_client.get(feed_url("99999")).status_code == 404
    assert orne_client.get(feed_url("32013")).status_code == 404
    for pk in (event.pk, draft.pk):
        assert gers_client.get(reverse("agenda:event_ics", kwargs={"pk": pk})).status_code == 404


@pytest.mark.parametrize("count", [2, 20])
def test_the_feeds_query_count_does_not_grow_with_the_events(gers_client, auch, count, django_assert_max_num_queries):
    for number in range(count):
        make_event(auch, f"N°{number}", at(2026, 11, 28, 20), categories=["concert"])
    with django_assert_max_num_queries(8):
        assert len(summaries(gers_client.get(feed_url("32013")))) == count


def test_a_feed_is_built_once_for_every_calendar_app_polling_it(gers_client, auch, django_assert_max_num_queries):
    make_event(auch, "Fête de la musique", at(2026, 6, 21, 18))
    url = reverse("agenda:territory_ics", kwargs={"territory_code": auch.code})
    with time_machine.travel(at(2026, 6, 1, 9), tick=False):
        first = gers_client.get(url).content
        # The portal and the territory only: the calendar itself is kept.
        with django_assert_max_num_queries(2):
            again = gers_client.get(url).content
    assert first == again and "Fête de la musique" in again.decode()
