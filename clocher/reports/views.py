"""The resident's report pages: a commune's reports (list and map), the form in two steps, a
report's public page, and the GeoJSON of a commune's public reports.

Views parse, check access, call one service and render. Every refusal is a form error. A commune
that has the reports module off has none of these pages: its list and GeoJSON answer 404 (the
portal middleware gates URLs with a commune code), a report made there is a 404 (public_reports
leaves it out), and the form refuses a point there.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import DatabaseError, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clocher.accounts.addresses import client_address
from clocher.territories.http import PortalRequest
from clocher.territories.selectors import access_commune, is_module_enabled

from . import media, media_store, services
from .forms import ReportForm, WhereForm
from .models import EventKind, MediaKind, ReportCategory, ReportEvent, ReportMedia, ReportStatus
from .routing import ReportRefused, categories_at
from .selectors import (
    MODULE,
    STATUS_GROUPS,
    access_public_report,
    commune_report_categories,
    commune_reports,
    nearby_open_reports,
    public_map_rows,
    reporting_communes,
)

LIST_PAGE_SIZE = 30
# Markers on a commune's map, newest first. 500 divIcons stay smooth on a modest phone, and the
# GeoJSON stays near 100 KB (20 KB compressed); past that the page says to filter.
MAP_LIMIT = 500
# Coordinates to about a metre: enough to find a pothole, no false precision.
MAP_DECIMALS = 5
# "Je signale la même chose" from one address (or one account) per hour, across all reports: a
# resident walking their street supports a few; inflating many reports needs many addresses.
SUPPORTS_PER_HOUR = 20


def _rate_keys(request: PortalRequest) -> list[str]:
    keys = [f"ip:{client_address(request)}"]
    if request.user.is_authenticated:
        keys.append(f"user:{request.user.pk}")
    return keys


def _status_filter(raw: Any) -> str:
    """A known status or status group, else "" (all)."""
    return raw if raw in STATUS_GROUPS or raw in ReportStatus.values else ""


def _category_filter(raw: Any) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= 2**31 - 1 else None


def _status_choices() -> list[tuple[str, str]]:
    return [("open", _("En attente ou en cours")), ("closed", _("Clos")),
            *((value, str(label)) for value, label in ReportStatus.choices)]


@require_GET
def home(request: PortalRequest, code: str) -> HttpResponse:
    """A commune's reports, newest first, narrowed by status and category: the list (the truth,
    paginated, without JavaScript) and a map of the same filter drawn from the GeoJSON."""
    commune = access_commune(request.portal, code)
    if not is_module_enabled(request.portal, commune, MODULE):
        raise Http404(_("Les signalements ne sont pas ouverts dans cette commune."))
    status = _status_filter(request.GET.get("status", ""))
    categories = commune_report_categories(commune)
    category = _category_filter(request.GET.get("category"))
    if category not in {c.pk for c in categories}:
        category = None
    filters = {key: value for key, value in (("status", status), ("category", category)) if value}
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    reports = commune_reports(request.portal, commune, status=status, category=category)
    page = Paginator(reports, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    geojson_url = reverse("reports:geojson", kwargs={"code": commune.code}) + (f"?{query}" if query else "")
    return render(request, "reports/home.html", {
        "commune": commune, "page": page, "reports": page.object_list, "status": status,
        "statuses": _status_choices(), "categories": categories, "category": category, "query": query,
        "geojson_url": geojson_url, "map_limit": MAP_LIMIT, "legend": ReportStatus.choices,
    })


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(json.dumps({"error": message}, ensure_ascii=False), status=400,
                        content_type="application/json")


@require_GET
def geojson(request: PortalRequest, code: str) -> HttpResponse:
    """A commune's public reports as a GeoJSON FeatureCollection (RFC 7946), newest first: what the
    commune's map draws, and what other software reads. Public fields only; at most MAP_LIMIT
    features, and then `X-Markers-Truncated: 1` and `"truncated": true`. An unknown status or a
    category that is not a number is a 400: a program asking for it should hear that it is wrong."""
    commune = access_commune(request.portal, code)
    if not is_module_enabled(request.portal, commune, MODULE):
        raise Http404(_("Les signalements ne sont pas ouverts dans cette commune."))
    raw_status = request.GET.get("status", "")
    status = _status_filter(raw_status)
    if raw_status and not status:
        return _bad_request(_("État inconnu : open, closed ou %(values)s.") % {"values": ", ".join(ReportStatus.values)})
    raw_category = request.GET.get("category", "")
    category = _category_filter(raw_category)
    if raw_category and category is None:
        return _bad_request(_("La catégorie est un numéro."))
    rows, truncated = public_map_rows(
        commune_reports(request.portal, commune, status=status, category=category), MAP_LIMIT
    )
    labels = dict(ReportStatus.choices)
    site = request.build_absolute_uri("/")[:-1]
    features = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": {"type": "Point", "coordinates": [round(lon, MAP_DECIMALS), round(lat, MAP_DECIMALS)]},
            "properties": {
                "id": pk, "url": site + reverse("reports:detail", kwargs={"pk": pk}), "category": category_name,
                "category_code": category_code, "status": report_status, "status_label": str(labels[report_status]),
                "supporters": supporters, "created_at": created_at.isoformat(),
            },
        }
        for pk, lat, lon, report_status, category_name, category_code, supporters, created_at in rows
    ]
    body = {"type": "FeatureCollection", "truncated": truncated, "features": features}
    response = HttpResponse(json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                            content_type="application/geo+json; charset=utf-8")
    if truncated:
        response["X-Markers-Truncated"] = "1"
    response["Cache-Control"] = "public, max-age=60"
    return response


def _nearby(category: ReportCategory | None, lat: float, lon: float) -> list[Any]:
    return nearby_open_reports(category, lat, lon) if category is not None else []


@require_http_methods(["GET", "POST"])
def new(request: PortalRequest) -> HttpResponse:
    """Step 1 (where) without a point, step 2 (what) with one; POST submits. A portal where no
    commune takes reports has no form (404); a point in a commune that has reports off is refused
    at step 1, on GET and on POST."""
    if not reporting_communes(request.portal).exists():
        raise Http404(_("Les signalements ne sont pas ouverts sur ce portail."))
    source = request.POST if request.method == "POST" else request.GET
    if request.method == "GET" and request.GET.get("step") == "1":
        # "Changer le lieu": back to step 1 with the point typed so far.
        return render(request, "reports/where.html", {"form": WhereForm(initial=request.GET.dict())})
    where = WhereForm(source if "lat" in source else None)
    if not where.is_valid():
        return render(request, "reports/where.html", {"form": where})
    lat, lon = where.cleaned_data["lat"], where.cleaned_data["lon"]
    try:
        categories = categories_at(request.portal, lat, lon)
    except ReportRefused as exc:
        where.add_error(None, str(exc))
        return render(request, "reports/where.html", {"form": where})
    if request.method == "GET":
        chosen = _category(categories, request.GET.get("category"))
        form = ReportForm(initial={**where.cleaned_data, "category": chosen.pk if chosen else None},
                          categories=categories)
        return _step2(request, form, chosen, lat, lon)
    form = ReportForm(request.POST, request.FILES, categories=categories)
    if form.is_valid():
        report = _submit(request, form)
        if report is not None:
            return HttpResponseRedirect(reverse("reports:detail", kwargs={"pk": report.pk}) + "?merci=1")
    chosen = form.chosen_category() if "category" in form.cleaned_data else None
    return _step2(request, form, chosen, lat, lon)


def _category(categories: list[ReportCategory], raw: Any) -> ReportCategory | None:
    try:
        wanted = int(raw)
    except (TypeError, ValueError):
        return None
    return next((c for c in categories if c.pk == wanted), None)


def _step2(request: PortalRequest, form: ReportForm, chosen: ReportCategory | None, lat: float, lon: float) -> HttpResponse:
    return render(request, "reports/new.html", {
        "form": form, "chosen": chosen, "nearby": _nearby(chosen, lat, lon), "lat": lat, "lon": lon,
        "categories": list(form.categories.values()),
    })


def _submit(request: PortalRequest, form: ReportForm) -> Any:
    data = form.cleaned_data
    if data["website"]:
        form.add_error(None, _("Ce formulaire n'a pas pu être envoyé."))
        return None
    keys = _rate_keys(request)
    if any(services.reports_left(key) <= 0 for key in keys):
        form.add_error(None, _("Vous avez envoyé beaucoup de signalements : réessayez dans une heure."))
        return None
    photos = request.FILES.getlist("photos")
    video = request.FILES.get("video")
    try:
        media.check_counts(len(photos), 1 if video else 0)
        cleaned_photos = [media.clean_photo(photo) for photo in photos]
    except media.MediaRefused as exc:
        form.add_error("photos", str(exc))
        return None
    try:
        cleaned_video = media.clean_video(video) if video else None
    except media.MediaRefused as exc:
        form.add_error("video", str(exc))
        return None
    has_contact = bool(data["name"] or data["email"] or data["phone"])
    try:
        with transaction.atomic():
            report, created = services.submit_report(
                portal=request.portal, category=form.chosen_category(), lat=data["lat"], lon=data["lon"],
                description=data["description"], reporter=request.user, name=data["name"],
                email=data["email"], phone=data["phone"], consent=data["consent"] or not has_contact,
                idempotency_key=data["idempotency_key"], address=data["address"],
            )
            if created:
                for photo in cleaned_photos:
                    media_store.attach_photo(report, photo)
                if cleaned_video is not None:
                    media_store.attach_video(report, cleaned_video)
    except ReportRefused as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc))
        return None
    except DatabaseError:
        # Two copies of one kept report raced (the page and the service worker sending at once).
        # Inside the transaction above, SQLite could not see the copy that won, or gave up the
        # whole transaction under the other's write lock ("no such savepoint"); now it can look.
        try:
            earlier = services.earlier_submission(data["idempotency_key"], form.chosen_category())
        except ReportRefused as exc:
            form.add_error(None, str(exc))
            return None
        if earlier is None:
            raise
        return earlier
    if created:
        for key in keys:
            services.count_report(key)
    return report


@require_GET
def detail(request: PortalRequest, pk: int) -> HttpResponse:
    """A report's public page: never the reporter's name, e-mail or phone."""
    report = access_public_report(request.portal, pk)
    events = ReportEvent.objects.filter(report_id=report.pk, is_public=True).exclude(
        kind=EventKind.SUPPORTED
    ).only("kind", "status", "text", "created_at", "report_id").order_by("created_at", "pk")
    photos = list(ReportMedia.objects.filter(report_id=report.pk, kind=MediaKind.PHOTO).only(
        "file", "event_id", "kind", "report_id"))
    videos = list(ReportMedia.objects.filter(report_id=report.pk, kind=MediaKind.VIDEO).only(
        "file", "content_type", "kind", "report_id"))
    return render(request, "reports/detail.html", {
        "report": report, "events": events, "videos": videos,
        "photos": [p for p in photos if p.event_id is None],
        "after_photos": [p for p in photos if p.event_id is not None],
        "thanks": request.GET.get("merci") == "1",
    })


def _supports_key(who: Any) -> str:
    return f"reports:supports:user:{who.pk}" if getattr(who, "is_authenticated", False) else f"reports:supports:{who}"


def _supports_left(who: Any) -> int:
    return max(0, SUPPORTS_PER_HOUR - int(cache.get(_supports_key(who), 0)))


def _count_support(who: Any) -> None:
    key = _supports_key(who)
    cache.add(key, 0, timeout=3600)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)


@require_POST
def support(request: PortalRequest, pk: int) -> HttpResponse:
    """ "Je signale la même chose": one more supporter for an open report.

    Once per account, or per address for an anonymous visitor (an IPv6 /64 being one address),
    for each report; and SUPPORTS_PER_HOUR supports an hour from one address or account across
    all reports, so that one connection cannot raise every report's count."""
    report = access_public_report(request.portal, pk)
    who: Any = request.user if request.user.is_authenticated else f"ip:{client_address(request)}"
    back = HttpResponseRedirect(reverse("reports:detail", kwargs={"pk": report.pk}))
    if _supports_left(who) <= 0:
        messages.error(request, _("Vous avez soutenu beaucoup de signalements : réessayez dans une heure."))
        return back
    try:
        added = services.support_report(report, who)
    except ReportRefused as exc:
        messages.error(request, str(exc))
    else:
        if added:
            _count_support(who)
            messages.success(request, _("Merci : votre soutien est compté."))
        else:
            messages.info(request, _("Vous aviez déjà signalé la même chose."))
    return back
