"""Resident pages: the public list and page, "Mes associations", a request, a manager's details and members."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from clocher.organisations.models import (
    MemberRole,
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
)
from conftest import GERS_HOST, ORNE_HOST, make_user


def client_for(user, host=GERS_HOST) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _gers(gers_portal):
    """Every page here is asked on the Gers portal."""
    return gers_portal


@pytest.fixture
def garage(marciac):
    organisation = Organisation.objects.create(
        name="Garage de Marciac", kind=OrganisationKind.BUSINESS, territory=marciac, phone="+33562090000"
    )
    organisation.communes.add(marciac)
    return organisation


@pytest.fixture
def alencon_club(alencon, orne_portal):
    organisation = Organisation.objects.create(name="Club d'Alençon", territory=alencon)
    organisation.communes.add(alencon)
    return organisation


def test_the_list_shows_the_portals_active_organisations_only(gers_client, foyer_rural, garage, alencon_club):
    Organisation.objects.create(name="Cercle pas encore admis", territory=foyer_rural.territory, status=OrganisationStatus.PENDING)
    page = gers_client.get(reverse("organisations:list")).content.decode()
    assert "Foyer rural d&#x27;Auch" in page and "Garage de Marciac" in page
    assert "Alençon" not in page and "Cercle pas encore admis" not in page


def test_the_list_filters_by_name_commune_and_kind(gers_client, foyer_rural, garage, auch):
    def names(**params):
        response = gers_client.get(reverse("organisations:list"), params)
        return [row[0].name for row in response.context["rows"]]

    assert names(q="garage") == ["Garage de Marciac"]
    assert names(commune=auch.pk) == ["Foyer rural d'Auch"]
    assert names(kind="business") == ["Garage de Marciac"]
    assert names(commune="pas-un-nombre") == ["Foyer rural d'Auch", "Garage de Marciac"]


def test_the_list_takes_the_same_queries_for_many(gers_client, auch, gers_portal, django_assert_max_num_queries):
    def add(number):
        organisation = Organisation.objects.create(name=f"Asso {number:02d}", territory=auch)
        organisation.communes.add(auch)

    add(0)
    with django_assert_max_num_queries(50) as few:
        gers_client.get(reverse("organisations:list"))
    for number in range(1, 20):
        add(number)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = gers_client.get(reverse("organisations:list")).content.decode()
    assert "Asso 19" in page


def test_an_organisations_page_shows_its_contacts_and_communes(gers_client, garage):
    response = gers_client.get(reverse("organisations:detail", kwargs={"pk": garage.pk}))
    assert response.status_code == 301
    page = gers_client.get(response["Location"]).content.decode()
    assert "Garage de Marciac" in page and "05 62 09 00 00" in page and "tel:+33562090000" in page
    assert "Marciac" in page


def test_another_portals_or_an_inactive_organisation_is_a_404(gers_client, alencon_club, foyer_rural, orne_portal):
    assert gers_client.get(reverse("organisations:detail", kwargs={"pk": alencon_club.pk})).status_code == 404
    assert Client(HTTP_HOST=ORNE_HOST).get(
        reverse("organisations:detail", kwargs={"pk": foyer_rural.pk})
    ).status_code == 404
    Organisation.objects.filter(pk=foyer_rural.pk).update(status=OrganisationStatus.SUSPENDED)
    assert gers_client.get(reverse("organisations:detail", kwargs={"pk": foyer_rural.pk})).status_code == 404


def test_a_resident_requests_a_registration_and_follows_it(resident, auch, marciac, mona,
                                                           django_capture_on_commit_callbacks):
    client = client_for(resident)
    form = client.get(reverse("organisations:request"))
    assert form.context["form"]["seat"].value() == auch.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organisations:request"), {
            "kind": "association", "name": "Les Amis du Gers", "seat": auch.pk, "communes": [marciac.pk],
            "phone": "05 62 00 00 00",
        })
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Les Amis du Gers")
    assert organisation.status == OrganisationStatus.PENDING and organisation.territory == auch
    assert list(organisation.communes.order_by("name")) == [auch, marciac]
    assert mail.outbox[0].to == [mona.email]
    mine = client.get(reverse("organisations:mine")).content.decode()
    assert "Les Amis du Gers" in mine and "En attente de validation" in mine


def test_a_request_with_a_bad_phone_shows_the_error_on_the_field(resident, auch):
    response = client_for(resident).post(reverse("organisations:request"), {
        "kind": "association", "name": "Les Amis", "seat": auch.pk, "phone": "12",
    })
    assert response.status_code == 200 and "phone" in response.context["form"].errors
    assert not Organisation.objects.exists()


def test_a_request_for_another_portals_commune_is_refused(resident, auch, alencon, orne_portal):
    response = client_for(resident).post(reverse("organisations:request"), {
        "kind": "association", "name": "Les Amis", "seat": alencon.pk,
    })
    assert response.status_code == 200 and "seat" in response.context["form"].errors
    assert not Organisation.objects.exists()


def test_the_pages_of_my_space_ask_to_sign_in(gers_portal, foyer_rural):
    for url in (reverse("organisations:mine"), reverse("organisations:request"),
                reverse("organisations:manage", kwargs={"pk": foyer_rural.pk})):
        response = Client(HTTP_HOST=GERS_HOST).get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_a_manager_edits_the_details(erin, foyer_rural, auch, marciac):
    client = client_for(erin)
    assert "Gérer les membres" in client.get(reverse("organisations:manage", kwargs={"pk": foyer_rural.pk})).content.decode()
    response = client.post(reverse("organisations:manage", kwargs={"pk": foyer_rural.pk}), {
        "kind": "association", "name": "Foyer rural", "description": "Des **ateliers**", "communes": [auch.pk, marciac.pk],
    })
    assert response.status_code == 302
    foyer_rural.refresh_from_db()
    assert foyer_rural.name == "Foyer rural" and "<strong>ateliers</strong>" in foyer_rural.description_html
    assert set(foyer_rural.communes.all()) == {auch, marciac}


def test_a_plain_member_sees_the_organisation_but_edits_nothing(foyer_rural, erin):
    member = make_user("membre@example.org")
    Membership.objects.create(organisation=foyer_rural, user=member)
    client = client_for(member)
    page = client.get(reverse("organisations:manage", kwargs={"pk": foyer_rural.pk}))
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post(reverse("organisations:manage", kwargs={"pk": foyer_rural.pk}), {"name": "Pris"}).status_code == 404
    assert client.get(reverse("organisations:members", kwargs={"pk": foyer_rural.pk})).status_code == 404
    foyer_rural.refresh_from_db()
    assert foyer_rural.name == "Foyer rural d'Auch"


def test_a_manager_adds_removes_and_promotes_members(erin, foyer_rural, django_capture_on_commit_callbacks):
    newcomer = make_user("nouveau@example.org")
    client = client_for(erin)
    url = reverse("organisations:members", kwargs={"pk": foyer_rural.pk})
    unknown = client.post(url, {"email": "inconnu@example.org", "role": "member"})
    assert "doit d&#x27;abord créer un compte" in unknown.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"email": newcomer.email, "role": "member"}).status_code == 302
    assert mail.outbox[-1].to == [newcomer.email]
    membership = Membership.objects.get(user=newcomer)
    action = reverse("organisations:member_action", kwargs={"pk": foyer_rural.pk, "membership_id": membership.pk})
    client.post(action, {"action": "manager"})
    membership.refresh_from_db()
    assert membership.role == MemberRole.MANAGER
    client.post(action, {"action": "remove"})
    assert not Membership.objects.filter(user=newcomer).exists()


def test_another_organisations_member_is_a_404(erin, foyer_rural, garage):
    outsider = make_user("autre@example.org")
    membership = Membership.objects.create(organisation=garage, user=outsider, role=MemberRole.MANAGER)
    client = client_for(erin)
    for url in (
        reverse("organisations:manage", kwargs={"pk": garage.pk}),
        reverse("organisations:members", kwargs={"pk": garage.pk}),
        reverse("organisations:member_action", kwargs={"pk": foyer_rural.pk, "membership_id": membership.pk}),
        reverse("organisations:member_action", kwargs={"pk": garage.pk, "membership_id": membership.pk}),
        reverse("organisations:leave", kwargs={"pk": garage.pk}),
    ):
        assert client.post(url, {"action": "remove", "name": "Pris"}).status_code == 404, url
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_my_organisations_on_another_portal_are_a_404(erin, foyer_rural, orne_portal):
    client = client_for(erin, ORNE_HOST)
    assert client.get(reverse("organisations:manage", kwargs={"pk": foyer_rural.pk})).status_code == 404
    assert "Foyer rural" not in client.get(reverse("organisations:mine")).content.decode()


def test_the_last_manager_is_told_they_cannot_leave(erin, foyer_rural):
    client = client_for(erin)
    response = client.post(reverse("organisations:leave", kwargs={"pk": foyer_rural.pk}), follow=True)
    assert "au moins un responsable" in response.content.decode()
    assert Membership.objects.filter(user=erin).exists()


def test_a_superuser_repairs_organisations_in_the_django_admin(foyer_rural, erin):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from clocher.accounts.models import User

    root = User.objects.create_superuser(email="root@example.org", password="x-long-password")
    TOTP.activate(root, generate_totp_secret())
    client = client_for(root)
    assert "Foyer rural" in client.get(reverse("admin:organisations_organisation_changelist")).content.decode()
    page = client.get(reverse("admin:organisations_organisation_change", args=[foyer_rural.pk]))
    assert page.status_code == 200 and "Erin" in page.content.decode()
