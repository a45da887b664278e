"""Importing OpenAgenda v2 events: the recorded format samples, each timing an occurrence with its
own end, statuses, keywords, pages of a URL, idempotence, and records of any shape (never a crash)."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events  # type: ignore[import-untyped]  # ships no py.typed

from clocher.agenda.importers.openagenda import (
    categories_of_keywords,
    events_of,
    import_openagenda,
    parse_event,
    text_of,
)
from clocher.agenda.models import Event, EventStatus, Occurrence
from clocher.directory.importers import ImportFailed, RecordRejected
from clocher.territories.content import Status
from clocher.territories.geography import shared_data_dir
from clocher.territories.models import Territory

SAMPLES = shared_data_dir() / "openagenda-api-v2-format-samples" / "events"
PARIS = ZoneInfo("Europe/Paris")
AUCH = {"latitude": 43.6465, "longitude": 0.5855}

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="the shared OpenAgenda samples are not beside the repository")


def square(lon: float, lat: float, half: float = 0.05) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[
            [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half],
        ]],
    }


@pytest.fixture
def auch_bounded(auch: Territory) -> Territory:
    auch.boundary = square(0.5855, 43.6465)
    auch.save()
    return auch


def recorded_event() -> dict[str, Any]:
    if SAMPLES.is_dir():
        event: dict[str, Any] = json.loads((SAMPLES / "event.json").read_text())["event"]
    else:  # pragma: no cover - the samples are in CI
        pytest.skip("no samples")
    return event


def event_in_auch(uid: int = 1, **changes: Any) -> dict[str, Any]:
    """The recorded event, moved to Auch (the recorded one is in Paris, outside every test portal)."""
    event = recorded_event()
    event["uid"] = uid
    event["location"] = {**event["location"], **AUCH, "insee": "32013", "city": "Auch",
                         "address": "Place de la République, 32000 Auch", "name": "Cathédrale"}
    event.update(changes)
    return event


def write(tmp_path: Path, events: list[Any], name: str = "events.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"total": len(events), "events": events, "after": None}))
    return path


def expanded(ical: str) -> list[tuple[datetime, datetime]]:
    calendar = icalendar.Calendar.from_ical(ical)
    return [
        (component["DTSTART"].dt, component["DTEND"].dt)
        for component in recurring_ical_events.of(calendar).between((2000, 1, 1), (2100, 1, 1))
    ]


# --- reading -------------------------------------------------------------------------------------


@needs_samples
def test_it_reads_the_french_text_of_the_recorded_event() -> None:
    parsed = parse_event(recorded_event())

    assert parsed.external_id == "9906334"
    assert parsed.data["title"] == "Mon évènement"
    assert parsed.data["description"] == "Description longue"
    assert parsed.data["price"] == "price fr"
    assert (parsed.data["location_name"], parsed.data["lat"], parsed.data["lon"]) == ("My location", 48.854969, 2.386696)
    assert parsed.data["address"] == "122 rue de Charonne, 75011 Paris, France"
    assert (parsed.data["hearing"], parsed.data["wheelchair"]) == ("yes", "")


@needs_samples
def test_each_timing_becomes_one_occurrence_with_its_own_end() -> None:
    parsed = parse_event(recorded_event())

    assert expanded(parsed.ical) == [
        (datetime(2025, 1, 6, 11, tzinfo=PARIS), datetime(2025, 1, 6, 15, tzinfo=PARIS)),
        (datetime(2025, 1, 6, 15, tzinfo=PARIS), datetime(2025, 1, 6, 18, tzinfo=PARIS)),
    ]
    assert parsed.data["starts_at"] == datetime(2025, 1, 6, 11, tzinfo=PARIS)
    assert parsed.data["ends_at"] == datetime(2025, 1, 6, 15, tzinfo=PARIS)


def test_timings_of_different_lengths_and_days_keep_their_lengths() -> None:
    timings = [
        {"begin": "2025-06-14T20:30:00+02:00", "end": "2025-06-14T23:00:00+02:00"},
        {"begin": "2025-06-15T10:00:00+02:00", "end": "2025-06-15T11:00:00+02:00"},
        {"begin": "2025-11-02T10:00:00+01:00", "end": "2025-11-02T12:00:00+01:00"},
        # The same timing twice counts once.
        {"begin": "2025-06-15T10:00:00+02:00", "end": "2025-06-15T11:00:00+02:00"},
    ]
    parsed = parse_event({"uid": 7, "title": {"fr": "Fête"}, "timings": list(reversed(timings))})

    assert [(s.astimezone(PARIS), e.astimezone(PARIS)) for s, e in expanded(parsed.ical)] == [
        (datetime(2025, 6, 14, 20, 30, tzinfo=PARIS), datetime(2025, 6, 14, 23, tzinfo=PARIS)),
        (datetime(2025, 6, 15, 10, tzinfo=PARIS), datetime(2025, 6, 15, 11, tzinfo=PARIS)),
        (datetime(2025, 11, 2, 10, tzinfo=PARIS), datetime(2025, 11, 2, 12, tzinfo=PARIS)),
    ]


@needs_samples
def test_a_list_page_without_timings_gives_the_first_and_last_timings() -> None:
    page = json.loads((SAMPLES / "events.json").read_text())
    [event] = events_of(page)

    assert [s.astimezone(PARIS).hour for s, _e in expanded(parse_event(event).ical)] == [11, 15]


def test_french_comes_first_else_the_first_language_given() -> None:
    assert text_of({"en": "Hello", "fr": "Bonjour"}) == "Bonjour"
    assert text_of({"de": "Hallo", "en": "Hello"}) == "Hallo"
    assert text_of({"fr": "  ", "en": "Hello"}) == "Hello"
    assert text_of({}) == ""
    assert text_of(None) == ""


@pytest.mark.parametrize(
    ("code", "status", "note"),
    [
        (1, EventStatus.SCHEDULED, ""),
        (2, EventStatus.SCHEDULED, "Reprogrammé"),
        (3, EventStatus.SCHEDULED, "Déplacé en ligne"),
        (4, EventStatus.POSTPONED, ""),
        (5, EventStatus.SCHEDULED, "Complet"),
        (6, EventStatus.CANCELLED, ""),
        (99, EventStatus.SCHEDULED, ""),
    ],
)
def test_openagenda_statuses_become_ours(code: int, status: str, note: str) -> None:
    parsed = parse_event({
        "uid": 1, "title": "Bal", "status": code,
        "timings": [{"begin": "2025-01-06T11:00:00+01:00", "end": "2025-01-06T15:00:00+01:00"}],
    })

    assert (parsed.data["event_status"], parsed.data["status_note"]) == (status, note)


def test_keywords_name_categories_whatever_their_accents_and_case() -> None:
    assert categories_of_keywords(["THÉÂTRE", "Concert", "brocante", "vide-grenier", "rien", "concert"]) == [
        "spectacle", "concert", "marche",
    ]
    assert categories_of_keywords(["mon", "évènement"]) == []


def test_french_keywords_are_the_ones_matched() -> None:
    parsed = parse_event({
        "uid": 1, "title": "Expo", "keywords": {"en": ["sport"], "fr": ["exposition", "Randonnée"]},
        "timings": [{"begin": "2025-01-06T11:00:00+01:00", "end": "2025-01-06T15:00:00+01:00"}],
    })

    assert parsed.categories == ["exposition", "nature"]


def test_registration_gives_the_booking_link_and_the_other_ways_in_the_description() -> None:
    parsed = parse_event({
        "uid": 1, "title": "Atelier", "description": {"fr": "Un atelier."},
        "registration": [
            {"type": "phone", "value": "05 62 00 00 00"},
            {"type": "link", "value": "https://billetterie.example.org/atelier"},
            {"type": "email", "value": "atelier@example.org"},
        ],
        "conditions": {"fr": "Entrée gratuite"},
        "timings": [{"begin": "2025-01-06T11:00:00+01:00", "end": "2025-01-06T15:00:00+01:00"}],
    })

    assert parsed.data["booking_url"] == "https://billetterie.example.org/atelier"
    assert parsed.data["description"] == "Un atelier.\n\nInscription : 05 62 00 00 00, atelier@example.org"
    assert parsed.data["is_free"] is True


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("not an event", "objet JSON"),
        ({"title": "Sans uid", "timings": []}, "uid"),
        ({"uid": True, "title": "Booléen"}, "uid"),
        ({"uid": 1, "title": {}}, "titre"),
        ({"uid": 1, "title": "Sans date", "timings": []}, "date"),
        ({"uid": 1, "title": "Date illisible", "timings": [{"begin": "demain"}]}, "date"),
        ({"uid": 1, "title": "Sans fuseau", "timings": [{"begin": "2025-01-06T11:00:00"}]}, "date"),
        ({"uid": 1, "title": "Brouillon", "draft": True, "timings": []}, "brouillon"),
    ],
)
def test_records_that_cannot_be_events_are_rejected_with_a_reason(record: Any, reason: str) -> None:
    with pytest.raises(RecordRejected, match=reason):
        parse_event(record)


@pytest.mark.parametrize(
    "value",
    [None, 3, "x", [], {}, [None], {"a": [1, {"b": None}]}, {"fr": 3}, {"begin": None}],
)
def test_fields_of_any_shape_never_crash_the_reader(value: Any) -> None:
    base = event_in_auch() if SAMPLES.is_dir() else {"uid": 1, "title": "x", "timings": []}
    for key in list(base):
        record = copy.deepcopy(base)
        record[key] = value
        with contextlib.suppress(RecordRejected):
            parse_event(record)


def test_a_document_that_is_not_an_openagenda_response_fails() -> None:
    with pytest.raises(ImportFailed):
        events_of({"hello": "world"})


# --- importing -----------------------------------------------------------------------------------


@needs_samples
def test_an_import_publishes_the_events_with_occurrences_equal_to_the_timings(
    auch_bounded: Territory, tmp_path: Path
) -> None:
    report = import_openagenda(write(tmp_path, [event_in_auch(uid=42)]), territory_code="32013")

    assert (report.created, report.rejected) == (1, [])
    event = Event.objects.get()
    assert (event.source, event.external_id, event.status) == ("openagenda", "42", Status.PUBLISHED)
    assert (event.territory, event.commune) == (auch_bounded, auch_bounded)
    assert [(o.starts_at, o.ends_at) for o in Occurrence.objects.filter(event=event)] == [
        (datetime(2025, 1, 6, 11, tzinfo=PARIS), datetime(2025, 1, 6, 15, tzinfo=PARIS)),
        (datetime(2025, 1, 6, 15, tzinfo=PARIS), datetime(2025, 1, 6, 18, tzinfo=PARIS)),
    ]
    assert report.seen == {"42"}


@needs_samples
def test_a_second_run_reports_everything_unchanged(auch_bounded: Territory, tmp_path: Path) -> None:
    path = write(tmp_path, [event_in_auch(uid=1), event_in_auch(uid=2), {"uid": 3, "title": "Sans date"}])
    import_openagenda(path, territory_code="32013")

    again = import_openagenda(path, territory_code="32013")

    assert (again.created, again.updated, again.unchanged, len(again.rejected)) == (0, 0, 2, 1)
    assert Event.objects.count() == 2
    assert again.seen == {"1", "2", "3"}


@needs_samples
def test_a_changed_event_is_updated_in_place(auch_bounded: Territory, tmp_path: Path) -> None:
    import_openagenda(write(tmp_path, [event_in_auch(uid=1)]), territory_code="32013")

    report = import_openagenda(
        write(tmp_path, [event_in_auch(uid=1, status=6, title={"fr": "Annulé : Mon évènement"})]),
        territory_code="32013",
    )

    assert report.updated == 1
    event = Event.objects.get()
    assert (event.title, event.event_status) == ("Annulé : Mon évènement", EventStatus.CANCELLED)


@needs_samples
def test_an_event_the_rules_refuse_is_rejected_and_the_others_imported(
    auch_bounded: Territory, tmp_path: Path
) -> None:
    far = event_in_auch(uid=2)
    far["location"] = {**far["location"], "latitude": -33.9, "longitude": 151.2}

    report = import_openagenda(write(tmp_path, [event_in_auch(uid=1), far]), territory_code="32013")

    assert report.created == 1
    assert [where for where, _reason in report.rejected] == ["uid 2"]
    assert "France" in report.rejected[0][1]


@needs_samples
def test_a_booking_link_the_rules_refuse_is_dropped_with_a_warning(auch_bounded: Territory, tmp_path: Path) -> None:
    event = event_in_auch(uid=1, registration=[{"type": "link", "value": "https://exa mple.org/billets"}])

    report = import_openagenda(write(tmp_path, [event]), territory_code="32013")

    assert (report.created, report.rejected) == (1, [])
    assert report.warnings and report.warnings[0][1].startswith("booking_url ignoré")
    assert Event.objects.get().booking_url == ""


@needs_samples
def test_it_follows_the_pages_of_an_agenda_url(auch_bounded: Territory) -> None:
    pages = {
        "https://api.openagenda.com/v2/agendas/1/events?key=k": {
            "total": 2, "events": [event_in_auch(uid=1)], "after": [1736157600000, 1],
        },
        "https://api.openagenda.com/v2/agendas/1/events?key=k&after%5B%5D=1736157600000&after%5B%5D=1": {
            "total": 2, "events": [event_in_auch(uid=2)], "after": [1736157600000, 2],
        },
        "https://api.openagenda.com/v2/agendas/1/events?key=k&after%5B%5D=1736157600000&after%5B%5D=2": {
            "total": 2, "events": [], "after": None,
        },
    }
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return json.dumps(pages[url]).encode()

    report = import_openagenda(
        "https://api.openagenda.com/v2/agendas/1/events?key=k", territory_code="32013", fetch=fetch
    )

    assert report.created == 2
    assert len(asked) == 3


def test_an_unknown_territory_or_an_unreadable_file_fails(db: None, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="Aucun territoire"):
        import_openagenda(write(tmp_path, []), territory_code="99999")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ImportFailed, match="JSON"):
        import_openagenda(bad, territory=Territory(name="x"))
    with pytest.raises(ImportFailed, match="illisible"):
        import_openagenda(tmp_path / "absent.json", territory=Territory(name="x"))
