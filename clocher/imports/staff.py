"""Staff pages for a territory's sources (/gestion/<territory>/sources/): list them with their last
run, add one, synchronise it now, switch it off or on, delete it, and read its recent runs.

The routes are mounted under the staff interface by clocher/backoffice/sources.py. The views live
here because the import-linter contract makes `imports` and `backoffice` independent entry
points: neither may import the other, so these views use the same foundation the staff interface
does (sign-in, second factor, `access_staff_territory`) rather than its helpers. As everywhere in
/gestion/, the territory comes first (404 across territories and portals, and for roles other than
admin and editor), then the source is looked up within it only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clocher.accounts.security import second_factor_required
from clocher.organisations.models import Organisation
from clocher.territories.http import PortalRequest
from clocher.territories.models import Role, Territory
from clocher.territories.selectors import access_staff_territory, collectivity_of, roles_of

from .models import MAX_INTERVAL_HOURS, SourceKind
from .selectors import access_source, recent_runs, sources_with_last_run
from .services import (
    MANAGE_ROLES,
    SourceRefused,
    add_source,
    delete_source,
    request_sync,
    set_source_enabled,
)

View = Callable[..., HttpResponse]


def staff_view(view: View) -> View:
    """Sign-in first, then the second factor that admins must have, then the page."""
    return login_required(second_factor_required(view))


class SourceForm(forms.Form):
    """A new source, as staff type it on a phone: what it is, where it is, how often to fetch it."""

    name = forms.CharField(
        label=gettext_lazy("Nom"), max_length=120, required=False,
        help_text=gettext_lazy("Pour vous y retrouver, par exemple « Agenda de l'office de tourisme »."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Format"), choices=SourceKind.choices)
    url = forms.URLField(
        label=gettext_lazy("Adresse (URL)"), max_length=1000, assume_scheme="https",
        help_text=gettext_lazy("Une adresse publique en http:// ou https://."),
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )
    interval_hours = forms.IntegerField(
        label=gettext_lazy("Synchroniser toutes les (heures)"), min_value=1, max_value=MAX_INTERVAL_HOURS,
        initial=24,
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisateur des événements"), queryset=Organisation.objects.none(),
        required=False, empty_label=gettext_lazy("Le territoire lui-même"),
    )

    def __init__(self, *args: Any, territory: Territory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organisation.objects.filter(territory=territory).order_by("name")


def _access(request: PortalRequest, territory_id: int) -> Territory:
    return access_staff_territory(request.user, request.portal, territory_id, roles=MANAGE_ROLES)


def _page(request: PortalRequest, template: str, territory: Territory, **context: Any) -> HttpResponse:
    """Renders a page with what the staff navigation of backoffice/layout.html needs."""
    my_roles = roles_of(request.user, territory)
    return render(request, template, {
        "territory": territory,
        "collectivity": collectivity_of(territory),
        "my_roles": sorted(str(Role(role).label) for role in my_roles),
        "is_admin": Role.ADMIN in my_roles,
        "can_edit": bool(my_roles & set(MANAGE_ROLES)),
        "can_moderate": bool(my_roles & {Role.ADMIN, Role.MODERATOR}),
        **context,
    })


@staff_view
def source_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id)
    form = SourceForm(request.POST if request.method == "POST" else None, territory=territory)
    if request.method == "POST" and form.is_valid():
        try:
            source = add_source(
                request.user, territory, kind=form.cleaned_data["kind"], url=form.cleaned_data["url"],
                name=form.cleaned_data["name"], interval_hours=form.cleaned_data["interval_hours"],
                organisation=form.cleaned_data["organisation"],
            )
        except SourceRefused as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request, _("La source « %(source)s » est ajoutée ; sa première synchronisation est lancée.")
                % {"source": source},
            )
            return redirect("backoffice:sources", territory_id=territory.pk)
    status = 400 if request.method == "POST" else 200
    response = _page(
        request, "backoffice/sources/list.html", territory,
        rows=sources_with_last_run(territory), form=form,
    )
    response.status_code = status
    return response


@staff_view
def source_detail(request: PortalRequest, territory_id: int, source_id: int) -> HttpResponse:
    territory = _access(request, territory_id)
    source = access_source(territory, source_id)
    return _page(request, "backoffice/sources/detail.html", territory, source=source, runs=recent_runs(source))


def _act(request: PortalRequest, action: Callable[[], object], success: str) -> None:
    try:
        action()
    except SourceRefused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@staff_view
def source_sync(request: PortalRequest, territory_id: int, source_id: int) -> HttpResponse:
    territory = _access(request, territory_id)
    source = access_source(territory, source_id)
    if request.method != "POST":
        # After the access checks, so that another territory's source is a 404 whatever the method.
        return HttpResponseNotAllowed(["POST"])
    _act(request, lambda: request_sync(request.user, source),
         _("Synchronisation de « %(source)s » lancée : rechargez la page dans un instant.") % {"source": source})
    return redirect("backoffice:sources", territory_id=territory.pk)


@staff_view
def source_disable(request: PortalRequest, territory_id: int, source_id: int) -> HttpResponse:
    territory = _access(request, territory_id)
    source = access_source(territory, source_id)
    if request.method != "POST":
        # After the access checks, so that another territory's source is a 404 whatever the method.
        return HttpResponseNotAllowed(["POST"])
    _act(request, lambda: set_source_enabled(request.user, source, False),
         _("« %(source)s » ne sera plus synchronisée ; ses événements restent publiés.") % {"source": source})
    return redirect("backoffice:sources", territory_id=territory.pk)


@staff_view
def source_enable(request: PortalRequest, territory_id: int, source_id: int) -> HttpResponse:
    territory = _access(request, territory_id)
    source = access_source(territory, source_id)
    if request.method != "POST":
        # After the access checks, so that another territory's source is a 404 whatever the method.
        return HttpResponseNotAllowed(["POST"])
    _act(request, lambda: set_source_enabled(request.user, source, True),
         _("« %(source)s » est de nouveau synchronisée.") % {"source": source})
    return redirect("backoffice:sources", territory_id=territory.pk)


@staff_view
def source_delete(request: PortalRequest, territory_id: int, source_id: int) -> HttpResponse:
    territory = _access(request, territory_id)
    source = access_source(territory, source_id)
    if request.method == "POST":
        _act(request, lambda: delete_source(request.user, source),
             _("« %(source)s » est supprimée ; ses événements ne sont plus publiés.") % {"source": source})
        return redirect("backoffice:sources", territory_id=territory.pk)
    return _page(request, "backoffice/sources/delete.html", territory, source=source)


# Mounted under /gestion/ (namespace "backoffice") by clocher/backoffice/sources.py.
urlpatterns: list[URLPattern] = [
    path("<int:territory_id>/sources/", source_list, name="sources"),
    path("<int:territory_id>/sources/<int:source_id>/", source_detail, name="source"),
    path("<int:territory_id>/sources/<int:source_id>/synchroniser/", source_sync, name="source_sync"),
    path("<int:territory_id>/sources/<int:source_id>/desactiver/", source_disable, name="source_disable"),
    path("<int:territory_id>/sources/<int:source_id>/activer/", source_enable, name="source_enable"),
    path("<int:territory_id>/sources/<int:source_id>/supprimer/", source_delete, name="source_delete"),
]
