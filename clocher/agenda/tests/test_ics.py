"""iCalendar in and out: parsing real calendars into events, the feed Clocher writes re-parsing
to the same occurrences, and the importer's refusals (never a crash)."""

from __future__ import annotations

import datetime
import http.server
import random
import threading
from pathlib import Path

import pytest
import recurring_ical_events  # type: ignore[import-untyped]  # ships no py.typed
import time_machine
from icalendar import Calendar

from clocher.agenda.ics import build_calendar, map_categories, parse_calendar, plain_to_markdown
from clocher.agenda.importers.ics import default_source, import_ics
from clocher.agenda.models import Event, EventStatus
from clocher.agenda.occurrences import HORIZON, MAX_PER_EVENT, PARIS, as_moment
from clocher.agenda.services import cancel_event, create_event
from clocher.directory.importers import ImportFailed
from clocher.directory.services import render_description
from clocher.territories.content import Status
from clocher.territories.geography import shared_data_dir

ICS_DIR = shared_data_dir() / "ics-recurring-ical-events-testcases"
FILES = sorted(path.name for path in ICS_DIR.glob("*.ics")) if ICS_DIR.is_dir() else []
NOW = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC)
START = datetime.datetime(2020, 1, 1, tzinfo=PARIS)
HORIZON_END = NOW + HORIZON


def calendar_text(*lines: str, header: tuple[str, ...] = ()) -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//FR", *header, *lines, "END:VCALENDAR"]
    return ("\r\n".join(body) + "\r\n").encode()


