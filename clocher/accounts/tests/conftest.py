from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core.cache import cache

from clocher.accounts.models import User


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate limits and used TOTP codes live in the cache: each test starts from none.
    cache.clear()
    yield
    cache.clear()


def totp_code(secret: str, *, offset: int = 0) -> str:
    """The code an authenticator app would show now (or `offset` periods away)."""
    code: str = format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))
    return code


def activate_totp(user: User) -> str:
    """Give `user` an active TOTP authenticator and return its secret."""
    secret: str = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret

