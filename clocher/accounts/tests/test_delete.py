"""Deleting one's account: the password and a confirmation, never the last admin of a territory."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.test import Client

from clocher.accounts import services
from clocher.accounts.models import User
from clocher.territories.models import AuditEntry, Role, StaffRole, Territory
from conftest import PASSWORD, grant


def test_it_deletes_the_account_and_signs_out(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    assert gers_client.get("/compte/supprimer/").status_code == 200
    response = gers_client.post("/compte/supprimer/", {"password": PASSWORD, "confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Votre compte a été supprimé" in response.content.decode()
    assert not User.objects.filter(email="resident@example.org").exists()
    assert not EmailAddress.objects.filter(email="resident@example.org").exists()
    assert gers_client.get("/compte/").status_code == 302


def test_it_refuses_a_wrong_password(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    response = gers_client.post("/compte/supprimer/", {"password": "pas-le-bon", "confirm": "on"})
    assert response.status_code == 400
    assert "Ce mot de passe est incorrect." in response.content.decode()
    assert User.objects.filter(pk=resident.pk).exists()


def test_it_refuses_without_the_confirmation(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    response = gers_client.post("/compte/supprimer/", {"password": PASSWORD})
    assert response.status_code == 400
    assert User.objects.filter(pk=resident.pk).exists()


def test_it_refuses_the_last_admin_of_a_territory(gers_client: Client, alice: User) -> None:
    gers_client.force_login(alice)
    page = gers_client.get("/compte/supprimer/").content.decode()
    assert "dernier administrateur" in page
    assert "Auch" in page
    response = gers_client.post("/compte/supprimer/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 400
    assert User.objects.filter(pk=alice.pk).exists()
    with pytest.raises(ValidationError):
        services.delete_account(alice)


def test_it_deletes_an_admin_once_someone_else_holds_the_role(
    gers_client: Client, alice: User, bob: User, auch: Territory
) -> None:
    grant(bob, auch, Role.ADMIN)
    AuditEntry.objects.create(territory=auch, actor=alice, action="x", summary="par Alice")
    gers_client.force_login(alice)
    gers_client.post("/compte/supprimer/", {"password": PASSWORD, "confirm": "on"})
    assert not User.objects.filter(pk=alice.pk).exists()
    # Her roles go with her; the log still says who did it.
    assert not StaffRole.objects.filter(user_id=alice.pk).exists()
    entry = AuditEntry.objects.get(summary="par Alice")
    assert entry.actor is None
    assert entry.actor_label == "Alice"


def test_it_stops_password_guessing_on_the_deletion_page(gers_client: Client, resident: User) -> None:
    gers_client.force_login(resident)
    statuses = [
        gers_client.post("/compte/supprimer/", {"password": f"essai-{n}", "confirm": "on"}).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    response = gers_client.post("/compte/supprimer/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 429
    assert User.objects.filter(pk=resident.pk).exists()
