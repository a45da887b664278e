"""The staff pages: what each shows and does for the roles allowed on them."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from clocher.core.modules import registry
from clocher.territories import services
from clocher.territories.models import (
    AuditEntry,
    Collectivity,
    Invitation,
    ModuleSetting,
    Role,
    StaffRole,
)
from conftest import GERS_HOST, ORNE_HOST, grant, make_user


def client_for(user, host=GERS_HOST) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def url(name, territory, **extra):
    return reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk, **extra})


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# Dashboard and access

def test_the_dashboard_lists_my_territories_and_my_roles(dora, bob, auch, gers, gers_portal):
    grant(bob, gers, Role.MODERATOR)
    page = client_for(bob).get(reverse("backoffice:dashboard")).content.decode()
    assert "Auch" in page and "Rédacteur" in page
    assert "Gers" in page and "Modérateur" in page


def test_the_dashboard_says_so_when_i_have_no_role(resident, gers_portal):
    page = client_for(resident).get(reverse("backoffice:dashboard")).content.decode()
    assert "Vous n'avez aucun rôle" in page


def test_staff_pages_ask_to_sign_in_first(auch, gers_portal):
    response = Client(HTTP_HOST=GERS_HOST).get(url("territory", auch))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_admin_without_a_second_factor_is_sent_to_activate_it(auch, gers_portal):
    admin = make_user("nototp@example.org")
    grant(admin, auch, Role.ADMIN)
    response = client_for(admin).get(url("staff", auch))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_the_overview_shows_the_team_modules_and_latest_changes(alice, bob, auch, gers_portal, agenda_module):
    services.update_collectivity(alice, auch.collectivity, {"phone": "05 00 00 00 00"})
    page = client_for(alice).get(url("territory", auch)).content.decode()
    assert "2 personnes" in page
    assert "Agenda de test" in page
    assert "Informations modifiées" in page


def test_an_editor_sees_no_journal_on_the_overview_nor_admin_pages(alice, bob, auch, gers_portal):
    services.update_collectivity(alice, auch.collectivity, {"phone": "05 00 00 00 00"})
    client = client_for(bob)
    assert "Informations modifiées" not in client.get(url("territory", auch)).content.decode()
    for name in ("modules", "staff", "audit_log"):
        assert client.get(url(name, auch)).status_code == 404


# Collectivity information

def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (43.0, 38.0, 47.0), 3: "E", 4: (0.0, 35.0, 8.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (2500, 1000), (30, 90, 160)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_an_editor_updates_the_collectivity_and_the_banner_loses_its_exif(bob, auch, gers_portal, media):
    response = client_for(bob).post(url("collectivity", auch), {
        "description": "Bienvenue <strong>à Auch</strong>",
        "phone": "05 62 61 21 21",
        "website": "auch.fr",
        "banner_alt": "La cathédrale Sainte-Marie",
        "banner_upload": SimpleUploadedFile("photo.jpg", _jpeg_with_gps(), "image/jpeg"),
    })
    assert response.status_code == 302
    collectivity = Collectivity.objects.get(territory=auch)
    assert collectivity.phone == "05 62 61 21 21"
    assert collectivity.website == "https://auch.fr"
    with Image.open(media / collectivity.banner.name) as stored:
        assert stored.size == (2048, 819)
        assert len(stored.getexif()) == 0
    entry = AuditEntry.objects.get(action="collectivity.updated")
    assert entry.actor == bob
    assert {"phone", "banner", "banner_alt", "description", "website"} <= set(entry.changes)


def test_a_file_that_is_not_an_image_gets_a_form_error_and_nothing_is_saved(bob, auch, gers_portal, media):
    response = client_for(bob).post(url("collectivity", auch), {
        "phone": "01 01 01 01 01",
        "logo_upload": SimpleUploadedFile("logo.png", b"<?php system($_GET['c']); ?>", "image/png"),
    })
    assert response.status_code == 200
    assert "n&#x27;est pas une image" in response.content.decode()
    collectivity = Collectivity.objects.get(territory=auch)
    assert not collectivity.logo and collectivity.phone == "05 62 61 21 00"
    assert not AuditEntry.objects.exists()


def test_a_decompression_bomb_gets_a_form_error(bob, auch, gers_portal, media):
    from clocher.territories.tests.test_images import _png_bomb

    response = client_for(bob).post(url("collectivity", auch), {
        "logo_upload": SimpleUploadedFile("bomb.png", _png_bomb(20_000, 20_000).getvalue(), "image/png"),
    })
    assert response.status_code == 200
    assert "trop grande" in response.content.decode()
    assert not Collectivity.objects.get(territory=auch).logo


def test_the_form_of_a_passive_territory_explains_it_has_not_joined(dora, gers, gers_portal):
    response = client_for(dora).get(url("collectivity", gers))
    assert response.status_code == 200
    assert "pas encore rejoint" in response.content.decode()


# Modules

def test_the_modules_page_says_when_no_module_is_installed(alice, auch, gers_portal, monkeypatch):
    monkeypatch.setattr(registry, "_modules", {})
    page = client_for(alice).get(url("modules", auch)).content.decode()
    assert "Aucun module n'est encore installé" in page


def test_an_admin_turns_a_module_off_and_on(alice, auch, gers_portal, agenda_module):
    client = client_for(alice)
    assert 'name="testagenda"' in client.get(url("modules", auch)).content.decode()
    # The other installed modules stay on: only the test module's box is unticked.
    others = {name: "on" for name in registry.names() if name != "testagenda"}
    client.post(url("modules", auch), others)
    assert ModuleSetting.objects.get(territory=auch, module="testagenda").enabled is False
    client.post(url("modules", auch), {**others, "testagenda": "on"})
    assert ModuleSetting.objects.get(territory=auch, module="testagenda").enabled is True
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "module.disabled", "module.enabled",
    ]


# Team and invitations

def test_an_admin_invites_by_email(alice, auch, gers_portal, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(url("staff", auch), {"email": "eve@example.org", "role": "editor"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.territory == auch and invitation.role == Role.EDITOR
    assert f"http://gers.test/gestion/invitation/{invitation.token}/" in mailoutbox[0].body


def test_a_duplicate_invitation_gets_a_form_error(alice, auch, gers_portal):
    client = client_for(alice)
    client.post(url("staff", auch), {"email": "eve@example.org", "role": "editor"})
    response = client.post(url("staff", auch), {"email": "eve@example.org", "role": "agent"})
    assert response.status_code == 200
    assert "déjà en attente" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_an_admin_revokes_an_invitation(alice, auch, gers_portal):
    invitation = services.invite_staff(alice, auch, "eve@example.org", Role.EDITOR, base_url="http://gers.test")
    client = client_for(alice)
    assert client.get(url("revoke_invitation", auch, invitation_id=invitation.pk)).status_code == 200
    client.post(url("revoke_invitation", auch, invitation_id=invitation.pk))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_the_last_admin_cannot_be_removed_but_an_editor_can(alice, bob, auch, gers_portal):
    client = client_for(alice)
    alice_role = StaffRole.objects.get(user=alice)
    response = client.post(url("remove_role", auch, role_id=alice_role.pk), follow=True)
    assert "dernier administrateur" in response.content.decode()
    assert StaffRole.objects.filter(pk=alice_role.pk).exists()
    bob_role = StaffRole.objects.get(user=bob)
    client.post(url("remove_role", auch, role_id=bob_role.pk))
    assert not StaffRole.objects.filter(pk=bob_role.pk).exists()
    assert AuditEntry.objects.get(action="role.removed").changes["email"] == "bob@example.org"


def test_an_admin_cannot_reach_another_territorys_invitation_through_her_own(alice, marc, auch, joined_marciac):
    invitation = services.invite_staff(marc, joined_marciac, "eve@example.org", Role.EDITOR, base_url="x")
    marc_role = StaffRole.objects.get(user=marc)
    client = client_for(alice)
    assert client.post(url("revoke_invitation", auch, invitation_id=invitation.pk)).status_code == 404
    assert client.post(url("remove_role", auch, role_id=marc_role.pk)).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and StaffRole.objects.filter(pk=marc_role.pk).exists()


# Accepting an invitation

@pytest.fixture
def invitation(alice, auch, gers_portal):
    return services.invite_staff(alice, auch, "eve@example.org", Role.EDITOR, base_url="http://gers.test")


def accept_url(invitation):
    return reverse("backoffice:accept_invitation", args=[invitation.token])


def test_a_visitor_is_asked_to_sign_in_or_sign_up_and_come_back(invitation):
    page = Client(HTTP_HOST=GERS_HOST).get(accept_url(invitation)).content.decode()
    next_param = f"next=%2Fgestion%2Finvitation%2F{invitation.token}%2F"
    assert f'{reverse("account_login")}?{next_param}' in page
    assert f'{reverse("account_signup")}?{next_param}' in page


def test_the_invited_person_accepts_with_a_post(invitation, auch):
    eve = make_user("eve@example.org")
    client = client_for(eve)
    assert "Accepter l'invitation" in client.get(accept_url(invitation)).content.decode()
    assert not StaffRole.objects.filter(user=eve).exists()  # a GET changes nothing
    response = client.post(accept_url(invitation))
    assert response.status_code == 302
    assert response["Location"] == url("territory", auch)
    assert StaffRole.objects.filter(user=eve, territory=auch, role=Role.EDITOR).exists()
    assert AuditEntry.objects.filter(action="invitation.accepted").exists()


def test_someone_signed_in_with_another_address_gets_a_clear_message_and_no_role(invitation, resident):
    client = client_for(resident)
    assert "une autre adresse" in client.get(accept_url(invitation)).content.decode()
    client.post(accept_url(invitation))
    assert not StaffRole.objects.filter(user=resident).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_expired_invitation_says_so_and_grants_nothing(invitation):
    eve = make_user("eve@example.org")
    client = client_for(eve)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        assert "a expiré" in client.get(accept_url(invitation)).content.decode()
        client.post(accept_url(invitation))
    assert not StaffRole.objects.filter(user=eve).exists()


def test_a_revoked_invitation_says_so(alice, invitation):
    services.revoke_invitation(alice, invitation)
    page = client_for(make_user("eve@example.org")).get(accept_url(invitation)).content.decode()
    assert "annulée" in page


def test_an_invitation_is_not_found_on_another_portal_nor_with_a_wrong_token(invitation, orne_portal):
    assert Client(HTTP_HOST=ORNE_HOST).get(accept_url(invitation)).status_code == 404
    wrong = reverse("backoffice:accept_invitation", args=["not-a-token"])
    assert Client(HTTP_HOST=GERS_HOST).get(wrong).status_code == 404


# Journal

def test_the_journal_is_paginated_newest_first(alice, auch, gers_portal):
    for number in range(35):
        services.record_audit(auch, alice, "test", f"Entrée numéro {number:02d}")
    client = client_for(alice)
    first = client.get(url("audit_log", auch)).content.decode()
    assert "Entrée numéro 34" in first and "Entrée numéro 04" not in first
    second = client.get(url("audit_log", auch) + "?page=2").content.decode()
    assert "Entrée numéro 04" in second
    assert client.get(url("audit_log", auch) + "?page=abc").status_code == 200


def test_the_journal_lists_a_bounded_number_of_queries(alice, auch, gers_portal, django_assert_max_num_queries):
    for number in range(40):
        services.record_audit(auch, alice, "test", f"Entrée {number}")
    client = client_for(alice)
    with django_assert_max_num_queries(15):
        client.get(url("audit_log", auch))
