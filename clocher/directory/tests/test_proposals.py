"""Proposals of places: a member of an association proposes in its name, the commune's moderator accepts
or refuses, the proposer sees it (and both are told by e-mail)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from clocher.directory import proposals
from clocher.directory.models import Place, PlaceProposal, ProposalStatus
from clocher.organisations.models import Membership, Organisation, OrganisationStatus
from clocher.territories.content import Status
from clocher.territories.models import AuditEntry, Role
from conftest import GERS_HOST, grant, make_user

NEW_PLACE = {
    "commune": "", "name": "Épicerie solidaire", "categories": ["shop"], "street": "5 rue Dessoles",
    "postcode": "32000", "city": "Auch", "phone": "05 62 00 00 00", "opening_hours": "Tu-Sa 09:00-12:00",
    "description": "Une épicerie **associative**.",
}


def client_for(user) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(user)
    return client


def staff_url(name, territory, **extra):
    return reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk, **extra})


@pytest.fixture
def moderator(auch):
    user = make_user("mod-auch@example.org")
    grant(user, auch, Role.MODERATOR)
    return user


@pytest.fixture
def proposer(auch, gers_portal, foyer_rural):
    """A member of the Foyer rural d'Auch, which acts in Auch."""
    user = make_user("asso@example.org", home_commune=auch)
    Membership.objects.create(organisation=foyer_rural, user=user)
    return user


def organisation_of(user):
    return Organisation.objects.filter(memberships__user=user).order_by("pk").first()


def propose_from_the_page(user, auch, **overrides):
    organisation = organisation_of(user)
    return client_for(user).post(reverse("directory:propose"), {
        **NEW_PLACE, "commune": auch.pk, "organisation": organisation.pk if organisation else "", **overrides,
    })


def propose(user, commune, data, categories, **extra):
    extra.setdefault("organisation", organisation_of(user))
    return proposals.propose_place(user, auch_portal(commune), commune, data, categories, **extra)


def test_a_proposal_accepted_becomes_a_published_place_and_the_proposer_sees_it(proposer, moderator, auch):
    assert propose_from_the_page(proposer, auch).status_code == 302
    proposal = PlaceProposal.objects.get()
    assert proposal.status == ProposalStatus.PENDING and proposal.commune == auch
    assert not Place.objects.exists()

    moderation = client_for(moderator)
    assert "Épicerie solidaire" in moderation.get(staff_url("proposals", auch)).content.decode()
    page = moderation.get(staff_url("proposal", auch, proposal_id=proposal.pk)).content.decode()
    assert "Commerce" in page and "05 62 00 00 00" in page
    response = moderation.post(staff_url("proposal", auch, proposal_id=proposal.pk),
                               {"decision": "accept", "message": "Bienvenue !"})
    assert response.status_code == 302

    place = Place.objects.get()
    assert place.status == Status.PUBLISHED and place.published_at is not None
    assert place.territory == auch and place.commune == auch and place.author == proposer
    assert place.phone == "+33562000000"
    assert list(place.category_links.values_list("category", flat=True)) == ["shop"]
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.place == place
    assert proposal.moderator == moderator
    assert AuditEntry.objects.filter(territory=auch, action="directory.proposal.create").exists()

    mine = client_for(proposer).get(reverse("directory:my_proposals")).content.decode()
    assert "Acceptée" in mine and "Bienvenue !" in mine
    assert f"?lieu={place.pk}" in mine  # its own place now: it may propose changes to it


def test_a_proposal_refused_keeps_no_place_and_the_proposer_reads_why(proposer, moderator, auch):
    propose_from_the_page(proposer, auch)
    proposal = PlaceProposal.objects.get()
    response = client_for(moderator).post(
        staff_url("proposal", auch, proposal_id=proposal.pk),
        {"decision": "refuse", "message": "Ce lieu existe déjà sous un autre nom."},
    )
    assert response.status_code == 302
    assert not Place.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REFUSED
    mine = client_for(proposer).get(reverse("directory:my_proposals")).content.decode()
    assert "Refusée" in mine and "Ce lieu existe déjà sous un autre nom." in mine


