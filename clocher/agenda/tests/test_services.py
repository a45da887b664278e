"""Writes of events: validation, staff roles, publication, cancellation, duplication, proposals
and their moderation, imports by provenance."""

from __future__ import annotations

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clocher.agenda.models import Event, EventStatus, Occurrence
from clocher.agenda.services import (
    EventRejected,
    accept_event,
    archive_event,
    cancel_event,
    clean_event_data,
    create_event,
    create_proposed_event,
    duplicate_event,
    postpone_event,
    publish_event,
    refuse_event,
    restore_event,
    unpublish_missing,
    update_event,
    update_proposed_event,
    upsert_imported_event,
)
from clocher.directory.models import Place
from clocher.organisations.models import ReviewStatus
from clocher.territories.content import Status
from clocher.territories.geography import shared_data_dir
from clocher.territories.images import ProcessedImage
from clocher.territories.models import AuditEntry

PARIS = ZoneInfo("Europe/Paris")
CATHEDRAL_OF_AUCH = {"lat": 43.6465, "lon": 0.5855}
NOW = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def concert(**extra):
    return {"title": "Concert d'été", "starts_at": "2026-07-14T21:00", "ends_at": "2026-07-14T23:00", **extra}


@pytest.fixture(autouse=True)
def _june_2026():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def auch_bounded(auch):
    path = shared_data_dir() / "france-geojson" / "communes-32-gers.geojson"
    with path.open(encoding="utf-8") as handle:
        features = {f["properties"]["code"]: f for f in json.load(handle)["features"]}
    auch.boundary = features["32013"]["geometry"]
    auch.save()
    return auch


@pytest.fixture
def cathedral(auch, gers_portal):
    return Place.objects.create(
        territory=auch, commune=auch, name="Cathédrale Sainte-Marie", status=Status.PUBLISHED, **CATHEDRAL_OF_AUCH
    )


# --- clean_event_data ----------------------------------------------------------------------------


def test_a_naive_start_is_paris_time(auch, gers_portal):
    cleaned = clean_event_data(concert(), territory=auch)
    assert cleaned["starts_at"] == paris(2026, 7, 14, 21, 0)
    assert cleaned["starts_at"].utcoffset() == datetime.timedelta(hours=2)
    assert cleaned["commune"] == auch


def test_the_title_is_required_and_errors_point_at_their_fields(auch, gers_portal):
    with pytest.raises(EventRejected) as refused:
        clean_event_data({"title": " ", "starts_at": "", "booking_url": "javascript:alert(1)"}, territory=auch)
    assert set(refused.value.errors) == {"title", "starts_at", "booking_url"}


def test_an_end_before_the_start_is_refused(auch, gers_portal):
    with pytest.raises(EventRejected) as refused:
        clean_event_data(concert(ends_at="2026-07-14T20:00"), territory=auch)
    assert refused.value.field == "ends_at"


def test_an_all_day_event_runs_from_local_midnight_to_the_midnight_after_its_last_day(auch, gers_portal):
    cleaned = clean_event_data(
        {"title": "Fête", "starts_at": datetime.date(2026, 8, 14), "ends_at": datetime.date(2026, 8, 16),
         "all_day": True},
        territory=auch,
    )
    assert cleaned["starts_at"] == paris(2026, 8, 14)
    assert cleaned["ends_at"] == paris(2026, 8, 17)
    one_day = clean_event_data({"title": "Fête", "starts_at": "2026-08-14", "all_day": True}, territory=auch)
    assert one_day["ends_at"] == paris(2026, 8, 15)


@pytest.mark.parametrize("rule", ["FREQ=HOURLY", "FREQ=MINUTELY;COUNT=3", "FREQ=SECONDLY"])
def test_a_repetition_more_than_daily_is_refused(auch, gers_portal, rule):
    with pytest.raises(EventRejected, match="plus d'une fois par jour") as refused:
        clean_event_data(concert(rrule=rule), territory=auch)
    assert refused.value.field == "rrule"


