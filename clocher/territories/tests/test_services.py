"""The staff services: what each writes, what it refuses, and the journal it keeps."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.utils import timezone
from PIL import Image

from clocher.core.modules import Module, registry
from clocher.territories import services
from clocher.territories.images import reencode_logo
from clocher.territories.models import AuditEntry, Invitation, ModuleSetting, Role, StaffRole
from clocher.territories.services import ActionRefused
from conftest import grant, make_user

BASE_URL = "https://gers.test/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def module():
    registry.register(Module(name="testnews", label="Actualités de test", icon="news"))
    yield
    registry.unregister("testnews")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


# update_collectivity

def test_it_saves_the_collectivity_and_journals_before_and_after(alice, auch, gers_portal):
    entry = services.update_collectivity(
        alice, auch.collectivity, {"phone": "05 62 00 00 00", "opening_hours": "Lundi 9 h – 12 h"}
    )
    auch.collectivity.refresh_from_db()
    assert auch.collectivity.phone == "05 62 00 00 00"
    assert entry is not None and entry.action == "collectivity.updated"
    assert entry.actor == alice
    assert entry.changes["phone"] == {"before": "05 62 61 21 00", "after": "05 62 00 00 00"}
    assert set(entry.changes) == {"phone", "opening_hours"}


def test_it_sanitises_the_description(bob, auch, gers_portal):
    services.update_collectivity(bob, auch.collectivity, {
        "description": '<p onclick="x()">Bienvenue <strong>à Auch</strong><script>alert(1)</script>'
                       '<a href="javascript:alert(1)">piège</a> <a href="https://auch.fr">site</a></p>'
                       '<img src=x onerror=alert(1)>',
    })
    auch.collectivity.refresh_from_db()
    description = auch.collectivity.description
    assert "<strong>à Auch</strong>" in description
    assert 'href="https://auch.fr"' in description
    for forbidden in ("script", "onclick", "javascript:", "<img", "onerror"):
        assert forbidden not in description


def test_it_writes_nothing_when_nothing_changed(alice, auch, gers_portal):
    assert services.update_collectivity(alice, auch.collectivity, {"phone": "05 62 61 21 00"}) is None
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.MODERATOR, Role.CONTROLLER])
def test_it_refuses_to_let_other_roles_edit_the_collectivity(role, auch, gers_portal):
    user = make_user("agent@example.org")
    grant(user, auch, role)
    with pytest.raises(ActionRefused):
        services.update_collectivity(user, auch.collectivity, {"phone": "00"})
    auch.collectivity.refresh_from_db()
    assert auch.collectivity.phone == "05 62 61 21 00"


def test_it_refuses_unknown_fields(alice, auch, gers_portal):
    with pytest.raises(ActionRefused):
        services.update_collectivity(alice, auch.collectivity, {"portal": "x"})


def test_it_replaces_a_logo_and_deletes_the_old_file_after_the_commit(
    alice, auch, gers_portal, media, django_capture_on_commit_callbacks
):
    services.update_collectivity(alice, auch.collectivity, {}, {"logo": reencode_logo(_png())})
    auch.collectivity.refresh_from_db()
    first = auch.collectivity.logo.name
    assert first.endswith(".png") and (media / first).exists()
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.update_collectivity(alice, auch.collectivity, {}, {"logo": reencode_logo(_png())})
    auch.collectivity.refresh_from_db()
    assert auch.collectivity.logo.name != first
    assert not (media / first).exists()
    assert entry is not None and entry.changes["logo"]["replaced"] is True


# set_module_enabled

def test_it_turns_a_module_off_and_journals_it(alice, auch, gers_portal, module):
    entry = services.set_module_enabled(alice, auch, "testnews", False)
    assert ModuleSetting.objects.get(territory=auch, module="testnews").enabled is False
    assert entry is not None and entry.action == "module.disabled"


def test_it_refuses_an_unknown_module(alice, auch, gers_portal):
    with pytest.raises(ActionRefused, match="n'existe pas"):
        services.set_module_enabled(alice, auch, "bitcoin", True)
    assert not ModuleSetting.objects.exists()


def test_it_refuses_modules_to_an_editor(bob, auch, gers_portal, module):
    with pytest.raises(ActionRefused):
        services.set_module_enabled(bob, auch, "testnews", False)


def test_it_refuses_modules_on_a_territory_that_has_not_joined(dora, gers, gers_portal, module):
    with pytest.raises(ActionRefused, match="pas encore rejoint"):
        services.set_module_enabled(dora, gers, "testnews", False)


# invite_staff

def test_it_invites_for_fourteen_days_and_mails_after_the_commit(
    alice, auch, gers_portal, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = services.invite_staff(alice, auch, " Eve@Example.org ", Role.EDITOR, base_url=BASE_URL)
    assert mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert invitation.email == "eve@example.org"
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        datetime.timedelta(days=14), abs=datetime.timedelta(seconds=5)
    )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["eve@example.org"]
    assert f"https://gers.test/gestion/invitation/{invitation.token}/" in mailoutbox[0].body
    assert AuditEntry.objects.get(action="invitation.created").changes == {
        "email": "eve@example.org", "role": "editor",
    }


def test_it_refuses_a_duplicate_pending_invitation(alice, auch, gers_portal):
    services.invite_staff(alice, auch, "eve@example.org", Role.EDITOR, base_url=BASE_URL)
    with pytest.raises(ActionRefused, match="déjà en attente"):
        services.invite_staff(alice, auch, "EVE@example.org", Role.AGENT, base_url=BASE_URL)
    assert Invitation.objects.count() == 1


def test_it_invites_again_once_the_first_invitation_was_revoked(alice, auch, gers_portal):
    first = services.invite_staff(alice, auch, "eve@example.org", Role.EDITOR, base_url=BASE_URL)
    services.revoke_invitation(alice, first)
    services.invite_staff(alice, auch, "eve@example.org", Role.EDITOR, base_url=BASE_URL)
    assert Invitation.objects.count() == 2


def test_it_refuses_to_invite_someone_who_already_has_the_role(alice, bob, auch, gers_portal):
    with pytest.raises(ActionRefused, match="déjà ce rôle"):
        services.invite_staff(alice, auch, "bob@example.org", Role.EDITOR, base_url=BASE_URL)


def test_it_refuses_a_role_on_a_territory_that_has_not_joined(dora, gers, gers_portal):
    with pytest.raises(ActionRefused, match="pas encore rejoint"):
        services.invite_staff(dora, gers, "eve@example.org", Role.EDITOR, base_url=BASE_URL)


def test_it_refuses_invitations_from_an_editor(bob, auch, gers_portal):
    with pytest.raises(ActionRefused):
        services.invite_staff(bob, auch, "eve@example.org", Role.EDITOR, base_url=BASE_URL)


def test_it_refuses_an_unknown_role(alice, auch, gers_portal):
    with pytest.raises(ActionRefused):
        services.invite_staff(alice, auch, "eve@example.org", "king", base_url=BASE_URL)


def test_it_limits_invitations_per_hour_and_territory(alice, auch, gers_portal, mailoutbox):
    for number in range(services.INVITATIONS_PER_HOUR):
        services.invite_staff(alice, auch, f"person{number}@example.org", Role.EDITOR, base_url=BASE_URL)
    with pytest.raises(ActionRefused, match="Trop d'invitations"):
        services.invite_staff(alice, auch, "one-more@example.org", Role.EDITOR, base_url=BASE_URL)
    assert Invitation.objects.count() == services.INVITATIONS_PER_HOUR
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, minutes=1)):
        services.invite_staff(alice, auch, "one-more@example.org", Role.EDITOR, base_url=BASE_URL)


# revoke_invitation

def test_it_revokes_a_pending_invitation_once(alice, auch, gers_portal):
    invitation = services.invite_staff(alice, auch, "eve@example.org", Role.EDITOR, base_url=BASE_URL)
    services.revoke_invitation(alice, invitation)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEntry.objects.filter(action="invitation.revoked").count() == 1
    with pytest.raises(ActionRefused):
        services.revoke_invitation(alice, invitation)


# remove_staff_role

def test_it_refuses_to_remove_the_last_admin(alice, auch, gers_portal):
    admin_role = StaffRole.objects.get(user=alice, territory=auch)
    with pytest.raises(ActionRefused, match="dernier administrateur"):
        services.remove_staff_role(alice, admin_role)
    assert StaffRole.objects.filter(pk=admin_role.pk).exists()
    assert not AuditEntry.objects.exists()


def test_it_removes_an_admin_when_another_remains(alice, auch, gers_portal):
    other = make_user("other@example.org")
    other_role = grant(other, auch, Role.ADMIN)
    services.remove_staff_role(alice, other_role)
    assert not StaffRole.objects.filter(pk=other_role.pk).exists()
    assert AuditEntry.objects.get().changes == {"email": "other@example.org", "role": "admin"}


def test_it_refuses_removals_by_an_editor(alice, bob, auch, gers_portal):
    with pytest.raises(ActionRefused):
        services.remove_staff_role(bob, StaffRole.objects.get(user=alice))


# accept_invitation

@pytest.fixture
def invitation(alice, auch, gers_portal):
    return services.invite_staff(alice, auch, "eve@example.org", Role.EDITOR, base_url=BASE_URL)


def test_it_gives_the_role_to_the_verified_invited_address(invitation, auch):
    eve = make_user("eve@example.org")
    role = services.accept_invitation(eve, invitation)
    assert (role.user, role.territory, role.role) == (eve, auch, Role.EDITOR)
    invitation.refresh_from_db()
    assert invitation.accepted_by == eve and invitation.accepted_at is not None
    assert AuditEntry.objects.filter(action="invitation.accepted", actor=eve).exists()
    with pytest.raises(ActionRefused):
        services.accept_invitation(eve, invitation)


def test_it_refuses_a_forwarded_invitation(invitation, resident):
    with pytest.raises(ActionRefused, match="autre adresse"):
        services.accept_invitation(resident, invitation)
    assert not StaffRole.objects.filter(user=resident).exists()


def test_it_refuses_an_address_that_is_not_verified(invitation):
    eve = make_user("eve@example.org")
    EmailAddress.objects.filter(user=eve).update(verified=False)
    with pytest.raises(ActionRefused):
        services.accept_invitation(eve, invitation)
    assert not StaffRole.objects.filter(user=eve).exists()


def test_it_refuses_an_expired_invitation(invitation):
    eve = make_user("eve@example.org")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)), pytest.raises(ActionRefused):
        services.accept_invitation(eve, invitation)
    assert not StaffRole.objects.filter(user=eve).exists()


def test_it_refuses_a_revoked_invitation(alice, invitation):
    services.revoke_invitation(alice, invitation)
    eve = make_user("eve@example.org")
    with pytest.raises(ActionRefused):
        services.accept_invitation(eve, invitation)
    assert not StaffRole.objects.filter(user=eve).exists()
