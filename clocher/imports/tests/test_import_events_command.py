"""`clocher import ics | openagenda | datatourisme-events`: the report, idempotence, clear errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clocher.agenda.models import Event
from clocher.territories.models import Territory

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Mairie d'Auch//FR
BEGIN:VEVENT
UID:marche-1@auch.fr
DTSTAMP:20250101T000000Z
DTSTART;TZID=Europe/Paris:20250607T080000
DTEND;TZID=Europe/Paris:20250607T130000
RRULE:FREQ=WEEKLY;COUNT=4
SUMMARY:Marché du samedi
END:VEVENT
BEGIN:VEVENT
UID:conseil-1@auch.fr
DTSTAMP:20250101T000000Z
DTSTART;TZID=Europe/Paris:20250612T183000
DTEND;TZID=Europe/Paris:20250612T203000
SUMMARY:Conseil municipal
END:VEVENT
END:VCALENDAR
"""


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, "--no-progress", stdout=out)
    return out.getvalue()


def openagenda_event(uid: int, title: str) -> dict[str, Any]:
    return {
        "uid": uid, "title": {"fr": title}, "keywords": {"fr": ["Concert"]},
        "timings": [
            {"begin": "2025-06-14T20:30:00+02:00", "end": "2025-06-14T23:00:00+02:00"},
            {"begin": "2025-06-15T16:00:00+02:00", "end": "2025-06-15T17:00:00+02:00"},
        ],
        "location": {"name": "Salle", "address": "Auch"},
    }


def test_it_imports_an_ics_file_and_a_second_run_is_unchanged(auch: Territory, tmp_path: Path) -> None:
    path = tmp_path / "agenda.ics"
    path.write_text(ICS)

    first = run("ics", str(path), "--territory", "32013")
    again = run("ics", str(path), "--territory", "32013")

    assert "Créés : 2" in first
    assert "Inchangés : 2" in again and "Créés : 0" in again and "Mis à jour : 0" in again
    assert Event.objects.filter(territory=auch).count() == 2


def test_it_imports_an_openagenda_response_and_a_second_run_is_unchanged(
    auch: Territory, tmp_path: Path
) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps({
        "total": 3, "after": None,
        "events": [openagenda_event(1, "Concert"), openagenda_event(2, "Bal"), {"uid": 3, "title": "?"}],
    }))

    first = run("openagenda", str(path), "--territory", "32013")
    again = run("openagenda", str(path), "--territory", "32013")

    assert "Créés : 2" in first
    assert "Rejetés : 1" in first and "uid 3 : aucune date" in first
    assert "Inchangés : 2" in again and "Créés : 0" in again
    event = Event.objects.get(external_id="1")
    assert (event.source, event.occurrences.count()) == ("openagenda", 2)
    assert list(event.categories.values_list("category", flat=True)) == ["concert"]


def test_it_imports_datatourisme_events_and_leaves_places(gers: Territory, auch: Territory, tmp_path: Path) -> None:
    event = {
        "@id": "https://data.datatourisme.fr/32/fete", "@type": ["schema:Event", "Festival"],
        "rdfs:label": {"fr": ["Fête de la musique"]},
        "takesPlaceAt": [{"startDate": "2025-06-21", "endDate": "2025-06-21", "startTime": "18:00:00",
                          "endTime": "23:30:00"}],
        "isLocatedAt": [{"schema:address": [{"hasAddressCity": {"insee": "32013"}}]}],
    }
    place = {"@id": "https://data.datatourisme.fr/32/resto", "@type": ["Restaurant"], "rdfs:label": "Resto"}
    (tmp_path / "a.json").write_text(json.dumps(event))
    (tmp_path / "b.json").write_text(json.dumps(place))

    first = run("datatourisme-events", str(tmp_path))
    again = run("datatourisme-events", str(tmp_path))

    assert "Créés : 1" in first
    assert "b.json : pas un événement" in first
    assert "Inchangés : 1" in again
    assert Event.objects.get().territory == gers


def test_unknown_territories_and_missing_files_are_clear_errors(auch: Territory, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Aucun territoire"):
        run("openagenda", str(tmp_path / "x.json"), "--territory", "99999")
    with pytest.raises(CommandError, match="illisible"):
        run("openagenda", str(tmp_path / "x.json"), "--territory", "32013")
    with pytest.raises(CommandError, match="introuvable"):
        run("ics", str(tmp_path / "x.ics"), "--territory", "32013")
    with pytest.raises(CommandError, match="introuvable"):
        run("datatourisme-events", str(tmp_path / "absent"))
    with pytest.raises(CommandError, match="trop long"):
        run("openagenda", str(tmp_path / "x.json"), "--territory", "32013", "--source", "x" * 41)


def test_a_url_to_a_private_address_is_refused(auch: Territory) -> None:
    with pytest.raises(CommandError, match="réseau privé ou local"):
        run("openagenda", "http://127.0.0.1:8000/events.json", "--territory", "32013")
    with pytest.raises(CommandError, match="réseau privé ou local"):
        run("ics", "http://192.168.1.10/agenda.ics", "--territory", "32013")