@pytest.mark.parametrize(
    "rule",
    ["FREQ=WEEKLY;COUNT=100000", "FREQ=DAILY;INTERVAL=0", "FREQ=WEEKLY;BYDAY=XX", "nonsense",
     "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=WEEKLY;UNTIL=20200101", "FREQ=WEEKLY;COUNT=3;UNTIL=20270101",
     "FREQ=WEEKLY;X-FOO=1"],
)
def test_absurd_repetitions_are_refused_with_a_message(auch, gers_portal, rule):
    with pytest.raises(EventRejected) as refused:
        clean_event_data(concert(rrule=rule), territory=auch)
    assert refused.value.field == "rrule"
    assert refused.value.message


def test_a_repetition_is_normalised_with_until_in_utc(auch, gers_portal):
    cleaned = clean_event_data(concert(rrule="RRULE:byday=SA;freq=weekly;until=20260831"), territory=auch)
    assert cleaned["rrule"] == "FREQ=WEEKLY;UNTIL=20260831T215959Z;BYDAY=SA"


def test_extra_and_excluded_dates_are_local_iso_datetimes(auch, gers_portal):
    cleaned = clean_event_data(
        concert(rrule="FREQ=WEEKLY", exdates=["2026-07-21"], rdates=["2026-07-16T18:30:00+02:00"]), territory=auch
    )
    assert cleaned["exdates"] == ["2026-07-21T21:00:00"]
    assert cleaned["rdates"] == ["2026-07-16T18:30:00"]


def test_a_point_finds_its_commune(auch_bounded, gers_portal):
    cleaned = clean_event_data(concert(**CATHEDRAL_OF_AUCH), territory=auch_bounded)
    assert cleaned["commune"] == auch_bounded


def test_a_point_outside_france_is_refused(auch, gers_portal):
    with pytest.raises(EventRejected, match="pas en France"):
        clean_event_data(concert(lat=0.5855, lon=43.6465), territory=auch)


def test_a_place_gives_its_commune_and_position(auch, gers_portal, cathedral):
    cleaned = clean_event_data(concert(place=cathedral.pk), territory=auch)
    assert cleaned["place"] == cathedral
    assert cleaned["commune"] == auch
    assert (cleaned["lat"], cleaned["lon"]) == (43.6465, 0.5855)


def test_a_place_of_another_portal_is_refused(auch, gers_portal, orne_portal, alencon):
    place = Place.objects.create(territory=alencon, commune=alencon, name="Halle", status=Status.PUBLISHED)
    with pytest.raises(EventRejected) as refused:
        clean_event_data(concert(place=place), territory=auch)
    assert refused.value.field == "place"


def test_a_draft_place_is_refused(auch, gers_portal):
    place = Place.objects.create(territory=auch, commune=auch, name="Brouillon")
    with pytest.raises(EventRejected):
        clean_event_data(concert(place=place.pk), territory=auch)


def test_a_sibling_commune_place_of_the_same_portal_is_accepted(auch, marciac, gers_portal):
    place = Place.objects.create(territory=marciac, commune=marciac, name="Chapiteau", status=Status.PUBLISHED)
    assert clean_event_data(concert(place=place), territory=auch)["commune"] == marciac


def test_an_epci_may_publish_at_a_place_elsewhere_in_its_portal_but_not_in_another(
    grand_auch, marciac, gers_portal, orne_portal, alencon
):
    chapiteau = Place.objects.create(territory=marciac, commune=marciac, name="Chapiteau", status=Status.PUBLISHED)
    assert clean_event_data(concert(place=chapiteau), territory=grand_auch)["commune"] == marciac
    halle = Place.objects.create(territory=alencon, commune=alencon, name="Halle", status=Status.PUBLISHED)
    with pytest.raises(EventRejected):
        clean_event_data(concert(place=halle), territory=grand_auch)


def test_the_description_is_sanitised(auch, gers_portal):
    cleaned = clean_event_data(concert(description="**Gratuit** <script>alert(1)</script>"), territory=auch)
    assert "<strong>Gratuit</strong>" in cleaned["description_html"]
    assert "<script>" not in cleaned["description_html"]


def test_unknown_fields_are_refused(auch, gers_portal):
    with pytest.raises(EventRejected, match="Champs inconnus"):
        clean_event_data(concert(colour="red"), territory=auch)


# --- staff ---------------------------------------------------------------------------------------


