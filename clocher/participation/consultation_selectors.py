"""Reads of consultations that encode who sees what: which consultations a commune's residents see,
a consultation by its number within a portal, a staff territory's consultations, the pages and the
questions a person is shown for their answers so far, the results, and what a person may download
about themselves.

Answers have one shape everywhere outside the database (drafts, validation, exports), keyed by
question id: a single choice is an option id, a multiple choice a list of option ids, a scale an
integer, a ranking the list of option ids from first to last, a text a string.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.territories.models import Portal, Territory
from clocher.territories.selectors import (
    ancestors,
    is_in_portal,
    is_module_enabled,
    territories_of_portal,
)

from .consultations import (
    CHOICE_KINDS,
    TEXT_KINDS,
    Answer,
    Consultation,
    ConsultationDraft,
    ConsultationStatus,
    Question,
    QuestionKind,
    QuestionOption,
    Response,
    ResultsVisibility,
)
from .eligibility import concerning
from .models import Participation

AnswerValue = int | list[int] | str


def published_consultations() -> QuerySet[Consultation]:
    return Consultation.objects.filter(status=ConsultationStatus.PUBLISHED).select_related("territory")


def consultations_for_commune(portal: Portal, commune: Territory) -> QuerySet[Consultation]:
    """The published consultations a resident of `commune` is concerned by: those reserved to the
    commune or a territory it is part of, and those open to everyone that the commune or a territory
    it is part of runs (as polls and the home feed), within the portal. One reserved to other
    communes is left out, even when the commune's EPCI runs it."""
    chain = [t.pk for t in ancestors(commune)]
    ids = published_consultations().filter(concerning(chain)).values("pk")
    return (
        published_consultations().filter(pk__in=ids, territory__in=territories_of_portal(portal))
        .order_by("closes_at", "pk")
    )


def state_of(consultation: Consultation, now: datetime.datetime | None = None) -> str:
    """"draft", "upcoming", "open" or "closed"."""
    moment = now or timezone.now()
    if consultation.status != ConsultationStatus.PUBLISHED:
        return "draft"
    if moment < consultation.opens_at:
        return "upcoming"
    return "open" if moment < consultation.closes_at else "closed"


def split_by_state(consultations: Sequence[Consultation],
                   now: datetime.datetime | None = None) -> dict[str, list[Consultation]]:
    """The consultations in three lists: open now, coming, closed (newest closing first)."""
    moment = now or timezone.now()
    groups: dict[str, list[Consultation]] = {"open": [], "upcoming": [], "closed": []}
    for consultation in consultations:
        groups[state_of(consultation, moment)].append(consultation)
    groups["closed"].sort(key=lambda c: c.closes_at, reverse=True)
    return groups


def access_consultation(portal: Portal, pk: int) -> Consultation:
    """A published consultation run by a territory of the portal, or 404 (a draft, another
    portal's consultation)."""
    consultation = published_consultations().select_related("eligibility").filter(pk=pk).first()
    if (consultation is None or not is_in_portal(portal, consultation.territory)
            or not is_module_enabled(portal, consultation.territory, "participation")):
        raise Http404(_("Consultation introuvable."))
    return consultation


def consultations_of(territory: Territory) -> QuerySet[Consultation]:
    """The consultations a staff territory runs, newest first, with their numbers of responses
    and of questions."""
    return (
        Consultation.objects.filter(territory=territory)
        .annotate(response_count=Count("responses", distinct=True), question_count=Count("questions", distinct=True))
        .order_by("-created_at", "-pk")
    )


def access_staff_consultation(territory: Territory, consultation_id: int) -> Consultation:
    """A consultation `territory` runs, or 404 (another territory's too)."""
    consultation = (
        Consultation.objects.filter(pk=consultation_id, territory=territory)
        .select_related("territory", "eligibility").first()
    )
    if consultation is None:
        raise Http404(_("Consultation introuvable."))
    return consultation


