"""Staff pages for participatory budgets before and after the vote
(/gestion/<territory>/participation/budgets/): write and publish a budget, review its projects, add
one received on paper, moderate projects and comments, post the winners' follow-up.

Editors and admins do all of it; moderators see the projects and hide or show projects and comments.
As everywhere in /gestion/, the territory comes from the URL through `access_staff_territory` first
(404 across territories and portals), then the budget among that territory's own, then the project
among the budget's. The vote's staff pages (paper ballots, count, results) are budget_votes'.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from clocher.participation import budget_services
from clocher.participation.budget_forms import (
    BudgetForm,
    HideForm,
    ProjectForm,
    ReviewForm,
    UpdateForm,
    budget_initial,
)
from clocher.participation.budget_selectors import Phase, access_staff_budget, budgets_of, phase_of
from clocher.participation.budget_services import MODERATION_ROLES, BudgetRefused
from clocher.participation.budgets import Budget, Project, ProjectComment, ProjectStatus
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.selectors import communes_within, roles_of
from clocher.territories.services import EDIT_ROLES

from .views import _access, _page, _report, staff_view

ROLES = EDIT_ROLES
SHOWN = 100
PROJECTS_SHOWN = 500


def _add_refusal(form: Any, exc: BudgetRefused) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


# Budgets --------------------------------------------------------------------------------------


@staff_view
@never_cache
def budget_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    budgets = list(budgets_of(territory)[:SHOWN])
    return _page(request, "backoffice/budgets/list.html", territory,
                 rows=[(budget, phase_of(budget), Phase.LABELS[phase_of(budget)]) for budget in budgets])


@staff_view
@never_cache
def budget_create(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    form = BudgetForm(request.POST if request.method == "POST" else None, territory=territory)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                budget = budget_services.create_budget(request.user, territory, form.budget_data())
            except BudgetRefused as exc:
                _add_refusal(form, exc)
            else:
                messages.success(request, _("Le budget « %(title)s » est enregistré en brouillon : relisez-le, "
                                            "puis publiez-le.") % {"title": budget.title})
                return redirect("backoffice:budget_edit", territory_id=territory.pk, budget_id=budget.pk)
        status = 400
    response = _page(request, "backoffice/budgets/form.html", territory, form=form, budget=None)
    response.status_code = status
    return response


def _edit_page(request: PortalRequest, territory: Territory, budget: Budget, form: BudgetForm,
               status: int) -> HttpResponse:
    phase = phase_of(budget)
    response = _page(
        request, "backoffice/budgets/form.html", territory, form=form, budget=budget, phase=phase,
        phase_label=Phase.LABELS[phase], vote_opened=budget_services.has_vote_opened(budget),
        public_url=reverse("budgets:detail", kwargs={"pk": budget.pk}) if phase != Phase.DRAFT else "",
    )
    response.status_code = status
    return response


@staff_view
@never_cache
def budget_edit(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    budget = access_staff_budget(territory, budget_id)
    if request.method != "POST":
        return _edit_page(request, territory, budget, BudgetForm(initial=budget_initial(budget), territory=territory),
                          200)
    form = BudgetForm(request.POST, territory=territory)
    if form.is_valid():
        try:
            budget_services.update_budget(request.user, budget, form.budget_data())
        except BudgetRefused as exc:
            _add_refusal(form, exc)
        else:
            messages.success(request, _("Le budget « %(title)s » est enregistré.") % {"title": form.cleaned_data["title"]})
            return redirect("backoffice:budget_edit", territory_id=territory.pk, budget_id=budget.pk)
    budget.refresh_from_db()
    return _edit_page(request, territory, budget, form, 400)


@staff_view
def budget_publish(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    budget = access_staff_budget(territory, budget_id)
    if request.method == "POST":
        _report(request, lambda: budget_services.publish_budget(request.user, budget),
                _("Le budget « %(title)s » est publié.") % {"title": budget.title})
    return redirect("backoffice:budget_edit", territory_id=territory.pk, budget_id=budget.pk)


# Projects -------------------------------------------------------------------------------------


@staff_view
@never_cache
def project_list(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    """Every project of the budget, hidden and withdrawn ones included, those awaiting review first."""
    territory = _access(request, territory_id, MODERATION_ROLES)
    budget = access_staff_budget(territory, budget_id)
    projects = list(
        Project.objects.filter(budget=budget).select_related("commune").defer("commune__boundary")
        .order_by("status", "title", "pk")[:PROJECTS_SHOWN]
    )
    waiting = sum(1 for p in projects if p.status == ProjectStatus.SUBMITTED and p.hidden_at is None)
    phase = phase_of(budget)
    return _page(request, "backoffice/budgets/projects.html", territory, budget=budget, projects=projects,
                 waiting=waiting, phase=phase, phase_label=Phase.LABELS[phase],
                 before_vote=phase in budget_services.BEFORE_VOTE)


@staff_view
@never_cache
def project_add(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    """A project a resident brought on paper, entered by staff before the vote."""
    territory = _access(request, territory_id, ROLES)
    budget = access_staff_budget(territory, budget_id)
    form = ProjectForm(request.POST or None, request.FILES or None, communes=communes_within(budget.territory))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                project = budget_services.add_project(request.user, budget, form.project_data())
            except BudgetRefused as exc:
                _add_refusal(form, exc)
            else:
                messages.success(request, _("Le projet « %(title)s » est ajouté : étudiez-le maintenant ou plus tard.")
                                 % {"title": project.title})
                return redirect("backoffice:budget_project", territory_id=territory.pk, budget_id=budget.pk,
                                project_id=project.pk)
    phase = phase_of(budget)
    response = _page(request, "backoffice/budgets/add_project.html", territory, budget=budget, form=form,
                     before_vote=phase in budget_services.BEFORE_VOTE)
    response.status_code = status
    return response


def _staff_project(territory: Territory, budget_id: int, project_id: int) -> Project:
    budget = access_staff_budget(territory, budget_id)
    project = (
        Project.objects.filter(budget=budget, pk=project_id).select_related("commune", "author")
        .defer("commune__boundary").first()
    )
    if project is None:
        raise Http404(_("Projet introuvable."))
    project.budget = budget
    return project


def _project_page(request: PortalRequest, territory: Territory, project: Project, *,
                  review_form: ReviewForm | None = None, hide_form: HideForm | None = None,
                  update_form: UpdateForm | None = None, status: int = 200) -> HttpResponse:
    budget = project.budget
    phase = phase_of(budget)
    winner = project.code in budget_services.winning_codes(budget)
    response = _page(
        request, "backoffice/budgets/project.html", territory, budget=budget, project=project, phase=phase,
        phase_label=Phase.LABELS[phase], before_vote=phase in budget_services.BEFORE_VOTE, winner=winner,
        photos=list(project.photos.filter(update__isnull=True)),
        comments=list(project.comments.all()), updates=list(project.updates.prefetch_related("photos")),
        hidden_reason=budget_services.hidden_reasons([project]).get(project.pk, ""),
        review_form=review_form or ReviewForm(initial={
            "status": project.status if project.status in budget_services.REVIEW_STATUSES else None,
            "final_cost": project.final_cost, "reason": project.review_reason,
        }),
        hide_form=hide_form or HideForm(),
        may_moderate=bool(roles_of(request.user, territory) & set(MODERATION_ROLES)),
        update_form=update_form or UpdateForm(initial={"progress": project.progress or None}),
        public_url=(reverse("budgets:project", kwargs={"pk": budget.pk, "project_id": project.pk})
                    if phase != Phase.DRAFT and project.hidden_at is None and project.status != ProjectStatus.WITHDRAWN
                    else ""),
    )
    response.status_code = status
    return response


@staff_view
@never_cache
def project_detail(request: PortalRequest, territory_id: int, budget_id: int, project_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    return _project_page(request, territory, _staff_project(territory, budget_id, project_id))


def _back(territory: Territory, project: Project, anchor: str = "") -> HttpResponse:
    url = reverse("backoffice:budget_project", kwargs={
        "territory_id": territory.pk, "budget_id": project.budget_id, "project_id": project.pk})
    return redirect(url + anchor)


@staff_view
def project_review(request: PortalRequest, territory_id: int, budget_id: int, project_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    project = _staff_project(territory, budget_id, project_id)
    if request.method != "POST":
        return _back(territory, project)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            reviewed = budget_services.review_project(
                request.user, project, form.cleaned_data["status"], reason=form.cleaned_data.get("reason") or "",
                final_cost=form.cleaned_data.get("final_cost"),
            )
        except BudgetRefused as exc:
            _add_refusal(form, exc)
        else:
            messages.success(request, _("Décision enregistrée : « %(title)s » est %(status)s.")
                             % {"title": reviewed.title, "status": str(ProjectStatus(reviewed.status).label).lower()})
            return _back(territory, project)
    return _project_page(request, territory, project, review_form=form, status=400)


@staff_view
def project_hide(request: PortalRequest, territory_id: int, budget_id: int, project_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    project = _staff_project(territory, budget_id, project_id)
    if request.method != "POST":
        return _back(territory, project)
    form = HideForm(request.POST)
    if form.is_valid():
        try:
            budget_services.hide_project(request.user, project, form.cleaned_data["reason"])
        except BudgetRefused as exc:
            _add_refusal(form, exc)
        else:
            messages.success(request, _("Le projet est masqué : il n'apparaît plus sur le site."))
            return _back(territory, project)
    return _project_page(request, territory, project, hide_form=form, status=400)


@staff_view
def project_unhide(request: PortalRequest, territory_id: int, budget_id: int, project_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    project = _staff_project(territory, budget_id, project_id)
    if request.method == "POST":
        _report(request, lambda: budget_services.unhide_project(request.user, project),
                _("Le projet est de nouveau visible."))
    return _back(territory, project)


def _staff_comment(project: Project, comment_id: int) -> ProjectComment:
    comment = ProjectComment.objects.filter(project=project, pk=comment_id).first()
    if comment is None:
        raise Http404(_("Commentaire introuvable."))
    comment.project = project
    return comment


@staff_view
def comment_hide(request: PortalRequest, territory_id: int, budget_id: int, project_id: int,
                 comment_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    project = _staff_project(territory, budget_id, project_id)
    comment = _staff_comment(project, comment_id)
    if request.method == "POST":
        form = HideForm(request.POST)
        if form.is_valid():
            _report(request, lambda: budget_services.hide_comment(request.user, comment, form.cleaned_data["reason"]),
                    _("Le commentaire est masqué."))
        else:
            messages.error(request, _("Indiquez le motif du masquage (200 caractères au plus)."))
    return _back(territory, project, f"#commentaire-{comment.pk}")


@staff_view
def comment_unhide(request: PortalRequest, territory_id: int, budget_id: int, project_id: int,
                   comment_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    project = _staff_project(territory, budget_id, project_id)
    comment = _staff_comment(project, comment_id)
    if request.method == "POST":
        _report(request, lambda: budget_services.unhide_comment(request.user, comment),
                _("Le commentaire est de nouveau visible."))
    return _back(territory, project, f"#commentaire-{comment.pk}")


@staff_view
def project_update(request: PortalRequest, territory_id: int, budget_id: int, project_id: int) -> HttpResponse:
    """Post the follow-up of a winning project: news, progress, photos."""
    territory = _access(request, territory_id, ROLES)
    project = _staff_project(territory, budget_id, project_id)
    if request.method != "POST":
        return _back(territory, project)
    form = UpdateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            budget_services.post_update(request.user, project, form.cleaned_data["text"],
                                        form.cleaned_data["progress"], form.photos())
        except BudgetRefused as exc:
            _add_refusal(form, exc)
        else:
            messages.success(request, _("Les nouvelles du projet sont publiées."))
            return _back(territory, project, "#suivi")
    return _project_page(request, territory, project, update_form=form, status=400)


_B = "<int:territory_id>/participation/budgets/"
_BP = _B + "<int:budget_id>/projets/<int:project_id>/"
urlpatterns: list[URLPattern | URLResolver] = [
    path(_B, budget_list, name="budgets"),
    path(_B + "nouveau/", budget_create, name="budget_create"),
    path(_B + "<int:budget_id>/", budget_edit, name="budget_edit"),
    path(_B + "<int:budget_id>/publier/", budget_publish, name="budget_publish"),
    path(_B + "<int:budget_id>/projets/", project_list, name="budget_projects"),
    path(_B + "<int:budget_id>/projets/nouveau/", project_add, name="budget_project_add"),
    path(_BP, project_detail, name="budget_project"),
    path(_BP + "decision/", project_review, name="budget_project_review"),
    path(_BP + "masquer/", project_hide, name="budget_project_hide"),
    path(_BP + "afficher/", project_unhide, name="budget_project_unhide"),
    path(_BP + "suivi/", project_update, name="budget_project_update"),
    path(_BP + "commentaires/<int:comment_id>/masquer/", comment_hide, name="budget_comment_hide"),
    path(_BP + "commentaires/<int:comment_id>/afficher/", comment_unhide, name="budget_comment_unhide"),
]
