"""Sources synced on a schedule: adding one (URL checks), synchronising it (runs recorded, events
that vanish unpublished and brought back), failures kept on the run, the task, `import due`."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from clocher.agenda.models import Event
from clocher.imports import fetch as fetch_module
from clocher.imports.models import ImportRun, ImportSource, RunOutcome, SourceKind
from clocher.imports.services import (
    SourceRefused,
    add_source,
    delete_source,
    due_sources,
    enqueue_due_sources,
    request_sync,
    set_source_enabled,
    sync_source,
)
from clocher.imports.tasks import sync_source_task
from clocher.territories.content import Status
from clocher.territories.models import AuditEntry, Territory

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
FEED = "https://openagenda.example.org/v2/agendas/1/events"


@pytest.fixture(autouse=True)
def _no_dns(public_internet: None) -> None:
    pass


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def oa_event(uid: int, title: str = "Concert") -> dict[str, Any]:
    return {
        "uid": uid, "title": {"fr": title},
        "timings": [{"begin": "2025-06-14T20:30:00+02:00", "end": "2025-06-14T23:00:00+02:00"}],
    }


def serving(*events: Any) -> Any:
    body = json.dumps({"total": len(events), "events": list(events), "after": None}).encode()
    return lambda url: body


def make_source(
    territory: Territory, kind: str = SourceKind.OPENAGENDA, url: str = FEED, **extra: Any
) -> ImportSource:
    return ImportSource.objects.create(territory=territory, kind=kind, url=url, **extra)


# --- adding ----------------------------------------------------------------------------------------


def test_an_editor_adds_a_source_and_its_first_sync_is_scheduled(
    bob: Any, auch: Territory, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        source = add_source(bob, auch, kind=SourceKind.ICS, url=" https://mairie.example.org/agenda.ics ",
                            name="Agenda de la mairie", interval_hours=6)

    assert (source.url, source.interval_hours, source.created_by) == ("https://mairie.example.org/agenda.ics", 6, bob)
    assert len(callbacks) == 1
    assert AuditEntry.objects.filter(territory=auch, action="imports.source.add").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "http://intranet.example.org/agenda.ics"}, "url"),
        ({"url": "http://127.0.0.1/agenda.ics"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"kind": "rss"}, "kind"),
        ({"interval_hours": 0}, "interval_hours"),
        ({"interval_hours": 24 * 8}, "interval_hours"),
    ],
)
def test_bad_sources_are_refused_on_their_field(bob: Any, auch: Territory, changes: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"kind": SourceKind.ICS, "url": "https://mairie.example.org/a.ics", **changes}
    with pytest.raises(SourceRefused) as refused:
        add_source(bob, auch, **arguments)

    assert refused.value.field == field
    assert not ImportSource.objects.exists()


def test_the_same_url_twice_is_refused(bob: Any, auch: Territory) -> None:
    add_source(bob, auch, kind=SourceKind.ICS, url="https://mairie.example.org/a.ics")
    with pytest.raises(SourceRefused, match="déjà"):
        add_source(bob, auch, kind=SourceKind.ICS, url="https://mairie.example.org/a.ics")


def test_a_resident_or_a_sibling_s_staff_cannot_add_a_source(resident: Any, alice: Any, marciac: Territory) -> None:
    for actor in (resident, alice):
        with pytest.raises(SourceRefused, match="droits"):
            add_source(actor, marciac, kind=SourceKind.ICS, url="https://mairie.example.org/a.ics")


# --- synchronising ---------------------------------------------------------------------------------


def test_a_sync_imports_the_events_as_the_source_and_records_the_run(auch: Territory) -> None:
    source = make_source(auch)

    run = sync_source(source, fetch=serving(oa_event(1), oa_event(2), {"uid": 3, "title": "Sans date"}))

    assert (run.outcome, run.created, run.rejected, run.error) == (RunOutcome.OK, 2, 1, "")
    assert run.rejections == [["uid 3", "aucune date (timings) lisible"]]
    assert set(Event.objects.values_list("source", flat=True)) == {f"src:{source.pk}"}
    source.refresh_from_db()
    assert (source.last_outcome, source.last_run_at) == (RunOutcome.OK, run.started_at)


def test_a_second_sync_changes_nothing(auch: Territory) -> None:
    source = make_source(auch)
    sync_source(source, fetch=serving(oa_event(1), oa_event(2)))

    run = sync_source(source, fetch=serving(oa_event(1), oa_event(2)))

    assert (run.created, run.updated, run.unchanged, run.unpublished) == (0, 0, 2, 0)


def test_an_event_that_disappears_is_unpublished_and_comes_back_when_it_reappears(auch: Territory) -> None:
    source = make_source(auch)
    sync_source(source, fetch=serving(oa_event(1), oa_event(2)))

    run = sync_source(source, fetch=serving(oa_event(1)))

    assert run.unpublished == 1
    gone = Event.objects.get(external_id="2")
    assert gone.status == Status.DRAFT
    back = sync_source(source, fetch=serving(oa_event(1), oa_event(2)))
    gone.refresh_from_db()
    assert gone.status == Status.PUBLISHED
    assert (back.updated, back.unchanged, back.unpublished) == (1, 1, 0)


def test_another_source_s_events_are_never_touched(auch: Territory) -> None:
    first, second = make_source(auch), make_source(auch, url="https://other.example.org/e")
    sync_source(first, fetch=serving(oa_event(1)))

    sync_source(second, fetch=serving(oa_event(1)))
    sync_source(second, fetch=serving())

    assert Event.objects.get(source=f"src:{first.pk}").status == Status.PUBLISHED


def test_a_failed_download_is_recorded_and_unpublishes_nothing(auch: Territory) -> None:
    source = make_source(auch)
    sync_source(source, fetch=serving(oa_event(1)))

    def broken(url: str) -> bytes:
        raise fetch_module.FetchRefused("Le serveur a répondu 503.")

    run = sync_source(source, fetch=broken)

    assert (run.outcome, run.error) == (RunOutcome.FAILED, "Le serveur a répondu 503.")
    assert Event.objects.get().status == Status.PUBLISHED
    source.refresh_from_db()
    assert source.last_outcome == RunOutcome.FAILED


def test_garbage_and_unexpected_errors_are_recorded_never_raised(auch: Territory) -> None:
    source = make_source(auch)

    garbage = sync_source(source, fetch=lambda url: b"\x00\xff not json")
    not_openagenda = sync_source(source, fetch=lambda url: b'{"hello": "world"}')

    def crash(url: str) -> bytes:
        raise RuntimeError("boom")

    crashed = sync_source(source, fetch=crash)

    assert garbage.outcome == not_openagenda.outcome == crashed.outcome == RunOutcome.FAILED
    assert "JSON" in garbage.error and "OpenAgenda" in not_openagenda.error and "boom" in crashed.error


def test_an_ics_source_is_synced_and_its_vanished_events_counted(auch: Territory) -> None:
    source = make_source(auch, kind=SourceKind.ICS)

    def calendar(*uids: str) -> Any:
        events = "".join(
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n"
            f"DTSTART;TZID=Europe/Paris:20250612T183000\r\nSUMMARY:Réunion {uid}\r\nEND:VEVENT\r\n"
            for uid in uids
        )
        body = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//FR\r\n{events}END:VCALENDAR\r\n".encode()
        return lambda url: body

    first = sync_source(source, fetch=calendar("a", "b"))
    second = sync_source(source, fetch=calendar("a"))

    assert (first.created, second.unchanged, second.unpublished) == (2, 1, 1)
    assert Event.objects.get(external_id="b").status == Status.DRAFT


def test_an_ics_source_of_a_region_publishes_as_that_region_not_the_departement_with_its_code(
    occitanie: Territory, auch: Territory, gers: Territory
) -> None:
    # Région 76 (Occitanie) shares its code with département 76 (Seine-Maritime).
    seine_maritime = Territory.objects.create(kind="departement", code="76", name="Seine-Maritime")
    source = make_source(occitanie, kind=SourceKind.ICS)
    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//FR\r\nBEGIN:VEVENT\r\nUID:r1\r\n"
        b"DTSTAMP:20250101T000000Z\r\nDTSTART;TZID=Europe/Paris:20250612T183000\r\nSUMMARY:Salon\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    sync_source(source, fetch=lambda url: body)
    event = Event.objects.get(external_id="r1")
    assert event.territory == occitanie
    assert event.territory != seine_maritime


def test_a_datatourisme_source_publishes_events_of_its_territory(auch: Territory) -> None:
    source = make_source(auch, kind=SourceKind.DATATOURISME_EVENTS)
    event = {
        "@id": "https://data.datatourisme.fr/32/fete", "@type": ["schema:Event"], "rdfs:label": "Fête",
        "takesPlaceAt": [{"startDate": "2025-06-21", "endDate": "2025-06-21"}],
        "isLocatedAt": [{"schema:address": [{"hasAddressCity": {"insee": "32013"}}]}],
    }

    run = sync_source(source, fetch=lambda url: json.dumps([event]).encode())

    assert run.created == 1, run.rejections
    assert Event.objects.get().territory == auch


def test_the_task_syncs_an_enabled_source_only(auch: Territory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("clocher.imports.services.safe_fetch", serving(oa_event(1)))
    source = make_source(auch)

    result = sync_source_task.enqueue(source.pk).return_value
    source.enabled = False
    source.save()
    skipped = sync_source_task.enqueue(source.pk).return_value

    assert result is not None and result["ran"] and result["created"] == 1
    assert skipped == {"source": source.pk, "ran": False}
    assert sync_source_task.enqueue(999999).return_value == {"source": 999999, "ran": False}


# --- staff actions -----------------------------------------------------------------------------------


def test_sync_now_disable_and_delete(bob: Any, auch: Territory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("clocher.imports.services.safe_fetch", serving(oa_event(1)))
    source = make_source(auch)

    request_sync(bob, source)
    assert set_source_enabled(bob, source, False) is True
    assert set_source_enabled(bob, source, False) is False
    with pytest.raises(SourceRefused, match="désactivée"):
        request_sync(bob, source)
    sync_source(source, fetch=serving(oa_event(1)))
    assert delete_source(bob, source) == 1

    assert not ImportSource.objects.exists() and not ImportRun.objects.exists()
    assert Event.objects.get().status == Status.DRAFT
    actions = set(AuditEntry.objects.filter(territory=auch).values_list("action", flat=True))
    assert {"imports.source.sync", "imports.source.disable", "imports.source.delete"} <= actions


# --- the schedule ------------------------------------------------------------------------------------


def test_due_sources_are_those_never_run_or_run_longer_ago_than_their_interval(auch: Territory) -> None:
    never = make_source(auch)
    old = make_source(auch, last_run_at=NOW - timedelta(hours=7), interval_hours=6)
    recent = make_source(auch, last_run_at=NOW - timedelta(hours=5), interval_hours=6)
    make_source(auch, enabled=False)

    assert due_sources(NOW) == [never, old]
    assert recent not in due_sources(NOW)


def test_import_due_enqueues_each_due_source_once(auch: Territory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("clocher.imports.services.safe_fetch", serving(oa_event(1)))
    first, second = make_source(auch), make_source(auch, url="https://other.example.org/e")

    with time_machine.travel(NOW, tick=False):
        out = io.StringIO()
        call_command("import", "due", stdout=out)
        again = enqueue_due_sources()

    # The immediate backend ran each task as it was enqueued.
    assert [run.source_id for run in ImportRun.objects.order_by("pk")] == [first.pk, second.pk]
    assert f"Sources à synchroniser : 2\n  → {first.pk}\n  → {second.pk}" in out.getvalue()
    assert again == []
    first.refresh_from_db()
    assert first.last_run_at == NOW
