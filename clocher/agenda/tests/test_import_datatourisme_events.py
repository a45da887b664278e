"""Importing DATAtourisme events: the shared real event, `takesPlaceAt` periods with and without
times, places left to the directory (and events left here by the place importer), territories,
idempotence."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events  # type: ignore[import-untyped]  # ships no py.typed

from clocher.agenda.importers.datatourisme import (
    import_datatourisme_events,
    import_datatourisme_url,
    occurrences_of,
    parse_event,
)
from clocher.agenda.models import Event, Occurrence
from clocher.directory.importers import RecordRejected
from clocher.directory.importers.datatourisme import import_datatourisme
from clocher.directory.models import Place
from clocher.territories.geography import shared_data_dir
from clocher.territories.models import Territory, TerritoryKind
from conftest import make_territory

OBJECTS = shared_data_dir() / "datatourisme-objects"
EXHIBITION = OBJECTS / "49-00037bcf-28e4-3322-b72f-377587204703.json"
RESTAURANT = OBJECTS / "30-0049c43b-5087-3c44-87ef-349d316fc2b8.json"
PARIS = ZoneInfo("Europe/Paris")

needs_shared_data = pytest.mark.skipif(
    not OBJECTS.is_dir(), reason="the shared DATAtourisme objects are not beside the repository"
)


def square(lon: float, lat: float, half: float = 0.05) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[
            [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half],
        ]],
    }


@pytest.fixture
def saumur(db: None) -> Territory:
    region = make_territory(TerritoryKind.REGION, "52", "Pays de la Loire")
    departement = make_territory(TerritoryKind.DEPARTEMENT, "49", "Maine-et-Loire", region=region)
    return make_territory(
        TerritoryKind.COMMUNE, "49328", "Saumur", region=region, departement=departement,
        boundary=square(-0.106429, 47.272283),
    )


def exhibition() -> dict[str, Any]:
    obj: dict[str, Any] = json.loads(EXHIBITION.read_text())
    return obj


def small_event(**changes: Any) -> dict[str, Any]:
    """The shared exhibition with a handful of periods, for readable expectations."""
    obj = exhibition()
    obj["takesPlaceAt"] = [{"startDate": "2025-07-12", "endDate": "2025-07-12"}]
    obj.update(changes)
    return obj


def write(tmp_path: Path, name: str, obj: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return path


def expanded(ical: str) -> list[tuple[Any, Any]]:
    calendar = icalendar.Calendar.from_ical(ical)
    return [
        (c["DTSTART"].dt, c["DTEND"].dt)
        for c in recurring_ical_events.of(calendar).between((2000, 1, 1), (2100, 1, 1))
    ]


# --- reading -------------------------------------------------------------------------------------


@needs_shared_data
def test_it_reads_the_shared_exhibition_with_one_all_day_occurrence_per_period() -> None:
    parsed = parse_event(exhibition())

    assert parsed.external_id == "https://data.datatourisme.fr/49/00037bcf-28e4-3322-b72f-377587204703"
    assert parsed.data["title"] == "EXPOSITION : \"ÉMOTIONS ENFOUIES\" D'ANNA-EVA BERGE"
    assert "Anna-Eva Berge" in parsed.data["description"]
    assert parsed.data["all_day"] is True
    assert parsed.categories == ["exposition", "culture"]
    assert parsed.commune_code == "49328"
    assert (parsed.data["lat"], parsed.data["lon"]) == (47.272283, -0.106429)
    assert parsed.data["address"] == "19 rue Léopold Palustre, Saint-Hilaire-Saint-Florent, 49400 Saumur"
    occurrences = expanded(parsed.ical)
    assert len(occurrences) == 537
    assert occurrences[0] == (date(2023, 11, 9), date(2023, 11, 10))
    assert occurrences[-1] == (date(2025, 4, 28), date(2025, 4, 29))
    assert "tourisme@ackerman.fr" in parsed.data["description"]


def test_a_period_with_times_happens_each_day_at_those_times() -> None:
    timed, spans = occurrences_of([
        {"startDate": "2025-10-24", "endDate": "2025-10-26", "startTime": "14:00:00", "endTime": "18:30:00"},
    ])

    assert spans == []
    assert timed == [
        (datetime(2025, 10, 24, 14, tzinfo=PARIS), datetime(2025, 10, 24, 18, 30, tzinfo=PARIS)),
        (datetime(2025, 10, 25, 14, tzinfo=PARIS), datetime(2025, 10, 25, 18, 30, tzinfo=PARIS)),
        # After the change to winter time: still 14:00 in Auch.
        (datetime(2025, 10, 26, 14, tzinfo=PARIS), datetime(2025, 10, 26, 18, 30, tzinfo=PARIS)),
    ]


def test_days_of_the_week_and_evenings_past_midnight_are_read() -> None:
    timed, _spans = occurrences_of([{
        "startDate": "2025-07-01", "endDate": "2025-07-14", "startTime": "21:00", "endTime": "01:00",
        "appliesOnDay": [{"@id": "schema:Saturday"}, "schema:Sunday"],
    }])

    assert [start.date() for start, _end in timed] == [
        date(2025, 7, 5), date(2025, 7, 6), date(2025, 7, 12), date(2025, 7, 13),
    ]
    assert timed[0][1] == datetime(2025, 7, 6, 1, tzinfo=PARIS)


def test_a_period_without_times_is_one_all_day_occurrence_over_its_dates() -> None:
    timed, spans = occurrences_of([
        {"startDate": "2025-06-01", "endDate": "2025-08-31"},
        {"startDate": "2025-12-24", "endDate": "2025-12-24"},
        {"startDate": "2025-12-24"},
        {"startDate": "not a date"},
    ])

    assert timed == []
    assert spans == [(date(2025, 6, 1), date(2025, 9, 1)), (date(2025, 12, 24), date(2025, 12, 25))]


@needs_shared_data
def test_all_day_occurrences_of_different_lengths_keep_their_lengths() -> None:
    parsed = parse_event(small_event(takesPlaceAt=[
        {"startDate": "2025-06-01", "endDate": "2025-06-01"},
        {"startDate": "2025-06-07", "endDate": "2025-06-09"},
    ]))

    assert expanded(parsed.ical) == [
        (date(2025, 6, 1), date(2025, 6, 2)),
        (date(2025, 6, 7), date(2025, 6, 10)),
    ]


@needs_shared_data
def test_timed_periods_give_a_timed_event() -> None:
    parsed = parse_event(small_event(takesPlaceAt=[
        {"startDate": "2025-06-01", "endDate": "2025-06-01", "startTime": "20:30:00", "endTime": "23:00:00"},
        {"startDate": "2025-06-02", "endDate": "2025-06-02", "startTime": "15:00:00", "endTime": "16:00:00"},
    ]))

    assert parsed.data["all_day"] is False
    assert parsed.data["starts_at"] == datetime(2025, 6, 1, 20, 30, tzinfo=PARIS)
    assert [(s.astimezone(PARIS).hour, e.astimezone(PARIS).hour) for s, e in expanded(parsed.ical)] == [
        (20, 23), (15, 16),
    ]


@needs_shared_data
def test_places_are_not_events() -> None:
    with pytest.raises(RecordRejected, match="pas un événement"):
        parse_event(json.loads(RESTAURANT.read_text()))


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ([], "objet JSON"),
        ({"@type": ["schema:Event"], "rdfs:label": "x"}, "identifiant"),
        ({"@id": "x", "@type": ["schema:Event"], "takesPlaceAt": []}, "nom"),
        ({"@id": "x", "@type": ["schema:Event"], "rdfs:label": "Fête", "takesPlaceAt": [{"startDate": "?"}]}, "date"),
    ],
)
def test_objects_that_cannot_be_events_are_rejected_with_a_reason(record: Any, reason: str) -> None:
    with pytest.raises(RecordRejected, match=reason):
        parse_event(record)


@needs_shared_data
@pytest.mark.parametrize("value", [None, 3, "x", [], {}, [None], {"fr": [3]}, [{"startDate": 3}]])
def test_fields_of_any_shape_never_crash_the_reader(value: Any) -> None:
    base = small_event()
    for key in list(base):
        record = copy.deepcopy(base)
        record[key] = value
        with contextlib.suppress(RecordRejected):
            parse_event(record)


# --- importing -----------------------------------------------------------------------------------


@needs_shared_data
def test_the_shared_exhibition_is_imported_for_its_departement_with_its_occurrences(
    saumur: Territory, tmp_path: Path
) -> None:
    report = import_datatourisme_events([OBJECTS])

    # The six places are left to the directory.
    assert (report.created, len(report.rejected)) == (1, 6), report.rejected
    assert all("pas un événement" in reason for _where, reason in report.rejected)
    event = Event.objects.get()
    assert (event.territory, event.commune, event.source) == (saumur.departement, saumur, "datatourisme")
    assert Occurrence.objects.filter(event=event).count() == 537
    assert Place.objects.count() == 0


@needs_shared_data
def test_a_second_run_reports_everything_unchanged(saumur: Territory, tmp_path: Path) -> None:
    import_datatourisme_events([EXHIBITION])

    again = import_datatourisme_events([EXHIBITION])

    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 1, [])


@needs_shared_data
def test_the_place_importer_keeps_leaving_events_to_the_agenda(saumur: Territory) -> None:
    report = import_datatourisme([EXHIBITION])

    assert report.created == 0
    assert [reason for _where, reason in report.rejected] == ["événement : voir l'agenda"]
    assert Place.objects.count() == 0


@needs_shared_data
def test_an_event_outside_the_territory_given_is_rejected(
    saumur: Territory, auch: Territory, tmp_path: Path
) -> None:
    report = import_datatourisme_events([EXHIBITION], territory_code="32013")

    assert report.created == 0
    assert "n'est pas sur le territoire" in report.rejected[0][1]


@needs_shared_data
def test_a_downloaded_graph_of_objects_is_imported(saumur: Territory) -> None:
    document = {"@graph": [small_event(), json.loads(RESTAURANT.read_text())]}

    report = import_datatourisme_url(
        "https://example.org/flux.json", territory=None, source="src:1",
        fetch=lambda url: json.dumps(document).encode(),
    )

    assert (report.created, len(report.rejected)) == (1, 1)
    assert Event.objects.get().source == "src:1"
    assert report.seen == {exhibition()["@id"]}
