"""The events API: occurrences by period, territory, category, text and distance; one event."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from clocher.agenda.models import EventStatus
from clocher.agenda.tests.factories import AUCH, at, make_event, north_of_auch
from clocher.territories.content import Status

TUESDAY = at(2026, 11, 24, 10)


@pytest.fixture(autouse=True)
def _tuesday() -> Any:
    with time_machine.travel(TUESDAY, tick=False):
        yield


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [result["title"] for result in response.json()["results"]]


def test_it_lists_occurrences_of_the_next_30_days_by_default(gers_client, auch, marciac):
    make_event(auch, "Concert", at(2026, 11, 28, 20, 30), categories=["concert"])
    make_event(marciac, "Jazz", at(2026, 12, 12, 21), repeats=[at(2026, 12, 19, 21)])
    make_event(auch, "Dans deux mois", at(2027, 1, 30, 21))
    response = gers_client.get("/api/v1/events")
    assert titles(response) == ["Concert", "Jazz", "Jazz"]
    first = response.json()["results"][0]
    assert first["starts_at"] == "2026-11-28T20:30:00+01:00"
    assert first["categories"] == ["concert"]
    assert first["commune"] == {"code": "32013", "name": "Auch"}
    assert first["url"].startswith("http://gers.test/agenda/")
    assert first["cancelled"] is False


def test_from_and_to_take_dates_or_datetimes_and_refuse_more_than_a_year(gers_client, auch):
    make_event(auch, "Samedi", at(2026, 11, 28, 20))
    make_event(auch, "Dimanche", at(2026, 11, 29, 20))
    assert titles(gers_client.get("/api/v1/events?from=2026-11-29&to=2026-11-29")) == ["Dimanche"]
    assert titles(gers_client.get("/api/v1/events?from=2026-11-28T00:00&to=2026-11-28T23:00")) == ["Samedi"]
    for query in (
        "from=2026-01-01&to=2027-06-01", "from=hier", "from=2026-12-01&to=2026-11-01",
        "from=9999-12-31", "to=9999-12-31", "from=0001-01-01", "from=0001-01-01T00:00+14:00",
    ):
        response = gers_client.get(f"/api/v1/events?{query}")
        assert response.status_code == 400, query
        assert response.json()["detail"]


def test_a_territory_includes_the_communes_under_an_epci_or_a_departement(gers_client, auch, marciac, gers):
    make_event(auch, "À Auch", at(2026, 11, 28, 20))
    make_event(marciac, "À Marciac", at(2026, 11, 28, 21))
    make_event(gers, "Du Gers", at(2026, 11, 28, 22))
    assert titles(gers_client.get("/api/v1/events?territory=32013")) == ["À Auch", "Du Gers"]
    assert titles(gers_client.get("/api/v1/events?territory=32")) == ["À Auch", "À Marciac", "Du Gers"]
    assert titles(gers_client.get("/api/v1/events?territory=200034460")) == ["À Marciac"]
    assert gers_client.get("/api/v1/events?territory=61001").status_code == 400


def test_category_and_text_filter_and_an_unknown_category_is_a_400(gers_client, auch):
    make_event(auch, "Concert de jazz", at(2026, 11, 28, 20), categories=["concert"])
    make_event(auch, "Match", at(2026, 11, 28, 15), categories=["sport"])
    assert titles(gers_client.get("/api/v1/events?category=sport")) == ["Match"]
    assert titles(gers_client.get("/api/v1/events?category=sport,concert")) == ["Match", "Concert de jazz"]
    assert titles(gers_client.get("/api/v1/events?q=jazz")) == ["Concert de jazz"]
    response = gers_client.get("/api/v1/events?category=rugby")
    assert response.status_code == 400
    assert "Catégorie inconnue : rugby" in response.json()["detail"]


def test_near_keeps_what_is_within_the_radius_with_the_distance(gers_client, auch):
    lat, lon = north_of_auch(1000)
    make_event(auch, "Près", at(2026, 11, 28, 20), lat=lat, lon=lon)
    lat, lon = north_of_auch(150_000)
    make_event(auch, "Loin", at(2026, 11, 28, 20), lat=lat, lon=lon)
    response = gers_client.get(f"/api/v1/events?near={AUCH[0]},{AUCH[1]}&radius=5000")
    assert titles(response) == ["Près"]
    assert round(response.json()["results"][0]["distance_m"], -1) == 1000
    assert gers_client.get(f"/api/v1/events?near={AUCH[0]},{AUCH[1]}&radius=200000").status_code == 422
    assert gers_client.get("/api/v1/events?near=abc").status_code == 400


def test_it_pages_with_next_offset(gers_client, auch):
    for day in range(1, 6):
        make_event(auch, f"N°{day}", at(2026, 12, day, 20))
    first = gers_client.get("/api/v1/events?limit=2").json()
    assert [r["title"] for r in first["results"]] == ["N°1", "N°2"]
    assert first["next_offset"] == 2
    last = gers_client.get("/api/v1/events?limit=2&offset=4").json()
    assert [r["title"] for r in last["results"]] == ["N°5"]
    assert last["next_offset"] is None


def test_one_event_with_its_next_dates(gers_client, auch, foyer_rural):
    event = make_event(
        auch, "Yoga", at(2026, 11, 17, 18), repeats=[at(2026, 11, 24, 18), at(2026, 12, 1, 18)],
        organisation=foyer_rural, event_status=EventStatus.POSTPONED, status_note="Salle en travaux",
        is_free=True, categories=["sport"],
    )
    response = gers_client.get(f"/api/v1/events/{event.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == "Yoga"
    assert data["status"] == "postponed"
    assert data["organiser"] == "Foyer rural d'Auch"
    assert data["ics_url"].endswith(f"/agenda/evenements/{event.pk}.ics")
    assert [d["starts_at"] for d in data["next_dates"]] == ["2026-11-24T18:00:00+01:00", "2026-12-01T18:00:00+01:00"]


def test_another_portals_event_is_a_404_and_is_not_listed(gers_client, orne_client, auch, alencon):
    theirs = make_event(alencon, "Fête d'Alençon", at(2026, 11, 28, 20))
    draft = make_event(auch, "Brouillon", at(2026, 11, 28, 20), status=Status.DRAFT)
    make_event(auch, "À Auch", at(2026, 11, 28, 20))
    assert titles(gers_client.get("/api/v1/events")) == ["À Auch"]
    assert titles(orne_client.get("/api/v1/events")) == ["Fête d'Alençon"]
    for pk in (theirs.pk, draft.pk):
        assert gers_client.get(f"/api/v1/events/{pk}").status_code == 404


def test_it_is_documented_in_openapi(gers_client):
    schema = gers_client.get("/api/v1/openapi.json").json()
    assert "/api/v1/events" in schema["paths"]
    assert "/api/v1/events/{event_id}" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert {"from", "to", "territory", "category", "near", "radius", "q"} <= parameters


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_query_count_does_not_grow(gers_client, auch, count, django_assert_max_num_queries):
    lat, lon = north_of_auch(500)
    for number in range(count):
        make_event(auch, f"N°{number}", at(2026, 11, 28, 20), categories=["concert"], lat=lat, lon=lon)
    with django_assert_max_num_queries(6):
        assert len(titles(gers_client.get("/api/v1/events?limit=50"))) == count
    with django_assert_max_num_queries(10):
        assert len(titles(gers_client.get(f"/api/v1/events?limit=50&territory=32013&near={AUCH[0]},{AUCH[1]}"))) == count
