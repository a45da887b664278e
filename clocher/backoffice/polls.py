"""Staff pages for polls (/gestion/<territory>/participation/sondages/).

Editors and admins of a territory write a poll, publish it, close it early, and read its results at
any time (the page and a CSV), whatever the residents may see yet. As everywhere in /gestion/, the
territory comes from the URL through `access_staff_territory` first (404 across territories and
portals), then the poll is looked up among that territory's own.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from clocher.participation import poll_selectors, poll_services
from clocher.participation.poll_forms import PollForm, initial_of
from clocher.participation.poll_views import csv_response
from clocher.participation.polls import Poll
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.services import EDIT_ROLES

from .views import _access, _page, _report, staff_view

ROLES = EDIT_ROLES
POLLS_SHOWN = 100


def _add_refusal(form: PollForm, exc: poll_services.PollRefused) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@staff_view
def poll_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    polls = list(poll_selectors.polls_of(territory)[:POLLS_SHOWN])
    return _page(request, "backoffice/polls/list.html", territory,
                 rows=[(poll, poll_selectors.state_of(poll)) for poll in polls])


@staff_view
def poll_create(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    form = PollForm(request.POST if request.method == "POST" else None, territory=territory)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                poll = poll_services.create_poll(request.user, territory, form.poll_data())
            except poll_services.PollRefused as exc:
                _add_refusal(form, exc)
            else:
                messages.success(request, _("Le sondage « %(title)s » est enregistré en brouillon : relisez-le, "
                                            "puis publiez-le.") % {"title": poll.title})
                return redirect("backoffice:poll_edit", territory_id=territory.pk, poll_id=poll.pk)
        status = 400
    response = _page(request, "backoffice/polls/form.html", territory, form=form, poll=None)
    response.status_code = status
    return response


def _edit_page(request: PortalRequest, territory: Territory, poll: Poll, form: PollForm, status: int) -> HttpResponse:
    state = poll_selectors.state_of(poll)
    response = _page(
        request, "backoffice/polls/form.html", territory, form=form, poll=poll, state=state,
        started=poll_services.has_started(poll),
        public_url=reverse("polls:detail", kwargs={"pk": poll.pk}) if state != "draft" else "",
    )
    response.status_code = status
    return response


@staff_view
@never_cache
def poll_edit(request: PortalRequest, territory_id: int, poll_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    poll = poll_selectors.access_staff_poll(territory, poll_id)
    if request.method != "POST":
        return _edit_page(request, territory, poll, PollForm(initial=initial_of(poll), territory=territory), 200)
    form = PollForm(request.POST, territory=territory)
    if form.is_valid() and _report_form(
        request, form, lambda: poll_services.update_poll(request.user, poll, form.poll_data()),
        _("Le sondage « %(title)s » est enregistré.") % {"title": form.cleaned_data["title"]},
    ):
        return redirect("backoffice:poll_edit", territory_id=territory.pk, poll_id=poll.pk)
    poll.refresh_from_db()
    return _edit_page(request, territory, poll, form, 400)


def _report_form(request: PortalRequest, form: PollForm, action: Callable[[], object], success: str) -> bool:
    """Like views._report, but a refusal lands on the form's field at fault."""
    try:
        action()
    except poll_services.PollRefused as exc:
        _add_refusal(form, exc)
        return False
    messages.success(request, success)
    return True


@staff_view
def poll_publish(request: PortalRequest, territory_id: int, poll_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    poll = poll_selectors.access_staff_poll(territory, poll_id)
    if request.method == "POST":
        _report(request, lambda: poll_services.publish_poll(request.user, poll),
                _("Le sondage « %(title)s » est publié.") % {"title": poll.title})
    return redirect("backoffice:poll_edit", territory_id=territory.pk, poll_id=poll.pk)


@staff_view
def poll_close(request: PortalRequest, territory_id: int, poll_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    poll = poll_selectors.access_staff_poll(territory, poll_id)
    if request.method == "POST":
        _report(request, lambda: poll_services.close_poll(request.user, poll),
                _("Le vote « %(title)s » est clos.") % {"title": poll.title})
    return redirect("backoffice:poll_edit", territory_id=territory.pk, poll_id=poll.pk)


@staff_view
@never_cache
def poll_results(request: PortalRequest, territory_id: int, poll_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    poll = poll_selectors.access_staff_poll(territory, poll_id)
    return _page(request, "backoffice/polls/results.html", territory, poll=poll,
                 state=poll_selectors.state_of(poll), results=poll_selectors.results(poll),
                 public=poll_selectors.results_visible(poll, None))


@staff_view
@never_cache
def poll_results_csv(request: PortalRequest, territory_id: int, poll_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    return csv_response(poll_selectors.access_staff_poll(territory, poll_id))


_P = "<int:territory_id>/participation/sondages/"
urlpatterns: list[URLPattern | URLResolver] = [
    path(_P, poll_list, name="polls"),
    path(_P + "nouveau/", poll_create, name="poll_create"),
    path(_P + "<int:poll_id>/", poll_edit, name="poll_edit"),
    path(_P + "<int:poll_id>/publier/", poll_publish, name="poll_publish"),
    path(_P + "<int:poll_id>/clore/", poll_close, name="poll_close"),
    path(_P + "<int:poll_id>/resultats/", poll_results, name="poll_results"),
    path(_P + "<int:poll_id>/resultats.csv", poll_results_csv, name="poll_results_csv"),
]
