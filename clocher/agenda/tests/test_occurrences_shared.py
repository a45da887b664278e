"""The occurrences of real-world calendars (../shared/data/ics-recurring-ical-events-testcases/):
imported, expanded and materialised, they must equal those of recurring-ical-events, the issue's
reference, for 2020-01-01..2030-12-31: same count, same start instants."""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

import pytest
import recurring_ical_events  # type: ignore[import-untyped]  # ships no py.typed
import time_machine
from icalendar import Calendar

from clocher.agenda.importers.ics import default_source, import_ics
from clocher.agenda.models import Event, Occurrence
from clocher.agenda.occurrences import EARLIEST, HORIZON, MAX_PER_EVENT, PARIS, as_moment, expand
from clocher.territories.geography import shared_data_dir

ICS_DIR = shared_data_dir() / "ics-recurring-ical-events-testcases"
FILES = sorted(path.name for path in ICS_DIR.glob("*.ics")) if ICS_DIR.is_dir() else []
START = datetime.datetime(2020, 1, 1, tzinfo=PARIS)
END = datetime.datetime(2030, 12, 31, tzinfo=PARIS)
NOW = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC)


def oracle(data: bytes, start: datetime.datetime, end: datetime.datetime) -> list[datetime.datetime]:
    found = recurring_ical_events.of(Calendar.from_ical(data)).between(start, end)
    return sorted(as_moment(component["DTSTART"].dt)[0] for component in found)


def imported(path: Path) -> list[Event]:
    report = import_ics(path, territory_code="32013")
    assert not report.rejected, report.lines()
    return list(Event.objects.filter(source=default_source(path)))


def test_the_shared_calendars_are_there():
    assert len(FILES) >= 25


@pytest.mark.parametrize("name", FILES)
def test_each_shared_calendar_expands_as_recurring_ical_events_does(name, auch, gers_portal):
    path = ICS_DIR / name
    with time_machine.travel(NOW, tick=False):
        events = imported(path)
    ours = sorted(spec.starts_at for event in events for spec in expand(event, START, END))
    assert ours == oracle(path.read_bytes(), START, END)


@pytest.mark.parametrize("name", FILES)
def test_each_shared_calendar_materialises_its_occurrences_up_to_the_horizon(name, auch, gers_portal):
    path = ICS_DIR / name
    with time_machine.travel(NOW, tick=False):
        events = imported(path)
    horizon = min(END, NOW + HORIZON)
    # Past MAX_PER_EVENT (a daily event since 2019) an event keeps its latest occurrences.
    dropped: Counter[datetime.datetime] = Counter()
    for event in events:
        own = oracle(event.ical.encode(), EARLIEST, NOW + HORIZON)
        dropped.update(own[: max(0, len(own) - MAX_PER_EVENT)])
    expected = sorted((Counter(oracle(path.read_bytes(), START, horizon)) - dropped).elements())
    rows = sorted(
        starts_at
        for starts_at, ends_at in Occurrence.objects.filter(event__in=events).values_list("starts_at", "ends_at")
        if starts_at < horizon and (ends_at > START or starts_at >= START)
    )
    assert rows == expected


@pytest.mark.parametrize("name", FILES)
def test_importing_a_shared_calendar_twice_changes_nothing(name, auch, gers_portal):
    path = ICS_DIR / name
    with time_machine.travel(NOW, tick=False):
        first = import_ics(path, territory_code="32013")
        second = import_ics(path, territory_code="32013")
    assert second.created == second.updated == 0
    assert second.unchanged == first.created
