"""A role on Auch opens none of the organisation staff pages of Marciac (its sibling) nor of Alençon
(another portal), and changes nothing there: every role, GET and POST, on every URL listed below.

The same list as clocher/backoffice/tests/test_roles_grant_nothing_on_a_sibling.py, for the pages of
clocher/backoffice/organisations.py: a new page of ours is added to ORGANISATION_URLS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from clocher.organisations.models import MemberRole, Membership, Organisation, OrganisationStatus
from clocher.territories.models import AuditEntry, Collectivity, Role, Territory
from conftest import GERS_HOST, ORNE_HOST, grant, make_user


def _no_extra(territory: Territory) -> dict[str, int]:
    return {}


def _an_organisation(territory: Territory) -> dict[str, int]:
    organisation = Organisation.objects.filter(territory=territory).order_by("pk").first()
    assert organisation is not None
    return {"organisation_id": organisation.pk}


def _a_membership(territory: Territory) -> dict[str, int]:
    membership = Membership.objects.filter(organisation__territory=territory).order_by("pk").first()
    assert membership is not None
    return {"organisation_id": membership.organisation_id, "membership_id": membership.pk}


ORGANISATION_DATA = {"kind": "association", "name": "Piratée", "communes": "1"}


@dataclass(frozen=True)
class StaffUrl:
    name: str
    more_kwargs: Callable[[Territory], dict[str, int]] = _no_extra
    data: dict[str, str] = field(default_factory=dict)

    def url(self, territory: Territory) -> str:
        return reverse(f"backoffice:{self.name}", kwargs={"territory_id": territory.pk, **self.more_kwargs(territory)})


ORGANISATION_URLS = [
    StaffUrl("organisations"),
    StaffUrl("organisation_create", data=ORGANISATION_DATA),
    StaffUrl("organisation_edit", more_kwargs=_an_organisation, data=ORGANISATION_DATA),
    StaffUrl("organisation_decide", more_kwargs=_an_organisation, data={"decision": "suspend"}),
    StaffUrl("organisation_members", more_kwargs=_an_organisation,
             data={"email": "intrus@example.org", "role": MemberRole.MANAGER}),
    StaffUrl("organisation_member_remove", more_kwargs=_a_membership),
]


def with_totp(user: Any) -> Any:
    TOTP.activate(user, generate_totp_secret())
    return user


def _state() -> list[Any]:
    return [
        sorted(Organisation.objects.values_list("pk", "name", "status", "territory_id")),
        sorted(Membership.objects.values_list("pk", "organisation_id", "user_id", "role")),
        AuditEntry.objects.count(),
    ]


@pytest.fixture
def targets(gers_portal, marciac, alencon, orne_portal) -> list[tuple[Territory, str]]:
    """Marciac (joined, with its own admin) and Alençon each have an organisation with a manager."""
    Collectivity.objects.create(territory=marciac, portal=gers_portal)
    for territory in (marciac, alencon):
        organisation = Organisation.objects.create(
            name=f"Club de {territory.name}", territory=territory, status=OrganisationStatus.PENDING
        )
        organisation.communes.add(territory)
        manager = make_user(f"manager-{territory.code}@example.org")
        Membership.objects.create(organisation=organisation, user=manager, role=MemberRole.MANAGER)
    make_user("intrus@example.org")
    return [(marciac, GERS_HOST), (alencon, GERS_HOST), (alencon, ORNE_HOST)]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("staff_url", ORGANISATION_URLS, ids=lambda u: u.name)
def test_a_role_on_auch_grants_nothing_on_a_siblings_organisations(role, staff_url, auch, targets):
    user = make_user(f"{role}@example.org")
    grant(user, auch, role)
    if role == Role.ADMIN:
        with_totp(user)
    before = _state()
    for territory, host in targets:
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        url = staff_url.url(territory)
        assert client.get(url).status_code == 404, (url, host, "GET")
        assert client.post(url, staff_url.data).status_code == 404, (url, host, "POST")
    assert _state() == before


@pytest.mark.parametrize("staff_url", ORGANISATION_URLS, ids=lambda u: u.name)
def test_the_same_pages_open_for_the_territorys_own_admin(staff_url, marciac, targets):
    # Proves the 404s above come from the missing role, not from a wrong URL.
    marc = with_totp(make_user("marc@example.org"))
    grant(marc, marciac, Role.ADMIN)
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(marc)
    # The decision page only answers a POST: a GET goes back to the organisation's page.
    assert client.get(staff_url.url(marciac)).status_code in (200, 302)
    assert client.get(staff_url.url(marciac), follow=True).status_code == 200


def test_an_auch_staff_url_with_marciacs_organisation_is_a_404(mona, auch, targets):
    # Auch in the address, Marciac's organisation in it: the organisation is looked up within Auch.
    marciac_organisation = Organisation.objects.get(territory=targets[0][0])
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(mona)
    before = _state()
    for name in ("organisation_edit", "organisation_decide", "organisation_members"):
        url = reverse(f"backoffice:{name}", kwargs={"territory_id": auch.pk, "organisation_id": marciac_organisation.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"decision": "approve", "email": "intrus@example.org"}).status_code == 404
    assert _state() == before
