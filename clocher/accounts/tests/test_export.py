"""Download my data (RGPD): one JSON file with everything tied to the account."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.test import Client

from clocher.accounts.models import User
from clocher.accounts.tests.conftest import activate_totp
from clocher.core.modules import Module, registry
from clocher.territories.models import AuditEntry, Territory


@pytest.fixture
def noticeboard() -> Iterator[Module]:
    module = Module(
        name="noticeboard", label="Tableau", icon="pin",
        personal_data=lambda user: {"posts": [f"écrit par {user.email}"]},
    )
    registry.register(module)
    yield module
    registry.unregister(module.name)


def _download(client: Client) -> dict:  # type: ignore[type-arg]
    response = client.get("/compte/mes-donnees.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    return json.loads(response.content)  # type: ignore[no-any-return]


def test_it_asks_an_anonymous_visitor_to_sign_in(gers_client: Client) -> None:
    assert gers_client.get("/compte/mes-donnees.json").status_code == 302


def test_it_exports_the_account_its_communes_roles_and_audit_entries(
    gers_client: Client, alice: User, auch: Territory, marciac: Territory
) -> None:
    alice.home_commune = auch
    alice.save()
    alice.followed_communes.add(marciac)
    AuditEntry.objects.create(territory=auch, actor=alice, actor_label="Alice", action="news.publish",
                              summary="Publié « Fête de la musique »")
    activate_totp(alice)
    gers_client.force_login(alice)

    data = _download(gers_client)

    assert data["account"]["email"] == "alice@example.org"
    assert data["account"]["display_name"] == "Alice"
    assert data["account"]["language"] == "fr"
    assert data["account"]["date_joined"]
    assert data["account"]["second_factor"] == ["totp"]
    assert data["email_addresses"] == [{"email": "alice@example.org", "verified": True, "primary": True}]
    assert data["home_commune"] == {"kind": "commune", "code": "32013", "name": "Auch"}
    assert data["followed_communes"] == [{"kind": "commune", "code": "32233", "name": "Marciac"}]
    assert [(r["territory"]["name"], r["role"]) for r in data["staff_roles"]] == [("Auch", "admin")]
    assert [e["summary"] for e in data["audit_entries"]] == ["Publié « Fête de la musique »"]


def test_it_leaves_secrets_out(gers_client: Client, alice: User) -> None:
    secret = activate_totp(alice)
    gers_client.force_login(alice)
    raw = gers_client.get("/compte/mes-donnees.json").content.decode()
    assert secret not in raw
    assert alice.password not in raw


def test_it_does_not_export_someone_else_s_audit_entries(
    gers_client: Client, alice: User, bob: User, auch: Territory
) -> None:
    AuditEntry.objects.create(territory=auch, actor=bob, actor_label="Bob", action="x", summary="de Bob")
    gers_client.force_login(alice)
    assert _download(gers_client)["audit_entries"] == []


def test_each_module_adds_its_personal_data_under_its_name(
    gers_client: Client, resident: User, noticeboard: Module
) -> None:
    gers_client.force_login(resident)
    data = _download(gers_client)
    assert data["modules"]["noticeboard"] == {"posts": ["écrit par resident@example.org"]}


def test_it_leaves_out_invitations_to_an_address_not_yet_verified(
    gers_client: Client, resident: User, auch: Territory, alice: User
) -> None:
    import datetime

    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from clocher.territories.models import Invitation

    Invitation.objects.create(
        territory=auch, email="maire@auch.example", role="admin", invited_by=alice,
        expires_at=timezone.now() + datetime.timedelta(days=14),
    )
    EmailAddress.objects.create(user=resident, email="maire@auch.example", verified=False)
    gers_client.force_login(resident)
    assert "maire@auch.example" not in json.dumps(_download(gers_client).get("invitations", []))
    EmailAddress.objects.filter(email="maire@auch.example").update(verified=True)
    assert "maire@auch.example" in json.dumps(_download(gers_client).get("invitations", []))
