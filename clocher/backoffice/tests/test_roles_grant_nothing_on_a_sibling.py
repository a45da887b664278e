"""A role on Auch opens nothing on Marciac (its sibling commune) nor on Alençon (another portal).

STAFF_URLS lists every /gestion/ page that takes a territory: a new staff page is added there, and
this test then proves for every role, on GET and on POST, that it answers 404 on a territory where
the user holds no role, and that nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clocher.directory.models import ContactTheme, Place, PlacePhoto, PlaceProposal, UsefulContact
from clocher.participation.models import Eligibility, ResidenceCodeBatch, Verification
from clocher.participation.polls import Poll
from clocher.territories.models import (
    AuditEntry,
    Collectivity,
    Invitation,
    ModuleSetting,
    Role,
    StaffRole,
    Territory,
)
from clocher.territories.services import INVITATION_VALIDITY
from conftest import GERS_HOST, ORNE_HOST, grant, make_user

from .conftest import with_totp


def _no_extra(territory: Territory) -> dict[str, int]:
    return {}


def _pending_invitation(territory: Territory) -> dict[str, int]:
    invitation = Invitation.objects.filter(territory=territory, revoked_at=None).first()
    assert invitation is not None
    return {"invitation_id": invitation.pk}


def _a_staff_role(territory: Territory) -> dict[str, int]:
    staff_role = StaffRole.objects.filter(territory=territory).order_by("pk").first()
    assert staff_role is not None
    return {"role_id": staff_role.pk}


def _a_place(territory: Territory) -> dict[str, int]:
    place = Place.objects.filter(territory=territory).order_by("pk").first()
    assert place is not None
    return {"place_id": place.pk}


def _a_photo(territory: Territory) -> dict[str, int]:
    photo = PlacePhoto.objects.filter(place__territory=territory).order_by("pk").first()
    assert photo is not None
    return {"place_id": photo.place_id, "photo_id": photo.pk}


def _a_proposal(territory: Territory) -> dict[str, int]:
    proposal = PlaceProposal.objects.filter(commune=territory).order_by("pk").first()
    assert proposal is not None
    return {"proposal_id": proposal.pk}


def _a_poll(territory: Territory) -> dict[str, int]:
    poll = Poll.objects.filter(territory=territory).order_by("pk").first()
    assert poll is not None
    return {"poll_id": poll.pk}


def _a_contact(territory: Territory) -> dict[str, int]:
    contact = UsefulContact.objects.filter(territory=territory).order_by("pk").first()
    assert contact is not None
    return {"contact_id": contact.pk}


CONTACT_DATA = {"theme": ContactTheme.SOCIAL, "name": "Piraté", "phone": "3919", "position": "0"}
PLACE_DATA = {"name": "Piraté", "categories": "shop", "publish": "1"}
POLL_DATA = {
    "title": "Piraté", "options": "Oui\nNon", "kind": "single", "opens_at": "2020-01-01T10:00",
    "closes_at": "2099-01-01T10:00", "results_visibility": "always", "level": "email",
}


@dataclass(frozen=True)
class StaffUrl:
    """A staff page: its URL name, the other URL arguments on a territory, and a POST that would change it."""

    name: str
    more_kwargs: Callable[[Territory], Mapping[str, int | str]] = _no_extra
    data: dict[str, str] = field(default_factory=dict)

    def url(self, territory: Territory) -> str:
        return reverse(f"backoffice:{self.name}", kwargs={"territory_id": territory.pk, **self.more_kwargs(territory)})


STAFF_URLS = [
    StaffUrl("territory"),
    StaffUrl("collectivity", data={"phone": "01 02 03 04 05", "description": "Piraté"}),
    StaffUrl("modules", data={}),  # every box unticked: turns the registered module off
    StaffUrl("staff", data={"email": "intrus@example.org", "role": Role.ADMIN}),
    StaffUrl("revoke_invitation", more_kwargs=_pending_invitation),
    StaffUrl("remove_role", more_kwargs=_a_staff_role),
    StaffUrl("audit_log"),
    StaffUrl("places"),
    StaffUrl("place_create", data=PLACE_DATA),
    StaffUrl("place_edit", more_kwargs=_a_place, data=PLACE_DATA),
    StaffUrl("place_publish", more_kwargs=_a_place),
    StaffUrl("place_archive", more_kwargs=_a_place),
    StaffUrl("place_photo_add", more_kwargs=_a_place, data={"alt": "Piraté"}),
    StaffUrl("place_photo_remove", more_kwargs=_a_photo),
    StaffUrl("place_photo_move", more_kwargs=lambda t: {**_a_photo(t), "direction": "apres"}),
    StaffUrl("proposals"),
    StaffUrl("contacts"),
    StaffUrl("contact_create", data=CONTACT_DATA),
    StaffUrl("contact_edit", more_kwargs=_a_contact, data=CONTACT_DATA),
    StaffUrl("contact_delete", more_kwargs=_a_contact),
    StaffUrl("proposal", more_kwargs=_a_proposal, data={"decision": "accept", "message": "Piraté"}),
    # Participation: a batch of residence codes would come back as a PDF; the counter's search. Its
    # POST-only actions (revoke a batch, verify, remove) are checked in participation's own tests.
    StaffUrl("participation_codes", data={"count": "3", "valid_days": "30"}),
    StaffUrl("participation_counter"),
    # Polls; publishing and closing, POST only, are checked in participation's own tests.
    StaffUrl("polls"),
    StaffUrl("poll_create", data=POLL_DATA),
    StaffUrl("poll_edit", more_kwargs=_a_poll, data=POLL_DATA),
    StaffUrl("poll_results", more_kwargs=_a_poll),
    StaffUrl("poll_results_csv", more_kwargs=_a_poll),
]


def _state() -> list[Any]:
    return [
        sorted(StaffRole.objects.values_list("user_id", "territory_id", "role")),
        sorted(Invitation.objects.values_list("email", "territory_id", "revoked_at", "accepted_at")),
        sorted(ModuleSetting.objects.values_list("territory_id", "module", "enabled")),
        AuditEntry.objects.count(),
        sorted(Collectivity.objects.values_list("territory_id", "phone", "description")),
        sorted(Place.objects.values_list("pk", "name", "status")),
        sorted(PlacePhoto.objects.values_list("pk", "place_id")),
        sorted(PlaceProposal.objects.values_list("pk", "status", "message")),
        sorted(UsefulContact.objects.values_list("pk", "name", "phone")),
        sorted(ResidenceCodeBatch.objects.values_list("pk", "commune_id", "size")),
        sorted(Verification.objects.values_list("user_id", "commune_id", "level")),
        sorted(Poll.objects.values_list("pk", "title", "status", "closes_at")),
    ]


@pytest.fixture
def targets(marc, charlie, joined_marciac, alencon, orne_portal, agenda_module) -> list[tuple[Territory, str]]:
    """The territories a role on Auch must not reach, each with the host it is asked on."""
    for territory, admin in ((joined_marciac, marc), (alencon, charlie)):
        Invitation.objects.create(
            territory=territory, email=f"invite-{territory.code}@example.org", role=Role.EDITOR,
            invited_by=admin, expires_at=territory.updated_at + INVITATION_VALIDITY,
        )
        place = Place.objects.create(territory=territory, commune=territory, name=f"Halle de {territory.name}")
        PlacePhoto.objects.create(place=place, image="places/halle.jpg", alt="La halle")
        PlaceProposal.objects.create(
            commune=territory, proposer=admin, data={"name": "Épicerie", "categories": ["shop"]}
        )
        UsefulContact.objects.create(
            territory=territory, theme=ContactTheme.EAU, name=f"Eau de {territory.name}", phone="+33562090000"
        )
        Poll.objects.create(
            territory=territory, title=f"Sondage de {territory.name}", eligibility=Eligibility.objects.create(),
            opens_at=territory.updated_at, closes_at=territory.updated_at + INVITATION_VALIDITY,
        )
    return [(joined_marciac, GERS_HOST), (alencon, GERS_HOST), (alencon, ORNE_HOST)]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("staff_url", STAFF_URLS, ids=lambda u: u.name)
def test_a_role_on_auch_grants_nothing_on_a_sibling_or_another_portal(role, staff_url, auch, targets):
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


@pytest.mark.parametrize("staff_url", STAFF_URLS, ids=lambda u: u.name)
def test_the_same_pages_open_for_the_territorys_own_admin(staff_url, marc, targets):
    # Proves the 404s above come from the missing role, not from a wrong URL.
    marciac = targets[0][0]
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(marc)
    assert client.get(staff_url.url(marciac)).status_code == 200


def test_a_departement_admin_gets_nothing_on_a_commune_that_does_not_delegate(dora, joined_marciac):
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(dora)
    url = reverse("backoffice:collectivity", kwargs={"territory_id": joined_marciac.pk})
    assert client.get(url).status_code == 404
    Collectivity.objects.filter(territory=joined_marciac).update(delegates_to_parent=True)
    assert client.get(url).status_code == 200


def test_an_admin_of_auch_sees_nothing_of_alencon_on_the_orne_portal_even_by_its_own_pages(alice, alencon, orne_portal):
    client = Client(HTTP_HOST=ORNE_HOST)
    client.force_login(alice)
    response = client.get(reverse("backoffice:dashboard"))
    assert response.status_code == 200
    assert "Alençon" not in response.content.decode()
    assert "Auch" not in response.content.decode()
