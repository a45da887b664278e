"""The resident's notification pages: preferences (/notifications/), the inbox, and the one-click
unsubscribe link of e-mails. Everything but the unsubscribe link needs an account; the link works
signed out, its signed token says whose e-mails it stops."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from clocher.accounts import services as account_services
from clocher.accounts.forms import CommuneCodeForm, CommuneSearchForm
from clocher.territories.http import PortalRequest
from clocher.territories.models import TerritoryKind
from clocher.territories.search import search_territories
from clocher.territories.selectors import access_commune, territories_of_portal

from . import selectors, services
from .emails import BadUnsubscribeToken, read_unsubscribe_token
from .forms import PreferencesForm
from .models import Topic

INBOX_PAGE = 20


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: PortalRequest) -> HttpResponse:
    """Everything a resident follows and how it reaches them, on one page that works without JS."""
    user = request.user
    form = PreferencesForm(
        request.POST or None, current=selectors.settings_of(user), preferences=selectors.preferences_of(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_preferences(
                user, follow_home=form.cleaned_data["follow_home"], quiet_start=form.cleaned_data["quiet_start"],
                quiet_end=form.cleaned_data["quiet_end"], topics=form.wanted(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Vos choix de notifications sont enregistrés."))
            return redirect("notifications:preferences")
    search_form = CommuneSearchForm(request.GET or None)
    results = []
    if search_form.is_valid():
        results = search_territories(
            search_form.cleaned_data["q"], within=territories_of_portal(request.portal),
            kinds=(TerritoryKind.COMMUNE,), limit=10,
        )
        prefetch_related_objects(results, "postcodes")
    followed = list(user.followed_communes.select_related("departement").order_by("name"))  # type: ignore[union-attr]  # login_required
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/preferences.html", {
        "form": form,
        "topics": form.topic_fields(),
        "search_form": search_form,
        "searched": search_form.is_bound,
        "results": results,
        "followed": followed,
        "followed_ids": {t.pk for t in followed},
        "home_commune": user.home_commune,  # type: ignore[union-attr]  # login_required
    }, status=status)


@login_required
@require_POST
def follow(request: PortalRequest) -> HttpResponse:
    """Follow one more commune of the portal; a malformed code is a 400, another portal's a 404."""
    form = CommuneCodeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Code de commune invalide."), status=400)
    commune = access_commune(request.portal, form.cleaned_data["code"])
    try:
        account_services.follow_commune(request.user, request.portal, commune)  # type: ignore[arg-type]  # login_required
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Vous suivez maintenant %(name)s.") % {"name": commune.name})
    return HttpResponseRedirect(reverse("notifications:preferences") + "#communes")


@login_required
@require_POST
def unfollow(request: PortalRequest) -> HttpResponse:
    form = CommuneCodeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Code de commune invalide."), status=400)
    commune = get_object_or_404(
        request.user.followed_communes.all(),  # type: ignore[union-attr]  # login_required
        kind=TerritoryKind.COMMUNE, code=form.cleaned_data["code"],
    )
    account_services.unfollow_commune(request.user, commune)  # type: ignore[arg-type]  # login_required
    messages.success(request, _("Vous ne suivez plus %(name)s.") % {"name": commune.name})
    return HttpResponseRedirect(reverse("notifications:preferences") + "#communes")


@login_required
@never_cache
def inbox(request: PortalRequest) -> HttpResponse:
    """The person's notifications, newest first, twenty a page, unread ones said so in words."""
    page = Paginator(selectors.inbox(request.user), INBOX_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "entries": list(page.object_list)})


def _same_origin_path(request: HttpRequest, url: str) -> bool:
    parts = urlsplit(url)
    return (
        url.startswith("/") and not url.startswith("//") and "\\" not in url
        and not parts.scheme and not parts.netloc
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    )


@login_required
@never_cache
def open_entry(request: PortalRequest, pk: int) -> HttpResponse:
    """Marks the entry read and opens what it is about (a path of this portal only)."""
    delivery = selectors.access_delivery(request.user, pk)
    services.mark_read(request.user, delivery)
    url = delivery.notification.url
    if _same_origin_path(request, url):
        return HttpResponseRedirect(url)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: PortalRequest) -> HttpResponse:
    count = services.mark_all_read(request.user)
    if count:
        messages.success(request, _("Toutes vos notifications sont marquées comme lues."))
    return redirect("notifications:inbox")


# The link's signed token is what authorises it, and mail clients post the one-click form
# (RFC 8058: "List-Unsubscribe=One-Click") without any cookie or CSRF token.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm; POST (the page's button or a mail client's one-click) turns the e-mails of
    the token's topics off. A link altered or too old is a 400 that says so."""
    try:
        user_id, topics = read_unsubscribe_token(token)
    except BadUnsubscribeToken:
        user = None
        topics = []
    else:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    known = [topic for topic in topics if topic in Topic.values]
    if user is None or not known:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    labels = [Topic(topic).label for topic in known]
    if request.method == "POST":
        services.stop_emails(user, known)
        return render(request, "notifications/unsubscribe_done.html", {"labels": labels})
    return render(request, "notifications/unsubscribe.html", {"labels": labels, "token": token})
