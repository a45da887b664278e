"""The resident's participation pages that are not one process's: what a commune's residents may take
part in now (the module's home), and verification: enter the residence code received from the mairie."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clocher.accounts.addresses import client_address
from clocher.accounts.models import User
from clocher.territories.http import PortalRequest
from clocher.territories.selectors import access_commune

from . import budget_selectors, consultation_selectors, poll_selectors, services
from .eligibility import has_verified_email, residence_level
from .forms import ResidenceCodeForm
from .selectors import verifications_of

# Tries at a code per hour, for one account and for one address each: with 2^50 codes, guessing
# one at this pace takes longer than anyone lives; a resident who mistypes has five goes.
CODE_TRIES_PER_HOUR = 5


def _tries_keys(request: PortalRequest, user: User) -> list[str]:
    return [f"participation:code-tries:user:{user.pk}", f"participation:code-tries:ip:{client_address(request)}"]


def _tries_left(keys: list[str]) -> int:
    return max(0, CODE_TRIES_PER_HOUR - max(int(cache.get(key, 0)) for key in keys))


def _count_try(keys: list[str]) -> None:
    for key in keys:
        cache.add(key, 0, timeout=3600)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=3600)


@require_GET
def participation_home(request: PortalRequest, code: str) -> HttpResponse:
    """What a commune's residents may take part in: the polls and consultations open or coming, the
    participatory budgets under way, with a link to each kind's full list (closed ones included)."""
    commune = access_commune(request.portal, code)
    polls = poll_selectors.split_by_state(list(poll_selectors.polls_for_commune(request.portal, commune)))
    consultations = consultation_selectors.split_by_state(
        list(consultation_selectors.consultations_for_commune(request.portal, commune))
    )
    budgets = [
        (budget, phase) for budget in budget_selectors.budgets_for_commune(request.portal, commune)
        if (phase := budget_selectors.phase_of(budget)) != budget_selectors.Phase.RESULTS
    ]
    return render(request, "participation/home.html", {
        "commune": commune, "polls": polls, "consultations": consultations, "budgets": budgets,
        "phase_labels": budget_selectors.Phase.LABELS,
    })


@login_required
@never_cache
def verify(request: PortalRequest) -> HttpResponse:
    """Where the person stands (home commune, verifications) and the form for their code."""
    user = request.user
    assert isinstance(user, User)  # login_required has run
    keys = _tries_keys(request, user)
    form = ResidenceCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _tries_left(keys) <= 0:
            form.add_error(None, _("Vous avez essayé plusieurs codes : réessayez dans une heure."))
            status = 429
        elif form.is_valid():
            _count_try(keys)
            try:
                verification = services.redeem_residence_code(user, form.cleaned_data["code"])
            except services.VerificationRefused as exc:
                form.add_error("code", str(exc))
                status = 400
            else:
                messages.success(
                    request,
                    _("Merci : votre domicile à %(commune)s est vérifié.") % {"commune": verification.commune.name},
                )
                return redirect("participation:verify")
        else:
            status = 400
    return render(request, "participation/verify.html", {
        "form": form,
        "home_commune": user.home_commune,
        "level": residence_level(user, user.home_commune),
        "email_verified": has_verified_email(user),
        "verifications": list(verifications_of(user)),
        "tries_left": _tries_left(keys),
    }, status=status)
