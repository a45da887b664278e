"""The account page, its commune choices, "download my data" and account deletion."""

from __future__ import annotations

from collections.abc import Callable

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clocher.territories.http import PortalRequest
from clocher.territories.models import Portal, Territory, TerritoryKind
from clocher.territories.search import search_territories
from clocher.territories.selectors import access_commune, territories_of_portal

from . import services
from .export import personal_data
from .forms import CommuneCodeForm, CommuneSearchForm, DeleteAccountForm, ProfileForm
from .models import User
from .services import territories_only_held_by


def _user(request: HttpRequest) -> User:
    user = request.user
    # login_required has run: the user is signed in.
    assert isinstance(user, User)
    return user


def _set_language(response: HttpResponse, language: str) -> HttpResponse:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language,
        max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@login_required
@never_cache
def profile(request: PortalRequest) -> HttpResponse:
    """The account page: name and language, home and followed communes, links to the rest."""
    user = _user(request)
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=User.objects.get(pk=user.pk))
        if form.is_valid():
            # The form's model validation has already refused a date in the future or before 1900.
            services.update_profile(
                user, display_name=form.cleaned_data["display_name"], language=form.cleaned_data["language"],
                birth_date=form.cleaned_data["birth_date"],
            )
            translation.activate(user.language)
            messages.success(request, _("Vos informations sont enregistrées."))
            return _set_language(redirect("accounts:profile"), user.language)
    else:
        form = ProfileForm(instance=user)

    search_form = CommuneSearchForm(request.GET or None)
    results = []
    if search_form.is_valid():
        results = search_territories(
            search_form.cleaned_data["q"],
            within=territories_of_portal(request.portal),
            kinds=(TerritoryKind.COMMUNE,),
            limit=10,
        )
        prefetch_related_objects(results, "postcodes")
    followed = list(user.followed_communes.select_related("departement").order_by("name"))
    return render(request, "accounts/profile.html", {
        "form": form,
        "search_form": search_form,
        "searched": search_form.is_bound,
        "results": results,
        "followed": followed,
        "followed_ids": {t.pk for t in followed},
        "home_commune": user.home_commune,
    })


def _change_commune(
    request: PortalRequest,
    change: Callable[[User, Portal, Territory], object],
    success: str,
) -> HttpResponse:
    """Apply `change` to the commune whose code was posted, then go back to the account page.

    A malformed code is a 400, another portal's commune a 404; what the service refuses is shown
    as a message. `success` is formatted with the commune's name.
    """
    user, form = _user(request), CommuneCodeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Code de commune invalide."), status=400)
    commune = access_commune(request.portal, form.cleaned_data["code"])
    try:
        change(user, request.portal, commune)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success % {"name": commune.name})
    return redirect("accounts:profile")


@login_required
@require_POST
def set_home_commune(request: PortalRequest) -> HttpResponse:
    return _change_commune(
        request, services.set_home_commune, _("%(name)s est maintenant votre commune.")
    )


@login_required
@require_POST
def clear_home_commune(request: PortalRequest) -> HttpResponse:
    services.clear_home_commune(_user(request))
    messages.success(request, _("Vous n'avez plus de commune."))
    return redirect("accounts:profile")


@login_required
@require_POST
def follow_commune(request: PortalRequest) -> HttpResponse:
    return _change_commune(request, services.follow_commune, _("Vous suivez maintenant %(name)s."))


@login_required
@require_POST
def unfollow_commune(request: PortalRequest) -> HttpResponse:
    user, form = _user(request), CommuneCodeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Code de commune invalide."), status=400)
    # Any commune the person follows, even one of another portal: it is their own list.
    commune = get_object_or_404(
        user.followed_communes.all(), kind=TerritoryKind.COMMUNE, code=form.cleaned_data["code"]
    )
    services.unfollow_commune(user, commune)
    messages.success(request, _("Vous ne suivez plus %(name)s.") % {"name": commune.name})
    return redirect("accounts:profile")


@login_required
@never_cache
def export_data(request: PortalRequest) -> HttpResponse:
    """Download everything Clocher holds about the person, as one JSON file."""
    data = {
        "generated_at": timezone.now(),
        "portal": request.portal.name,
        **personal_data(_user(request)),
    }
    response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 2})
    filename = f"mes-donnees-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
def delete_account(request: PortalRequest) -> HttpResponse:
    """Ask for the password and an explicit confirmation, then delete the account and sign out."""
    user = _user(request)
    orphaned = territories_only_held_by(user)
    if request.method == "POST":
        # The password is asked again here: someone holding a stolen session must not be able to
        # guess it without limit. allauth's "reauthenticate" limit (10 a minute) applies.
        refused: HttpResponse | None = ratelimit.consume_or_429(
            request, action="reauthenticate", user=user
        )
        if refused is not None:
            return refused
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and not orphaned and form.is_valid():
        try:
            services.delete_account(user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            logout(request)
            messages.success(request, _("Votre compte a été supprimé. Au revoir !"))
            return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/delete.html", {"form": form, "orphaned": orphaned}, status=status)
