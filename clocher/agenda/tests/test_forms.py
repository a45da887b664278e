"""The event form turns what a phone sends (a date, times, how it repeats) into what an Event
holds, and reads an Event back into the same fields."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from clocher.agenda.forms import (
    REPEAT_CUSTOM,
    EventForm,
    build_rrule,
    describe_when,
    initial_from_event,
    parse_dates,
    read_rrule,
)
from clocher.agenda.models import Event

PARIS = ZoneInfo("Europe/Paris")


def paris(year, month, day, hour=0, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def bound(**data):
    fields = {"title": "Bal", "categories": ["fete"], "date": "2026-12-12", "start_time": "21:00", **data}
    return EventForm(fields)


def test_an_evening_event_is_in_paris_time():
    form = bound(end_time="23:30")
    assert form.is_valid(), form.errors
    data = form.event_data()
    assert (data["starts_at"], data["ends_at"], data["all_day"]) == (paris(2026, 12, 12, 21), paris(2026, 12, 12, 23, 30), False)
    assert data["rrule"] == "" and data["exdates"] == []


def test_an_end_time_before_the_start_means_the_next_morning():
    form = bound(end_time="02:00")
    assert form.is_valid()
    assert form.event_data()["ends_at"] == paris(2026, 12, 13, 2)


def test_summer_time_is_applied_to_a_july_date():
    form = bound(date="2026-07-14", start_time="22:00")
    assert form.is_valid()
    assert form.event_data()["starts_at"].astimezone(datetime.UTC).hour == 20


def test_an_all_day_event_needs_no_time_and_ends_at_the_next_midnight():
    form = bound(start_time="", all_day="on")
    assert form.is_valid(), form.errors
    data = form.event_data()
    assert (data["starts_at"], data["ends_at"]) == (paris(2026, 12, 12), paris(2026, 12, 13))


@pytest.mark.parametrize(("data", "field"), [
    ({"start_time": ""}, "start_time"),
    ({"end_date": "2026-12-01"}, "end_date"),
    ({"end_date": "2026-12-14"}, "end_time"),
    ({"repeat": "weekly", "weekdays": ["SU"]}, "weekdays"),
    ({"repeat": "monthly-last"}, "repeat"),
    ({"repeat": "weekly", "until": "2026-12-01"}, "until"),
    ({"repeat": "weekly", "until": "2027-01-01", "count": "3"}, "count"),
    ({"repeat": "weekly", "exdates": "le 25"}, "exdates"),
    ({"repeat": "weekly", "exdates": "01/12/2026"}, "exdates"),
    ({"exdates": "19/12/2026"}, "exdates"),
    ({"count": "0", "repeat": "weekly"}, "count"),
    ({"lat": "43.6"}, "lon"),
    ({"title": "   "}, "title"),
    ({"categories": []}, "categories"),
    ({"categories": ["sabbat"]}, "categories"),
    ({"date": "31/02/2026"}, "date"),
])
def test_what_cannot_be_an_event_is_an_error_on_its_field(data, field):
    form = bound(**data)
    assert not form.is_valid()
    assert field in form.errors, form.errors


def test_weekly_on_two_days_every_other_week_until_a_date():
    form = bound(date="2026-12-01", repeat="weekly", weekdays=["TU", "TH"], interval="2", until="2027-03-31",
                 exdates="29/12/2026, 2027-01-14")
    assert form.is_valid(), form.errors
    data = form.event_data()
    assert data["rrule"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270331T215959Z"
    assert data["exdates"] == ["2026-12-29T21:00:00", "2027-01-14T21:00:00"]


def test_the_last_friday_of_the_month():
    assert build_rrule("monthly-last", datetime.date(2026, 12, 25), count=4) == "FREQ=MONTHLY;BYDAY=-1FR;COUNT=4"


def test_without_a_ticked_day_a_weekly_event_repeats_on_its_own_day():
    assert build_rrule("weekly", datetime.date(2026, 12, 12)) == "FREQ=WEEKLY;BYDAY=SA"


@pytest.mark.parametrize("rrule", [
    "", "FREQ=WEEKLY;BYDAY=SA", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10",
    "FREQ=MONTHLY;BYDAY=2SA;UNTIL=20270630T215959Z", "FREQ=MONTHLY;BYDAY=-1FR",
])
def test_a_rule_this_form_writes_reads_back_to_the_same_rule(rrule):
    fields = read_rrule(rrule)
    assert fields is not None
    start = datetime.date(2026, 12, 12) if "2SA" in rrule or not rrule or "SA" in rrule else datetime.date(2026, 12, 25)
    if "MO,WE" in rrule:
        start = datetime.date(2026, 12, 14)
    rebuilt = build_rrule(fields["repeat"], start, weekdays=fields.get("weekdays", ()),
                          interval=fields.get("interval", 1), until=fields.get("until"), count=fields.get("count"))
    assert rebuilt == rrule


@pytest.mark.django_db
def test_a_rule_written_elsewhere_is_kept_as_it_is(auch):
    assert read_rrule("FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=14") is None
    event = Event.objects.create(territory=auch, title="Fête nationale", starts_at=paris(2026, 7, 14, 22),
                                 rrule="FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=14")
    assert initial_from_event(event)["repeat"] == REPEAT_CUSTOM
    form = EventForm({"title": "Fête nationale", "categories": ["fete"], "date": "2026-07-14", "start_time": "22:00",
                      "repeat": REPEAT_CUSTOM}, event=event)
    assert form.is_valid(), form.errors
    assert form.event_data()["rrule"] == "FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=14"


def test_dates_are_read_the_french_way_or_the_iso_way():
    assert parse_dates("25/12/2026\n2027-01-01, 1/5/27") == [
        datetime.date(2026, 12, 25), datetime.date(2027, 1, 1), datetime.date(2027, 5, 1)
    ]


@pytest.mark.django_db
def test_an_event_reads_back_into_the_form(auch):
    event = Event.objects.create(
        territory=auch, title="Marché de nuit", starts_at=paris(2026, 7, 3, 19), ends_at=paris(2026, 7, 4, 1),
        rrule="FREQ=WEEKLY;BYDAY=FR;UNTIL=20260828T215959Z", exdates=["2026-07-17T19:00:00"], is_free=True,
    )
    initial = initial_from_event(event)
    assert initial["date"] == datetime.date(2026, 7, 3)
    assert (initial["start_time"], initial["end_time"]) == (datetime.time(19), datetime.time(1))
    assert "end_date" not in initial  # one night, written as an earlier end time
    assert (initial["repeat"], initial["weekdays"], initial["until"]) == ("weekly", ["FR"], datetime.date(2026, 8, 28))
    assert initial["exdates"] == "17/07/2026" and initial["is_free"] == "yes"
    form = EventForm({**{k: v for k, v in initial.items() if v not in (None, "")}, "categories": ["marche"],
                      "date": "2026-07-03", "start_time": "19:00", "end_time": "01:00", "until": "2026-08-28"})
    assert form.is_valid(), form.errors
    data = form.event_data()
    assert (data["starts_at"], data["ends_at"], data["rrule"], data["exdates"]) == (
        event.starts_at, event.ends_at, event.rrule, event.exdates
    )


def test_when_an_event_happens_is_said_in_french_words():
    with translation.override("fr"):
        event = Event(starts_at=paris(2026, 12, 12, 14), ends_at=paris(2026, 12, 12, 18),
                      rrule="FREQ=MONTHLY;BYDAY=2SA;COUNT=3", exdates=["2027-01-09T14:00:00"])
        assert describe_when(event) == (
            "samedi 12 décembre 2026 de 14:00 à 18:00 · chaque mois, le 2e samedi (3 fois) · sauf le 9 janvier 2027"
        )
        fete = Event(starts_at=paris(2026, 8, 14), ends_at=paris(2026, 8, 17), all_day=True)
        assert describe_when(fete) == "du vendredi 14 août 2026 au dimanche 16 août 2026"