def test_an_editor_creates_a_draft_with_its_occurrences_and_an_audit_row(bob, auch, gers_portal):
    event = create_event(bob, auch, concert(rrule="FREQ=WEEKLY;COUNT=3"), ["concert", "culture"])
    assert event.status == Status.DRAFT
    assert event.author == bob
    assert sorted(event.categories.values_list("category", flat=True)) == ["concert", "culture"]
    assert list(event.occurrences.values_list("starts_at", flat=True)) == [
        paris(2026, 7, 14, 21), paris(2026, 7, 21, 21), paris(2026, 7, 28, 21)
    ]
    assert AuditEntry.objects.filter(action="agenda.event.create", territory=auch).count() == 1


def test_a_resident_or_a_sibling_admin_cannot_create_an_event(resident, charlie, auch, gers_portal):
    for actor in (resident, charlie):
        with pytest.raises(EventRejected, match="droits"):
            create_event(actor, auch, concert(), [])
    assert not Event.objects.exists()


def test_a_sibling_commune_admin_or_the_departement_admin_can_touch_nothing_of_auch(
    bob, dora, marciac, auch, gers_portal, erin, foyer_rural
):
    from clocher.territories.models import Role, StaffRole
    from conftest import make_user

    marc = make_user("marc@example.org")
    StaffRole.objects.create(user=marc, territory=marciac, role=Role.ADMIN)
    event = create_event(bob, auch, concert(), [])
    proposal = create_proposed_event(erin, auch, foyer_rural, concert(), [])
    for actor in (marc, dora):
        for action in (
            lambda actor: update_event(actor, event, {"title": "Piraté"}),
            lambda actor: publish_event(actor, event),
            lambda actor: archive_event(actor, event),
            lambda actor: cancel_event(actor, event),
            lambda actor: restore_event(actor, event),
            lambda actor: duplicate_event(actor, event),
            lambda actor: accept_event(actor, proposal),
            lambda actor: refuse_event(actor, proposal, "Non"),
        ):
            with pytest.raises(EventRejected, match="droits"):
                action(actor)
    event.refresh_from_db()
    assert (event.title, event.status) == ("Concert d'été", Status.DRAFT)
    assert Event.objects.count() == 2


def test_an_unknown_category_is_refused(bob, auch, gers_portal):
    with pytest.raises(EventRejected) as refused:
        create_event(bob, auch, concert(), ["rave"])
    assert refused.value.field == "categories"


def test_creating_with_published_status_publishes_now_or_schedules(bob, auch, gers_portal):
    now = create_event(bob, auch, concert(), [], status=Status.PUBLISHED)
    assert (now.status, now.published_at) == (Status.PUBLISHED, NOW)
    later = create_event(bob, auch, concert(), [], status=Status.PUBLISHED, published_at=NOW + datetime.timedelta(days=2))
    assert later.status == Status.SCHEDULED


