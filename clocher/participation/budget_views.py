"""The resident's pages of participatory budgets before and after the vote: a commune's budgets, a
budget with its phases and projects, a project with its supports, comments and follow-up, and the
forms to propose, edit and withdraw one's own project. The vote and results pages are
budget_vote_views'.

A budget is found through the portal (`access_budget`: a draft or another portal's budget is a
404), a project through its budget (`access_project`: hidden, withdrawn or another budget's is a
404). Every page works without JavaScript: filters are a GET form, supports and comments are POST
forms that come back to the project page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clocher.accounts.addresses import client_address
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.selectors import access_commune, communes_within

from . import budget_services
from .budget_forms import CommentForm, ProjectForm
from .budget_selectors import (
    Phase,
    access_budget,
    access_project,
    budgets_for_commune,
    phase_of,
    public_projects,
)
from .budget_services import BudgetRefused, winning_codes
from .budgets import Budget, Project, ProjectPhoto, ProjectStatus, ProjectSupport
from .eligibility import can_take_part, has_verified_email
from .fixes import fixes_for

# Projects one account may submit in a day: a resident with ideas proposes a few; a flood of
# projects drowns everyone else's.
PROJECTS_PER_DAY = 5
# Comments one account (or one address) may post in an hour, across all projects.
COMMENTS_PER_HOUR = 10
# Supports given or withdrawn by one account in an hour, across all projects: a resident reading
# the projects supports a few dozen; a script toggling one in a loop only loads the database.
SUPPORTS_PER_HOUR = 60
PROJECTS_SHOWN = 300
# The order the commune's list shows phases in: what one can act on first.
LIST_ORDER = (Phase.PROPOSALS, Phase.VOTE, Phase.REVIEW, Phase.COUNTING, Phase.ANNOUNCED, Phase.RESULTS)
SORTS = {
    "soutiens": ("-supports_count", "title", "pk"),
    "recents": ("-created_at", "-pk"),
    "cout": ("estimated_cost", "title", "pk"),
    "titre": ("title", "pk"),
}


# Rate limits --------------------------------------------------------------------------------


def _used(key: str) -> int:
    return int(cache.get(key, 0))


def _count(key: str, timeout: int) -> None:
    cache.add(key, 0, timeout=timeout)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)


def _project_key(request: PortalRequest) -> str:
    return f"budgets:projects:user:{request.user.pk}"


def _comment_keys(request: PortalRequest) -> list[str]:
    return [f"budgets:comments:user:{request.user.pk}", f"budgets:comments:ip:{client_address(request)}"]


# Pages --------------------------------------------------------------------------------------


@require_GET
@never_cache
def budget_list(request: PortalRequest, code: str) -> HttpResponse:
    """The budgets that concern a commune, grouped by phase: what one can act on first."""
    commune = access_commune(request.portal, code)
    now = timezone.now()
    groups: dict[str, list[Budget]] = {phase: [] for phase in LIST_ORDER}
    for budget in budgets_for_commune(request.portal, commune):
        groups.setdefault(phase_of(budget, now), []).append(budget)
    return render(request, "participation/budgets/list.html", {
        "commune": commune,
        "groups": [(phase, Phase.LABELS[phase], groups[phase]) for phase in LIST_ORDER if groups[phase]],
    })


def _steps(budget: Budget, phase: str) -> list[dict[str, Any]]:
    """The phase timeline: each step with its dates and whether it is the current one."""
    steps: list[dict[str, Any]] = [
        {"phase": Phase.PROPOSALS, "start": budget.proposals_opens_at, "end": budget.proposals_closes_at},
        {"phase": Phase.REVIEW, "start": budget.proposals_closes_at, "end": budget.vote_opens_at},
        {"phase": Phase.VOTE, "start": budget.vote_opens_at, "end": budget.vote_closes_at},
        {"phase": Phase.COUNTING, "start": budget.vote_closes_at, "end": budget.results_published_at},
        {"phase": Phase.RESULTS, "start": budget.results_published_at, "end": None},
    ]
    order = Phase.ORDER.index(phase)
    for step in steps:
        step["label"] = Phase.LABELS[step["phase"]]
        step["current"] = step["phase"] == phase
        step["done"] = Phase.ORDER.index(step["phase"]) < order
    # A review that takes no time (vote opening as proposals close) is no step of its own.
    return [s for s in steps if not (s["phase"] == Phase.REVIEW and s["start"] == s["end"] and not s["current"])]


def _filters(request: PortalRequest, budget: Budget) -> dict[str, Any]:
    """The list's filters from the query string; anything unknown is ignored, never an error."""
    communes = communes_within(budget.territory).filter(pk__in=public_projects(budget).values("commune"))
    commune_raw = request.GET.get("commune", "")
    commune = next((c for c in communes if str(c.pk) == commune_raw), None)
    state = request.GET.get("etat", "")
    if state not in (ProjectStatus.SUBMITTED, ProjectStatus.ELIGIBLE, ProjectStatus.INELIGIBLE):
        state = ""
    sort = request.GET.get("tri", "")
    if sort not in SORTS:
        sort = "soutiens" if phase_of(budget) == Phase.PROPOSALS else "titre"
    return {"communes": list(communes), "commune": commune, "state": state, "sort": sort}


