"""Organisations propose events to their communes: members only, to the communes the organisation
acts in, ten a day; they follow the outcome and correct a refused proposal."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from clocher.agenda import proposals
from clocher.agenda.models import Event
from clocher.agenda.services import accept_event, create_proposed_event, refuse_event
from clocher.organisations.models import Membership, Organisation, OrganisationStatus, ReviewStatus
from clocher.territories.content import Status
from clocher.territories.services import ActionRefused
from conftest import GERS_HOST, ORNE_HOST, make_user

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)
PROPOSE = reverse("agenda_proposals:propose")
MINE = reverse("agenda_proposals:mine")


@pytest.fixture(autouse=True)
def _a_tuesday_in_november():
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(user, host=GERS_HOST) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def paris(year, month, day, hour=0, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def form_data(organisation, commune, **overrides):
    data = {
        "organisation": str(organisation.pk),
        "commune": str(commune.pk),
        "title": "Loto du foyer rural",
        "categories": ["association", "fete"],
        "date": "2026-12-06",
        "start_time": "14:30",
        "location_name": "Salle des fêtes du Garros",
    }
    data.update(overrides)
    return data


def a_proposal(erin, auch, foyer_rural, title="Loto du foyer rural"):
    return create_proposed_event(erin, auch, foyer_rural, {"title": title, "starts_at": paris(2026, 12, 6, 14, 30)},
                                 ["fete"])


def test_a_member_proposes_an_event_to_a_commune_of_the_organisation(erin, auch, foyer_rural, gers_portal):
    client = client_for(erin)
    page = client.get(PROPOSE).content.decode()
    assert "Foyer rural d&#x27;Auch" in page
    response = client.post(PROPOSE, form_data(foyer_rural, auch))
    assert response["Location"] == MINE
    event = Event.objects.get()
    assert (event.territory, event.commune, event.organisation, event.author) == (auch, auch, foyer_rural, erin)
    assert (event.status, event.review_status) == (Status.DRAFT, ReviewStatus.PENDING)
    assert event.starts_at == paris(2026, 12, 6, 14, 30)
    mine = client.get(MINE).content.decode()
    assert "Loto du foyer rural" in mine and "En attente de modération" in mine


def test_someone_without_an_organisation_is_told_how_to_register_one(resident, auch, foyer_rural, gers_portal):
    client = client_for(resident)
    page = client.get(PROPOSE).content.decode()
    assert reverse("organisations:mine") in page
    response = client.post(PROPOSE, form_data(foyer_rural, auch))
    assert response.status_code == 200
    assert not Event.objects.exists()


def test_a_commune_where_the_organisation_does_not_act_is_refused_on_its_field(erin, foyer_rural, marciac, gers_portal):
    response = client_for(erin).post(PROPOSE, form_data(foyer_rural, marciac))
    assert "commune" in response.context["form"].errors
    with pytest.raises(proposals.ProposalRefused) as refused:
        proposals.propose_event(erin, gers_portal, foyer_rural, marciac, {"title": "x"}, [])
    assert refused.value.field == "commune"
    assert not Event.objects.exists()


def test_a_suspended_organisation_proposes_nothing(erin, auch, foyer_rural, gers_portal):
    Organisation.objects.filter(pk=foyer_rural.pk).update(status=OrganisationStatus.SUSPENDED)
    with pytest.raises(proposals.ProposalRefused):
        proposals.propose_event(erin, gers_portal, foyer_rural, auch, {"title": "Loto"}, ["fete"])
    assert client_for(erin).post(PROPOSE, form_data(foyer_rural, auch)).status_code == 200
    assert not Event.objects.exists()


def test_the_agendas_own_rules_land_on_their_fields(erin, auch, foyer_rural, gers_portal):
    response = client_for(erin).post(PROPOSE, form_data(foyer_rural, auch, booking_url="javascript:alert(1)"))
    assert "booking_url" in response.context["form"].errors
    assert not Event.objects.exists()


def test_ten_proposals_a_day_then_tomorrow(erin, auch, foyer_rural, gers_portal):
    data = {"title": "Atelier", "starts_at": paris(2026, 12, 6, 14)}
    for _ in range(proposals.PROPOSALS_PER_DAY):
        proposals.propose_event(erin, gers_portal, foyer_rural, auch, data, ["atelier"])
    with pytest.raises(proposals.ProposalRefused):
        proposals.propose_event(erin, gers_portal, foyer_rural, auch, data, ["atelier"])
    assert "réessayez demain" in client_for(erin).get(PROPOSE).content.decode()
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        proposals.propose_event(erin, gers_portal, foyer_rural, auch, data, ["atelier"])
    assert Event.objects.count() == proposals.PROPOSALS_PER_DAY + 1


def test_the_outcome_and_the_moderators_message_are_shown(erin, mona, auch, foyer_rural, gers_portal):
    accepted = a_proposal(erin, auch, foyer_rural, "Concert")
    refused = a_proposal(erin, auch, foyer_rural, "Loto")
    accept_event(mona, accepted, "Bravo")
    refuse_event(mona, refused, "Il manque l'heure de fin")
    page = client_for(erin).get(MINE).content.decode()
    assert "Acceptée" in page and "publié dans l'agenda" in page
    assert reverse("agenda:event", kwargs={"pk": accepted.pk}) in page
    assert "Refusée" in page and "Il manque l&#x27;heure de fin" in page
    assert reverse("agenda_proposals:proposal", kwargs={"pk": refused.pk}) in page


def test_a_refused_proposal_is_corrected_and_goes_back_to_the_moderator(erin, mona, auch, foyer_rural, gers_portal):
    event = a_proposal(erin, auch, foyer_rural)
    refuse_event(mona, event, "Il manque l'heure de fin")
    detail = reverse("agenda_proposals:proposal", kwargs={"pk": event.pk})
    client = client_for(erin)
    page = client.get(detail)
    assert page.context["form"].initial["start_time"] == datetime.time(14, 30)
    response = client.post(detail, {
        "title": "Loto du foyer rural", "categories": ["fete"], "date": "2026-12-06", "start_time": "14:30",
        "end_time": "18:00",
    })
    assert response["Location"] == MINE
    event.refresh_from_db()
    assert event.review_status == ReviewStatus.PENDING and event.ends_at == paris(2026, 12, 6, 18)
    accept_event(mona, event)
    assert client.get(detail).context["form"] is None
    client.post(detail, {"title": "Changé après coup", "categories": ["fete"], "date": "2026-12-06", "start_time": "10:00"})
    event.refresh_from_db()
    assert event.title == "Loto du foyer rural" and event.status == Status.PUBLISHED


def test_another_organisations_proposal_is_a_404_and_so_is_another_portals(
    erin, auch, foyer_rural, gers_portal, orne_portal
):
    other = make_user("autre@example.org")
    club = Organisation.objects.create(name="Club de rugby", territory=auch)
    club.communes.add(auch)
    Membership.objects.create(organisation=club, user=other)
    theirs = a_proposal(other, auch, club, "Match")
    mine = a_proposal(erin, auch, foyer_rural)
    detail = reverse("agenda_proposals:proposal", kwargs={"pk": theirs.pk})
    assert client_for(erin).get(detail).status_code == 404
    assert client_for(erin).post(detail, {"title": "Piraté"}).status_code == 404
    assert "Match" not in client_for(erin).get(MINE).content.decode()
    mine_on_orne = reverse("agenda_proposals:proposal", kwargs={"pk": mine.pk})
    assert client_for(erin, ORNE_HOST).get(mine_on_orne).status_code == 404
    assert "Loto" not in client_for(erin, ORNE_HOST).get(MINE).content.decode()
    theirs.refresh_from_db()
    assert theirs.title == "Match"


def test_every_page_asks_to_sign_in_first(gers_portal, erin, auch, foyer_rural):
    event = a_proposal(erin, auch, foyer_rural)
    client = Client(HTTP_HOST=GERS_HOST)
    for path in (PROPOSE, MINE, reverse("agenda_proposals:proposal", kwargs={"pk": event.pk})):
        response = client.get(path)
        assert response.status_code == 302 and "/comptes/login/" in response["Location"]


def test_my_proposals_take_a_fixed_number_of_queries(erin, auch, foyer_rural, gers_portal, django_assert_max_num_queries):
    client = client_for(erin)
    a_proposal(erin, auch, foyer_rural)
    client.get(MINE)
    with django_assert_max_num_queries(10):
        client.get(MINE)
    for index in range(15):
        a_proposal(erin, auch, foyer_rural, f"Atelier {index}")
    with django_assert_max_num_queries(10):
        response = client.get(MINE)
    assert response.content.decode().count("Atelier") == 15


def test_the_moderators_are_told_of_a_proposal_and_the_proposer_of_the_decision(
    erin, mona, alice, bob, auch, foyer_rural, gers_portal, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(erin).post(PROPOSE, form_data(foyer_rural, auch))
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == ["alice@example.org", "mona@example.org"]  # not bob, an editor
    assert "Loto du foyer rural" in mailoutbox[0].subject
    assert "Foyer rural d'Auch" in mailoutbox[0].body and "dimanche 6 décembre 2026" in mailoutbox[0].body
    event = Event.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        proposals.decide_proposal(mona, event, accept=False, message="Il manque l'heure de fin")
    assert mailoutbox[1].to == ["erin@example.org"]
    assert "refusée" in mailoutbox[1].subject and "Il manque l'heure de fin" in mailoutbox[1].body
    with django_capture_on_commit_callbacks(execute=True):
        proposals.correct_proposal(erin, gers_portal, event, {"ends_at": paris(2026, 12, 6, 18)}, ["fete"])
    assert len(mailoutbox) == 3 and "mona@example.org" in mailoutbox[2].to
    with django_capture_on_commit_callbacks(execute=True):
        proposals.decide_proposal(mona, event, accept=True)
    assert "publié" in mailoutbox[3].subject


def test_a_refused_decision_sends_nothing(erin, bob, auch, foyer_rural, gers_portal, mailoutbox,
                                          django_capture_on_commit_callbacks):
    event = a_proposal(erin, auch, foyer_rural)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ActionRefused):
        proposals.decide_proposal(bob, event, accept=True)  # an editor does not moderate
    assert mailoutbox == []


def test_an_event_proposed_to_auch_cannot_take_place_in_marciac(erin, bob, auch, marciac, foyer_rural, gers_portal):
    from clocher.directory.models import Place

    hall = Place.objects.create(territory=marciac, commune=marciac, name="Chapiteau de Marciac", status=Status.PUBLISHED)
    with pytest.raises(proposals.ProposalRefused) as refused:
        proposals.propose_event(erin, gers_portal, foyer_rural, auch,
                                {"title": "Concert", "starts_at": paris(2026, 12, 6, 20), "place": hall}, ["concert"])
    assert refused.value.field == "place"
    assert not Event.objects.exists()