def test_refusing_needs_a_message(proposer, moderator, auch):
    propose_from_the_page(proposer, auch)
    proposal = PlaceProposal.objects.get()
    response = client_for(moderator).post(staff_url("proposal", auch, proposal_id=proposal.pk), {"decision": "refuse"})
    assert response.status_code == 200
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING


def test_a_decided_proposal_cannot_be_decided_again(proposer, moderator, auch):
    propose_from_the_page(proposer, auch)
    proposal = PlaceProposal.objects.get()
    proposals.accept_proposal(moderator, proposal)
    with pytest.raises(proposals.ProposalRefused):
        proposals.refuse_proposal(moderator, proposal, "Trop tard")
    assert Place.objects.count() == 1


def test_a_moderator_of_marciac_cannot_decide_auchs_proposals(proposer, auch, marciac):
    propose_from_the_page(proposer, auch)
    proposal = PlaceProposal.objects.get()
    marciac_moderator = make_user("mod-marciac@example.org")
    grant(marciac_moderator, marciac, Role.MODERATOR)
    client = client_for(marciac_moderator)
    for territory in (auch, marciac):
        url = staff_url("proposal", territory, proposal_id=proposal.pk)
        assert client.get(url).status_code == 404
        assert client.post(url, {"decision": "accept"}).status_code == 404
    assert client.get(staff_url("proposals", auch)).status_code == 404
    with pytest.raises(proposals.ProposalRefused):
        proposals.accept_proposal(marciac_moderator, proposal)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING
    assert not Place.objects.exists()


def test_an_editor_without_the_moderator_role_does_not_decide(proposer, bob, auch):
    propose_from_the_page(proposer, auch)
    proposal = PlaceProposal.objects.get()
    assert client_for(bob).get(staff_url("proposal", auch, proposal_id=proposal.pk)).status_code == 404


def test_the_proposer_changes_their_own_place_and_only_theirs(proposer, moderator, auch):
    propose_from_the_page(proposer, auch)
    place = proposals.accept_proposal(moderator, PlaceProposal.objects.get())
    client = client_for(proposer)
    form_page = client.get(reverse("directory:propose") + f"?lieu={place.pk}").content.decode()
    assert "Épicerie solidaire" in form_page and "Proposer un changement" in form_page
    response = client.post(reverse("directory:propose"), {
        **NEW_PLACE, "commune": auch.pk, "lieu": place.pk, "opening_hours": "Tu-Sa 09:00-18:00",
        "organisation": organisation_of(proposer).pk,
    })
    assert response.status_code == 302
    change = PlaceProposal.objects.get(status=ProposalStatus.PENDING)
    assert change.place == place
    place.refresh_from_db()
    assert place.opening_hours == "Tu-Sa 09:00-12:00"  # nothing changes before the decision
    proposals.accept_proposal(moderator, change)
    place.refresh_from_db()
    assert place.opening_hours == "Tu-Sa 09:00-18:00"
    assert Place.objects.count() == 1

    stranger = make_user("autre@example.org")
    other = Organisation.objects.create(name="Autre club", territory=auch)
    other.communes.add(auch)
    Membership.objects.create(organisation=other, user=stranger)
    assert client_for(stranger).get(reverse("directory:propose") + f"?lieu={place.pk}").status_code == 404
    with pytest.raises(proposals.ProposalRefused):
        propose(stranger, auch, {"name": "Volé"}, ["shop"], place=place)


def auch_portal(auch):
    from clocher.territories.models import Portal

    return Portal.objects.get(root=auch.departement)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"opening_hours": "quand on veut"}, "opening_hours"),
        ({"categories": ["licorne"]}, "categories"),
        ({"categories": []}, "categories"),
    ],
)
def test_a_proposal_with_bad_data_is_refused_on_the_field(proposer, auch, overrides, field):
    response = propose_from_the_page(proposer, auch, **overrides)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not PlaceProposal.objects.exists()


