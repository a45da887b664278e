"""Staff pages of organisations (/gestion/<territory>/associations/): list, register, edit, decide, members."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.test import Client
from django.urls import reverse

from clocher.organisations import services
from clocher.organisations.models import MemberRole, Membership, Organisation, OrganisationStatus
from clocher.territories.models import AuditEntry
from conftest import GERS_HOST, make_user


def client_for(user) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(user)
    return client


def url(name, territory, **extra):
    return reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk, **extra})


@pytest.fixture(autouse=True)
def _gers(gers_portal):
    return gers_portal


@pytest.fixture
def request_of_resident(resident, auch, gers_portal):
    return services.request_organisation(resident, gers_portal, {"name": "Les Amis d'Auch"}, [auch])


def test_the_list_filters_by_state_and_counts_the_requests(mona, foyer_rural, request_of_resident, auch):
    client = client_for(mona)
    page = client.get(url("organisations", auch)).content.decode()
    assert "Foyer rural" in page and "Les Amis d" in page and "1 demande d'inscription" in page
    pending = client.get(url("organisations", auch), {"etat": "pending"}).content.decode()
    assert "Les Amis d" in pending and "Foyer rural" not in pending


def test_the_list_takes_the_same_queries_for_many(bob, auch, django_assert_max_num_queries):
    client = client_for(bob)
    Organisation.objects.create(name="Asso 0", territory=auch)
    with django_assert_max_num_queries(50) as few:
        client.get(url("organisations", auch))
    for number in range(1, 15):
        Organisation.objects.create(name=f"Asso {number}", territory=auch)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "Asso 14" in client.get(url("organisations", auch)).content.decode()


def test_an_editor_registers_an_organisation_then_adds_its_manager(bob, auch, django_capture_on_commit_callbacks):
    client = client_for(bob)
    assert client.get(url("organisation_create", auch)).context["form"]["communes"].value() == [auch.pk]
    response = client.post(url("organisation_create", auch), {
        "kind": "business", "name": "Boulangerie Dupont", "communes": [auch.pk], "phone": "05 62 00 00 00",
    })
    organisation = Organisation.objects.get(name="Boulangerie Dupont")
    assert response["Location"] == url("organisation_members", auch, organisation_id=organisation.pk)
    assert organisation.status == OrganisationStatus.ACTIVE and organisation.kind == "business"
    baker = make_user("dupont@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("organisation_members", auch, organisation_id=organisation.pk),
                    {"email": "dupont@example.org", "role": MemberRole.MANAGER})
    assert Membership.objects.get(organisation=organisation).user == baker
    assert mail.outbox[-1].to == [baker.email]
    assert AuditEntry.objects.filter(territory=auch, action="organisation.member.add").exists()


def test_the_moderator_approves_a_request_from_its_page(mona, request_of_resident, auch, resident,
                                                        django_capture_on_commit_callbacks):
    client = client_for(mona)
    page = client.get(url("organisation_edit", auch, organisation_id=request_of_resident.pk)).content.decode()
    assert "Accepter l'inscription" in page and resident.email in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("organisation_decide", auch, organisation_id=request_of_resident.pk),
                               {"decision": "approve", "message": "Bienvenue"})
    assert response.status_code == 302
    request_of_resident.refresh_from_db()
    assert request_of_resident.status == OrganisationStatus.ACTIVE
    assert mail.outbox[-1].to == [resident.email]


def test_refusing_without_a_message_changes_nothing_and_says_why(mona, request_of_resident, auch):
    response = client_for(mona).post(url("organisation_decide", auch, organisation_id=request_of_resident.pk),
                                     {"decision": "refuse"}, follow=True)
    assert "pourquoi la demande est refusée" in response.content.decode()
    request_of_resident.refresh_from_db()
    assert request_of_resident.status == OrganisationStatus.PENDING


def test_an_editor_edits_but_does_not_decide(bob, request_of_resident, auch):
    client = client_for(bob)
    page = client.get(url("organisation_edit", auch, organisation_id=request_of_resident.pk)).content.decode()
    assert "Accepter l'inscription" not in page
    assert client.post(url("organisation_decide", auch, organisation_id=request_of_resident.pk),
                       {"decision": "approve"}).status_code == 404
    request_of_resident.refresh_from_db()
    assert request_of_resident.status == OrganisationStatus.PENDING


def test_the_moderator_suspends_then_reactivates(mona, foyer_rural, auch):
    client = client_for(mona)
    client.post(url("organisation_decide", auch, organisation_id=foyer_rural.pk), {"decision": "suspend"})
    foyer_rural.refresh_from_db()
    assert foyer_rural.status == OrganisationStatus.SUSPENDED
    client.post(url("organisation_decide", auch, organisation_id=foyer_rural.pk), {"decision": "reactivate"})
    foyer_rural.refresh_from_db()
    assert foyer_rural.status == OrganisationStatus.ACTIVE


def test_staff_edit_the_details_with_a_journal_line(bob, foyer_rural, auch):
    response = client_for(bob).post(url("organisation_edit", auch, organisation_id=foyer_rural.pk), {
        "kind": "association", "name": "Foyer rural", "communes": [auch.pk], "website": "https://foyer.example",
    })
    assert response.status_code == 302
    foyer_rural.refresh_from_db()
    assert foyer_rural.name == "Foyer rural" and foyer_rural.website == "https://foyer.example"
    assert AuditEntry.objects.filter(territory=auch, action="organisation.update").exists()


def test_staff_cannot_remove_the_last_manager(bob, foyer_rural, erin, auch):
    membership = Membership.objects.get(user=erin)
    client = client_for(bob)
    confirm = url("organisation_member_remove", auch, organisation_id=foyer_rural.pk, membership_id=membership.pk)
    assert client.get(confirm).status_code == 200
    response = client.post(confirm, follow=True)
    assert "au moins un responsable" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_admin_needs_the_second_factor(alice, auch):
    response = client_for(alice).get(url("organisations", auch))
    assert response.status_code == 302
    TOTP.activate(alice, generate_totp_secret())
    assert client_for(alice).get(url("organisations", auch)).status_code == 200


def test_a_resident_or_a_member_opens_no_staff_page(resident, erin, foyer_rural, auch):
    for user in (resident, erin):
        assert client_for(user).get(url("organisations", auch)).status_code == 404
        assert client_for(user).get(url("organisation_edit", auch, organisation_id=foyer_rural.pk)).status_code == 404