def questions_of(consultation: Consultation) -> list[Question]:
    """The questions in order, with their options and condition options (three queries)."""
    return list(
        consultation.questions.select_related("condition_question")
        .prefetch_related(
            Prefetch("options", queryset=QuestionOption.objects.order_by("position", "pk")),
            Prefetch("condition_options", queryset=QuestionOption.objects.order_by("position", "pk")),
        )
        .order_by("position", "pk")
    )


def access_staff_question(consultation: Consultation, question_id: int) -> Question:
    question = consultation.questions.filter(pk=question_id).first()
    if question is None:
        raise Http404(_("Question introuvable."))
    return question


def starts_page(index: int, question: Question) -> bool:
    """A page starts at the first question, where staff put a break, and at every conditional
    question: what it depends on is then on an earlier page, saved before it is shown."""
    return index == 0 or question.new_page or question.condition_question_id is not None


def pages_of(questions: Sequence[Question]) -> list[list[Question]]:
    """The questions cut into pages (each a non-empty list), in order."""
    pages: list[list[Question]] = []
    for index, question in enumerate(questions):
        if starts_page(index, question):
            pages.append([])
        pages[-1].append(question)
    return pages


def chosen_options(value: object) -> set[int]:
    """The option ids a stored choice answer holds (none for anything else)."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, int) and not isinstance(v, bool)}
    return set()


def shown_questions(questions: Sequence[Question], answers: Mapping[str, object]) -> list[Question]:
    """The questions a person with `answers` is shown, in order: every question without a
    condition, and a conditional one when the question it depends on is itself shown and was
    answered with one of its options."""
    shown_ids: set[int] = set()
    shown: list[Question] = []
    for question in questions:
        if question.condition_question_id is not None:
            if question.condition_question_id not in shown_ids:
                continue
            wanted = {option.pk for option in question.condition_options.all()}
            if not chosen_options(answers.get(str(question.condition_question_id))) & wanted:
                continue
        shown_ids.add(question.pk)
        shown.append(question)
    return shown


def next_page(pages: Sequence[Sequence[Question]], questions: Sequence[Question], answers: Mapping[str, object],
              start: int, step: int) -> int | None:
    """The first page number (1-based) from `start` in the direction `step` (1 or -1) that shows
    a question for these answers, or None past either end: a page whose questions all depend on
    answers not given is skipped."""
    shown = {q.pk for q in shown_questions(questions, answers)}
    number = start
    while 1 <= number <= len(pages):
        if any(q.pk in shown for q in pages[number - 1]):
            return number
        number += step
    return None


def draft_of(user: Any, consultation: Consultation) -> ConsultationDraft | None:
    """The person's own progress on this consultation; never another person's."""
    if not getattr(user, "is_authenticated", False):
        return None
    return ConsultationDraft.objects.filter(user=user, consultation=consultation).first()


def has_responded(user: Any, consultation: Consultation) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Participation.objects.filter(
        content_type=ContentType.objects.get_for_model(Consultation), object_id=consultation.pk, user=user
    ).exists()


def results_visible(consultation: Consultation, now: datetime.datetime | None = None) -> bool:
    """Whether residents may see the results now: after closing, during the consultation too if
    staff chose so, never if staff keep them. Staff read them in /gestion/ at any time."""
    moment = now or timezone.now()
    if consultation.status != ConsultationStatus.PUBLISHED or moment < consultation.opens_at:
        return False
    if consultation.results_visibility == ResultsVisibility.STAFF:
        return False
    if consultation.results_visibility == ResultsVisibility.ALWAYS:
        return True
    return moment >= consultation.closes_at


# What an answer reads as

def display_value(question: Question, value: object) -> str:
    """An answer written out for a person or a spreadsheet (plain text, not escaped)."""
    if value is None or value == "" or value == []:
        return ""
    labels = {option.pk: option.label for option in question.options.all()}
    if question.kind == QuestionKind.SINGLE:
        return labels.get(value, "") if isinstance(value, int) else ""
    if question.kind == QuestionKind.MULTIPLE:
        chosen = chosen_options(value)
        return " ; ".join(label for pk, label in labels.items() if pk in chosen)
    if question.kind == QuestionKind.RANKING and isinstance(value, list):
        return " ; ".join(f"{rank}. {labels.get(pk, '')}" for rank, pk in enumerate(value, start=1))
    return str(value)


def response_values(responses: Iterable[Response]) -> dict[Any, dict[str, AnswerValue]]:
    """Each response's answers in the shared shape, keyed by response id then question id; the
    responses must come with their answers and the answers' questions prefetched."""
    found: dict[Any, dict[str, AnswerValue]] = {}
    for response in responses:
        values: dict[str, AnswerValue] = {}
        ranks: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for answer in response.answers.all():
            key, kind = str(answer.question_id), answer.question.kind
            if kind == QuestionKind.SINGLE and answer.option_id is not None:
                values[key] = answer.option_id
            elif kind == QuestionKind.MULTIPLE and answer.option_id is not None:
                chosen = values.setdefault(key, [])
                assert isinstance(chosen, list)
                chosen.append(answer.option_id)
            elif kind == QuestionKind.RANKING and answer.option_id is not None and answer.number is not None:
                ranks[key].append((answer.number, answer.option_id))
            elif kind == QuestionKind.SCALE and answer.number is not None:
                values[key] = answer.number
            elif kind in TEXT_KINDS:
                values[key] = answer.text
        for key, pairs in ranks.items():
            values[key] = [option for _rank, option in sorted(pairs)]
        for key, value in values.items():
            if isinstance(value, list) and key not in ranks:
                value.sort()
        found[response.pk] = values
    return found