def test_a_commune_of_another_portal_cannot_be_proposed(proposer, auch, alencon, orne_portal):
    response = propose_from_the_page(proposer, auch, commune=alencon.pk)
    assert "commune" in response.context["form"].errors
    with pytest.raises(proposals.ProposalRefused):
        propose(proposer, alencon, {"name": "Ailleurs"}, ["shop"], organisation=organisation_of(proposer))
    assert not PlaceProposal.objects.exists()


def test_an_unverified_address_cannot_propose(auch, gers_portal, foyer_rural):
    user = make_user("pas-verifie@example.org")
    Membership.objects.create(organisation=foyer_rural, user=user)
    EmailAddress.objects.filter(user=user).update(verified=False)
    page = client_for(user).get(reverse("directory:propose")).content.decode()
    assert "Confirmez d'abord votre adresse e-mail" in page
    assert propose_from_the_page(user, auch).status_code == 200
    assert not PlaceProposal.objects.exists()


def test_proposals_are_limited_per_account_and_day(proposer, auch):
    for number in range(proposals.PROPOSALS_PER_DAY):
        propose(proposer, auch, {"name": f"Lieu {number}"}, ["shop"])
    with pytest.raises(proposals.ProposalRefused):
        propose(proposer, auch, {"name": "Un de trop"}, ["shop"])
    assert PlaceProposal.objects.count() == proposals.PROPOSALS_PER_DAY
    page = client_for(proposer).get(reverse("directory:propose")).content.decode()
    assert "réessayez demain" in page


def test_the_proposal_pages_ask_to_sign_in(gers_portal):
    for name in ("directory:propose", "directory:my_proposals"):
        response = Client(HTTP_HOST=GERS_HOST).get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_the_proposal_form_starts_with_my_home_commune(proposer, auch):
    response = client_for(proposer).get(reverse("directory:propose"))
    assert response.status_code == 200
    assert response.context["form"]["commune"].value() == auch.pk


