"""The resident's pages of the foundation: home, choosing a commune, territory pages, legal pages."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .home import (
    COMMUNE_COOKIE,
    banner_for,
    chosen_commune,
    current_territory,
    feed_page,
    module_links,
    modules_for,
    territories_for,
)
from .http import PortalRequest
from .models import Territory, TerritoryKind
from .search import search_territories
from .selectors import access_commune, access_territory, collectivity_of, territories_of_portal
from .services import check_choosable_commune, choose_home_commune

FEED_LIMIT = 20
SEARCH_LIMIT = 20
QUERY_MAX_LENGTH = 80
COOKIE_MAX_AGE = 365 * 24 * 60 * 60


def _card_context(territory: Territory) -> dict[str, Any]:
    return {"territory": territory, "collectivity": collectivity_of(territory)}


# Anonymous visitors of one commune all see the same home page: it is kept this long, so a burst of
# visitors costs one rendering. Short enough that an urgent alert shows within the minute.
HOME_CACHE_SECONDS = 15
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# An INSEE commune code: five characters, digits or 2A/2B for Corsica.
INSEE_CODE = re.compile(r"(?:\d{2}|2[AB])\d{3}")


def _shared_home_cache_key(request: PortalRequest) -> str | None:
    """The cache key of the page every anonymous visitor with this commune cookie sees, or None.

    Keyed by the cookie itself, so a kept page costs no query at all. Signed-in people see their
    followed communes and account links; a visitor with a session or a pending message may see
    something of their own: they get a page rendered for them.
    """
    if request.user.is_authenticated:
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES or CookieStorage.cookie_name in request.COOKIES:
        return None
    code = request.COOKIES.get(COMMUNE_COOKIE, "")
    if code and not INSEE_CODE.fullmatch(code):
        return None
    return f"clocher:home:{request.portal.pk}:{code}:{get_language()}"


def _feed_cursor(request: PortalRequest) -> datetime.datetime | None:
    """The `avant` parameter of "load more": the publication time of the last item shown."""
    raw = request.GET.get("avant")
    if raw is None:
        return None
    try:
        before = datetime.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadFeedCursor from None
    if before.tzinfo is None:
        raise BadFeedCursor
    return before


class BadFeedCursor(Exception):
    pass


@require_GET
def home(request: PortalRequest) -> HttpResponse:
    """The resident's home: the alerts in force, then what their territories publish, newest first.

    "Load more" asks for the same page with `avant=` (the time of the last item shown): htmx gets
    the next items only, a browser without JavaScript the whole page.
    """
    try:
        before = _feed_cursor(request)
    except BadFeedCursor:
        return render(request, "400.html", status=400)
    cache_key = _shared_home_cache_key(request) if not request.GET else None
    if cache_key is not None and (kept := cache.get(cache_key)) is not None:
        return _kept_page(request, kept)
    territory = current_territory(request, request.portal)
    modules = modules_for(request, territory)
    territories = territories_for(request, territory)
    page = feed_page(request.portal, territories, FEED_LIMIT, before, modules=modules)
    context = {
        **_card_context(territory),
        "has_chosen": chosen_commune(request) is not None,
        "items": page.items,
        "next_before": page.next_before,
        "is_next_page": before is not None,
        "banner": banner_for(request.portal, territories, modules) if before is None else [],
        "feed_modules": [m for m in modules if m.feed is not None],
        "links": module_links(modules, territory),
    }
    if before is not None and request.headers.get("HX-Request"):
        return render(request, "territories/home.html#feed-items", context)
    response = render(request, "territories/home.html", context)
    if cache_key is not None:
        # Kept compressed too, so GZipMiddleware does not compress the same page on every request.
        kept = {"html": response.content, "gzip": compress_string(response.content)}
        cache.set(cache_key, kept, HOME_CACHE_SECONDS)
    return response


def _kept_page(request: PortalRequest, kept: dict[str, bytes]) -> HttpResponse:
    if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        response = HttpResponse(kept["gzip"])
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(kept["html"])
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


@require_GET
def choose_commune(request: PortalRequest) -> HttpResponse:
    """Search a commune by name or postcode; htmx asks for the results fragment only."""
    # Control characters (a NUL byte) are no search and PostgreSQL refuses them outright.
    query = "".join(ch for ch in request.GET.get("q", "") if ch.isprintable()).strip()
    problem = ""
    results: list[Territory] = []
    if "q" in request.GET:
        if len(query) > QUERY_MAX_LENGTH:
            problem = _("Cette recherche est trop longue : tapez seulement le nom ou le code postal.")
        elif len(query) < 2:
            problem = _("Tapez au moins deux lettres du nom, ou le code postal.")
        else:
            results = search_territories(
                query, within=territories_of_portal(request.portal), limit=SEARCH_LIMIT
            )
            if not results:
                problem = _("Aucune commune de ce territoire ne correspond à « %(query)s ».") % {
                    "query": query
                }
    fragment = bool(request.headers.get("HX-Request"))
    if results:
        status = ngettext(
            "%(count)d commune trouvée.", "%(count)d communes trouvées.", len(results)
        ) % {"count": len(results)}
    else:
        status = problem
    context = {
        "query": query,
        "fragment": fragment,
        "status": status,
        "results": results,
        "problem": problem,
        "chosen": chosen_commune(request),
    }
    template = "territories/choose_commune.html"
    if fragment:
        template += "#results"
    response = render(request, template, context)
    # The same address answers a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
def choose_commune_submit(request: PortalRequest) -> HttpResponse:
    """Remember the commune: in a cookie for everyone, and on the account of a signed-in resident."""
    commune = access_commune(request.portal, request.POST.get("code", "")[:16])
    response = HttpResponseRedirect(reverse("commune", kwargs={"code": commune.code}))
    response.set_cookie(
        COMMUNE_COOKIE,
        commune.code,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )
    try:
        if request.user.is_authenticated:
            choose_home_commune(request.user, request.portal, commune)
        else:
            check_choosable_commune(request.portal, commune)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("choose_commune")
    messages.success(request, _("%(name)s est maintenant votre commune.") % {"name": commune.name})
    return response


@require_GET
def commune(request: PortalRequest, code: str) -> HttpResponse:
    territory = access_commune(request.portal, code)
    modules = modules_for(request, territory)
    chosen = chosen_commune(request)
    context = {
        **_card_context(territory),
        "is_chosen": chosen is not None and chosen.pk == territory.pk,
        "links": module_links(modules, territory),
    }
    return render(request, "territories/commune.html", context)


@require_GET
def territory(request: PortalRequest, kind: str, code: str) -> HttpResponse:
    """An intercommunalité or a département: its card and what it is made of."""
    if kind == TerritoryKind.COMMUNE:
        return HttpResponseRedirect(reverse("commune", kwargs={"code": code}))
    if kind not in (TerritoryKind.EPCI, TerritoryKind.DEPARTEMENT):
        raise Http404(_("Type de territoire inconnu."))
    found = access_territory(request.portal, kind=kind, code=code)
    if kind == TerritoryKind.EPCI:
        members = list(
            Territory.objects.filter(epci=found, kind=TerritoryKind.COMMUNE, is_active=True)
            .only("name", "code", "population", "kind")
            .order_by("name")
        )
    else:
        members = list(
            Territory.objects.filter(kind=TerritoryKind.EPCI, is_active=True)
            .filter(pk__in=Territory.objects.filter(departement=found).values("epci"))
            .only("name", "code", "population", "kind")
            .order_by("name")
        )
    return render(
        request, "territories/territory.html", {**_card_context(found), "members": members}
    )


@require_GET
def offline(request: PortalRequest) -> HttpResponse:
    return render(request, "territories/offline.html")


@require_GET
def legal_notice(request: PortalRequest) -> HttpResponse:
    return render(request, "territories/legal_notice.html")


@require_GET
def privacy(request: PortalRequest) -> HttpResponse:
    return render(request, "territories/privacy.html")


@require_GET
def accessibility(request: PortalRequest) -> HttpResponse:
    return render(request, "territories/accessibility.html")