def responses_with_answers(consultation: Consultation) -> QuerySet[Response]:
    """The responses, in the order of their random keys (which says nothing of when they came),
    with their answers and the respondent for a signed consultation."""
    return (
        Response.objects.filter(consultation=consultation).select_related("user")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .order_by("pk")
    )


# Results

@dataclass(frozen=True)
class OptionResult:
    label: str
    count: int
    # Share of those who answered the question, in percent (above 100 in all for a multiple choice).
    percent: float
    leading: bool = False


@dataclass(frozen=True)
class RankResult:
    label: str
    # Borda points: an option ranked r-th of n gets n - r points on that response.
    points: int
    average_rank: float
    # Points as a share of the most an option could get (first on every response), for the bar.
    percent: float = 0.0


@dataclass(frozen=True)
class ScaleResult:
    mean: float
    median: float
    # Every step of the scale, with how many chose it, in order.
    steps: list[OptionResult]


@dataclass
class QuestionResult:
    question: Question
    answered: int
    options: list[OptionResult] = field(default_factory=list)
    ranking: list[RankResult] = field(default_factory=list)
    scale: ScaleResult | None = None
    texts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConsultationResults:
    responses: int
    questions: list[QuestionResult]


def _shares(pairs: Sequence[tuple[str, int]], answered: int) -> list[OptionResult]:
    top = max((count for _label, count in pairs), default=0)
    return [
        OptionResult(label=label, count=count, percent=round(100 * count / answered, 1) if answered else 0.0,
                     leading=bool(count) and count == top)
        for label, count in pairs
    ]


