"""Staff pages for consultations (/gestion/<territory>/participation/consultations/).

Editors and admins of a territory write a consultation and its questions, publish it, close it
early, and read its results at any time (the dashboard, a CSV and an XLSX of every response),
whatever residents may see yet. As everywhere in /gestion/, the territory comes from the URL
through `access_staff_territory` first (404 across territories and portals), then the consultation
among that territory's own, then the question among that consultation's. Every page works without
JavaScript: questions are added, edited, moved and removed with plain forms.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from clocher.participation import consultation_export, consultation_selectors, consultation_services
from clocher.participation.consultation_forms import (
    ConsultationForm,
    QuestionForm,
    consultation_initial,
    question_initial,
)
from clocher.participation.consultations import Consultation, Question, QuestionKind
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.services import EDIT_ROLES

from .views import _access, _page, _report, staff_view

ROLES = EDIT_ROLES
SHOWN = 100
Refused = consultation_services.ConsultationRefused


def _refusal_on(form: ConsultationForm | QuestionForm, exc: Refused) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def _attempt(request: PortalRequest, form: ConsultationForm | QuestionForm, action: Callable[[], object],
             success: str) -> bool:
    """Like views._report, but a refusal lands on the form's field at fault."""
    try:
        action()
    except Refused as exc:
        _refusal_on(form, exc)
        return False
    messages.success(request, success)
    return True


@staff_view
def consultation_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    found = list(consultation_selectors.consultations_of(territory)[:SHOWN])
    return _page(request, "backoffice/consultations/list.html", territory,
                 rows=[(c, consultation_selectors.state_of(c)) for c in found])