def _with_first_photo(projects: QuerySet[Project]) -> QuerySet[Project]:
    return projects.prefetch_related(
        Prefetch("photos", queryset=ProjectPhoto.objects.filter(update__isnull=True), to_attr="own_photos")
    )


@require_GET
@never_cache
def budget_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """The budget: presentation, envelope, phases, what one can do now, and its projects."""
    budget = access_budget(request.portal, pk)
    phase = phase_of(budget)
    filters = _filters(request, budget)
    projects = public_projects(budget)
    if filters["commune"] is not None:
        projects = projects.filter(commune=filters["commune"])
    if filters["state"]:
        projects = projects.filter(status=filters["state"])
    projects = _with_first_photo(projects.order_by(*SORTS[filters["sort"]]))
    shown = list(projects[:PROJECTS_SHOWN])
    winners: list[Project] = []
    if phase == Phase.RESULTS:
        codes = winning_codes(budget)
        winners = list(_with_first_photo(public_projects(budget).filter(code__in=codes).order_by("title", "pk")))
    user: Any = request.user
    reasons: list[str] = []
    if phase == Phase.PROPOSALS:
        reasons = can_take_part(user, budget.eligibility).reasons
    mine = user.is_authenticated and Project.objects.filter(budget=budget, author=user).exists()
    return render(request, "participation/budgets/detail.html", {
        "budget": budget, "phase": phase, "phase_label": Phase.LABELS[phase], "steps": _steps(budget, phase),
        "projects": shown, "truncated": len(shown) == PROJECTS_SHOWN, "filters": filters,
        "states": [(s.value, s.label) for s in (ProjectStatus.SUBMITTED, ProjectStatus.ELIGIBLE,
                                                ProjectStatus.INELIGIBLE)],
        "sorts": [("soutiens", _("Les plus soutenus")), ("recents", _("Les plus récents")),
                  ("cout", _("Les moins chers")), ("titre", _("Par titre"))],
        "filtered": bool(filters["commune"] or filters["state"]),
        "reasons": reasons, "fixes": fixes_for(request, budget.eligibility) if reasons else [],
        "winners": winners, "has_mine": mine,
    })


def _project_page(request: PortalRequest, budget: Budget, project: Project, *,
                  comment_form: CommentForm | None = None, status: int = 200) -> HttpResponse:
    phase = phase_of(budget)
    user: Any = request.user
    supported = user.is_authenticated and ProjectSupport.objects.filter(project=project, user=user).exists()
    reasons: list[str] = []
    if phase == Phase.PROPOSALS and not supported:
        reasons = can_take_part(user, budget.eligibility).reasons
    can_comment = phase not in (Phase.DRAFT, Phase.ANNOUNCED)
    photos = list(project.photos.filter(update__isnull=True))
    updates = list(project.updates.prefetch_related("photos"))
    return render(request, "participation/budgets/project.html", {
        "budget": budget, "phase": phase, "project": project, "photos": photos, "updates": updates,
        "comments": list(project.comments.all()), "supported": supported, "reasons": reasons,
        "fixes": fixes_for(request, budget.eligibility) if reasons else [],
        "can_comment": can_comment,
        "comment_form": comment_form or CommentForm(),
        "may_comment": user.is_authenticated and has_verified_email(user),
        "is_author": user.is_authenticated and project.author_id == user.pk,
        "osm_query": ", ".join(part for part in (project.address, project.commune.name if project.commune else "")
                               if part),
    }, status=status)


