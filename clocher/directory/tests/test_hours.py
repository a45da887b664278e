"""Opening hours: open or closed at fixed Paris instants, public holidays, the week, market days."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from clocher.directory.hours import (
    InvalidHours,
    is_open_at,
    next_openings,
    opening_state,
    parse_hours,
    week_schedule,
)

PARIS = ZoneInfo("Europe/Paris")
MAIRIE = "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00; PH off"
MARKET = "Sa 07:30-13:00"


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def test_it_says_open_and_when_it_closes_on_a_weekday_morning():
    state = opening_state(MAIRIE, paris(2026, 7, 13, 10, 0))  # a Monday
    assert state.is_open is True
    assert state.label == "Ouvert · ferme à 12:00"
    assert state.next_change == paris(2026, 7, 13, 12, 0)


def test_it_keeps_a_mairie_closed_on_14_july_when_the_hours_say_ph_off():
    state = opening_state(MAIRIE, paris(2026, 7, 14, 10, 0))  # a Tuesday, the national holiday
    assert state.is_open is False
    assert state.label == "Fermé · ouvre demain à 09:00"
    assert state.next_change == paris(2026, 7, 15, 9, 0)


def test_it_opens_on_an_ordinary_tuesday_with_the_same_hours():
    assert is_open_at(MAIRIE, paris(2026, 7, 21, 10, 0))


def test_it_names_the_weekday_when_the_next_opening_is_days_away():
    state = opening_state(MAIRIE, paris(2026, 7, 11, 13, 0))  # Saturday after closing
    assert state.is_open is False
    assert state.label == "Fermé · ouvre lundi à 09:00"


def test_it_converts_a_utc_instant_to_paris_time():
    # 08:30 UTC is 10:30 in Paris in summer: open.
    at = datetime.datetime(2026, 7, 13, 8, 30, tzinfo=datetime.UTC)
    assert is_open_at(MAIRIE, at)
    assert not is_open_at(MAIRIE, datetime.datetime(2026, 7, 13, 6, 30, tzinfo=datetime.UTC))


def test_it_opens_a_saturday_market_at_half_past_seven_only():
    assert not is_open_at(MARKET, paris(2026, 7, 18, 7, 29))
    assert is_open_at(MARKET, paris(2026, 7, 18, 7, 30))
    assert not is_open_at(MARKET, paris(2026, 7, 18, 13, 0))


def test_it_lists_the_next_market_days():
    openings = next_openings(MARKET, paris(2026, 7, 13, 10, 0), 3)
    assert openings == [
        (paris(2026, 7, 18, 7, 30), paris(2026, 7, 18, 13, 0)),
        (paris(2026, 7, 25, 7, 30), paris(2026, 7, 25, 13, 0)),
        (paris(2026, 8, 1, 7, 30), paris(2026, 8, 1, 13, 0)),
    ]


def test_it_counts_a_market_under_way_as_the_next_one():
    openings = next_openings(MARKET, paris(2026, 7, 18, 9, 0), 1)
    assert openings == [(paris(2026, 7, 18, 9, 0), paris(2026, 7, 18, 13, 0))]


def test_it_finds_the_first_wednesday_of_the_month_market():
    openings = next_openings("We[1] 08:00-12:00", paris(2026, 7, 2, 0, 0), 2)
    assert [start.date() for start, _end in openings] == [datetime.date(2026, 8, 5), datetime.date(2026, 9, 2)]


def test_it_gives_the_week_with_the_holiday_closed():
    week = week_schedule(MAIRIE, datetime.date(2026, 7, 13))
    days = dict(week)
    assert len(week) == 7
    assert days[datetime.date(2026, 7, 13)] == [
        (datetime.time(9), datetime.time(12)), (datetime.time(14), datetime.time(18)),
    ]
    assert days[datetime.date(2026, 7, 14)] == []
    assert days[datetime.date(2026, 7, 18)] == [(datetime.time(9), datetime.time(12))]
    assert days[datetime.date(2026, 7, 19)] == []


def test_it_cuts_an_evening_past_midnight_into_two_days():
    week = dict(week_schedule("Fr 20:00-02:00", datetime.date(2026, 7, 13)))
    assert week[datetime.date(2026, 7, 17)] == [(datetime.time(20), datetime.time(0))]
    assert week[datetime.date(2026, 7, 18)] == [(datetime.time(0), datetime.time(2))]


def test_it_says_open_all_day_for_24_7():
    state = opening_state("24/7", paris(2026, 7, 13, 3, 0))
    assert state.is_open is True
    assert state.label == "Ouvert 24 h/24"


def test_it_says_unknown_when_there_are_no_hours():
    state = opening_state("", paris(2026, 7, 13, 10, 0))
    assert state.is_open is None
    assert state.next_change is None
    assert week_schedule("", datetime.date(2026, 7, 13))[0] == (datetime.date(2026, 7, 13), [])
    assert next_openings("", paris(2026, 7, 13, 10, 0), 3) == []


def test_it_treats_unreadable_stored_hours_as_unknown_rather_than_failing():
    assert opening_state("lundi matin", paris(2026, 7, 13, 10, 0)).is_open is None
    assert not is_open_at("lundi matin", paris(2026, 7, 13, 10, 0))


def test_it_refuses_unreadable_hours_with_a_french_message():
    with pytest.raises(InvalidHours, match="Horaires illisibles"):
        parse_hours("lundi de 9h à 12h")
    with pytest.raises(InvalidHours, match="vides"):
        parse_hours("   ")


def test_it_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        opening_state(MAIRIE, datetime.datetime(2026, 7, 13, 10, 0))