def test_an_image_is_stored(bob, auch, gers_portal, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    image = ProcessedImage(content=b"\xff\xd8fakejpeg", format="JPEG", width=10, height=10)
    event = create_event(bob, auch, concert(image_alt="La scène"), [], image=image)
    assert str(event.image.name).endswith(".jpg")
    copy = duplicate_event(bob, event)
    assert copy.image.name and copy.image.name != event.image.name
    update_event(bob, event, {}, image=None)
    event.refresh_from_db()
    assert not event.image


def test_updating_the_recurrence_rebuilds_the_occurrences(bob, auch, gers_portal):
    event = create_event(bob, auch, concert(rrule="FREQ=WEEKLY;COUNT=3"), [])
    update_event(bob, event, {"rrule": "FREQ=WEEKLY;COUNT=5", "exdates": ["2026-07-21"]})
    assert event.occurrences.count() == 4
    assert AuditEntry.objects.filter(action="agenda.event.update").count() == 1


def test_an_update_that_changes_nothing_writes_nothing(bob, auch, gers_portal):
    event = create_event(bob, auch, concert(), ["concert"])
    update_event(bob, event, concert(), ["concert"])
    assert not AuditEntry.objects.filter(action="agenda.event.update").exists()


def test_publish_now_or_later(bob, auch, gers_portal):
    event = create_event(bob, auch, concert(), [])
    later = publish_event(bob, event, NOW + datetime.timedelta(hours=5))
    assert (later.status, later.published_at) == (Status.SCHEDULED, NOW + datetime.timedelta(hours=5))
    now = publish_event(bob, event)
    assert (now.status, now.published_at) == (Status.PUBLISHED, NOW)
    assert archive_event(bob, event).status == Status.ARCHIVED


def test_a_cancelled_event_stays_published_and_its_occurrences_show_cancelled(bob, auch, gers_portal):
    event = create_event(bob, auch, concert(rrule="FREQ=WEEKLY;COUNT=2"), [], status=Status.PUBLISHED)
    cancel_event(bob, event, note="Orage annoncé")
    event.refresh_from_db()
    assert (event.status, event.event_status, event.status_note) == (
        Status.PUBLISHED, EventStatus.CANCELLED, "Orage annoncé"
    )
    assert all(Occurrence.objects.filter(event=event).values_list("is_cancelled", flat=True))
    postpone_event(bob, event, note="Date à venir")
    event.refresh_from_db()
    assert event.event_status == EventStatus.POSTPONED
    restore_event(bob, event)
    event.refresh_from_db()
    assert (event.event_status, event.status_note) == (EventStatus.SCHEDULED, "")
    assert not any(Occurrence.objects.filter(event=event).values_list("is_cancelled", flat=True))


def test_cancelling_needs_the_editor_role(resident, bob, auch, gers_portal):
    event = create_event(bob, auch, concert(), [])
    with pytest.raises(EventRejected):
        cancel_event(resident, event)


def test_a_duplicate_is_a_draft_copy_without_provenance(bob, auch, gers_portal, cathedral, foyer_rural):
    event = create_event(
        bob, auch, concert(place=cathedral, rrule="FREQ=WEEKLY;COUNT=2", description="*Venez*"), ["concert"],
        status=Status.PUBLISHED, organisation=foyer_rural,
    )
    Event.objects.filter(pk=event.pk).update(source="ics:abc", external_id="x", event_status=EventStatus.CANCELLED)
    event.refresh_from_db()
    copy = duplicate_event(bob, event)
    assert copy.pk != event.pk
    assert (copy.status, copy.source, copy.external_id, copy.event_status) == (Status.DRAFT, "", "", "scheduled")
    assert (copy.title, copy.place, copy.rrule, copy.organisation) == (event.title, cathedral, event.rrule, foyer_rural)
    assert copy.description_html == event.description_html
    assert list(copy.categories.values_list("category", flat=True)) == ["concert"]
    assert copy.occurrences.count() == 2


# --- proposals -----------------------------------------------------------------------------------


def test_a_proposal_waits_then_a_moderator_accepts_it(erin, mona, auch, gers_portal, foyer_rural):
    event = create_proposed_event(erin, auch, foyer_rural, concert(), ["association"])
    assert (event.status, event.review_status, event.organisation) == (Status.DRAFT, ReviewStatus.PENDING, foyer_rural)
    accepted = accept_event(mona, event, "Merci !")
    assert (accepted.status, accepted.review_status, accepted.reviewed_by) == (
        Status.PUBLISHED, ReviewStatus.ACCEPTED, mona
    )
    assert accepted.reviewed_at == NOW
    with pytest.raises(EventRejected, match="déjà reçu une réponse"):
        refuse_event(mona, event, "Trop tard")


def test_refusing_needs_a_message_and_a_moderator(erin, mona, bob, auch, gers_portal, foyer_rural):
    event = create_proposed_event(erin, auch, foyer_rural, concert(), [])
    with pytest.raises(EventRejected):
        refuse_event(mona, event, "  ")
    with pytest.raises(EventRejected, match="droits"):
        refuse_event(bob, event, "Non")
    refused = refuse_event(mona, event, "Il manque le lieu.")
    assert (refused.status, refused.review_status, refused.review_message) == (
        Status.DRAFT, ReviewStatus.REFUSED, "Il manque le lieu."
    )
    corrected = update_proposed_event(erin, refused, {"location_name": "Salle des fêtes"})
    assert corrected.review_status == ReviewStatus.PENDING


def test_a_pending_proposal_cannot_be_published_directly(erin, bob, auch, gers_portal, foyer_rural):
    event = create_proposed_event(erin, auch, foyer_rural, concert(), [])
    with pytest.raises(EventRejected):
        publish_event(bob, event)


# --- imports -------------------------------------------------------------------------------------


def test_an_import_creates_then_finds_unchanged_then_updates(auch, gers_portal):
    event, outcome = upsert_imported_event(auch, concert(), ["concert"], source="ics:1", external_id="uid-1")
    assert (outcome, event.status) == ("created", Status.PUBLISHED)
    assert upsert_imported_event(auch, concert(), ["concert"], source="ics:1", external_id="uid-1")[1] == "unchanged"
    updated, outcome = upsert_imported_event(
        auch, concert(title="Concert annulé"), ["concert"], source="ics:1", external_id="uid-1"
    )
    assert (outcome, updated.pk, updated.title) == ("updated", event.pk, "Concert annulé")
    assert Event.objects.count() == 1


def test_another_source_with_the_same_id_is_another_event(auch, gers_portal):
    first, _ = upsert_imported_event(auch, concert(), [], source="ics:1", external_id="uid-1")
    second, outcome = upsert_imported_event(auch, concert(), [], source="ics:2", external_id="uid-1")
    assert outcome == "created" and first.pk != second.pk


def test_missing_events_are_unpublished_then_republished(auch, gers_portal):
    kept, _ = upsert_imported_event(auch, concert(), [], source="ics:1", external_id="a")
    gone, _ = upsert_imported_event(auch, concert(), [], source="ics:1", external_id="b")
    other, _ = upsert_imported_event(auch, concert(), [], source="ics:2", external_id="b")
    assert unpublish_missing("ics:1", {"a"}) == 1
    statuses = dict(Event.objects.values_list("pk", "status"))
    assert statuses == {kept.pk: Status.PUBLISHED, gone.pk: Status.DRAFT, other.pk: Status.PUBLISHED}
    back, outcome = upsert_imported_event(auch, concert(), [], source="ics:1", external_id="b")
    assert (back.pk, outcome, back.status) == (gone.pk, "updated", Status.PUBLISHED)


def test_an_imported_event_archived_by_staff_stays_archived(bob, auch, gers_portal):
    event, _ = upsert_imported_event(auch, concert(), [], source="ics:1", external_id="a")
    archive_event(bob, event)
    assert upsert_imported_event(auch, concert(), [], source="ics:1", external_id="a")[1] == "unchanged"
    updated, outcome = upsert_imported_event(auch, concert(title="Autre"), [], source="ics:1", external_id="a")
    assert (outcome, updated.status, updated.title) == ("updated", Status.ARCHIVED, "Autre")


def test_an_import_with_an_unreadable_calendar_is_refused(auch, gers_portal):
    with pytest.raises(EventRejected):
        upsert_imported_event(auch, concert(), [], source="ics:1", external_id="a", ical="BEGIN:VCALENDAR\nnope")
    assert not Event.objects.exists()


def test_an_import_with_periods_expands_each_period(auch, gers_portal):
    ical = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\nBEGIN:VEVENT\r\nUID:oa-1\r\n"
        "DTSTART;TZID=Europe/Paris:20260714T210000\r\nDTEND;TZID=Europe/Paris:20260714T230000\r\n"
        "RDATE;VALUE=PERIOD:20260715T180000Z/20260715T220000Z,20260720T080000Z/PT1H\r\n"
        "SUMMARY:Concert\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    event, _ = upsert_imported_event(auch, concert(), [], source="oa:1", external_id="1", ical=ical)
    rows = list(event.occurrences.values_list("starts_at", "ends_at"))
    utc = datetime.UTC
    assert rows == [
        (paris(2026, 7, 14, 21), paris(2026, 7, 14, 23)),
        (datetime.datetime(2026, 7, 15, 18, tzinfo=utc), datetime.datetime(2026, 7, 15, 22, tzinfo=utc)),
        (datetime.datetime(2026, 7, 20, 8, tzinfo=utc), datetime.datetime(2026, 7, 20, 9, tzinfo=utc)),
    ]