def test_the_pending_proposals_list_takes_the_same_queries_for_many(proposer, moderator, auch,
                                                                    django_assert_max_num_queries):
    client = client_for(moderator)
    propose(proposer, auch, {"name": "Premier"}, ["shop"])
    with django_assert_max_num_queries(30) as few:
        client.get(staff_url("proposals", auch))
    for number in range(8):
        propose(proposer, auch, {"name": f"Lieu {number}"}, ["shop"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(staff_url("proposals", auch)).content.decode()
    assert "Lieu 7" in page


@pytest.mark.parametrize("value", ["abc", "²", "99999999999999999999", "-1"])
def test_a_malformed_place_in_the_address_is_a_404(proposer, value):
    response = client_for(proposer).get(reverse("directory:propose"), {"lieu": value})
    assert response.status_code == 404


def test_someone_without_an_organisation_is_told_how_to_register_one(auch, gers_portal):
    user = make_user("seul@example.org", home_commune=auch)
    page = client_for(user).get(reverse("directory:propose")).content.decode()
    assert "Inscrire une association ou une entreprise" in page and reverse("organisations:request") in page
    assert propose_from_the_page(user, auch).status_code == 200
    with pytest.raises(proposals.ProposalRefused) as refused:
        propose(user, auch, {"name": "Sans asso"}, ["shop"], organisation=None)
    assert refused.value.field == "organisation"
    assert not PlaceProposal.objects.exists()


def test_the_proposal_records_its_organisation_and_the_moderator_reads_it(proposer, moderator, auch, foyer_rural):
    assert propose_from_the_page(proposer, auch).status_code == 302
    proposal = PlaceProposal.objects.get()
    assert proposal.organisation == foyer_rural and "_organisation" not in proposal.data
    page = client_for(moderator).get(staff_url("proposal", auch, proposal_id=proposal.pk)).content.decode()
    assert "Au nom de" in page and "Foyer rural d&#x27;Auch" in page
    mine = client_for(proposer).get(reverse("directory:my_proposals")).content.decode()
    assert "au nom de Foyer rural d&#x27;Auch" in mine
    place = proposals.accept_proposal(moderator, proposal)
    assert place.name == "Épicerie solidaire"  # the organisation is not a field of the place


def test_a_commune_where_the_organisation_does_not_act_is_refused(proposer, auch, marciac):
    response = propose_from_the_page(proposer, auch, commune=marciac.pk)
    assert "commune" in response.context["form"].errors
    with pytest.raises(proposals.ProposalRefused) as refused:
        propose(proposer, marciac, {"name": "Ailleurs"}, ["shop"])
    assert "n'agit pas à Marciac" in str(refused.value)
    assert not PlaceProposal.objects.exists()


def test_an_organisation_of_which_one_is_not_a_member_or_a_suspended_one_cannot_be_used(proposer, auch, foyer_rural):
    other = Organisation.objects.create(name="Club voisin", territory=auch)
    other.communes.add(auch)
    response = propose_from_the_page(proposer, auch, organisation=other.pk)
    assert "organisation" in response.context["form"].errors
    Organisation.objects.filter(pk=foyer_rural.pk).update(status=OrganisationStatus.SUSPENDED)
    with pytest.raises(proposals.ProposalRefused):
        propose(proposer, auch, {"name": "Suspendue"}, ["shop"], organisation=foyer_rural)
    assert not PlaceProposal.objects.exists()


def test_a_member_of_the_same_organisation_may_propose_a_change_to_its_place(proposer, moderator, auch, foyer_rural):
    propose_from_the_page(proposer, auch)
    place = proposals.accept_proposal(moderator, PlaceProposal.objects.get())
    colleague = make_user("collegue@example.org")
    Membership.objects.create(organisation=foyer_rural, user=colleague)
    assert place in proposals.own_places(colleague, auch_portal(auch))
    change = propose(colleague, auch, {"name": "Épicerie solidaire", "opening_hours": "Mo-Fr 09:00-12:00"},
                     ["shop"], place=place)
    assert change.place == place
    Membership.objects.filter(user=colleague).delete()
    assert place not in proposals.own_places(colleague, auch_portal(auch))


def test_the_communes_moderators_and_admins_get_an_email_for_a_new_proposal(
    proposer, moderator, alice, bob, dora, auch, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        propose_from_the_page(proposer, auch)
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {moderator.email, alice.email}  # not the editor, not the département
    assert "Épicerie solidaire" in mail.outbox[0].subject and "Foyer rural" in mail.outbox[0].body


def test_the_proposer_gets_an_email_with_the_decision_and_its_message(
    proposer, moderator, auch, django_capture_on_commit_callbacks,
):
    propose(proposer, auch, {"name": "Premier"}, ["shop"])
    propose(proposer, auch, {"name": "Second"}, ["shop"])
    first, second = PlaceProposal.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        proposals.accept_proposal(moderator, first, "Bienvenue !")
    assert mail.outbox[-1].to == [proposer.email]
    assert "acceptée" in mail.outbox[-1].subject and "Bienvenue !" in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        proposals.refuse_proposal(moderator, second, "Il existe déjà.")
    assert "refusée" in mail.outbox[-1].subject and "Il existe déjà." in mail.outbox[-1].body


def test_proposals_made_before_the_field_get_their_organisation_from_their_data(proposer, auch, foyer_rural):
    import importlib

    from django.apps import apps as global_apps

    from clocher.directory.models import PlaceProposal

    old = PlaceProposal.objects.create(
        commune=auch, proposer=proposer,
        data={"name": "Épicerie", "_organisation": {"pk": foyer_rural.pk, "name": foyer_rural.name}},
    )
    gone = PlaceProposal.objects.create(
        commune=auch, proposer=proposer, data={"name": "Bar", "_organisation": {"pk": 999_999, "name": "Disparue"}},
    )
    migration = importlib.import_module("clocher.directory.migrations.0005_fill_placeproposal_organisation")
    migration.fill(global_apps, None)
    old.refresh_from_db()
    gone.refresh_from_db()
    assert old.organisation == foyer_rural
    assert gone.organisation is None
