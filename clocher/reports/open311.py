"""Open311 GeoReport v2: the portal's report categories and public reports, for outside apps.

Views parse → access → call one service → render, as JSON or XML by the URL's extension. Errors
use the standard shape [{"code": .., "description": ..}], also for an unknown address or format
under /open311/v2/. Never the reporter's contact details. The choices (status codes, jurisdiction,
formats) are written down in docs/open311.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from clocher.accounts.addresses import client_address
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
# Report ids are positive 64-bit integers; a larger number is no report, not a database error.
MAX_ID = 2**63 - 1
GET = ("GET", "HEAD")


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
    # The format is part of the address: another one names nothing here, hence 404, not 400.
    if fmt not in FORMATS:
        raise Open311Error(404, _("Format inconnu : json ou xml."))
    # A portal is one jurisdiction. The id is optional; when given it must name this portal, like
    # the host does, so a client pointed at the wrong portal hears it instead of reading our data.
    jurisdiction = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    if jurisdiction and jurisdiction not in (request.get_host().split(":")[0], request.portal.root.code):
        raise Open311Error(404, _("Juridiction inconnue sur ce portail."))


View = Callable[..., HttpResponse]


def _api(methods: tuple[str, ...] = GET) -> Callable[[View], View]:
    """Checks the method, the format and the jurisdiction, and turns refusals into standard errors.

    CSRF exempt: apps call without a session, so there is no token to send, and only POST
    requests writes anything; a POST elsewhere is a 405 from here rather than a CSRF page in HTML.
    """

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: PortalRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fmt = kwargs.get("fmt", "json")
            try:
                if request.method not in methods:
                    response = _error(fmt, 405, _("Méthode non acceptée."))
                    response["Allow"] = ", ".join(methods)
                    return response
                _check(request, fmt)
                return view(request, *args, **kwargs)
            except Open311Error as exc:
                return _error(fmt, exc.status, str(exc))
            except Http404:
                return _error(fmt, 404, _("Introuvable."))

        return wrapped

    return decorate


def _categories(request: PortalRequest) -> list[ReportCategory]:
    territories = territories_of_portal(request.portal).values("pk")
    return list(
        ReportCategory.objects.filter(territory_id__in=territories, is_active=True)
        .select_related("territory").defer("territory__boundary")
        .order_by("territory__name", "position", "name", "pk")
    )


def _service(category: ReportCategory) -> dict[str, Any]:
    return {
        "service_code": _service_code(category),
        "service_name": category.name,
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.territory.name,
    }


def _service_code(category: ReportCategory) -> str:
    return f"{category.territory.code}-{category.code}"


def _find_categories(request: PortalRequest, codes: list[str], status: int) -> list[ReportCategory]:
    """The portal's categories for these service codes. An unknown code is refused with `status`:
    404 when it is in the address (services/{code}), 400 when it is a parameter (POST, filters),
    as the GeoReport servers we know answer a bad parameter."""
    known = {_service_code(c): c for c in _categories(request)}
    if not codes or any(code not in known for code in codes):
        raise Open311Error(status, _("Service inconnu."))
    return [known[code] for code in codes]


@_api()
def discovery(request: PortalRequest, fmt: str) -> HttpResponse:
    """Where the endpoint is and what it speaks."""
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


@_api()
def service_list(request: PortalRequest, fmt: str) -> HttpResponse:
    """Every active category of the portal's collectivities."""
    return _render(fmt, "services", "service", [_service(c) for c in _categories(request)])


@_api()
def service_definition(request: PortalRequest, code: str, fmt: str) -> HttpResponse:
    """A service's extra attributes: none, our categories ask only for the description."""
    _find_categories(request, [code], 404)
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
        # The handling collectivity owns the category (routing.responsible_for): the same code
        # as services.{fmt}, without loading the category's territory.
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
        # We publish no media link (yet): null, as the JSON Schemas allow, since "" is no URI.
        "media_url": None,
    }


