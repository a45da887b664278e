"""Who must use a second factor, and the guard that sends them to set one up.

Admins of a territory can hand out roles and change what a whole collectivity publishes, and
superusers can change everything: a stolen password alone must not be enough for them. Everyone else
may turn TOTP on, but is not asked to.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from clocher.territories.models import Role, StaffRole

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponse)

ACTIVATE_TOTP_URL_NAME = "mfa_activate_totp"


def must_use_second_factor(user: AbstractBaseUser | AnonymousUser) -> bool:
    """True for superusers and for anyone holding the admin role on any territory."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return StaffRole.objects.filter(user_id=user.pk, role=Role.ADMIN).exists()


def has_second_factor(user: AbstractBaseUser | AnonymousUser) -> bool:
    """True when the user has an active TOTP authenticator (recovery codes alone do not count)."""
    if not user.is_authenticated:
        return False
    return bool(Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists())


def needs_second_factor(user: AbstractBaseUser | AnonymousUser) -> bool:
    """True when the user must use TOTP but has not activated it yet."""
    return must_use_second_factor(user) and not has_second_factor(user)


def second_factor_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """Send the user to TOTP activation, with an explanation."""
    messages.warning(
        request,
        _(
            "Votre rôle d'administration exige une double authentification. Activez une "
            "application d'authentification (TOTP) pour continuer."
        ),
    )
    return HttpResponseRedirect(reverse(ACTIVATE_TOTP_URL_NAME))


def second_factor_required(view: Callable[P, R]) -> Callable[P, R | HttpResponseRedirect]:
    """Decorate a view so that an admin or superuser without TOTP is sent to activate it first.

    Anonymous users pass through untouched: pair it with login_required (placed outside) so they are
    asked to sign in first.
    """

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | HttpResponseRedirect:
        # The request is the first argument of a function view, the second of a method.
        request = next((arg for arg in (*args, kwargs.get("request")) if isinstance(arg, HttpRequest)), None)
        if request is not None and needs_second_factor(request.user):
            return second_factor_redirect(request)
        return view(*args, **kwargs)

    return wrapper
