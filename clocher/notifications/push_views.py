"""Notifications on this device: the page with its button, and the endpoints push.js posts to.

The page works without JavaScript (it says that notifications need it and points to the inbox and
e-mail). With it, static/js/push.js asks permission only when the button is pressed, subscribes
through the service worker and posts the subscription here as JSON, with the CSRF token. A signed-in
resident's subscription is theirs; without an account, it follows one commune's alerts (a commune of
this portal). Answers are JSON: {"message": ...} on success, {"error": ...} with a 4xx otherwise.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from clocher.accounts.addresses import client_address
from clocher.territories.home import chosen_commune
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.selectors import access_commune

from . import push, vapid

BODY_MAX = 4096
# Subscribing is cheap to abuse (each row is one more push to send): a browser subscribes once,
# maybe again after clearing its data; 20 an hour per person or address is plenty.
CHANGES_PER_HOUR = 20


def _limited(request: PortalRequest) -> bool:
    """Counts one subscription change; whether this person or address went over the limit."""
    who = f"user:{request.user.pk}" if request.user.is_authenticated else f"ip:{client_address(request)}"
    key = f"push:changes:{who}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > CHANGES_PER_HOUR


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _read_json(request: PortalRequest) -> Any:
    """The request's JSON body, or None when it is missing, too long or not JSON."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > BODY_MAX:
        return None
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _commune_for(request: PortalRequest, code: Any) -> Territory | None:
    if not isinstance(code, str) or not code or len(code) > 10:
        return None
    try:
        return access_commune(request.portal, code)
    except Http404:
        return None


@require_GET
@never_cache
def device(request: PortalRequest) -> HttpResponse:
    """Notifications on this device: for a resident, theirs; without an account, a commune's alerts
    (?commune=<INSEE code>, or the commune chosen on this browser)."""
    commune: Territory | None = None
    if not request.user.is_authenticated:
        code = request.GET.get("commune", "")
        commune = access_commune(request.portal, code[:10]) if code else chosen_commune(request)
    return render(request, "notifications/push.html", {"push_commune": commune})


@require_GET
def application_key(request: PortalRequest) -> JsonResponse:
    """The VAPID public key push.js subscribes with (made at first use when set-up did not)."""
    response = JsonResponse({"publicKey": vapid.public_key()})
    response["Cache-Control"] = "no-cache"
    return response


@require_POST
def subscribe(request: PortalRequest) -> JsonResponse:
    data = _read_json(request)
    if data is None:
        return _error(_("La demande n'est pas lisible : un abonnement en JSON est attendu."))
    if _limited(request):
        return _error(_("Trop de demandes depuis cet appareil : réessayez dans une heure."), 429)
    try:
        info = push.check_subscription(data)
        commune = None
        if not request.user.is_authenticated:
            commune = _commune_for(request, data.get("commune"))
            if commune is None:
                raise push.SubscriptionRefused(_("Choisissez d'abord une commune de ce territoire."))
        push.subscribe(
            info, user=request.user if request.user.is_authenticated else None, commune=commune,
            user_agent=request.headers.get("User-Agent", ""), language=get_language() or "fr",
        )
    except push.SubscriptionRefused as refused:
        return _error(refused.message)
    if commune is not None:
        message = _("Cet appareil recevra les alertes de %(commune)s.") % {"commune": commune.name}
    else:
        message = _("Cet appareil recevra vos notifications.")
    return JsonResponse({"message": message})


@require_POST
def unsubscribe(request: PortalRequest) -> JsonResponse:
    data = _read_json(request)
    if not isinstance(data, dict) or not isinstance(data.get("endpoint"), str):
        return _error(_("La demande n'est pas lisible : l'adresse de l'abonnement est attendue."))
    if _limited(request):
        return _error(_("Trop de demandes depuis cet appareil : réessayez dans une heure."), 429)
    push.unsubscribe(data["endpoint"])
    # The same answer whether it was known or not: the browser's subscription is gone either way.
    return JsonResponse({"message": _("Cet appareil ne recevra plus de notifications.")})