def _parse_date(value: str, field: str) -> dt.datetime:
    """A W3C date-time with its offset, in UTC. One whose UTC time leaves the calendar Python
    knows (year 1 with a positive offset, year 9999 with a negative one) is refused too."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, _("Date invalide : %(field)s.") % {"field": field}) from None
    if parsed.tzinfo is None:
        raise Open311Error(400, _("Date sans fuseau horaire : %(field)s.") % {"field": field})
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        raise Open311Error(400, _("Date invalide : %(field)s.") % {"field": field}) from None


def _days_before(moment: dt.datetime, days: int) -> dt.datetime:
    try:
        return moment - dt.timedelta(days=days)
    except OverflowError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)


def _ids(value: str) -> list[int]:
    """The comma list of service_request_id. A number that cannot be a report id finds nothing."""
    try:
        ids = [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise Open311Error(400, _("Identifiant invalide.")) from None
    return [pk for pk in ids if 0 < pk <= MAX_ID][:MAX_REQUESTS]


def _codes(value: str) -> list[str]:
    return [code.strip() for code in value.split(",") if code.strip()]


def _statuses(value: str) -> set[str]:
    wanted = set(_codes(value))
    if not wanted <= {"open", "closed"}:
        raise Open311Error(400, _("État inconnu : open ou closed."))
    return wanted


@_api(methods=(*GET, "POST"))
def requests(request: PortalRequest, fmt: str) -> HttpResponse:
    """GET: the portal's public reports, filtered. POST: a new report (see _post)."""
    if request.method == "POST":
        return _post(request, fmt)
    queryset = public_reports(request.portal)
    params = request.GET
    if ids := params.get("service_request_id", "").strip():
        queryset = queryset.filter(pk__in=_ids(ids))
    else:
        end = _parse_date(params["end_date"], "end_date") if params.get("end_date") else timezone.now()
        start = (_parse_date(params["start_date"], "start_date") if params.get("start_date")
                 else _days_before(end, DEFAULT_DAYS))
        queryset = queryset.filter(created_at__gte=start, created_at__lte=end)
        # Both filters take a comma list, as the spec says.
        if codes := _codes(params.get("service_code", "")):
            queryset = queryset.filter(category__in=_find_categories(request, codes, 400))
        statuses = _statuses(params.get("status", ""))
        if statuses == {"open"}:
            queryset = queryset.exclude(status__in=CLOSED_STATUSES)
        elif statuses == {"closed"}:
            queryset = queryset.filter(status__in=CLOSED_STATUSES)
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
    ignored: we do not fetch remote files. An unknown service_code is a bad parameter: 400."""
    # The spec sends the fields form-encoded; the published Swagger puts them in the query string,
    # and some clients follow it. Both are read, the body winning.
    data = {**request.GET.dict(), **request.POST.dict()}
    client = _client(request, data.get("api_key", ""))
    key = f"ip:{client_address(request)}"
    if client is None and services.reports_left(key) <= 0:
        raise Open311Error(429, _("Trop de signalements depuis cette adresse, réessayez plus tard."))
    [category] = _find_categories(request, [data.get("service_code", "").strip()], 400)
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


@_api()
def request_detail(request: PortalRequest, pk: str, fmt: str) -> HttpResponse:
    """One public report of the portal."""
    report = access_public_report(request.portal, pk)
    return _render(fmt, "service_requests", "request", [_request_row(report, _status_notes(report))])


@_api()
def token(request: PortalRequest, token: str, fmt: str) -> HttpResponse:
    """The report id behind a token, when it is in this portal."""
    pk = Report.objects.filter(token=token).values_list("pk", flat=True).first()
    if pk is None:
        raise Open311Error(404, _("Jeton inconnu."))
    access_public_report(request.portal, pk)
    return _render(fmt, "service_requests", "request", [{"service_request_id": str(pk), "token": token}])


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other address under /open311/v2/ (an unknown format, the singular request/{id} of the
    published Swagger, a typo): the standard error in JSON, not the site's HTML page."""
    return _error("json", 404, _("Adresse inconnue de l'API Open311 (formats : json ou xml)."))