@require_GET
@never_cache
def project_detail(request: PortalRequest, pk: int, project_id: int) -> HttpResponse:
    budget = access_budget(request.portal, pk)
    return _project_page(request, budget, access_project(budget, project_id))


def _to_login(request: PortalRequest, next_url: str) -> HttpResponse:
    return redirect(reverse("account_login") + "?" + urlencode({"next": next_url}))


@require_POST
def project_support(request: PortalRequest, pk: int, project_id: int) -> HttpResponse:
    """Support a project (`support=1`) or withdraw one's support (`support=0`), then back to it."""
    budget = access_budget(request.portal, pk)
    project = access_project(budget, project_id)
    back = reverse("budgets:project", kwargs={"pk": budget.pk, "project_id": project.pk})
    if not request.user.is_authenticated:
        return _to_login(request, back)
    key = f"budgets:supports:user:{request.user.pk}"
    if _used(key) >= SUPPORTS_PER_HOUR:
        messages.error(request, _("Vous avez donné ou retiré beaucoup de soutiens : réessayez dans une heure."))
        return HttpResponseRedirect(back + "#soutien")
    try:
        if request.POST.get("support") == "0":
            changed = budget_services.unsupport_project(request.user, project)
            messages.success(request, _("Votre soutien est retiré."))
        else:
            changed = budget_services.support_project(request.user, project)
            messages.success(request, _("Merci : votre soutien est compté."))
    except BudgetRefused as exc:
        messages.error(request, str(exc))
    else:
        if changed:
            _count(key, 3600)
    return HttpResponseRedirect(back + "#soutien")


@require_POST
def project_comment(request: PortalRequest, pk: int, project_id: int) -> HttpResponse:
    """Post a comment; a refusal comes back on the project page with the text kept."""
    budget = access_budget(request.portal, pk)
    project = access_project(budget, project_id)
    back = reverse("budgets:project", kwargs={"pk": budget.pk, "project_id": project.pk})
    if not request.user.is_authenticated:
        return _to_login(request, back)
    form = CommentForm(request.POST)
    keys = _comment_keys(request)
    if any(_used(key) >= COMMENTS_PER_HOUR for key in keys):
        form.add_error(None, _("Vous avez écrit beaucoup de commentaires : réessayez dans une heure."))
        return _project_page(request, budget, project, comment_form=form, status=429)
    if form.is_valid():
        try:
            comment = budget_services.comment_project(request.user, project, form.cleaned_data["text"])
        except BudgetRefused as exc:
            form.add_error("text" if exc.field == "text" else None, str(exc))
        else:
            for key in keys:
                _count(key, 3600)
            messages.success(request, _("Merci : votre commentaire est publié."))
            return HttpResponseRedirect(f"{back}#commentaire-{comment.pk}")
    return _project_page(request, budget, project, comment_form=form, status=400)


def _proposals_communes(budget: Budget) -> QuerySet[Territory]:
    return communes_within(budget.territory)


