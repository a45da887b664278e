"""Open311 GeoReport v2: the portal's report categories and public reports, for outside apps.

Views parse → access → call one service → render, as JSON or XML by the URL's extension. Errors
use the standard shape [{"code": .., "description": ..}]. Never the reporter's contact details.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from xml.etree import ElementTree as ET

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from clocher.territories.http import PortalRequest
from clocher.territories.selectors import territories_of_portal

from . import services
from .models import (
    CLOSED_STATUSES,
    Open311Client,
    Report,
    ReportCategory,
    ReportEvent,
    hash_api_key,
)
from .routing import ReportRefused
from .selectors import access_public_report, public_reports

FORMATS = ("json", "xml")
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000


def _w3c(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else None


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        node = ET.SubElement(top, item)
        for key, value in row.items():
            child = ET.SubElement(node, key)
            if isinstance(value, list):
                child.text = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                child.text = "true" if value else "false"
            elif value is not None:
                child.text = str(value)
    body: bytes = ET.tostring(top, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>' + body


def _render(fmt: str, root: str, item: str, rows: Any, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(_xml(root, item, rows if isinstance(rows, list) else [rows]),
                            content_type="text/xml; charset=utf-8", status=status)
    body = json.dumps(rows, allow_nan=False, ensure_ascii=False)
    return HttpResponse(body, content_type="application/json; charset=utf-8", status=status)


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    fmt = fmt if fmt in FORMATS else "json"
    return _render(fmt, "errors", "error", [{"code": status, "description": description}], status)


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status


def _check(request: PortalRequest, fmt: str) -> None:
    if fmt not in FORMATS:
        raise Open311Error(404, _("Format inconnu : json ou xml."))
    jurisdiction = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    if jurisdiction and jurisdiction not in (request.get_host().split(":")[0], request.portal.root.code):
        raise Open311Error(404, _("Juridiction inconnue sur ce portail."))


def _api(view: Any) -> Any:
    def wrapped(request: PortalRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fmt = kwargs.get("fmt", "json")
        try:
            _check(request, fmt)
            return view(request, *args, **kwargs)  # type: ignore[no-any-return]
        except Open311Error as exc:
            return _error(fmt, exc.status, str(exc))
        except Http404:
            return _error(fmt, 404, _("Introuvable."))
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _get_only(request: PortalRequest) -> None:
    if request.method not in ("GET", "HEAD"):
        raise Open311Error(400, _("Méthode non acceptée."))


def _categories(request: PortalRequest) -> list[ReportCategory]:
    territories = territories_of_portal(request.portal).values("pk")
    return list(
        ReportCategory.objects.filter(territory_id__in=territories, is_active=True)
        .select_related("territory").order_by("territory__name", "position", "name", "pk")
    )


def _service(category: ReportCategory) -> dict[str, Any]:
    return {
        "service_code": f"{category.territory.code}-{category.code}",
        "service_name": category.name,
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.territory.name,
    }


def _find_category(request: PortalRequest, code: str) -> ReportCategory:
    for category in _categories(request):
        if f"{category.territory.code}-{category.code}" == code:
            return category
    raise Open311Error(404, _("Service inconnu."))


@_api
def discovery(request: PortalRequest, fmt: str) -> HttpResponse:
    """Where the endpoint is and what it speaks."""
    _get_only(request)
    url = request.build_absolute_uri("/open311/v2/")
    row = {
        "changeset": _w3c(dt.datetime(2026, 11, 24, tzinfo=dt.UTC)),
        "contact": request.portal.name,
        "key_service": _("Clés délivrées par l'équipe du portail."),
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                       "url": url, "changeset": _w3c(dt.datetime(2026, 11, 24, tzinfo=dt.UTC)),
                       "type": "production", "formats": ["application/json", "text/xml"]}],
    }
    if fmt == "xml":
        top = ET.Element("discovery")
        for key in ("changeset", "contact", "key_service"):
            ET.SubElement(top, key).text = str(row[key])
        endpoints = ET.SubElement(top, "endpoints")
        end = ET.SubElement(endpoints, "endpoint")
        for key in ("specification", "url", "changeset", "type"):
            ET.SubElement(end, key).text = str(row["endpoints"][0][key])  # type: ignore[index]
        formats = ET.SubElement(end, "formats")
        for f in ("application/json", "text/xml"):
            ET.SubElement(formats, "format").text = f
        return HttpResponse(ET.tostring(top, encoding="utf-8"), content_type="text/xml; charset=utf-8")
    return _render(fmt, "discovery", "discovery", row)


@_api
def service_list(request: PortalRequest, fmt: str) -> HttpResponse:
    """Every active category of the portal's collectivities."""
    _get_only(request)
    return _render(fmt, "services", "service", [_service(c) for c in _categories(request)])


@_api
def service_definition(request: PortalRequest, code: str, fmt: str) -> HttpResponse:
    """A service's extra attributes: none, our categories ask only for the description."""
    _get_only(request)
    _find_category(request, code)
    row = {"service_code": code, "attributes": []}
    if fmt == "xml":
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = code
        ET.SubElement(top, "attributes")
        return HttpResponse(ET.tostring(top, encoding="utf-8"), content_type="text/xml; charset=utf-8")
    return _render(fmt, "", "", row)


def _status_notes(report: Report) -> str:
    if report.public_reason:
        return report.public_reason
    event = ReportEvent.objects.filter(report_id=report.pk, is_public=True).exclude(text="").order_by("-pk").first()
    return event.text if event is not None else ""