def vevent(*lines: str) -> tuple[str, ...]:
    return ("BEGIN:VEVENT", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT")


def feed_starts(feed: bytes, start: datetime.datetime, end: datetime.datetime) -> list[datetime.datetime]:
    found = recurring_ical_events.of(Calendar.from_ical(feed)).between(start, end)
    return sorted(as_moment(component["DTSTART"].dt)[0] for component in found)


def row_starts(events: list[Event], start: datetime.datetime, end: datetime.datetime) -> list[datetime.datetime]:
    return sorted(
        occurrence.starts_at
        for event in events
        for occurrence in event.occurrences.all()
        if occurrence.starts_at < end and (occurrence.ends_at > start or occurrence.starts_at >= start)
    )


def feed_of(events: list[Event]) -> bytes:
    return build_calendar(events, name="Agenda d'Auch", url="https://gers.test/agenda/32013.ics",
                          url_for=lambda event: f"https://gers.test/agenda/{event.pk}/")


@pytest.fixture(autouse=True)
def _june_2026():
    with time_machine.travel(NOW, tick=False):
        yield


# --- the feed re-parses to our occurrences --------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_the_feed_of_each_shared_calendar_reparses_to_our_occurrences(name, auch, gers_portal):
    path = ICS_DIR / name
    import_ics(path, territory_code="32013")
    events = list(Event.objects.filter(source=default_source(path)).prefetch_related("categories", "occurrences"))
    feed = feed_of(events)
    start = START
    for event in events:
        rows = list(event.occurrences.all())
        if len(rows) == MAX_PER_EVENT:
            # A daily event since 2019 keeps its latest MAX_PER_EVENT rows; the feed has them all.
            start = max(start, rows[0].starts_at)
    in_feed = [moment for moment in feed_starts(feed, start, HORIZON_END) if start == START or moment >= start]
    assert in_feed == row_starts(events, start, HORIZON_END)


def test_the_feed_of_staff_events_reparses_to_their_occurrences(bob, auch, gers_portal):
    weekly = create_event(bob, auch, {
        "title": "Marché", "starts_at": "2026-03-07T08:00", "ends_at": "2026-03-07T12:30",
        "rrule": "FREQ=WEEKLY;BYDAY=SA;UNTIL=20261231", "exdates": ["2026-04-04", "2026-10-31"],
        "rdates": ["2026-12-24T08:00"], "description": "Produits **locaux**\n\nParking gratuit",
    }, ["marche"], status=Status.PUBLISHED)
    fete = create_event(bob, auch, {
        "title": "Fête de la musique", "starts_at": "2026-06-21", "ends_at": "2026-06-22", "all_day": True,
        "rrule": "FREQ=YEARLY;UNTIL=20290621",
    }, ["fete"], status=Status.PUBLISHED)
    monthly = create_event(bob, auch, {
        "title": "Conseil municipal", "starts_at": "2026-01-29T20:00", "rrule": "FREQ=MONTHLY;BYDAY=-1TH;COUNT=12",
    }, ["citoyennete"], status=Status.PUBLISHED)
    cancel_event(bob, monthly, note="Reporté au printemps")
    events = list(Event.objects.prefetch_related("categories", "occurrences"))
    feed = feed_of(events)
    assert feed_starts(feed, START, HORIZON_END) == row_starts(events, START, HORIZON_END)
    assert weekly.occurrences.count() == 43 - 2 + 1
    # Up to the horizon (two years from now) only.
    assert [o.starts_at.astimezone(PARIS).date() for o in fete.occurrences.all()] == [
        datetime.date(2026, 6, 21), datetime.date(2027, 6, 21)
    ]
    parsed = Calendar.from_ical(feed)
    assert str(parsed["X-WR-CALNAME"]) == "Agenda d'Auch"
    assert {str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")} == {"Europe/Paris"}
    by_summary = {str(c["SUMMARY"]): c for c in parsed.walk("VEVENT")}
    market = by_summary["Marché"]
    assert market["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(market["URL"]) == f"https://gers.test/agenda/{weekly.pk}/"
    assert str(market["UID"]) == f"event-{weekly.pk}@clocher"
    assert "Produits locaux" in str(market["DESCRIPTION"])
    assert "<" not in str(market["DESCRIPTION"])
    assert by_summary["Fête de la musique"].decoded("DTSTART") == datetime.date(2026, 6, 21)
    assert str(by_summary["Conseil municipal"]["STATUS"]) == "CANCELLED"


def test_building_a_feed_queries_nothing_once_events_are_loaded(bob, auch, gers_portal, django_assert_num_queries):
    for day in range(1, 21):
        create_event(bob, auch, {"title": f"Atelier {day}", "starts_at": f"2026-07-{day:02d}T14:00"}, ["atelier"],
                     status=Status.PUBLISHED)
    events = list(Event.objects.select_related("place").prefetch_related("categories"))
    with django_assert_num_queries(0):
        feed = feed_of(events)
    assert len(Calendar.from_ical(feed).walk("VEVENT")) == 20


def test_two_sources_sharing_a_uid_get_distinct_uids_in_one_feed(auch, gers_portal):
    data = calendar_text(*vevent("UID:same", "DTSTART:20260701T100000Z", "SUMMARY:Un"))
    import_ics("https://a.example/cal.ics", territory_code="32013", fetch=lambda url: data)
    import_ics("https://b.example/cal.ics", territory_code="32013", fetch=lambda url: data)
    feed = Calendar.from_ical(feed_of(list(Event.objects.all())))
    assert len({str(c["UID"]) for c in feed.walk("VEVENT")}) == 2


# --- parsing ------------------------------------------------------------------------------------


def test_moved_and_cancelled_occurrences_stay_with_their_event(auch, gers_portal):
    data = calendar_text(
        *vevent("UID:r1", "DTSTART;TZID=Europe/Paris:20260706T180000", "DURATION:PT2H", "RRULE:FREQ=WEEKLY;COUNT=4",
                "SUMMARY:Chorale", "LOCATION:Salle des fêtes"),
        *vevent("UID:r1", "RECURRENCE-ID;TZID=Europe/Paris:20260713T180000",
                "DTSTART;TZID=Europe/Paris:20260714T200000", "DURATION:PT2H", "SUMMARY:Chorale du 14 juillet",
                "LOCATION:Place de la mairie"),
        *vevent("UID:r1", "RECURRENCE-ID;TZID=Europe/Paris:20260720T180000",
                "DTSTART;TZID=Europe/Paris:20260720T180000", "DURATION:PT2H", "SUMMARY:Chorale", "STATUS:CANCELLED"),
    )
    events = parse_calendar(data)
    assert len(events) == 1 and events[0].uid == "r1"
    import_ics("https://a.example/c.ics", territory_code="32013", fetch=lambda url: data)
    event = Event.objects.get()
    rows = list(event.occurrences.values_list("starts_at", "title", "location_name", "is_cancelled"))
    assert rows == [
        (datetime.datetime(2026, 7, 6, 18, tzinfo=PARIS), "", "", False),
        (datetime.datetime(2026, 7, 14, 20, tzinfo=PARIS), "Chorale du 14 juillet", "Place de la mairie", False),
        (datetime.datetime(2026, 7, 20, 18, tzinfo=PARIS), "", "", True),
        (datetime.datetime(2026, 7, 27, 18, tzinfo=PARIS), "", "", False),
    ]


def test_x_wr_timezone_gives_floating_times_their_zone():
    data = calendar_text(*vevent("UID:f1", "DTSTART:20260701T100000", "SUMMARY:Réunion"),
                         header=("X-WR-TIMEZONE:America/New_York",))
    (event,) = parse_calendar(data)
    assert event.data["starts_at"] == datetime.datetime(2026, 7, 1, 16, tzinfo=PARIS)


def test_fields_are_mapped_from_the_master_event():
    data = calendar_text(*vevent(
        "UID:m1", "DTSTART;VALUE=DATE:20260814", "DTEND;VALUE=DATE:20260816", "SUMMARY:Fête  de\\, Auch",
        "DESCRIPTION:Bal **gratuit** <script>x</script>\\n\\nBuvette", "LOCATION:Place de la Libération",
        "GEO:43.6465;0.5855", "URL:https://auch.fr/fete", "CATEGORIES:Fête,Concert,Inconnue", "STATUS:CANCELLED",
    ))
    (event,) = parse_calendar(data)
    assert event.data["title"] == "Fête de, Auch"
    assert event.data["all_day"] is True
    assert event.data["starts_at"] == datetime.datetime(2026, 8, 14, tzinfo=PARIS)
    assert event.data["ends_at"] == datetime.datetime(2026, 8, 16, tzinfo=PARIS)
    assert (event.data["lat"], event.data["lon"]) == (43.6465, 0.5855)
    assert event.data["booking_url"] == "https://auch.fr/fete"
    assert event.data["event_status"] == EventStatus.CANCELLED
    assert event.categories == ["fete", "concert"]
    html = render_description(event.data["description"])
    assert html == "<p>Bal **gratuit** &lt;script&gt;x&lt;/script&gt;</p>\n<p>Buvette</p>"


def test_windows_1252_and_concatenated_calendars_are_read():
    first = calendar_text(*vevent("UID:a", "DTSTART:20260701T100000Z", "SUMMARY:Fête à Auch"))
    second = calendar_text(*vevent("UID:b", "DTSTART:20260702T100000Z", "SUMMARY:Marché"))
    (windows,) = parse_calendar(first.decode().encode("cp1252"))
    assert windows.data["title"] == "Fête à Auch"
    assert [(e.uid, e.data["title"]) for e in parse_calendar(first + second)] == [
        ("a", "Fête à Auch"), ("b", "Marché")
    ]


def test_a_position_outside_france_is_dropped_with_a_warning():
    (event,) = parse_calendar(calendar_text(*vevent("UID:g", "DTSTART:20260701T100000Z", "GEO:40.7;-74.0")))
    assert "lat" not in event.data
    assert event.warnings


def test_categories_match_codes_labels_and_their_parts():
    assert map_categories(["THÉÂTRE", "randonnée", "Vie associative", "culture", "x"]) == [
        "spectacle", "nature", "association", "culture"
    ]


def test_plain_text_is_escaped_for_markdown():
    assert render_description(plain_to_markdown("# pas un titre\n1. pas une liste\n[lien](javascript:x)")) == (
        "<p># pas un titre<br>\n1. pas une liste<br>\n[lien](javascript:x)</p>"
    )


def test_a_vevent_without_start_is_rejected_and_the_others_imported(auch, gers_portal):
    data = calendar_text(*vevent("UID:ok", "DTSTART:20260701T100000Z", "SUMMARY:Bon"),
                         *vevent("UID:bad", "SUMMARY:Sans date"))
    report = import_ics("https://a.example/c.ics", territory_code="32013", fetch=lambda url: data)
    assert report.created == 1
    assert [where for where, _reason in report.rejected] == ["bad"]


def test_an_event_missing_from_the_next_run_is_unpublished_then_comes_back(auch, gers_portal):
    both = calendar_text(*vevent("UID:a", "DTSTART:20260701T100000Z"), *vevent("UID:b", "DTSTART:20260702T100000Z"))
    only_a = calendar_text(*vevent("UID:a", "DTSTART:20260701T100000Z"))
    url = "https://a.example/c.ics"
    import_ics(url, territory_code="32013", fetch=lambda _url: both)
    report = import_ics(url, territory_code="32013", fetch=lambda _url: only_a)
    assert report.unchanged == 1 and report.warnings
    assert dict(Event.objects.values_list("external_id", "status")) == {"a": Status.PUBLISHED, "b": Status.DRAFT}
    report = import_ics(url, territory_code="32013", fetch=lambda _url: both)
    assert (report.updated, report.unchanged) == (1, 1)
    assert Event.objects.get(external_id="b").status == Status.PUBLISHED


# --- refusals, never a crash --------------------------------------------------------------------


def test_the_run_fails_clearly_on_bad_locations(auch, gers_portal, tmp_path):
    with pytest.raises(ImportFailed, match="introuvable"):
        import_ics(tmp_path / "absent.ics", territory_code="32013")
    with pytest.raises(ImportFailed, match="http"):
        import_ics("ftp://example.org/c.ics", territory_code="32013")
    with pytest.raises(ImportFailed, match="territoire"):
        import_ics(tmp_path / "absent.ics", territory_code="99999")
    with pytest.raises(ImportFailed, match="5 Mo"):
        import_ics("https://a.example/big.ics", territory_code="32013", fetch=lambda url: b"x" * (5 * 1024 * 1024 + 1))
    with pytest.raises(ImportFailed, match="40"):
        import_ics(tmp_path / "absent.ics", territory_code="32013", source="x" * 41)
    with pytest.raises(ImportFailed, match="iCalendar"):
        import_ics("https://a.example/page.html", territory_code="32013", fetch=lambda url: b"<html>nope</html>")


@pytest.fixture
def local_server():
    """A calendar server on the loopback interface: no network leaves the machine."""
    body = calendar_text(*vevent("UID:srv", "DTSTART:20260701T100000Z", "SUMMARY:Servi"))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/cal.ics":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/ftp":
                self.send_response(302)
                self.send_header("Location", "ftp://127.0.0.1/cal.ics")
                self.end_headers()
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_default_fetch_downloads_and_fails_clearly(auch, gers_portal, local_server):
    assert import_ics(f"{local_server}/cal.ics", territory_code="32013").created == 1
    with pytest.raises(ImportFailed, match="404"):
        import_ics(f"{local_server}/missing.ics", territory_code="32013")
    with pytest.raises(ImportFailed, match="Redirection refusée"):
        import_ics(f"{local_server}/ftp", territory_code="32013")


def test_the_source_is_named_after_the_location():
    assert default_source("https://a.example/c.ics") == default_source(" https://a.example/c.ics ")
    assert len(default_source(Path("agenda/x.ics"))) == 16


def _mutations(seed: int) -> list[bytes]:
    chance = random.Random(seed)
    samples = [(ICS_DIR / name).read_bytes() for name in FILES]
    mutated = [bytes(chance.getrandbits(8) for _ in range(chance.randint(0, 400))) for _ in range(20)]
    for sample in samples:
        cut = chance.randint(0, len(sample))
        mutated.append(sample[:cut])
        noisy = bytearray(sample)
        for _ in range(10):
            noisy[chance.randrange(len(noisy))] = chance.getrandbits(8)
        mutated.append(bytes(noisy))
        lines = sample.splitlines(keepends=True)
        chance.shuffle(lines)
        mutated.append(b"".join(lines))
    return mutated


def test_garbage_never_crashes_the_import(auch, gers_portal):
    for index, data in enumerate(_mutations(5545)):
        def fetch(url: str, data: bytes = data) -> bytes:
            return data

        try:
            report = import_ics(f"https://fuzz.example/{index}.ics", territory_code="32013", fetch=fetch)
        except ImportFailed:
            continue
        assert report.created + report.updated + report.unchanged + len(report.rejected) >= 0
