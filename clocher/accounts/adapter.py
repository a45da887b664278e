from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .security import must_use_second_factor


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no types
    """Clocher's allauth adapter: the place for site-wide sign-up and sign-in rules."""

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().post_login(request, user, **kwargs)
        # The interface speaks the language the person chose on their account page, on any device.
        language = getattr(user, "language", "")
        if language in dict(settings.LANGUAGES):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, language,
                max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]  # allauth ships no types
    """Keeps the second factor of those who must have one: it cannot be switched off, only replaced."""

    def can_delete_authenticator(self, authenticator: Any) -> bool:
        if authenticator.type == Authenticator.Type.TOTP and must_use_second_factor(authenticator.user):
            return False
        return bool(super().can_delete_authenticator(authenticator))
