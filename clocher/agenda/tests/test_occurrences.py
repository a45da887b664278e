"""The occurrence engine: staff events expanded as calendar apps would, materialised up to the
horizon, capped, and pushed forward by the periodic task."""

from __future__ import annotations

import datetime
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clocher.agenda.models import Event, Occurrence
from clocher.agenda.occurrences import (
    HORIZON,
    MAX_PER_EVENT,
    expand,
    rebuild_occurrences,
    staff_vevent,
)
from clocher.agenda.services import archive_event, create_event
from clocher.agenda.tasks import extend_horizons, extend_horizons_task
from clocher.directory.models import Place
from clocher.territories.content import Status

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 3, 1, 10, 0, tzinfo=datetime.UTC)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _march_2026():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_weekly_event_keeps_its_local_time_across_summer_time(bob, auch, gers_portal):
    event = create_event(bob, auch, {"title": "Yoga", "starts_at": "2026-03-21T10:00", "ends_at": "2026-03-21T11:00",
                                     "rrule": "FREQ=WEEKLY;COUNT=3"}, [])
    rows = list(event.occurrences.values_list("starts_at", "ends_at"))
    assert [(start.astimezone(PARIS), end.astimezone(PARIS)) for start, end in rows] == [
        (paris(2026, 3, 21, 10), paris(2026, 3, 21, 11)),
        (paris(2026, 3, 28, 10), paris(2026, 3, 28, 11)),
        (paris(2026, 4, 4, 10), paris(2026, 4, 4, 11)),
    ]
    assert rows[0][0].astimezone(datetime.UTC).hour == 9
    assert rows[2][0].astimezone(datetime.UTC).hour == 8


def test_extra_dates_and_excluded_dates_shape_the_series(bob, auch, gers_portal):
    event = create_event(bob, auch, {
        "title": "Marché", "starts_at": "2026-04-04T08:00", "ends_at": "2026-04-04T12:00",
        "rrule": "FREQ=WEEKLY;COUNT=4", "exdates": ["2026-04-11"], "rdates": ["2026-04-15T17:00"],
    }, [])
    assert [o.starts_at.astimezone(PARIS) for o in event.occurrences.all()] == [
        paris(2026, 4, 4, 8), paris(2026, 4, 15, 17), paris(2026, 4, 18, 8), paris(2026, 4, 25, 8)
    ]
    # An extra date lasts as long as the event.
    assert all(o.ends_at - o.starts_at == datetime.timedelta(hours=4) for o in event.occurrences.all())


def test_a_multi_day_all_day_event_is_one_occurrence(bob, auch, gers_portal):
    event = create_event(bob, auch, {"title": "Festival", "starts_at": "2026-07-10", "ends_at": "2026-07-12",
                                     "all_day": True}, [])
    (occurrence,) = event.occurrences.all()
    assert occurrence.all_day
    assert (occurrence.starts_at, occurrence.ends_at) == (paris(2026, 7, 10), paris(2026, 7, 13))


def test_expand_reads_no_database(bob, auch, gers_portal, django_assert_num_queries):
    event = create_event(bob, auch, {"title": "Yoga", "starts_at": "2026-03-21T10:00", "rrule": "FREQ=DAILY"}, [])
    event = Event.objects.get(pk=event.pk)
    with django_assert_num_queries(0):
        specs = expand(event, paris(2026, 4, 1), paris(2026, 4, 8))
    assert [spec.starts_at for spec in specs] == [paris(2026, 4, day, 10) for day in range(1, 8)]


def test_the_staff_vevent_is_in_paris_time(bob, auch, gers_portal):
    event = create_event(bob, auch, {"title": "Yoga", "starts_at": "2026-03-21T10:00", "rrule": "FREQ=WEEKLY",
                                     "exdates": ["2026-03-28"]}, [])
    text = staff_vevent(event).to_ical().decode()
    assert "DTSTART;TZID=Europe/Paris:20260321T100000" in text
    assert "RRULE:FREQ=WEEKLY" in text
    assert "EXDATE;TZID=Europe/Paris:20260328T100000" in text


def test_an_open_ended_series_stops_at_the_horizon_and_the_task_extends_it(bob, auch, gers_portal):
    event = create_event(bob, auch, {"title": "Marché", "starts_at": "2026-03-07T08:00", "rrule": "FREQ=WEEKLY"}, [],
                         status=Status.PUBLISHED)
    last = event.occurrences.order_by("-starts_at").first()
    assert last is not None and NOW + HORIZON - datetime.timedelta(days=7) < last.starts_at <= NOW + HORIZON
    count = event.occurrences.count()
    with time_machine.travel(NOW + datetime.timedelta(days=28), tick=False):
        assert extend_horizons() == 1
    assert event.occurrences.count() == count + 4


