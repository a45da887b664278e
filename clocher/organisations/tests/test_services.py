"""Organisation services: registering, moderating, details and members, with their refusals and e-mails."""

from __future__ import annotations

import io

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from PIL import Image

from clocher.organisations import services
from clocher.organisations.models import MemberRole, Membership, Organisation, OrganisationStatus
from clocher.territories.images import reencode_logo
from clocher.territories.models import AuditEntry, Role
from conftest import grant, make_user

DATA = {"name": "Club de pétanque", "kind": "association", "description": "On joue **tous les jours**.",
        "phone": "05 62 00 00 00", "email": "Petanque@Example.org", "website": "https://petanque.example"}


@pytest.fixture
def asker(auch, gers_portal):
    return make_user("asker@example.org", home_commune=auch)


def png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "red").save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def test_staff_register_an_active_organisation_written_in_the_journal(bob, auch, marciac):
    organisation = services.register_organisation(bob, auch, DATA, [auch, marciac])
    assert organisation.status == OrganisationStatus.ACTIVE and organisation.territory == auch
    assert set(organisation.communes.all()) == {auch, marciac}
    assert organisation.phone == "+33562000000" and organisation.email == "petanque@example.org"
    assert "<strong>tous les jours</strong>" in organisation.description_html
    assert AuditEntry.objects.filter(territory=auch, action="organisation.register", actor=bob).exists()


def test_a_resident_cannot_register_an_organisation_directly(resident, auch):
    with pytest.raises(services.OrganisationRefused):
        services.register_organisation(resident, auch, DATA, [auch])
    assert not Organisation.objects.exists()


def test_a_communes_staff_cannot_make_it_act_outside_their_departement(bob, auch, alencon):
    with pytest.raises(services.OrganisationRefused) as refused:
        services.register_organisation(bob, auch, DATA, [alencon])
    assert refused.value.field == "communes"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": ""}, "name"), ({"phone": "12"}, "phone"), ({"email": "pas une adresse"}, "email"),
    ({"website": "javascript:alert(1)"}, "website"), ({"kind": "secte"}, "kind"), ({"intrus": "x"}, None),
])
def test_invalid_details_are_refused_on_their_field(bob, auch, overrides, field):
    with pytest.raises(services.OrganisationRefused) as refused:
        services.register_organisation(bob, auch, {**DATA, **overrides}, [auch])
    assert refused.value.field == field
    assert not Organisation.objects.exists()


def test_the_description_keeps_no_script(bob, auch):
    organisation = services.register_organisation(
        bob, auch, {**DATA, "description": "<script>alert(1)</script>[lien](javascript:alert(1))"}, [auch]
    )
    html = organisation.description_html
    assert "<script" not in html and 'href="javascript' not in html and "&lt;script&gt;" in html


