"""What associations keep about a person is in "download my data"; staff cannot turn them off."""

from django.test import Client
from django.urls import reverse

from clocher.core.modules import registry
from clocher.organisations.models import Organisation, OrganisationStatus
from conftest import GERS_HOST


def test_download_my_data_holds_my_memberships_and_my_requests(erin, foyer_rural, auch, gers_portal):
    Organisation.objects.create(
        name="Comité des fêtes", territory=auch, created_by=erin, status=OrganisationStatus.REFUSED,
        review_message="Elle existe déjà sous un autre nom.",
    )
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(erin)
    data = client.get(reverse("accounts:export")).json()
    part = data["modules"]["organisations"]
    assert part["memberships"][0]["organisation"] == "Foyer rural d'Auch"
    assert part["memberships"][0]["role"] == "manager"
    assert part["registrations_asked"] == [
        {"organisation": "Comité des fêtes", "status": "refused",
         "review_message": "Elle existe déjà sous un autre nom.", "asked_at": part["registrations_asked"][0]["asked_at"]},
    ]


def test_staff_cannot_turn_the_associations_off():
    names = [module.name for module in registry.switchable()]
    assert "organisations" not in names
    assert "organisations" in registry.names()
