"""The staff pages of the agenda: editors create, publish, schedule, edit, duplicate, cancel,
postpone, restore and archive their territory's events; moderators accept or refuse what
organisations propose."""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from clocher.agenda.models import Event, EventStatus, Occurrence
from clocher.agenda.services import create_event, create_proposed_event
from clocher.directory.services import archive_place, create_place, publish_place
from clocher.organisations.models import ReviewStatus
from clocher.territories.content import Status
from clocher.territories.models import AuditEntry
from conftest import GERS_HOST

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _a_tuesday_in_november():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def client_for(user) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(user)
    return client


def url(name, territory, **extra):
    return reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk, **extra})


def form_data(**overrides):
    data = {
        "title": "Loto de Noël",
        "categories": ["fete", "association"],
        "date": "2026-12-12",
        "start_time": "20:30",
        "end_time": "23:30",
        "location_name": "Salle des fêtes",
        "description": "Des **lots** pour toute la famille.",
        "is_free": "no",
        "price": "2 € le carton",
    }
    data.update(overrides)
    return data


def paris(year, month, day, hour=0, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def a_jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    return SimpleUploadedFile("affiche.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def concert(bob, auch, gers_portal):
    return create_event(
        bob, auch, {"title": "Concert de l'harmonie", "starts_at": paris(2026, 12, 5, 20), "ends_at": paris(2026, 12, 5, 22)},
        ["concert"], status=Status.PUBLISHED,
    )


def test_an_editor_publishes_an_event_from_the_form_and_its_dates_are_materialised(bob, auch, gers_portal):
    response = client_for(bob).post(url("event_create", auch), {**form_data(), "publish": "1"})
    event = Event.objects.get(title="Loto de Noël")
    assert response.status_code == 302
    assert response["Location"] == url("event_edit", auch, event_id=event.pk)
    assert event.status == Status.PUBLISHED
    assert event.starts_at == paris(2026, 12, 12, 20, 30)
    assert event.ends_at == paris(2026, 12, 12, 23, 30)
    assert event.territory == auch and event.commune == auch and event.author == bob
    assert sorted(event.categories.values_list("category", flat=True)) == ["association", "fete"]
    assert event.is_free is False and event.price == "2 € le carton"
    assert "<strong>lots</strong>" in event.description_html
    assert Occurrence.objects.filter(event=event).count() == 1
    assert AuditEntry.objects.filter(territory=auch, action="agenda.event.create").exists()


def test_saving_without_publishing_keeps_a_draft(bob, auch, gers_portal):
    client_for(bob).post(url("event_create", auch), form_data())
    assert Event.objects.get().status == Status.DRAFT


def test_a_publication_time_in_the_future_schedules_the_event(bob, auch, gers_portal):
    client_for(bob).post(url("event_create", auch), {**form_data(), "publish": "1", "publish_at": "2026-12-01T08:00"})
    event = Event.objects.get()
    assert event.status == Status.SCHEDULED
    assert event.published_at == paris(2026, 12, 1, 8)


def test_a_weekly_market_until_a_date_without_christmas_becomes_an_rrule_with_an_exdate(bob, auch, gers_portal):
    client_for(bob).post(url("event_create", auch), {
        **form_data(title="Marché du samedi", categories=["marche"], date="2026-12-05", start_time="08:00",
                    end_time="13:00"),
        "repeat": "weekly", "weekdays": ["SA"], "until": "2027-01-30", "exdates": "26/12/2026", "publish": "1",
    })
    event = Event.objects.get()
    assert event.rrule == "FREQ=WEEKLY;UNTIL=20270130T225959Z;BYDAY=SA"
    assert event.exdates == ["2026-12-26T08:00:00"]
    starts = list(Occurrence.objects.filter(event=event).order_by("starts_at").values_list("starts_at", flat=True))
    assert len(starts) == 8  # nine Saturdays from 5 December to 30 January, less Boxing Day
    assert paris(2026, 12, 26, 8) not in starts
    assert starts[-1] == paris(2027, 1, 30, 8)


def test_a_monthly_event_on_the_second_saturday_repeats_a_number_of_times(bob, auch, gers_portal):
    client_for(bob).post(url("event_create", auch), {
        **form_data(date="2026-12-12"), "repeat": "monthly", "count": "3", "publish": "1",
    })
    event = Event.objects.get()
    assert event.rrule == "FREQ=MONTHLY;COUNT=3;BYDAY=2SA"
    starts = list(Occurrence.objects.filter(event=event).order_by("starts_at").values_list("starts_at", flat=True))
    assert starts == [paris(2026, 12, 12, 20, 30), paris(2027, 1, 9, 20, 30), paris(2027, 2, 13, 20, 30)]


def test_an_all_day_event_over_three_days_ends_at_midnight_after_the_last(bob, auch, gers_portal):
    data = form_data(all_day="on", start_time="", end_time="", end_date="2026-12-14")
    client_for(bob).post(url("event_create", auch), {**data, "publish": "1"})
    event = Event.objects.get()
    assert event.all_day
    assert (event.starts_at, event.ends_at) == (paris(2026, 12, 12), paris(2026, 12, 15))


def test_a_missing_start_time_is_an_error_on_that_field_and_nothing_is_written(bob, auch, gers_portal):
    response = client_for(bob).post(url("event_create", auch), {**form_data(start_time=""), "publish": "1"})
    assert response.status_code == 200
    assert "Indiquez l&#x27;heure de début" in response.content.decode()
    assert 'aria-describedby="id_start_time_helptext id_start_time_error"' in response.content.decode()
    assert not Event.objects.exists()


def test_a_refusal_of_the_services_lands_on_its_field(bob, auch, gers_portal):
    response = client_for(bob).post(url("event_create", auch), {
        **form_data(), "booking_url": "ftp://exemple.fr", "lat": "0.58", "lon": "43.64", "publish": "1",
    })
    assert response.status_code == 200
    form = response.context["form"]
    assert "booking_url" in form.errors and "lat" in form.errors
    assert not Event.objects.exists()


def test_garbage_in_every_field_is_a_form_error_never_a_500(bob, auch, gers_portal):
    garbage = dict.fromkeys((*form_data(), "repeat", "until", "count", "exdates", "lat", "lon", "place", "publish_at", "interval", "weekdays"), "<script>💥")
    response = client_for(bob).post(url("event_create", auch), garbage)
    assert response.status_code == 200
    nul = client_for(bob).post(url("event_create", auch), {**form_data(), "title": "\x00", "publish": "1"})
    assert nul.status_code in (200, 400)
    assert not Event.objects.exists()


def test_an_editor_changes_an_event_and_adds_its_poster(bob, auch, concert, media):
    client = client_for(bob)
    page = client.get(url("event_edit", auch, event_id=concert.pk))
    assert page.status_code == 200
    assert page.context["form"].initial["start_time"] == datetime.time(20, 0)
    response = client.post(url("event_edit", auch, event_id=concert.pk), {
        **form_data(title="Concert de Noël de l'harmonie", date="2026-12-05", start_time="20:00", end_time="22:00"),
        "image": a_jpeg(), "image_alt": "L'affiche du concert",
    })
    assert response.status_code == 302
    concert.refresh_from_db()
    assert concert.title == "Concert de Noël de l'harmonie"
    assert concert.image and concert.image_alt == "L'affiche du concert"
    assert concert.status == Status.PUBLISHED


def test_an_image_without_its_description_is_refused(bob, auch, concert, media):
    response = client_for(bob).post(url("event_edit", auch, event_id=concert.pk), {
        **form_data(), "image": a_jpeg(),
    })
    assert "image_alt" in response.context["form"].errors


def test_duplicating_opens_the_draft_copy(bob, auch, concert):
    response = client_for(bob).post(url("event_duplicate", auch, event_id=concert.pk))
    copy = Event.objects.exclude(pk=concert.pk).get()
    assert response["Location"] == url("event_edit", auch, event_id=copy.pk)
    assert copy.status == Status.DRAFT and copy.title == concert.title


def test_a_cancelled_event_stays_published_with_its_note_until_restored(bob, auch, concert):
    client = client_for(bob)
    assert client.get(url("event_cancel", auch, event_id=concert.pk)).status_code == 200
    client.post(url("event_cancel", auch, event_id=concert.pk), {"note": "En raison de la tempête"})
    concert.refresh_from_db()
    assert concert.event_status == EventStatus.CANCELLED and concert.status == Status.PUBLISHED
    assert concert.status_note == "En raison de la tempête"
    page = client.get(url("event_edit", auch, event_id=concert.pk)).content.decode()
    assert "En raison de la tempête" in page and "Rétablir" in page
    client.post(url("event_restore", auch, event_id=concert.pk))
    concert.refresh_from_db()
    assert concert.event_status == EventStatus.SCHEDULED and concert.status_note == ""


def test_a_postponed_event_says_so(bob, auch, concert):
    client_for(bob).post(url("event_postpone", auch, event_id=concert.pk), {"note": "Au printemps"})
    concert.refresh_from_db()
    assert concert.event_status == EventStatus.POSTPONED


def test_a_draft_is_published_later_from_its_publish_page_then_archived(bob, auch, gers_portal):
    event = create_event(bob, auch, {"title": "Conseil municipal", "starts_at": paris(2026, 12, 10, 18)}, ["citoyennete"])
    client = client_for(bob)
    assert client.get(url("event_publish", auch, event_id=event.pk)).status_code == 200
    client.post(url("event_publish", auch, event_id=event.pk), {"publish_at": "2026-12-01T07:30"})
    event.refresh_from_db()
    assert (event.status, event.published_at) == (Status.SCHEDULED, paris(2026, 12, 1, 7, 30))
    client.post(url("event_publish", auch, event_id=event.pk), {"publish_at": ""})
    event.refresh_from_db()
    assert event.status == Status.PUBLISHED
    response = client.post(url("event_archive", auch, event_id=event.pk))
    assert response["Location"] == url("events", auch)
    event.refresh_from_db()
    assert event.status == Status.ARCHIVED


def test_a_place_of_the_directory_can_be_chosen(bob, auch, gers_portal):
    hall = publish_place(bob, create_place(bob, auch, {"name": "Salle du Mouzon"}, ["museum"]))
    client = client_for(bob)
    assert "Salle du Mouzon" in client.get(url("event_create", auch)).content.decode()
    client.post(url("event_create", auch), {**form_data(location_name=""), "place": str(hall.pk), "publish": "1"})
    event = Event.objects.get()
    assert event.place == hall
    archive_place(bob, hall)
    # A place the directory no longer shows stays selected on the event's page rather than vanishing.
    page = client.get(url("event_edit", auch, event_id=event.pk))
    assert page.context["form"].initial["place"] == hall.pk
    assert hall in page.context["form"].fields["place"].queryset


def test_the_list_shows_coming_events_first_then_past_ones_in_a_fixed_number_of_queries(
    bob, auch, gers_portal, django_assert_max_num_queries
):
    create_event(bob, auch, {"title": "Vide-grenier passé", "starts_at": paris(2026, 10, 4, 8)}, ["marche"],
                 status=Status.PUBLISHED)
    create_event(bob, auch, {"title": "Marché de Noël", "starts_at": paris(2026, 12, 19, 10)}, ["marche"])
    create_event(bob, auch, {"title": "Bal du 1er décembre", "starts_at": paris(2026, 12, 1, 21)}, ["fete"],
                 status=Status.PUBLISHED)
    client = client_for(bob)
    client.get(url("events", auch))
    with django_assert_max_num_queries(12):
        response = client.get(url("events", auch))
    titles = [event.title for event in response.context["page"].object_list]
    assert titles == ["Bal du 1er décembre", "Marché de Noël", "Vide-grenier passé"]
    for index in range(20):
        create_event(bob, auch, {"title": f"Atelier {index}", "starts_at": paris(2026, 12, 2, 14)}, ["atelier"])
    with django_assert_max_num_queries(12):
        client.get(url("events", auch))
    coming = client.get(url("events", auch), {"quand": "past"}).context["page"].object_list
    assert [event.title for event in coming] == ["Vide-grenier passé"]
    drafts = client.get(url("events", auch), {"etat": "draft", "q": "noël"}).context["page"].object_list
    assert [event.title for event in drafts] == ["Marché de Noël"]


def test_an_organisations_pending_proposal_is_not_in_the_list_nor_editable(bob, erin, auch, foyer_rural, gers_portal):
    proposal = create_proposed_event(erin, auch, foyer_rural, {"title": "Loto", "starts_at": paris(2026, 12, 6, 15)}, ["fete"])
    client = client_for(bob)
    assert "Loto" not in client.get(url("events", auch)).content.decode()
    assert client.get(url("event_edit", auch, event_id=proposal.pk)).status_code == 404
    assert client.get(url("event_proposals", auch)).status_code == 404  # an editor does not moderate


def test_the_moderator_accepts_a_proposal_and_it_is_published_with_its_organiser(mona, erin, auch, foyer_rural, gers_portal):
    proposal = create_proposed_event(erin, auch, foyer_rural, {"title": "Loto du foyer", "starts_at": paris(2026, 12, 6, 15)},
                                     ["fete"])
    client = client_for(mona)
    queue = client.get(url("event_proposals", auch)).content.decode()
    assert "Loto du foyer" in queue and "Foyer rural d&#x27;Auch" in queue
    page = client.get(url("event_proposal", auch, event_id=proposal.pk)).content.decode()
    assert "dimanche 6 décembre 2026 à 15:00" in page
    response = client.post(url("event_proposal", auch, event_id=proposal.pk), {"decision": "accept", "message": "Merci !"})
    assert response["Location"] == url("event_proposals", auch)
    proposal.refresh_from_db()
    assert proposal.status == Status.PUBLISHED and proposal.review_status == ReviewStatus.ACCEPTED
    assert proposal.organisation == foyer_rural and proposal.reviewed_by == mona


def test_refusing_needs_a_message_which_the_organisation_reads(mona, erin, auch, foyer_rural, gers_portal):
    proposal = create_proposed_event(erin, auch, foyer_rural, {"title": "Loto", "starts_at": paris(2026, 12, 6, 15)}, ["fete"])
    client = client_for(mona)
    response = client.post(url("event_proposal", auch, event_id=proposal.pk), {"decision": "refuse", "message": ""})
    assert "message" in response.context["form"].errors
    proposal.refresh_from_db()
    assert proposal.review_status == ReviewStatus.PENDING
    client.post(url("event_proposal", auch, event_id=proposal.pk), {"decision": "refuse", "message": "Précisez l'heure"})
    proposal.refresh_from_db()
    assert (proposal.review_status, proposal.review_message) == (ReviewStatus.REFUSED, "Précisez l'heure")
    assert proposal.status == Status.DRAFT
    again = client.post(url("event_proposal", auch, event_id=proposal.pk), {"decision": "accept"})
    assert again.status_code == 200  # decided already: the page says so, nothing changes
    proposal.refresh_from_db()
    assert proposal.review_status == ReviewStatus.REFUSED


def test_a_departement_lists_its_communes_places_until_there_are_too_many(dora, gers, auch, bob, gers_portal, monkeypatch):
    from clocher.backoffice import events as staff_events

    hall = publish_place(bob, create_place(bob, auch, {"name": "Salle du Mouzon"}, ["museum"]))
    own = publish_place(dora, create_place(dora, gers, {"name": "Archives départementales", "commune": auch}, ["museum"]))
    client = client_for(dora)
    choices = client.get(url("event_create", gers)).context["form"].fields["place"].queryset
    assert set(choices) == {hall, own}
    monkeypatch.setattr(staff_events, "PLACE_CHOICES_MAX", 1)
    choices = client.get(url("event_create", gers)).context["form"].fields["place"].queryset
    assert list(choices) == [own]


def test_an_imported_event_warns_that_the_next_import_replaces_changes(bob, auch, concert):
    Event.objects.filter(pk=concert.pk).update(source="ics:abc", external_id="1")
    page = client_for(bob).get(url("event_edit", auch, event_id=concert.pk)).content.decode()
    assert "le prochain import remplacera vos changements" in page
