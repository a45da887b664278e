"""The resident's pages of consultations: a commune's consultations, a consultation's presentation,
its pages of questions, the review before sending, the thanks, and the results.

A consultation is found through the portal (`access_consultation`): a draft or another portal's
consultation is a 404. A person only ever reaches their own draft: it is looked up by the signed-in
user, never by an id in the address. Every page works without JavaScript: the questionnaire is a
series of plain forms, each saving the draft ("Enregistrer et continuer"), then a review page that
sends everything at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from clocher.territories.http import PortalRequest
from clocher.territories.selectors import access_commune

from . import consultation_selectors as selectors
from . import consultation_services as services
from .consultation_forms import answer_fields, read_page
from .consultations import Consultation
from .eligibility import can_take_part
from .fixes import fixes_for
from .models import Participation
from .services import ParticipationRefused

# Pages saved per person and hour: far above what anyone answering needs (a long questionnaire
# has a few dozen pages, saved again when going back), low enough that a script cannot make the
# database write without end.
SAVES_PER_HOUR = 300


@require_GET
@never_cache
def consultation_list(request: PortalRequest, code: str) -> HttpResponse:
    """The consultations that concern a commune: open, coming, closed; which ones the person answered."""
    commune = access_commune(request.portal, code)
    found = list(selectors.consultations_for_commune(request.portal, commune))
    answered: set[int] = set()
    if request.user.is_authenticated and found:
        answered = set(
            Participation.objects.filter(
                content_type=ContentType.objects.get_for_model(Consultation), user=request.user,
                object_id__in=[c.pk for c in found],
            ).values_list("object_id", flat=True)
        )
    return render(request, "participation/consultations/list.html", {
        "commune": commune, "groups": selectors.split_by_state(found), "answered": answered,
    })


def _login_url(request: PortalRequest, after: str | None = None) -> str:
    return reverse("account_login") + "?" + urlencode({"next": after or request.path})


@require_GET
@never_cache
def consultation_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """The presentation, and what the person can do: start, continue, or why they cannot."""
    consultation = selectors.access_consultation(request.portal, pk)
    state = selectors.state_of(consultation)
    responded = selectors.has_responded(request.user, consultation)
    reasons: list[str] = []
    if state == "open" and not responded:
        reasons = can_take_part(request.user, consultation.eligibility).reasons
    draft = selectors.draft_of(request.user, consultation) if state == "open" and not responded else None
    questions = selectors.questions_of(consultation)
    return render(request, "participation/consultations/detail.html", {
        "consultation": consultation, "state": state, "responded": responded, "reasons": reasons,
        "fixes": fixes_for(request, consultation.eligibility) if reasons else [], "draft": draft,
        "question_count": len(questions), "page_count": len(selectors.pages_of(questions)),
        "results_visible": selectors.results_visible(consultation),
    })


def _gate(request: PortalRequest, consultation: Consultation) -> HttpResponse | None:
    """Where to send a person who may not answer now (not signed in, closed, already answered,
    not eligible), or None when they may."""
    if not request.user.is_authenticated:
        return redirect(_login_url(request))
    if selectors.state_of(consultation) != "open" or selectors.has_responded(request.user, consultation) \
            or not can_take_part(request.user, consultation.eligibility).ok:
        return redirect("consultations:detail", pk=consultation.pk)
    return None


def _saves_key(request: PortalRequest) -> str:
    return f"participation:consultation-saves:{request.user.pk}"


def _count_save(key: str) -> None:
    cache.add(key, 0, timeout=3600)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)


@require_http_methods(["GET", "POST"])
@never_cache
def consultation_page(request: PortalRequest, pk: int, number: int) -> HttpResponse:
    """One page of questions, filled from the draft; a POST saves it and goes on (or back)."""
    consultation = selectors.access_consultation(request.portal, pk)
    refused = _gate(request, consultation)
    if refused is not None:
        return refused
    questions = selectors.questions_of(consultation)
    pages = selectors.pages_of(questions)
    if not 1 <= number <= len(pages):
        raise Http404(_("Page introuvable."))
    draft = selectors.draft_of(request.user, consultation)
    answers: dict[str, Any] = dict(draft.answers) if draft is not None and isinstance(draft.answers, dict) else {}
    shown_ids = {q.pk for q in selectors.shown_questions(questions, answers)}
    on_page = [q for q in pages[number - 1] if q.pk in shown_ids]
    if not on_page:
        # Nothing to answer here for these answers: on to the next page that has something.
        following = selectors.next_page(pages, questions, answers, number, 1)
        if following is None:
            return redirect("consultations:review", pk=consultation.pk)
        return redirect("consultations:page", pk=consultation.pk, number=following)
    errors: dict[int, str] = {}
    general: list[str] = []
    values: dict[str, object] = answers
    status = 200
    if request.method == "POST":
        back = request.POST.get("go") == "back"
        values, errors = read_page(on_page, request.POST)
        key = _saves_key(request)
        if int(cache.get(key, 0)) >= SAVES_PER_HOUR:
            general = [_("Vous avez enregistré beaucoup de pages en peu de temps : réessayez dans une heure. "
                         "Vos réponses déjà enregistrées sont conservées.")]
            status = 429
        elif not errors:
            _count_save(key)
            try:
                saved = services.save_page(request.user, consultation, number, values, enforce_required=not back)
            except services.AnswersInvalid as exc:
                errors = exc.errors
            except ParticipationRefused as exc:
                for reason in exc.reasons:
                    messages.error(request, reason)
                return redirect("consultations:detail", pk=consultation.pk)
            else:
                answers = dict(saved.answers)
                target = selectors.next_page(pages, questions, answers, number + (-1 if back else 1), -1 if back else 1)
                if target is None:
                    return redirect("consultations:detail" if back else "consultations:review", pk=consultation.pk)
                return redirect("consultations:page", pk=consultation.pk, number=target)
        if errors:
            status = 400
        values = {**answers, **values}
    return render(request, "participation/consultations/page.html", {
        "consultation": consultation, "number": number, "page_count": len(pages),
        "fields": answer_fields(on_page, values, errors, request.POST if request.method == "POST" else None),
        "errors": errors, "general": general,
        "has_previous": selectors.next_page(pages, questions, answers, number - 1, -1) is not None,
    }, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
def consultation_review(request: PortalRequest, pk: int) -> HttpResponse:
    """The answers saved, with a link to change each; a POST sends them, once."""
    consultation = selectors.access_consultation(request.portal, pk)
    refused = _gate(request, consultation)
    if refused is not None:
        return refused
    draft = selectors.draft_of(request.user, consultation)
    if draft is None:
        return redirect("consultations:page", pk=consultation.pk, number=1)
    answers: dict[str, Any] = draft.answers if isinstance(draft.answers, dict) else {}
    status = 200
    refusals: list[str] = []
    if request.method == "POST":
        try:
            services.submit_response(request.user, consultation)
        except services.AnswersInvalid:
            status = 400
        except ParticipationRefused as exc:
            if selectors.has_responded(request.user, consultation):
                messages.error(request, " ".join(exc.reasons))
                return redirect("consultations:detail", pk=consultation.pk)
            refusals, status = exc.reasons, 400
        else:
            messages.success(request, _("Merci : vos réponses sont envoyées."))
            return redirect("consultations:done", pk=consultation.pk)
    shown, errors = services.review(consultation, answers)
    questions = selectors.questions_of(consultation)
    pages = selectors.pages_of(questions)
    page_of = {q.pk: number for number, page in enumerate(pages, start=1) for q in page}
    rows = [
        {"question": q, "answer": selectors.display_value(q, answers.get(str(q.pk))), "error": errors.get(q.pk, ""),
         "page": page_of[q.pk]}
        for q in shown
    ]
    return render(request, "participation/consultations/review.html", {
        "consultation": consultation, "rows": rows, "errors": errors, "refusals": refusals,
        "last_page": selectors.next_page(pages, questions, answers, len(pages), -1) or 1,
    }, status=status)


@require_GET
@never_cache
def consultation_done(request: PortalRequest, pk: int) -> HttpResponse:
    """Thanks, once the response is sent; anyone else is sent to the presentation."""
    consultation = selectors.access_consultation(request.portal, pk)
    if not selectors.has_responded(request.user, consultation):
        return redirect("consultations:detail", pk=consultation.pk)
    return render(request, "participation/consultations/done.html", {
        "consultation": consultation, "results_visible": selectors.results_visible(consultation),
    })


@require_GET
@never_cache
def consultation_results(request: PortalRequest, pk: int) -> HttpResponse:
    """The results, as charts and tables, when the consultation lets residents see them; written
    answers are never shown here."""
    consultation = selectors.access_consultation(request.portal, pk)
    visible = selectors.results_visible(consultation)
    return render(request, "participation/consultations/results.html", {
        "consultation": consultation, "state": selectors.state_of(consultation), "visible": visible,
        "results": selectors.results(consultation) if visible else None, "staff": False,
    })