def test_archived_and_single_events_are_left_to_themselves(bob, auch, gers_portal):
    weekly = create_event(bob, auch, {"title": "Marché", "starts_at": "2026-03-07T08:00", "rrule": "FREQ=WEEKLY"}, [])
    archive_event(bob, weekly)
    create_event(bob, auch, {"title": "Loto", "starts_at": "2026-03-07T20:00"}, [])
    assert extend_horizons() == 0


def test_the_task_runs_in_the_worker(bob, auch, gers_portal, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    create_event(bob, auch, {"title": "Marché", "starts_at": "2026-03-07T08:00", "rrule": "FREQ=WEEKLY"}, [])
    result = extend_horizons_task.enqueue()
    assert result.return_value == 1


def test_an_event_planned_beyond_the_horizon_still_has_its_date(bob, auch, gers_portal):
    event = create_event(bob, auch, {"title": "Jubilé", "starts_at": "2031-06-01T15:00"}, [])
    assert list(event.occurrences.values_list("starts_at", flat=True)) == [paris(2031, 6, 1, 15)]


def test_past_the_cap_the_latest_occurrences_are_kept_with_a_warning(bob, auch, gers_portal, caplog):
    with caplog.at_level(logging.WARNING, logger="clocher.agenda.occurrences"):
        event = create_event(bob, auch, {"title": "Angélus", "starts_at": "2018-01-01T12:00", "rrule": "FREQ=DAILY"}, [])
    assert event.occurrences.count() == MAX_PER_EVENT
    last = event.occurrences.order_by("-starts_at").first()
    assert last is not None and last.starts_at > NOW + HORIZON - datetime.timedelta(days=1)
    assert "keeping the last ones" in caplog.text


def test_occurrences_copy_the_place_position_and_commune(bob, auch, gers_portal):
    place = Place.objects.create(territory=auch, commune=auch, name="Halle", status=Status.PUBLISHED,
                                 lat=43.64, lon=0.58)
    event = create_event(bob, auch, {"title": "Marché", "starts_at": "2026-03-07T08:00", "place": place}, [])
    (occurrence,) = event.occurrences.all()
    assert (occurrence.lat, occurrence.lon, occurrence.commune) == (43.64, 0.58, auch)


def test_a_calendar_that_cannot_be_expanded_keeps_the_first_date(bob, auch, gers_portal):
    event = create_event(bob, auch, {"title": "Loto", "starts_at": "2026-03-07T20:00"}, [])
    Event.objects.filter(pk=event.pk).update(ical="BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:nonsense\r\n")
    event.refresh_from_db()
    assert rebuild_occurrences(event) == 1
    assert Occurrence.objects.get(event=event).starts_at == paris(2026, 3, 7, 20)


def test_a_source_repeating_within_a_day_is_refused(auch, gers_portal):
    from clocher.agenda.services import EventRejected, upsert_imported_event

    for rule in ("FREQ=HOURLY", "FREQ=MINUTELY;COUNT=5", "FREQ=DAILY;BYHOUR=8,20"):
        ical = (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\nBEGIN:VEVENT\r\nUID:dense\r\n"
            f"DTSTAMP:20260101T000000Z\r\nDTSTART:19700101T000000Z\r\nRRULE:{rule}\r\n"
            "SUMMARY:Trop\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        with pytest.raises(EventRejected, match="plus fréquente"):
            upsert_imported_event(auch, {"title": "Trop", "starts_at": "2020-01-01T00:00"}, [], source="ics:x",
                                  external_id="dense", ical=ical)
    assert not Event.objects.exists()


def test_reading_a_very_long_series_stops_with_a_warning(bob, auch, gers_portal, caplog, monkeypatch):
    monkeypatch.setattr("clocher.agenda.occurrences.SCAN_LIMIT", 50)
    with caplog.at_level(logging.WARNING, logger="clocher.agenda.occurrences"):
        event = create_event(bob, auch, {"title": "Angélus", "starts_at": "2026-01-01T12:00", "rrule": "FREQ=DAILY"}, [])
    assert event.occurrences.count() == 50
    assert "more than 50 dates" in caplog.text