def test_a_request_is_pending_its_asker_manages_it_and_the_communes_moderators_get_an_email(
    asker, gers_portal, auch, marciac, mona, alice, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        organisation = services.request_organisation(asker, gers_portal, DATA, [auch, marciac])
    assert organisation.status == OrganisationStatus.PENDING and organisation.territory == auch
    assert Membership.objects.get(organisation=organisation).role == MemberRole.MANAGER
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {mona.email, alice.email}
    assert "Club de pétanque" in mail.outbox[0].subject


def test_a_request_needs_a_verified_address_and_communes_of_the_portal(asker, gers_portal, auch, alencon, orne_portal):
    with pytest.raises(services.OrganisationRefused) as refused:
        services.request_organisation(asker, gers_portal, DATA, [alencon])
    assert refused.value.field == "communes"
    EmailAddress.objects.filter(user=asker).update(verified=False)
    with pytest.raises(services.OrganisationRefused):
        services.request_organisation(asker, gers_portal, DATA, [auch])
    assert not Organisation.objects.exists()


def test_requests_are_limited_per_day(asker, gers_portal, auch):
    for number in range(services.REQUESTS_PER_DAY):
        services.request_organisation(asker, gers_portal, {**DATA, "name": f"Club {number}"}, [auch])
    with pytest.raises(services.OrganisationRefused):
        services.request_organisation(asker, gers_portal, {**DATA, "name": "Un de trop"}, [auch])
    assert Organisation.objects.count() == services.REQUESTS_PER_DAY


def test_the_moderator_approves_and_the_asker_is_told_by_email(asker, gers_portal, auch, mona,
                                                               django_capture_on_commit_callbacks):
    organisation = services.request_organisation(asker, gers_portal, DATA, [auch])
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_organisation(mona, organisation)
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.ACTIVE
    assert mail.outbox[-1].to == [asker.email] and "acceptée" in mail.outbox[-1].body
    assert AuditEntry.objects.filter(territory=auch, action="organisation.approve").exists()
    with pytest.raises(services.OrganisationRefused):
        services.refuse_organisation(mona, organisation, "Trop tard")


def test_refusing_needs_a_message_that_the_asker_receives(asker, gers_portal, auch, mona,
                                                          django_capture_on_commit_callbacks):
    organisation = services.request_organisation(asker, gers_portal, DATA, [auch])
    with pytest.raises(services.OrganisationRefused):
        services.refuse_organisation(mona, organisation, "  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.refuse_organisation(mona, organisation, "Elle existe déjà.")
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.REFUSED and organisation.review_message == "Elle existe déjà."
    assert "Elle existe déjà." in mail.outbox[-1].body


def test_an_editor_or_a_sibling_moderator_does_not_decide(asker, gers_portal, auch, marciac, bob):
    organisation = services.request_organisation(asker, gers_portal, DATA, [auch])
    marciac_moderator = make_user("mod-marciac@example.org")
    grant(marciac_moderator, marciac, Role.MODERATOR)
    for actor in (bob, marciac_moderator, asker):
        with pytest.raises(services.OrganisationRefused):
            services.approve_organisation(actor, organisation)
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.PENDING


def test_a_suspended_account_freezes_its_managers_until_reactivated(foyer_rural, erin, mona):
    services.suspend(mona, foyer_rural, "Plaintes")
    foyer_rural.refresh_from_db()
    with pytest.raises(services.OrganisationRefused):
        services.update_organisation(erin, foyer_rural, {"name": "Autre nom"})
    with pytest.raises(services.OrganisationRefused):
        services.suspend(mona, foyer_rural)
    services.reactivate(mona, foyer_rural)
    foyer_rural.refresh_from_db()
    services.update_organisation(erin, foyer_rural, {"name": "Autre nom"})
    foyer_rural.refresh_from_db()
    assert foyer_rural.name == "Autre nom"


def test_a_manager_updates_details_and_logo_without_a_journal_line(foyer_rural, erin, auch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    services.update_organisation(erin, foyer_rural, {"description": "Des *ateliers*", "phone": "0562000000"},
                                 [auch], logo=reencode_logo(png()))
    foyer_rural.refresh_from_db()
    assert foyer_rural.description_html == "<p>Des <em>ateliers</em></p>"
    assert foyer_rural.phone == "+33562000000"
    assert foyer_rural.logo.name.endswith(".png")
    assert not AuditEntry.objects.exists()


def test_a_plain_member_cannot_update_details(foyer_rural, erin):
    member = make_user("membre@example.org")
    Membership.objects.create(organisation=foyer_rural, user=member, role=MemberRole.MEMBER)
    with pytest.raises(services.OrganisationRefused):
        services.update_organisation(member, foyer_rural, {"name": "Pris"})


def test_a_manager_adds_an_existing_account_who_gets_an_email(foyer_rural, erin, django_capture_on_commit_callbacks):
    newcomer = make_user("Nouveau@Example.org")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.add_member(erin, foyer_rural, " nouveau@example.org ", MemberRole.MEMBER)
    assert membership.user == newcomer and membership.added_by == erin
    assert mail.outbox[-1].to == [newcomer.email] and "Foyer rural" in mail.outbox[-1].subject
    with pytest.raises(services.OrganisationRefused):
        services.add_member(erin, foyer_rural, "nouveau@example.org")


def test_adding_an_unknown_or_unverified_address_says_to_create_an_account_first(foyer_rural, erin):
    unverified = make_user("pas-verifie@example.org")
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    for email in ("inconnu@example.org", "pas-verifie@example.org"):
        with pytest.raises(services.OrganisationRefused) as refused:
            services.add_member(erin, foyer_rural, email)
        assert "créer un compte" in str(refused.value) and refused.value.field == "email"
    assert Membership.objects.filter(organisation=foyer_rural).count() == 1


def test_staff_add_members_with_a_journal_line(foyer_rural, bob, auch):
    make_user("nouveau@example.org")
    services.add_member(bob, foyer_rural, "nouveau@example.org", MemberRole.MANAGER)
    assert AuditEntry.objects.filter(territory=auch, action="organisation.member.add").exists()


def test_the_last_manager_can_neither_be_removed_nor_leave(foyer_rural, erin, bob):
    membership = Membership.objects.get(user=erin)
    with pytest.raises(services.OrganisationRefused):
        services.remove_member(bob, membership)
    with pytest.raises(services.OrganisationRefused):
        services.leave_organisation(erin, foyer_rural)
    with pytest.raises(services.OrganisationRefused):
        services.set_member_role(erin, membership, MemberRole.MEMBER)
    assert Membership.objects.filter(user=erin, role=MemberRole.MANAGER).exists()


def test_a_member_leaves_and_a_second_manager_lets_the_first_go(foyer_rural, erin):
    second = make_user("second@example.org")
    services.add_member(erin, foyer_rural, second.email, MemberRole.MANAGER)
    services.leave_organisation(erin, foyer_rural)
    assert list(Membership.objects.filter(organisation=foyer_rural).values_list("user__email", flat=True)) == [
        "second@example.org"
    ]
    with pytest.raises(services.OrganisationRefused):
        services.leave_organisation(erin, foyer_rural)


def test_a_request_in_a_commune_nobody_moderates_goes_to_the_departement(
    asker, gers_portal, marciac, dora, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        organisation = services.request_organisation(asker, gers_portal, DATA, [marciac])
    assert organisation.territory == marciac.departement
    assert mail.outbox[-1].to == [dora.email]
    services.approve_organisation(dora, organisation)
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.ACTIVE
