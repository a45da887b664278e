"""Staff pages for reports (/gestion/<territory>/signalements/): the agents' queue with filters,
bulk status changes and CSV export, a map of the filtered queue, a report's page with its forms,
and figures per category.

Agents, editors and admins of the collectivity that handles the reports. As elsewhere in
/gestion/, the territory comes from the URL through `_access` first (404 across territories and
portals), then a report is looked up within that territory's queue only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clocher.accounts.models import User
from clocher.core.text import spreadsheet_cell
from clocher.reports import media as report_media
from clocher.reports import services
from clocher.reports.figures import category_figures
from clocher.reports.media_store import attach_photo
from clocher.reports.models import Report, ReportCategory, ReportStatus
from clocher.reports.selectors import HANDLER_ROLES, agent_queue, report_handlers
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.selectors import communes_within
from clocher.territories.services import ActionRefused

from .views import _access, _page, staff_view

QUEUE_PAGE_SIZE = 30
EXPORT_LIMIT = 5000
MAP_LIMIT = 500
ROLES = tuple(HANDLER_ROLES)


# Filters

@dataclass(frozen=True)
class QueueFilters:
    status: str
    category: int | None
    commune: int | None
    older_than: int | None

    def query(self) -> str:
        from urllib.parse import urlencode

        values = {"etat": self.status, "categorie": self.category or "", "commune": self.commune or "",
                  "anciennete": self.older_than or ""}
        return urlencode({k: v for k, v in values.items() if v})


def _int(value: Any, *, upper: int = 2**31 - 1) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= upper else None


def _filters(data: Any) -> QueueFilters:
    status = data.get("etat", "")
    if status not in ("open", "closed", *ReportStatus.values):
        status = ""
    return QueueFilters(status, _int(data.get("categorie")), _int(data.get("commune")),
                        _int(data.get("anciennete"), upper=3650))


def _queue(territory: Territory, filters: QueueFilters) -> QuerySet[Report]:
    return agent_queue(territory, status=filters.status or None, category=filters.category,
                       commune=filters.commune, older_than_days=filters.older_than)


def _options(rows: Any, selected: int | None) -> SafeString:
    """<option> elements built in one pass: a département's queue lists hundreds of communes, and
    the template loop spent more time on them than the rest of the page (make bench)."""
    return mark_safe("".join(  # noqa: S308  # integers, and names escaped here
        f'<option value="{pk}"{" selected" if pk == selected else ""}>{escape(name)}</option>'
        for pk, name in rows
    ))


def _filter_choices(territory: Territory, filters: QueueFilters) -> dict[str, Any]:
    # Routing gives a collectivity only reports of its own categories, in its own communes: the
    # lists come from the catalogue and the map, not from a scan of 100,000 reports.
    categories = ReportCategory.objects.filter(territory=territory).order_by("name").values_list("pk", "name")
    communes = communes_within(territory).values_list("pk", "name")
    statuses = [("open", _("Ouverts")), ("closed", _("Clos")), *ReportStatus.choices]
    return {
        "category_options": _options(categories, filters.category),
        "commune_options": _options(communes, filters.commune),
        "statuses": statuses,
    }


def _report_of(territory: Territory, report_id: int) -> Report:
    report = (
        Report.objects.select_related("territory", "commune", "category", "assignee", "reporter", "duplicate_of")
        .defer("territory__boundary", "commune__boundary")
        .filter(pk=report_id, territory=territory).first()
    )
    if report is None:
        raise Http404(_("Signalement introuvable."))
    return report


# Queue, bulk change, export, map

@staff_view
def report_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    filters = _filters(request.GET)
    if request.method == "POST":
        _bulk_change(request, territory)
        back = _filters(request.POST).query()
        return redirect(request.path + (f"?{back}" if back else ""))
    page = Paginator(_queue(territory, filters), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(request, "backoffice/reports/list.html", territory, page=page, filters=filters,
                 query=filters.query(), bulk_statuses=ReportStatus.choices, **_filter_choices(territory, filters))


def _bulk_change(request: PortalRequest, territory: Territory) -> None:
    status = request.POST.get("bulk_status", "")
    ids = [pk for pk in (_int(v) for v in request.POST.getlist("reports")) if pk is not None]
    if status not in ReportStatus.values or not ids:
        messages.error(request, _("Cochez au moins un signalement et choisissez un état."))
        return
    duplicate_of = None
    if status == ReportStatus.DUPLICATE:
        # Said once for the whole batch, before anything changes, rather than once per report.
        raw = request.POST.get("bulk_duplicate_of", "").strip()
        target = _int(raw)
        if not raw:
            messages.error(request, _("Pour marquer des doublons, indiquez le numéro du signalement d'origine."))
            return
        duplicate_of = Report.objects.filter(pk=target, territory=territory).first() if target else None
        if duplicate_of is None:
            messages.error(request, _("Le signalement d'origine n° %(pk)s n'existe pas dans votre file.") % {"pk": raw[:12]})
            return
    reason = request.POST.get("bulk_reason", "")
    changed = 0
    for report in Report.objects.filter(territory=territory, pk__in=ids[:QUEUE_PAGE_SIZE]).select_related("territory").defer("territory__boundary"):
        try:
            services.change_status(request.user, report, status, public_reason=reason, duplicate_of=duplicate_of)
        except ActionRefused as exc:
            messages.error(request, _("Signalement n° %(pk)s : %(error)s") % {"pk": report.pk, "error": exc})
        else:
            changed += 1
    if changed:
        messages.success(request, _("%(count)s signalement(s) modifié(s).") % {"count": changed})



@staff_view
def report_export(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    filters = _filters(request.GET)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="signalements-{territory.pk}-{stamp}.csv"'
    response.write("\ufeff")  # so that spreadsheets read UTF-8
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("Numéro"), _("Date"), _("Catégorie"), _("Commune"), _("Adresse"), _("Latitude"),
                     _("Longitude"), _("État"), _("Agent"), _("Description"), _("Nom"), _("E-mail"),
                     _("Téléphone"), _("Soutiens")])
    for report in _queue(territory, filters)[:EXPORT_LIMIT]:
        assignee = report.assignee
        writer.writerow([spreadsheet_cell(v) for v in (
            report.pk, timezone.localtime(report.created_at).strftime("%Y-%m-%d %H:%M"), report.category.name,
            report.commune.name, report.address, report.lat, report.lon, ReportStatus(report.status).label,
            (assignee.display_name or assignee.email) if assignee else "", report.description,
            report.reporter_name, report.reporter_email, report.reporter_phone, report.supporters,
        )])
    return response


@dataclass(frozen=True)
class MapPoint:
    report: Report
    x: float
    y: float


@staff_view
def report_map(request: PortalRequest, territory_id: int) -> HttpResponse:
    """The filtered queue drawn on a plain SVG plane (no tiles, no JavaScript): each dot is a link
    to the report; the list beside it says the same. With scripts, reports-map.js draws the list's
    points on a Leaflet map with tiles and hides the plan; the list stays for screen readers."""
    territory = _access(request, territory_id, ROLES)
    filters = _filters(request.GET)
    reports = list(_queue(territory, filters)[:MAP_LIMIT])
    points: list[MapPoint] = []
    if reports:
        lats = [r.lat for r in reports]
        lons = [r.lon for r in reports]
        span = max(max(lats) - min(lats), max(lons) - min(lons), 0.002)
        for report in reports:
            points.append(MapPoint(report, round(20 + 360 * (report.lon - min(lons)) / span, 1),
                                   round(380 - 360 * (report.lat - min(lats)) / span, 1)))
    return _page(request, "backoffice/reports/map.html", territory, points=points, filters=filters,
                 query=filters.query(), truncated=len(reports) == MAP_LIMIT, map_limit=MAP_LIMIT,
                 legend=ReportStatus.choices, **_filter_choices(territory, filters))


# A report's page

class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Nouvel état"), choices=ReportStatus.choices)
    public_reason = forms.CharField(label=gettext_lazy("Motif public (obligatoire pour un rejet)"),
                                    required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    duplicate_of = forms.IntegerField(label=gettext_lazy("Doublon du signalement n°"), required=False,
                                      min_value=1, max_value=2**31 - 1)

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the steps the workflow allows from the current status (services.TRANSITIONS).
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(value, ReportStatus(value).label) for value in ReportStatus.values if value in allowed]


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=gettext_lazy("Agent"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, agents: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Personne")), *((u.pk, u.display_name or u.email) for u in agents)]


class NoteForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Note interne"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class UpdateForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Information publique"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=gettext_lazy("Photo « après » (facultatif)"), required=False)


def _refusal(form: forms.Form, exc: ActionRefused) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc))


def _post_update(request: PortalRequest, report: Report, form: UpdateForm) -> None:
    upload = form.cleaned_data.get("photo")
    # The photo is checked before anything is written: a refused photo publishes nothing.
    processed = report_media.clean_photo(upload) if upload else None
    with transaction.atomic():
        event = services.post_update(request.user, report, form.cleaned_data["text"])
        if processed is not None:
            attach_photo(report, processed, event=event)


@staff_view
def report_detail(request: PortalRequest, territory_id: int, report_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    report = _report_of(territory, report_id)
    agents = report_handlers(territory)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    allowed = services.TRANSITIONS.get(report.status, frozenset())
    status_form = StatusForm(request.POST if action == "status" else None, prefix="status",
                             allowed=sorted(allowed))
    assign_form = AssignForm(request.POST if action == "assign" else None, prefix="assign", agents=agents,
                             initial={"assignee": report.assignee_id})
    note_form = NoteForm(request.POST if action == "note" else None, prefix="note")
    update_form = UpdateForm(request.POST if action == "update" else None,
                             request.FILES if action == "update" else None, prefix="update")
    done = ""
    try:
        if action == "status" and status_form.is_valid():
            data = status_form.cleaned_data
            duplicate = None
            if data.get("duplicate_of"):
                duplicate = Report.objects.filter(pk=data["duplicate_of"], territory=territory).first()
                if duplicate is None:
                    raise services.ReportRefused(_("Ce signalement n'existe pas dans votre file."), "duplicate_of")
            services.change_status(request.user, report, data["status"], public_reason=data.get("public_reason") or "",
                                   duplicate_of=duplicate)
            done = _("L'état est enregistré ; la personne qui a signalé est prévenue si elle a laissé une adresse.")
        elif action == "assign" and assign_form.is_valid():
            chosen = assign_form.cleaned_data.get("assignee")
            agent = next((u for u in agents if u.pk == chosen), None)
            if chosen is not None and agent is None:
                raise services.ReportRefused(_("Choisissez un agent de la liste."), "assignee")
            services.assign(request.user, report, agent)
            done = _("L'attribution est enregistrée.")
        elif action == "note" and note_form.is_valid():
            services.add_note(request.user, report, note_form.cleaned_data["text"])
            done = _("La note interne est ajoutée.")
        elif action == "update" and update_form.is_valid():
            _post_update(request, report, update_form)
            done = _("L'information est publiée.")
    except ActionRefused as exc:
        form = {"status": status_form, "assign": assign_form, "note": note_form, "update": update_form}[action]
        _refusal(form, exc)
    if done:
        messages.success(request, done)
        return redirect("backoffice:report", territory_id=territory.pk, report_id=report.pk)
    events = list(report.events.select_related("actor").prefetch_related("media"))
    media = [m for m in report.media.all() if m.event_id is None]
    return _page(request, "backoffice/reports/detail.html", territory, report=report, events=events, media=media,
                 status_form=status_form, assign_form=assign_form, note_form=note_form, update_form=update_form,
                 allowed=bool(allowed),
                 status=ReportStatus(report.status).label)


# Figures

@staff_view
def report_figures(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    rows = category_figures(territory)
    top = max((row.count for row in rows), default=0)
    bars = [{"row": row, "y": 10 + index * 34, "width": round(250 * row.count / top, 1) if top else 0}
            for index, row in enumerate(rows)]
    return _page(request, "backoffice/reports/figures.html", territory, rows=rows, bars=bars,
                 chart_height=20 + 34 * len(rows))


urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:territory_id>/signalements/", report_list, name="reports"),
    path("<int:territory_id>/signalements/export.csv", report_export, name="reports_export"),
    path("<int:territory_id>/signalements/carte/", report_map, name="reports_map"),
    path("<int:territory_id>/signalements/chiffres/", report_figures, name="reports_figures"),
    path("<int:territory_id>/signalements/<int:report_id>/", report_detail, name="report"),
]