def _request_row(report: Report, notes: str) -> dict[str, Any]:
    return {
        "service_request_id": str(report.pk),
        "status": "closed" if report.status in CLOSED_STATUSES else "open",
        "status_notes": notes,
        "service_name": report.category.name,
        "service_code": f"{report.territory.code}-{report.category.code}",
        "description": report.description,
        "agency_responsible": report.territory.name,
        "service_notice": "",
        "requested_datetime": _w3c(report.created_at),
        "updated_datetime": _w3c(report.updated_at),
        "expected_datetime": None,
        "address": report.address,
        "address_id": "",
        "zipcode": "",
        "lat": report.lat,
        "long": report.lon,
        "media_url": "",
    }


def _parse_date(value: str, field: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, _("Date invalide : %(field)s.") % {"field": field}) from None
    if parsed.tzinfo is None:
        raise Open311Error(400, _("Date sans fuseau horaire : %(field)s.") % {"field": field})
    return parsed


# An API called by apps without a session: no CSRF token to send. Only this endpoint accepts POST.
@csrf_exempt
@_api
def requests(request: PortalRequest, fmt: str) -> HttpResponse:
    """GET: the portal's public reports, filtered. POST: a new report (see _post)."""
    if request.method == "POST":
        return _post(request, fmt)
    _get_only(request)
    queryset = public_reports(request.portal)
    params = request.GET
    if ids := params.get("service_request_id", "").strip():
        try:
            pks = [int(x) for x in ids.split(",") if x.strip()][:MAX_REQUESTS]
        except ValueError:
            raise Open311Error(400, _("Identifiant invalide.")) from None
        queryset = queryset.filter(pk__in=pks)
    else:
        end = _parse_date(params["end_date"], "end_date") if params.get("end_date") else timezone.now()
        start = (_parse_date(params["start_date"], "start_date") if params.get("start_date")
                 else end - dt.timedelta(days=DEFAULT_DAYS))
        queryset = queryset.filter(created_at__gte=start, created_at__lte=end)
        if code := params.get("service_code"):
            category = _find_category(request, code)
            queryset = queryset.filter(category=category)
        status = params.get("status", "")
        if status == "open":
            queryset = queryset.exclude(status__in=CLOSED_STATUSES)
        elif status == "closed":
            queryset = queryset.filter(status__in=CLOSED_STATUSES)
        elif status:
            raise Open311Error(400, _("État inconnu : open ou closed."))
    reports = list(queryset[:MAX_REQUESTS])
    notes: dict[int, str] = {}
    for event in ReportEvent.objects.filter(report_id__in=[r.pk for r in reports], is_public=True).exclude(
        text=""
    ).order_by("pk").only("report_id", "text"):
        notes[event.report_id] = event.text
    rows = [_request_row(r, r.public_reason or notes.get(r.pk, "")) for r in reports]
    return _render(fmt, "service_requests", "request", rows)


def _client(request: PortalRequest, api_key: str) -> Open311Client | None:
    """The trusted client behind the key, or None without one; a wrong, inactive or other
    portal's key is refused rather than silently treated as anonymous."""
    if not api_key:
        return None
    client = Open311Client.objects.filter(key_hash=hash_api_key(api_key), is_active=True).first()
    if client is None or not territories_of_portal(request.portal).filter(pk=client.territory_id).exists():
        raise Open311Error(403, _("Clé d'API invalide."))
    return client


def _post(request: PortalRequest, fmt: str) -> HttpResponse:
    """Creates a report like the web form, under the same per-address rate limit. media_url is
    ignored: we do not fetch remote files."""
    data = request.POST
    client = _client(request, data.get("api_key", ""))
    key = f"ip:{request.META.get('REMOTE_ADDR', '')}"
    if client is None and services.reports_left(key) <= 0:
        raise Open311Error(403, _("Trop de signalements depuis cette adresse, réessayez plus tard."))
    category = _find_category(request, data.get("service_code", ""))
    try:
        lat, lon = float(data.get("lat", "")), float(data.get("long", ""))
    except ValueError:
        raise Open311Error(400, _("lat et long sont obligatoires.")) from None
    name = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
    try:
        report, created = services.submit_report(
            portal=request.portal, category=category, lat=lat, lon=lon,
            description=data.get("description", ""), name=name, email=data.get("email", ""),
            phone=data.get("phone", ""), consent=True,
            idempotency_key=request.headers.get("Idempotency-Key", ""), channel=f"open311:{client.name}" if client else "open311",
            address=data.get("address_string", ""),
        )
    except ReportRefused as exc:
        raise Open311Error(400, str(exc)) from None
    if created and client is None:
        services.count_report(key)
    return _render(fmt, "service_requests", "request",
                   [{"service_request_id": str(report.pk), "token": report.token}], 201 if created else 200)


@_api
def request_detail(request: PortalRequest, pk: str, fmt: str) -> HttpResponse:
    """One public report of the portal."""
    _get_only(request)
    report = access_public_report(request.portal, pk)
    return _render(fmt, "service_requests", "request", [_request_row(report, _status_notes(report))])


@_api
def token(request: PortalRequest, token: str, fmt: str) -> HttpResponse:
    """The report id behind a token, when it is in this portal."""
    _get_only(request)
    pk = Report.objects.filter(token=token).values_list("pk", flat=True).first()
    if pk is None:
        raise Open311Error(404, _("Jeton inconnu."))
    access_public_report(request.portal, pk)
    return _render(fmt, "service_requests", "request", [{"service_request_id": str(pk), "token": token}])
