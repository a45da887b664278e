from __future__ import annotations

from collections.abc import Iterator

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache

from clocher.accounts.models import User
from clocher.core.modules import Module, registry
from clocher.territories.models import Collectivity, Portal, Role, Territory
from conftest import make_user


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The invitation rate limit lives in the cache: each test starts from none.
    cache.clear()
    yield
    cache.clear()


def with_totp(user: User) -> User:
    """Admins must have a second factor before any /gestion/ page (accounts.security)."""
    TOTP.activate(user, generate_totp_secret())
    return user


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
def agenda_module() -> Iterator[Module]:
    """A module in the registry, as an installed app registers it from its AppConfig."""
    existed = registry.get("testagenda")
    module = registry.register(Module(name="testagenda", label="Agenda de test", icon="calendar"))
    yield module
    if existed is None:
        registry.unregister("testagenda")


# The conftest personas, with the second factor their admin role requires on /gestion/.
@pytest.fixture
def alice(alice: User) -> User:
    return with_totp(alice)


@pytest.fixture
def dora(dora: User) -> User:
    return with_totp(dora)


@pytest.fixture
def charlie(charlie: User) -> User:
    return with_totp(charlie)