def _add_refusal(form: Any, exc: BudgetRefused) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@require_http_methods(["GET", "POST"])
@never_cache
def project_propose(request: PortalRequest, pk: int) -> HttpResponse:
    """The form to submit a project, during the proposals phase, for those who may take part."""
    budget = access_budget(request.portal, pk)
    user: Any = request.user
    if not user.is_authenticated:
        return _to_login(request, request.path)
    phase = phase_of(budget)
    reasons = can_take_part(user, budget.eligibility).reasons if phase == Phase.PROPOSALS else []
    left = max(0, PROJECTS_PER_DAY - _used(_project_key(request)))
    communes = _proposals_communes(budget)
    initial: dict[str, Any] = {}
    if user.home_commune_id and communes.filter(pk=user.home_commune_id).exists():
        initial["commune"] = user.home_commune_id
    form = ProjectForm(request.POST or None, request.FILES or None, communes=communes, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if phase != Phase.PROPOSALS:
            form.add_error(None, _("Le dépôt des projets n'est pas ouvert."))
            status = 409
        elif left <= 0:
            form.add_error(None, _("Vous avez proposé %(max)s projets aujourd'hui : réessayez demain.")
                           % {"max": PROJECTS_PER_DAY})
            status = 429
        elif form.is_valid():
            try:
                project = budget_services.submit_project(user, budget, form.project_data())
            except BudgetRefused as exc:
                _add_refusal(form, exc)
            else:
                _count(_project_key(request), 86400)
                messages.success(request, _("Merci : votre projet « %(title)s » est déposé. La collectivité "
                                            "l'étudiera après la clôture du dépôt.") % {"title": project.title})
                return redirect("budgets:project", pk=budget.pk, project_id=project.pk)
    return render(request, "participation/budgets/propose.html", {
        "budget": budget, "phase": phase, "form": form, "reasons": reasons,
        "fixes": fixes_for(request, budget.eligibility) if reasons else [], "left": left, "project": None,
    }, status=status)


def _own_project(request: PortalRequest, budget: Budget, project_id: int) -> Project:
    """The person's own project of this budget, whatever its state, or 404."""
    user: Any = request.user
    project = (
        Project.objects.filter(budget=budget, pk=project_id, author=user)
        .select_related("budget", "commune").defer("commune__boundary").first()
    )
    if project is None:
        raise Http404(_("Projet introuvable."))
    return project


@require_GET
@never_cache
def my_projects(request: PortalRequest, pk: int) -> HttpResponse:
    """The person's projects in this budget, withdrawn and hidden ones included, with what they
    can still do with each."""
    budget = access_budget(request.portal, pk)
    if not request.user.is_authenticated:
        return _to_login(request, request.path)
    projects = list(
        Project.objects.filter(budget=budget, author=request.user).select_related("commune")
        .defer("commune__boundary").order_by("-created_at", "-pk")
    )
    reasons = budget_services.hidden_reasons(projects)
    return render(request, "participation/budgets/mine.html", {
        "budget": budget, "phase": phase_of(budget), "projects": projects,
        "rows": [(project, reasons.get(project.pk, "")) for project in projects],
    })


@require_http_methods(["GET", "POST"])
@never_cache
def project_edit(request: PortalRequest, pk: int, project_id: int) -> HttpResponse:
    """The author changes their project while the proposals are open and before review."""
    budget = access_budget(request.portal, pk)
    if not request.user.is_authenticated:
        return _to_login(request, request.path)
    project = _own_project(request, budget, project_id)
    phase = phase_of(budget)
    photos = list(project.photos.filter(update__isnull=True))
    editable = phase == Phase.PROPOSALS and project.status == ProjectStatus.SUBMITTED
    initial = {"title": project.title, "description": project.description,
               "estimated_cost": project.estimated_cost, "commune": project.commune_id, "address": project.address}
    form = ProjectForm(request.POST or None, request.FILES or None, communes=_proposals_communes(budget),
                       initial=initial, photo_slots=max(0, budget_services.MAX_PHOTOS - len(photos)))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                budget_services.update_project(request.user, project, form.project_data(),
                                               remove_photos=_photo_ids(request, photos))
            except BudgetRefused as exc:
                _add_refusal(form, exc)
            else:
                messages.success(request, _("Votre projet est modifié."))
                return redirect("budgets:mine", pk=budget.pk)
    return render(request, "participation/budgets/propose.html", {
        "budget": budget, "phase": phase, "form": form, "reasons": [], "fixes": [], "left": 1,
        "project": project, "photos": photos, "editable": editable,
        "removed": set(_photo_ids(request, photos)),
    }, status=status)


def _photo_ids(request: PortalRequest, photos: list[ProjectPhoto]) -> list[int]:
    own = {str(photo.pk): photo.pk for photo in photos}
    return [own[value] for value in request.POST.getlist("remove_photo") if value in own]


@require_http_methods(["GET", "POST"])
@never_cache
def project_withdraw(request: PortalRequest, pk: int, project_id: int) -> HttpResponse:
    """A confirmation page, then the withdrawal (POST)."""
    budget = access_budget(request.portal, pk)
    if not request.user.is_authenticated:
        return _to_login(request, request.path)
    project = _own_project(request, budget, project_id)
    if request.method == "POST":
        try:
            budget_services.withdraw_project(request.user, project)
        except BudgetRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Votre projet « %(title)s » est retiré.") % {"title": project.title})
        return redirect("budgets:mine", pk=budget.pk)
    return render(request, "participation/budgets/withdraw.html", {
        "budget": budget, "project": project, "phase": phase_of(budget),
    })