def results(consultation: Consultation, *, with_texts: bool = False) -> ConsultationResults:
    """Per question: how many answered it; choices counted per option; a scale's mean, median and
    distribution; a ranking's Borda points and average rank, best first; and, with `with_texts`
    (staff only), the texts written. A handful of GROUP BY queries, whatever the number of responses."""
    questions = questions_of(consultation)
    answers = Answer.objects.filter(response__consultation=consultation)
    answered = dict(
        answers.values("question").annotate(n=Count("response", distinct=True)).values_list("question", "n")
    )
    per_option = {
        option: (count, rank_sum or 0)
        for option, count, rank_sum in answers.exclude(option=None).values("option")
        .annotate(n=Count("id"), ranks=Sum("number")).values_list("option", "n", "ranks")
    }
    numbers: dict[int, list[int]] = defaultdict(list)
    for question_id, number in answers.filter(question__kind=QuestionKind.SCALE).values_list("question", "number"):
        if number is not None:
            numbers[question_id].append(number)
    texts: dict[int, list[str]] = defaultdict(list)
    if with_texts:
        # Ordered by the answer's random key: the order says nothing of who wrote first.
        for question_id, text in (
            answers.filter(question__kind__in=TEXT_KINDS).order_by("pk").values_list("question", "text")
        ):
            texts[question_id].append(text)
    found: list[QuestionResult] = []
    for question in questions:
        total = answered.get(question.pk, 0)
        result = QuestionResult(question=question, answered=total)
        options = list(question.options.all())
        if question.kind in CHOICE_KINDS:
            result.options = _shares([(o.label, per_option.get(o.pk, (0, 0))[0]) for o in options], total)
        elif question.kind == QuestionKind.RANKING:
            size = len(options)
            rows = []
            for option in options:
                count, rank_sum = per_option.get(option.pk, (0, 0))
                points = count * size - rank_sum
                most = total * (size - 1)
                rows.append(RankResult(label=option.label, points=points,
                                       average_rank=round(rank_sum / count, 2) if count else 0.0,
                                       percent=round(100 * points / most, 1) if most else 0.0))
            result.ranking = sorted(rows, key=lambda row: -row.points)
        elif question.kind == QuestionKind.SCALE and question.scale_min is not None and question.scale_max is not None:
            values = numbers.get(question.pk, [])
            steps = [(str(step), values.count(step)) for step in range(question.scale_min, question.scale_max + 1)]
            result.scale = ScaleResult(
                mean=round(statistics.fmean(values), 2) if values else 0.0,
                median=float(statistics.median(values)) if values else 0.0,
                steps=_shares(steps, total),
            )
        elif question.kind in TEXT_KINDS:
            result.texts = texts.get(question.pk, [])
        found.append(result)
    return ConsultationResults(responses=Response.objects.filter(consultation=consultation).count(),
                               questions=found)


# Personal data

def _described(consultation: Consultation) -> dict[str, Any]:
    return {"id": consultation.pk, "title": consultation.title, "territory": consultation.territory.name}


def _answers_out(questions: Sequence[Question], values: Mapping[str, object]) -> list[dict[str, str]]:
    return [
        {"question": question.label, "answer": display_value(question, values[str(question.pk)])}
        for question in questions if str(question.pk) in values
    ]


def personal_data(user: Any) -> dict[str, Any]:
    """What consultations keep about a person, for "download my data": their answers in progress,
    and their signed responses. Anonymous responses are nobody's: they are never included (nothing
    links them to the person, which is the point)."""
    drafts = list(ConsultationDraft.objects.filter(user=user).select_related("consultation__territory")
                  .order_by("consultation_id"))
    responses = list(
        Response.objects.filter(user=user, consultation__signed=True)
        .select_related("consultation__territory")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .order_by("submitted_at", "pk")
    )
    questions: dict[int, list[Question]] = {}
    for consultation in {d.consultation for d in drafts} | {r.consultation for r in responses}:
        questions[consultation.pk] = questions_of(consultation)
    values = response_values(responses)
    return {
        "consultation_drafts": [
            {
                "consultation": _described(draft.consultation),
                "page": draft.page,
                "updated_at": draft.updated_at.isoformat(),
                "answers": _answers_out(questions[draft.consultation_id],
                                        draft.answers if isinstance(draft.answers, dict) else {}),
            }
            for draft in drafts
        ],
        "consultation_responses": [
            {
                "consultation": _described(response.consultation),
                "submitted_at": response.submitted_at.isoformat() if response.submitted_at else None,
                "answers": _answers_out(questions[response.consultation_id], values[response.pk]),
            }
            for response in responses
        ],
    }
