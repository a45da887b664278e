"""The agenda's part of the home feed: coming events for the resident's territories."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from clocher.agenda.feed import coming_events
from clocher.agenda.models import EventStatus
from clocher.agenda.tests.factories import at, make_event
from clocher.core.modules import registry
from clocher.territories.content import Status
from clocher.territories.home import feed_for
from clocher.territories.selectors import ancestors

TUESDAY = at(2026, 11, 24, 10)


def test_it_lists_coming_events_newest_published_first_with_their_next_date(auch, gers, marciac):
    with time_machine.travel(TUESDAY, tick=False):
        make_event(auch, "Concert", at(2026, 11, 29, 20, 30), published_at=at(2026, 11, 20))
        make_event(gers, "Fête du Gers", at(2026, 12, 5), all_day=True, published_at=at(2026, 11, 22))
        make_event(auch, "Passé", at(2026, 11, 1, 20), published_at=at(2026, 11, 23))
        make_event(marciac, "Ailleurs", at(2026, 11, 29, 20), published_at=at(2026, 11, 23))
        make_event(auch, "Brouillon", at(2026, 11, 29, 20), status=Status.DRAFT, published_at=at(2026, 11, 23))
        items = coming_events(ancestors(auch), 10)
    assert [(item.title, item.when) for item in items] == [
        ("Fête du Gers", "samedi 5 décembre"),
        ("Concert", "dimanche 29 novembre à 20 h 30"),
    ]
    assert items[0].kind == "Événement"
    assert items[0].module == "agenda"
    assert items[1].url.startswith("/agenda/")
    assert items[1].territory_name == "Auch"


def test_a_recurring_event_shows_its_next_date_and_a_cancelled_one_says_so(auch):
    with time_machine.travel(TUESDAY, tick=False):
        make_event(auch, "Yoga", at(2026, 11, 17, 18), repeats=[at(2026, 11, 24, 18), at(2026, 12, 1, 18)])
        make_event(auch, "Bal", at(2026, 11, 28, 21), event_status=EventStatus.CANCELLED, location_name="Salle")
        items = {item.title: item for item in coming_events(ancestors(auch), 10)}
    assert items["Yoga"].when == "mardi 24 novembre à 18 h"
    assert items["Bal"].summary == "Annulé · Salle"


def test_load_more_pages_strictly_before_the_last_one_shown(auch):
    with time_machine.travel(TUESDAY, tick=False):
        for day in range(1, 6):
            make_event(auch, f"N°{day}", at(2026, 12, day, 20), published_at=at(2026, 11, day))
        first = coming_events(ancestors(auch), 2)
        second = coming_events(ancestors(auch), 2, first[-1].published_at)
    assert [item.title for item in first] == ["N°5", "N°4"]
    assert [item.title for item in second] == ["N°3", "N°2"]


def test_it_is_the_agenda_modules_feed_and_reaches_the_home(gers_portal, auch):
    module = registry.get("agenda")
    assert module is not None
    assert module.feed is coming_events
    assert module.resident_url_name == "agenda:home"
    with time_machine.travel(TUESDAY, tick=False):
        make_event(auch, "Concert", at(2026, 11, 29, 20, 30))
        assert "Concert" in [item.title for item in feed_for(gers_portal, ancestors(auch))]


@pytest.mark.parametrize("count", [2, 20])
def test_its_query_count_does_not_grow_with_the_events(auch, count, django_assert_max_num_queries):
    with time_machine.travel(TUESDAY, tick=False):
        for number in range(count):
            make_event(auch, f"N°{number}", at(2026, 11, 29, 20) + datetime.timedelta(hours=number))
        with django_assert_max_num_queries(3):
            assert len(coming_events(ancestors(auch), 30)) == count
