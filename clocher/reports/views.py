"""The resident's report pages: a commune's reports, the form in two steps, a report's public page.

Views parse, check access, call one service and render. Every refusal is a form error.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clocher.territories.http import PortalRequest
from clocher.territories.selectors import access_commune, is_module_enabled

from . import media, media_store, services
from .forms import ReportForm, WhereForm
from .models import EventKind, MediaKind, ReportCategory, ReportEvent, ReportMedia, ReportStatus
from .routing import ReportRefused, categories_at
from .selectors import access_public_report, nearby_open_reports, public_reports


def _rate_keys(request: PortalRequest) -> list[str]:
    keys = [f"ip:{request.META.get('REMOTE_ADDR', '')}"]
    if request.user.is_authenticated:
        keys.append(f"user:{request.user.pk}")
    return keys


@require_GET
def home(request: PortalRequest, code: str) -> HttpResponse:
    """A commune's reports, newest first, narrowed by status."""
    commune = access_commune(request.portal, code)
    if not is_module_enabled(request.portal, commune, "reports"):
        raise Http404(_("Les signalements ne sont pas ouverts dans cette commune."))
    status = request.GET.get("status", "")
    reports = public_reports(request.portal).filter(commune_id=commune.pk).order_by("-created_at", "-pk")
    if status in ReportStatus.values:
        reports = reports.filter(status=status)
    else:
        status = ""
    return render(request, "reports/home.html", {
        "commune": commune, "reports": reports[:50], "status": status, "statuses": ReportStatus.choices,
    })


def _nearby(category: ReportCategory | None, lat: float, lon: float) -> list[Any]:
    return nearby_open_reports(category, lat, lon) if category is not None else []


@require_http_methods(["GET", "POST"])
def new(request: PortalRequest) -> HttpResponse:
    """Step 1 (where) without a point, step 2 (what) with one; POST submits."""
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
        "tile_url": getattr(settings, "MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "tile_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", "© OpenStreetMap"),
    })


@require_POST
def support(request: PortalRequest, pk: int) -> HttpResponse:
    """ "Je signale la même chose": one more supporter for an open report."""
    report = access_public_report(request.portal, pk)
    who: Any = request.user if request.user.is_authenticated else f"ip:{request.META.get('REMOTE_ADDR', '')}"
    try:
        added = services.support_report(report, who)
    except ReportRefused as exc:
        messages.error(request, str(exc))
    else:
        if added:
            messages.success(request, _("Merci : votre soutien est compté."))
        else:
            messages.info(request, _("Vous aviez déjà signalé la même chose."))
    return HttpResponseRedirect(reverse("reports:detail", kwargs={"pk": report.pk}))
