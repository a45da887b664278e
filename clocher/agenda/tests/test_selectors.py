"""Reads of the agenda: which events a portal shows, one event, occurrences between two moments."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404

from clocher.agenda.models import EventStatus
from clocher.agenda.selectors import (
    access_event,
    events_of_territory,
    next_occurrences,
    occurrences_between,
    visible_events,
)
from clocher.agenda.tests.factories import AUCH, at, make_event, north_of_auch
from clocher.territories.content import Status
from clocher.territories.models import ModuleSetting
from clocher.territories.selectors import ancestors

WEEK = (at(2026, 11, 23), at(2026, 11, 30))


def titles(found):
    return [item.occurrence.event.title for item in found]


def test_a_published_event_of_the_portal_is_visible_and_a_draft_is_not(gers_portal, auch):
    shown = make_event(auch, "Concert", at(2026, 11, 28, 20, 30))
    make_event(auch, "Brouillon", at(2026, 11, 28, 20, 30), status=Status.DRAFT)
    assert list(visible_events(gers_portal)) == [shown]
    assert access_event(gers_portal, shown.pk) == shown


def test_another_portals_event_is_a_404(gers_portal, orne_portal, alencon):
    event = make_event(alencon, "Fête d'Alençon", at(2026, 11, 28, 20))
    with pytest.raises(Http404):
        access_event(gers_portal, event.pk)
    assert access_event(orne_portal, event.pk) == event


def test_an_expired_or_not_yet_due_event_is_hidden(gers_portal, auch):
    expired = make_event(auch, "Expiré", at(2026, 11, 28), expires_at=at(2020, 1, 1))
    later = make_event(auch, "Plus tard", at(2026, 11, 28), status=Status.SCHEDULED, published_at=at(2100, 1, 1))
    for event in (expired, later):
        with pytest.raises(Http404):
            access_event(gers_portal, event.pk)


def test_a_cancelled_event_stays_visible_with_its_state(gers_portal, auch):
    event = make_event(auch, "Bal", at(2026, 11, 28, 21), event_status=EventStatus.CANCELLED, status_note="Météo")
    found = occurrences_between(gers_portal, *WEEK)
    assert titles(found) == ["Bal"]
    assert found[0].event.event_status == EventStatus.CANCELLED
    assert access_event(gers_portal, event.pk).status_note == "Météo"


def test_events_of_a_publisher_that_turned_the_agenda_off_are_hidden(gers_portal, auch, marciac):
    make_event(auch, "À Auch", at(2026, 11, 28, 20))
    make_event(marciac, "À Marciac", at(2026, 11, 28, 20))
    ModuleSetting.objects.create(territory=marciac, module="agenda", enabled=False)
    assert [e.title for e in visible_events(gers_portal)] == ["À Auch"]
    assert titles(occurrences_between(gers_portal, *WEEK)) == ["À Auch"]


def test_only_publishers_that_turned_it_on_show_when_the_portal_leaves_the_agenda_out(gers_portal, auch, marciac):
    gers_portal.default_modules = ["directory"]
    gers_portal.save()
    make_event(auch, "À Auch", at(2026, 11, 28, 20))
    make_event(marciac, "À Marciac", at(2026, 11, 28, 20))
    ModuleSetting.objects.create(territory=auch, module="agenda", enabled=True)
    assert titles(occurrences_between(gers_portal, *WEEK)) == ["À Auch"]


def test_occurrences_overlapping_the_window_come_earliest_first(gers_portal, auch):
    make_event(auch, "Samedi", at(2026, 11, 28, 20))
    make_event(auch, "Mardi", at(2026, 11, 24, 18))
    make_event(auch, "Semaine d'avant", at(2026, 11, 16, 18))
    make_event(auch, "Exposition", at(2026, 11, 1), duration=datetime.timedelta(days=40))
    make_event(auch, "Semaine d'après", at(2026, 12, 1, 18))
    assert titles(occurrences_between(gers_portal, *WEEK)) == ["Exposition", "Mardi", "Samedi"]


def test_each_occurrence_of_a_recurring_event_is_listed(gers_portal, auch):
    make_event(auch, "Yoga", at(2026, 11, 23, 18), repeats=[at(2026, 11, 25, 18), at(2026, 12, 2, 18)])
    found = occurrences_between(gers_portal, *WEEK)
    assert [item.occurrence.starts_at for item in found] == [at(2026, 11, 23, 18), at(2026, 11, 25, 18)]


def test_for_a_resident_it_keeps_what_their_territories_publish_or_is_meant_for_them(
    gers_portal, auch, marciac, gers, grand_auch
):
    make_event(auch, "De la mairie", at(2026, 11, 25, 18))
    make_event(gers, "Du département pour tous", at(2026, 11, 25, 19))
    make_event(gers, "Du département pour Marciac", at(2026, 11, 25, 20), audience=[marciac])
    make_event(marciac, "De Marciac pour l'agglomération d'Auch", at(2026, 11, 25, 21), audience=[grand_auch])
    make_event(marciac, "De Marciac", at(2026, 11, 25, 22))
    found = occurrences_between(gers_portal, *WEEK, territories=ancestors(auch))
    assert titles(found) == [
        "De la mairie", "Du département pour tous", "De Marciac pour l'agglomération d'Auch",
    ]


def test_it_filters_by_category_and_text(gers_portal, auch):
    make_event(auch, "Concert de jazz", at(2026, 11, 25, 20), categories=["concert", "culture"])
    make_event(auch, "Match", at(2026, 11, 26, 20), categories=["sport"])
    make_event(auch, "Loto", at(2026, 11, 27, 20), categories=["association"])
    assert titles(occurrences_between(gers_portal, *WEEK, categories=["concert", "sport"])) == [
        "Concert de jazz", "Match",
    ]
    assert titles(occurrences_between(gers_portal, *WEEK, q="jazz")) == ["Concert de jazz"]


def test_near_a_point_it_keeps_those_within_the_radius_with_their_distance(gers_portal, auch):
    lat, lon = north_of_auch(1000)
    make_event(auch, "Près", at(2026, 11, 28, 20), lat=lat, lon=lon)
    lat, lon = north_of_auch(500)
    make_event(auch, "Tout près, même heure", at(2026, 11, 28, 20), lat=lat, lon=lon)
    lat, lon = north_of_auch(30_000)
    make_event(auch, "Loin", at(2026, 11, 27, 20), lat=lat, lon=lon)
    make_event(auch, "Sans lieu", at(2026, 11, 27, 20))
    found = occurrences_between(gers_portal, *WEEK, near=AUCH, radius_m=5000)
    assert titles(found) == ["Tout près, même heure", "Près"]
    assert [round(item.distance_m or 0, -1) for item in found] == [500, 1000]


def test_it_pages_with_limit_and_offset(gers_portal, auch):
    for day in range(23, 30):
        make_event(auch, f"Jour {day}", at(2026, 11, day, 12))
    assert titles(occurrences_between(gers_portal, *WEEK, limit=3, offset=3)) == ["Jour 26", "Jour 27", "Jour 28"]
    lat, lon = AUCH
    assert occurrences_between(gers_portal, *WEEK, near=(lat, lon), radius_m=0) == []


@pytest.mark.parametrize("count", [2, 20])
def test_the_query_count_does_not_grow_with_the_results(
    gers_portal, auch, count, django_assert_max_num_queries
):
    lat, lon = north_of_auch(100)
    for number in range(count):
        make_event(auch, f"N°{number}", at(2026, 11, 25, 20), categories=["culture"], lat=lat, lon=lon)
    with django_assert_max_num_queries(5):
        assert len(occurrences_between(gers_portal, *WEEK, territories=ancestors(auch))) == count
    with django_assert_max_num_queries(4):
        found = occurrences_between(gers_portal, *WEEK, near=AUCH, radius_m=2000)
        assert len(found) == count
        assert all(item.event.categories.all()[0].category == "culture" for item in found)


def test_a_territorys_events_are_what_it_and_those_under_it_publish_and_what_is_for_it(
    gers_portal, auch, marciac, gers, grand_auch
):
    make_event(auch, "D'Auch", at(2026, 11, 25, 18))
    make_event(marciac, "De Marciac", at(2026, 11, 25, 18))
    make_event(gers, "Du Gers", at(2026, 11, 25, 18))
    make_event(gers, "Du Gers pour Marciac", at(2026, 11, 25, 18), audience=[marciac])
    assert {e.title for e in events_of_territory(gers_portal, auch)} == {"D'Auch", "Du Gers"}
    assert {e.title for e in events_of_territory(gers_portal, gers)} == {
        "D'Auch", "De Marciac", "Du Gers", "Du Gers pour Marciac",
    }
    # The EPCI of the fixtures is part of no département: only what is under it.
    assert {e.title for e in events_of_territory(gers_portal, grand_auch)} == {"D'Auch"}


def test_next_occurrences_leave_out_the_past(auch):
    event = make_event(auch, "Yoga", at(2026, 11, 2, 18), repeats=[at(2026, 11, 30, 18), at(2026, 12, 7, 18)])
    upcoming = next_occurrences(event, after=at(2026, 11, 24))
    assert [o.starts_at for o in upcoming] == [at(2026, 11, 30, 18), at(2026, 12, 7, 18)]


def test_near_leaves_out_invisible_events_even_when_they_come_first(gers_portal, auch, marciac, orne_portal, alencon):
    lat, lon = north_of_auch(200)
    for number in range(30):
        make_event(auch, f"Brouillon {number}", at(2026, 11, 28, 9), status=Status.DRAFT, lat=lat, lon=lon)
    # Another portal's event standing in the Gers box (a wrong point) is not the Gers portal's.
    make_event(alencon, "D'Alençon", at(2026, 11, 28, 9), lat=lat, lon=lon)
    make_event(marciac, "Sport", at(2026, 11, 28, 10), lat=lat, lon=lon, categories=["sport"])
    make_event(auch, "Concert", at(2026, 11, 28, 11), lat=lat, lon=lon, categories=["concert"])
    assert titles(occurrences_between(gers_portal, *WEEK, near=AUCH, radius_m=1000, limit=1)) == ["Sport"]
    assert titles(occurrences_between(gers_portal, *WEEK, near=AUCH, radius_m=1000, offset=1)) == ["Concert"]
    assert titles(
        occurrences_between(gers_portal, *WEEK, near=AUCH, radius_m=1000, territories=ancestors(auch))
    ) == ["Concert"]
    assert titles(occurrences_between(gers_portal, *WEEK, near=AUCH, radius_m=1000, categories=["sport"])) == [
        "Sport"
    ]
    assert titles(occurrences_between(gers_portal, *WEEK, near=AUCH, radius_m=1000, q="conc")) == ["Concert"]
