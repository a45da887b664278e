from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from clocher.accounts.models import User
from clocher.imports import fetch as fetch_module
from clocher.territories.models import Collectivity, Portal, Role, Territory
from conftest import make_user


def with_totp(user: User) -> User:
    """Admins must have a second factor before any /gestion/ page (accounts.security)."""
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def alice(alice: User) -> User:
    return with_totp(alice)


@pytest.fixture
def joined_marciac(gers_portal: Portal, marciac: Territory) -> Territory:
    """Marciac joined too, so a 404 there is about roles, not about a passive territory."""
    Collectivity.objects.create(territory=marciac, portal=gers_portal, phone="05 62 09 30 00")
    return marciac


@pytest.fixture
def marc(joined_marciac: Territory) -> User:
    """Marciac's own admin: the pages a sibling must not open do open for him."""
    user = with_totp(make_user("marc@example.org", display_name="Marc"))
    user.staff_roles.create(territory=joined_marciac, role=Role.ADMIN)
    return user


@pytest.fixture
def public_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DNS in tests: every name resolves to a public address, except intranet.* (10.0.0.5);
    an address stays itself."""
    def resolve(host: str, port: int) -> list[Any]:
        if host.startswith("intranet."):
            return [ipaddress.ip_address("10.0.0.5")]
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            return [ipaddress.ip_address("93.184.216.34")]

    monkeypatch.setattr(fetch_module, "resolve", resolve)
