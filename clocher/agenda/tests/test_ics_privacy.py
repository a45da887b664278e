"""What an imported calendar holds beyond the event itself never reaches our public feeds."""

from __future__ import annotations

from clocher.agenda.ics import build_calendar, parse_calendar
from clocher.agenda.importers.ics import import_ics
from clocher.agenda.models import Event

from .test_ics import calendar_text, vevent

PRIVATE_DETAILS = (
    "ORGANIZER;CN=Maire:mailto:maire@example.org",
    "ATTENDEE;CN=Adjoint:mailto:adjoint@example.org",
    "X-GOOGLE-CONFERENCE:https://meet.example.org/abc-defg",
    "URL:https://intranet.example.org/reunion",
)


def _calendar() -> bytes:
    return calendar_text(
        *vevent(
            "UID:public-1", "DTSTART;TZID=Europe/Paris:20261212T180000", "DTEND;TZID=Europe/Paris:20261212T200000",
            "RRULE:FREQ=WEEKLY;COUNT=3", "SUMMARY:Réunion publique", "LOCATION:Salle des fêtes",
            *PRIVATE_DETAILS,
            "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "DESCRIPTION:Rappel", "END:VALARM",
        ),
        *vevent("UID:private-1", "DTSTART;TZID=Europe/Paris:20261213T100000", "CLASS:PRIVATE",
                "SUMMARY:Rendez-vous médical"),
        *vevent("UID:confidential-1", "DTSTART;TZID=Europe/Paris:20261214T100000", "CLASS:CONFIDENTIAL",
                "SUMMARY:Entretien"),
    )


def test_an_imported_event_keeps_only_when_what_and_where():
    (public, *_others) = parse_calendar(_calendar())
    assert "Réunion publique" in public.ical and "RRULE:FREQ=WEEKLY;COUNT=3" in public.ical
    for detail in ("maire@example.org", "adjoint@example.org", "meet.example.org", "intranet", "VALARM"):
        assert detail not in public.ical


def test_private_and_confidential_events_are_not_imported(auch, gers_portal):
    report = import_ics("https://mairie.example.org/agenda.ics", territory=auch, fetch=lambda url: _calendar())
    assert report.created == 1
    assert sorted(uid for uid, _reason in report.rejected) == ["confidential-1", "private-1"]
    assert list(Event.objects.values_list("title", flat=True)) == ["Réunion publique"]


def test_our_feed_of_an_imported_calendar_says_nothing_private(auch, gers_portal):
    import_ics("https://mairie.example.org/agenda.ics", territory=auch, fetch=lambda url: _calendar())
    feed = build_calendar(Event.objects.all(), name="Auch").decode()
    assert "Réunion publique" in feed
    for detail in ("maire@example.org", "adjoint@example.org", "meet.example.org", "Rendez-vous médical", "Entretien"):
        assert detail not in feed
