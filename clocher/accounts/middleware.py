from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from .security import needs_second_factor, second_factor_redirect


class AdminSecondFactorMiddleware:
    """Holds the Django admin to the same second-factor rule as the staff interface.

    The admin's own sign-in form would skip allauth's TOTP step, so it is replaced by allauth's; and a
    superuser who has not activated TOTP yet is sent to activate it before any admin page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def admin_prefix(self) -> str:
        return reverse("admin:index")

    @cached_property
    def admin_login(self) -> str:
        return reverse("admin:login")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.admin_prefix):
            if request.path == self.admin_login:
                if request.user.is_authenticated:
                    # Signed in but not staff: sending them to sign in again would loop.
                    raise PermissionDenied
                target = request.GET.get("next") or self.admin_prefix
                return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
            if needs_second_factor(request.user):
                return second_factor_redirect(request)
        return self.get_response(request)