@staff_view
def consultation_create(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    form = ConsultationForm(request.POST if request.method == "POST" else None, territory=territory)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                consultation = consultation_services.create_consultation(
                    request.user, territory, form.consultation_data())
            except Refused as exc:
                _refusal_on(form, exc)
            else:
                messages.success(request, _("La consultation « %(title)s » est enregistrée en brouillon : ajoutez "
                                            "ses questions, puis publiez-la.") % {"title": consultation.title})
                return redirect("backoffice:consultation_edit", territory_id=territory.pk,
                                consultation_id=consultation.pk)
        status = 400
    response = _page(request, "backoffice/consultations/form.html", territory, form=form, consultation=None)
    response.status_code = status
    return response


def _edit_page(request: PortalRequest, territory: Territory, consultation: Consultation, form: ConsultationForm,
               status: int) -> HttpResponse:
    state = consultation_selectors.state_of(consultation)
    questions = consultation_selectors.questions_of(consultation)
    pages = consultation_selectors.pages_of(questions)
    page_of = {q.pk: number for number, page in enumerate(pages, start=1) for q in page}
    response = _page(
        request, "backoffice/consultations/form.html", territory, form=form, consultation=consultation,
        state=state, started=consultation_services.has_started(consultation),
        questions=[(q, page_of[q.pk]) for q in questions], page_count=len(pages), kinds=QuestionKind.choices,
        response_count=consultation.responses.count(),
        public_url=reverse("consultations:detail", kwargs={"pk": consultation.pk}) if state != "draft" else "",
    )
    response.status_code = status
    return response


@staff_view
@never_cache
def consultation_edit(request: PortalRequest, territory_id: int, consultation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    if request.method != "POST":
        form = ConsultationForm(initial=consultation_initial(consultation), territory=territory)
        return _edit_page(request, territory, consultation, form, 200)
    form = ConsultationForm(request.POST, territory=territory)
    if form.is_valid() and _attempt(
        request, form,
        lambda: consultation_services.update_consultation(request.user, consultation, form.consultation_data()),
        _("La consultation « %(title)s » est enregistrée.") % {"title": form.cleaned_data["title"]},
    ):
        return redirect("backoffice:consultation_edit", territory_id=territory.pk, consultation_id=consultation.pk)
    consultation.refresh_from_db()
    return _edit_page(request, territory, consultation, form, 400)


@staff_view
def consultation_publish(request: PortalRequest, territory_id: int, consultation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    if request.method == "POST":
        _report(request, lambda: consultation_services.publish_consultation(request.user, consultation),
                _("La consultation « %(title)s » est publiée.") % {"title": consultation.title})
    return redirect("backoffice:consultation_edit", territory_id=territory.pk, consultation_id=consultation.pk)


@staff_view
def consultation_close(request: PortalRequest, territory_id: int, consultation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    if request.method == "POST":
        _report(request, lambda: consultation_services.close_consultation(request.user, consultation),
                _("La consultation « %(title)s » est close.") % {"title": consultation.title})
    return redirect("backoffice:consultation_edit", territory_id=territory.pk, consultation_id=consultation.pk)


def _earlier(consultation: Consultation, question: Question | None) -> list[Question]:
    """The questions a condition may depend on: those before `question` (all, for a new one)."""
    questions = consultation_selectors.questions_of(consultation)
    if question is None:
        return questions
    return [q for q in questions if (q.position, q.pk) < (question.position, question.pk)]


def _question_page(request: PortalRequest, territory: Territory, consultation: Consultation,
                   question: Question | None, form: QuestionForm, status: int) -> HttpResponse:
    response = _page(request, "backoffice/consultations/question.html", territory, consultation=consultation,
                     question=question, form=form, started=consultation_services.has_started(consultation))
    response.status_code = status
    return response


@staff_view
@never_cache
def question_create(request: PortalRequest, territory_id: int, consultation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    earlier = _earlier(consultation, None)
    if request.method != "POST":
        kind = request.GET.get("type", QuestionKind.SINGLE)
        initial = {"kind": kind if kind in QuestionKind.values else QuestionKind.SINGLE, "scale_min": 1, "scale_max": 5}
        return _question_page(request, territory, consultation, None, QuestionForm(initial=initial, earlier=earlier),
                              200)
    form = QuestionForm(request.POST, earlier=earlier)
    if form.is_valid() and _attempt(
        request, form,
        lambda: consultation_services.add_question(request.user, consultation, form.question_data()),
        _("La question « %(label)s » est ajoutée.") % {"label": form.cleaned_data["label"]},
    ):
        return redirect(reverse("backoffice:consultation_edit", kwargs={
            "territory_id": territory.pk, "consultation_id": consultation.pk}) + "#questions")
    return _question_page(request, territory, consultation, None, form, 400)


@staff_view
@never_cache
def question_edit(request: PortalRequest, territory_id: int, consultation_id: int, question_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    question = consultation_selectors.access_staff_question(consultation, question_id)
    earlier = _earlier(consultation, question)
    if request.method != "POST":
        form = QuestionForm(initial=question_initial(question), earlier=earlier)
        return _question_page(request, territory, consultation, question, form, 200)
    form = QuestionForm(request.POST, earlier=earlier)
    if form.is_valid() and _attempt(
        request, form,
        lambda: consultation_services.update_question(request.user, question, form.question_data()),
        _("La question « %(label)s » est enregistrée.") % {"label": form.cleaned_data["label"]},
    ):
        return redirect(reverse("backoffice:consultation_edit", kwargs={
            "territory_id": territory.pk, "consultation_id": consultation.pk}) + "#questions")
    return _question_page(request, territory, consultation, question, form, 400)


@staff_view
def question_delete(request: PortalRequest, territory_id: int, consultation_id: int, question_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    question = consultation_selectors.access_staff_question(consultation, question_id)
    if request.method == "POST":
        _report(request, lambda: consultation_services.delete_question(request.user, question),
                _("La question « %(label)s » est retirée.") % {"label": question.label})
    return redirect(reverse("backoffice:consultation_edit", kwargs={
        "territory_id": territory.pk, "consultation_id": consultation.pk}) + "#questions")


@staff_view
def question_move(request: PortalRequest, territory_id: int, consultation_id: int, question_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    question = consultation_selectors.access_staff_question(consultation, question_id)
    if request.method == "POST":
        direction = request.POST.get("direction", "")
        _report(request, lambda: consultation_services.move_question(request.user, question, direction),
                _("La question « %(label)s » est déplacée.") % {"label": question.label})
    return redirect(reverse("backoffice:consultation_edit", kwargs={
        "territory_id": territory.pk, "consultation_id": consultation.pk}) + f"#question-{question.pk}")


@staff_view
@never_cache
def consultation_results(request: PortalRequest, territory_id: int, consultation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    state = consultation_selectors.state_of(consultation)
    if state == "draft":
        raise Http404(_("Pas de résultats pour un brouillon."))
    return _page(request, "backoffice/consultations/results.html", territory, consultation=consultation,
                 state=state, results=consultation_selectors.results(consultation, with_texts=True),
                 public=consultation_selectors.results_visible(consultation), staff=True)


@staff_view
@never_cache
def consultation_export_csv(request: PortalRequest, territory_id: int, consultation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    response = HttpResponse(consultation_export.as_csv(consultation), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="consultation-{consultation.pk}-reponses.csv"'
    return response


@staff_view
@never_cache
def consultation_export_xlsx(request: PortalRequest, territory_id: int, consultation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    consultation = consultation_selectors.access_staff_consultation(territory, consultation_id)
    response = HttpResponse(
        consultation_export.as_xlsx(consultation),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="consultation-{consultation.pk}-reponses.xlsx"'
    return response


_C = "<int:territory_id>/participation/consultations/"
_Q = _C + "<int:consultation_id>/questions/"
urlpatterns: list[URLPattern | URLResolver] = [
    path(_C, consultation_list, name="consultations"),
    path(_C + "nouvelle/", consultation_create, name="consultation_create"),
    path(_C + "<int:consultation_id>/", consultation_edit, name="consultation_edit"),
    path(_C + "<int:consultation_id>/publier/", consultation_publish, name="consultation_publish"),
    path(_C + "<int:consultation_id>/clore/", consultation_close, name="consultation_close"),
    path(_C + "<int:consultation_id>/resultats/", consultation_results, name="consultation_results"),
    path(_C + "<int:consultation_id>/reponses.csv", consultation_export_csv, name="consultation_export_csv"),
    path(_C + "<int:consultation_id>/reponses.xlsx", consultation_export_xlsx, name="consultation_export_xlsx"),
    path(_Q + "nouvelle/", question_create, name="consultation_question_create"),
    path(_Q + "<int:question_id>/", question_edit, name="consultation_question_edit"),
    path(_Q + "<int:question_id>/supprimer/", question_delete, name="consultation_question_delete"),
    path(_Q + "<int:question_id>/deplacer/", question_move, name="consultation_question_move"),
]
