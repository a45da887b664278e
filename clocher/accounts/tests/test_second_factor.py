"""Admins of a territory and superusers must use TOTP; everyone else may."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from clocher.accounts.models import User
from clocher.accounts.security import needs_second_factor, second_factor_required
from clocher.accounts.tests.conftest import activate_totp, totp_code
from conftest import GERS_HOST, PASSWORD, make_user

ACTIVATE = "/comptes/2fa/totp/activate/"


@pytest.fixture
def superuser(db: None) -> User:
    user = make_user("root@example.org", is_staff=True, is_superuser=True)
    return user


def test_it_requires_a_second_factor_of_territory_admins_and_superusers(
    alice: User, bob: User, dora: User, resident: User, superuser: User
) -> None:
    assert needs_second_factor(alice)
    assert needs_second_factor(dora)
    assert needs_second_factor(superuser)
    assert not needs_second_factor(bob)  # an editor
    assert not needs_second_factor(resident)


def test_it_no_longer_asks_once_totp_is_active(alice: User) -> None:
    activate_totp(alice)
    assert not needs_second_factor(alice)


def test_recovery_codes_alone_are_not_a_second_factor(alice: User) -> None:
    Authenticator.objects.create(user=alice, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"})
    assert needs_second_factor(alice)


def _protected(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def _call(user: Any) -> HttpResponse:
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = RequestFactory().get("/gestion/", HTTP_HOST=GERS_HOST)
    request.user = user
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return second_factor_required(_protected)(request)


def test_the_decorator_sends_an_admin_without_totp_to_activate_it(alice: User) -> None:
    response = _call(alice)
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


def test_the_decorator_lets_an_admin_with_totp_through(alice: User) -> None:
    activate_totp(alice)
    assert _call(alice).content == b"ok"


def test_the_decorator_lets_an_editor_through(bob: User) -> None:
    assert _call(bob).content == b"ok"


def test_it_sends_a_superuser_without_totp_from_the_admin_to_activation(
    gers_client: Client, superuser: User
) -> None:
    gers_client.force_login(superuser)
    response = gers_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE
    page = gers_client.get(ACTIVATE, follow=True)
    assert "double authentification" in page.content.decode()


def test_it_opens_the_admin_to_a_superuser_with_totp(gers_client: Client, superuser: User) -> None:
    activate_totp(superuser)
    gers_client.force_login(superuser)
    assert gers_client.get("/admin/").status_code == 200


def test_the_admin_sign_in_form_gives_way_to_the_one_that_asks_for_the_code(gers_client: Client) -> None:
    response = gers_client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == "/comptes/login/?next=%2Fadmin%2Faccounts%2Fuser%2F"


def test_it_asks_for_the_code_at_sign_in_once_totp_is_active(gers_client: Client, superuser: User) -> None:
    secret = activate_totp(superuser)
    response = gers_client.post("/comptes/login/", {"login": superuser.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/comptes/2fa/authenticate/"
    # Not signed in yet: the password alone is not enough.
    assert gers_client.get("/admin/").status_code == 302

    valid_now = {totp_code(secret, offset=k) for k in (-1, 0, 1)}
    wrong_code = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid_now)
    wrong = gers_client.post("/comptes/2fa/authenticate/", {"code": wrong_code})
    assert wrong.status_code == 200
    signed_in = gers_client.post("/comptes/2fa/authenticate/", {"code": totp_code(secret)})
    assert signed_in.status_code == 302
    assert gers_client.get("/admin/").status_code == 200


def _sign_in_and_confirm_password(client: Client, user: User) -> None:
    """Sign in, then type the password again: allauth asks for it before changing a second factor."""
    client.force_login(user)
    response = client.post("/comptes/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302


def test_an_admin_activates_totp_with_a_code_from_the_app(gers_client: Client, alice: User) -> None:
    _sign_in_and_confirm_password(gers_client, alice)
    page = gers_client.get(ACTIVATE)
    assert page.status_code == 200
    assert "Activer" in page.content.decode()
    secret = page.context["form"].secret
    response = gers_client.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert not needs_second_factor(alice)


def test_an_admin_cannot_switch_totp_off(gers_client: Client, alice: User) -> None:
    activate_totp(alice)
    _sign_in_and_confirm_password(gers_client, alice)
    response = gers_client.post("/comptes/2fa/totp/deactivate/")
    assert response.status_code == 200  # the form again, with the refusal
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()


def test_a_resident_may_switch_totp_off(gers_client: Client, resident: User) -> None:
    activate_totp(resident)
    _sign_in_and_confirm_password(gers_client, resident)
    response = gers_client.post("/comptes/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=resident, type=Authenticator.Type.TOTP).exists()
