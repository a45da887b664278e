"""Writes for consultations: staff create, edit, publish and close them and write their questions;
residents save their answers page by page, then send them once.

Staff services check the actor's role on the consultation's territory again (ADR 0004), so a command
or the API cannot skip what a view checks, and write a line in the territory's journal. Once the
consultation may have answers (published and past its opening), its questions are frozen but for
their wording: see `update_question`. Sending goes through `participate_once`: the participation
(who) and the response (what) are written in one transaction, and nothing is stored on a refusal.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.territories.models import Territory
from clocher.territories.selectors import roles_of
from clocher.territories.services import EDIT_ROLES, ActionRefused, record_audit

from . import notifications
from .consultation_selectors import (
    AnswerValue,
    draft_of,
    has_responded,
    next_page,
    pages_of,
    questions_of,
    shown_questions,
)
from .consultations import (
    CHOICE_KINDS,
    LONG_TEXT_MAX,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    OPTION_KINDS,
    SHORT_TEXT_MAX,
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
from .models import Eligibility, Level, Participation
from .poll_selectors import eligibility_choices
from .services import ParticipationRefused, participate_once

MAX_AGE = 120
SCALE_BOUNDS = (-100, 100)
MAX_SCALE_STEPS = 11  # 0 to 10: as many radio buttons as a phone shows in a readable column
# Control characters (but tab and line feed) have no place in an answer: a spreadsheet or a screen
# reader would trip on them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ConsultationRefused(ActionRefused):
    """A staff action on a consultation the rules forbid; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AnswersInvalid(ParticipationRefused):
    """Answers refused: `errors` maps a question's id to the French sentence that says what is wrong."""

    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__(list(errors.values()))
        self.errors = errors


@dataclass
class ConsultationData:
    """What staff write about a consultation, as the form cleaned it."""

    title: str
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    description: str = ""
    signed: bool = False
    results_visibility: str = ResultsVisibility.AFTER_CLOSING
    territories: list[Territory] = field(default_factory=list)
    min_age: int | None = None
    level: str = Level.EMAIL


@dataclass
class QuestionData:
    """What staff write about a question, as the form cleaned it. `condition_options` are option
    ids of one earlier choice question: the question is shown when one of them was chosen."""

    kind: str
    label: str
    help_text: str = ""
    required: bool = False
    new_page: bool = False
    options: list[str] = field(default_factory=list)
    max_choices: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    scale_min_label: str = ""
    scale_max_label: str = ""
    condition_options: list[int] = field(default_factory=list)


def _check_staff(actor: Any, territory: Territory) -> None:
    if not roles_of(actor, territory) & set(EDIT_ROLES):
        raise ConsultationRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def has_started(consultation: Consultation, now: datetime.datetime | None = None) -> bool:
    """Whether answers may have been saved: published and past its opening."""
    return consultation.status == ConsultationStatus.PUBLISHED and (now or timezone.now()) >= consultation.opens_at


# The consultation itself

def _clean(territory: Territory, data: ConsultationData) -> ConsultationData:
    title = data.title.strip()
    if not title:
        raise ConsultationRefused(_("Écrivez le titre."), "title")
    if data.closes_at <= data.opens_at:
        raise ConsultationRefused(_("La clôture doit venir après l'ouverture."), "closes_at")
    if data.results_visibility not in ResultsVisibility.values:
        raise ConsultationRefused(_("Choix de visibilité des résultats inconnu."), "results_visibility")
    if data.level not in Level.values:
        raise ConsultationRefused(_("Niveau de vérification inconnu."), "level")
    if data.min_age is not None and not 0 <= data.min_age <= MAX_AGE:
        raise ConsultationRefused(
            _("L'âge minimum doit être compris entre 0 et %(max)s ans.") % {"max": MAX_AGE}, "min_age")
    allowed = set(eligibility_choices(territory).values_list("pk", flat=True))
    if any(t.pk not in allowed for t in data.territories):
        raise ConsultationRefused(
            _("Une consultation ne peut être réservée qu'aux habitants de votre territoire."), "territories")
    return ConsultationData(
        title=title[:200], opens_at=data.opens_at, closes_at=data.closes_at,
        description=_CONTROL.sub("", data.description).strip(), signed=bool(data.signed),
        results_visibility=data.results_visibility, territories=list(data.territories),
        min_age=data.min_age or None, level=data.level,
    )


def create_consultation(actor: Any, territory: Territory, data: ConsultationData) -> Consultation:
    """A draft consultation of `territory`, without questions yet, and who may take part.

    Refuses an actor without an admin or editor role on `territory`, closing before opening, and a
    reservation to territories outside `territory`. Writes a journal line.
    """
    _check_staff(actor, territory)
    clean = _clean(territory, data)
    with transaction.atomic():
        eligibility = Eligibility.objects.create(min_age=clean.min_age, level=clean.level)
        eligibility.territories.set(clean.territories)
        consultation = Consultation.objects.create(
            territory=territory, title=clean.title, description=clean.description, eligibility=eligibility,
            opens_at=clean.opens_at, closes_at=clean.closes_at, signed=clean.signed,
            results_visibility=clean.results_visibility, author=actor,
        )
        record_audit(territory, actor, "participation.consultation_created",
                     _("Consultation « %(title)s » créée") % {"title": consultation.title},
                     {"consultation": consultation.pk})
    return consultation


_FROZEN_ONCE_STARTED = _("La consultation a commencé : seuls le titre, la présentation et la date de clôture "
                         "peuvent encore changer.")


def _same_frozen_fields(consultation: Consultation, clean: ConsultationData) -> bool:
    eligibility = consultation.eligibility
    return (
        consultation.opens_at == clean.opens_at and consultation.signed == clean.signed
        and consultation.results_visibility == clean.results_visibility
        and eligibility.min_age == clean.min_age and eligibility.level == clean.level
        and set(eligibility.territories.values_list("pk", flat=True)) == {t.pk for t in clean.territories}
    )


def update_consultation(actor: Any, consultation: Consultation, data: ConsultationData) -> Consultation:
    """Change a consultation. Before it opens, everything may change; once it is open, only the
    title, the presentation and the closing date (not to a past moment): signed or anonymous, who
    may answer and who sees the results are what people answered under. Refuses what
    `create_consultation` refuses. Writes a journal line."""
    _check_staff(actor, consultation.territory)
    clean = _clean(consultation.territory, data)
    now = timezone.now()
    with transaction.atomic():
        consultation = (Consultation.objects.select_for_update().select_related("territory", "eligibility")
                        .get(pk=consultation.pk))
        started = has_started(consultation, now)
        if started:
            if not _same_frozen_fields(consultation, clean):
                raise ConsultationRefused(_FROZEN_ONCE_STARTED)
            if clean.closes_at != consultation.closes_at and clean.closes_at <= now:
                raise ConsultationRefused(
                    _("Pour clore la consultation maintenant, utilisez « Clore la consultation » ; la date de "
                      "clôture ne peut être dans le passé."), "closes_at")
        consultation.title, consultation.description = clean.title, clean.description
        consultation.opens_at, consultation.closes_at = clean.opens_at, clean.closes_at
        consultation.signed, consultation.results_visibility = clean.signed, clean.results_visibility
        consultation.save(update_fields=["title", "description", "opens_at", "closes_at", "signed",
                                         "results_visibility", "updated_at"])
        if not started:
            eligibility = consultation.eligibility
            eligibility.min_age, eligibility.level = clean.min_age, clean.level
            eligibility.save(update_fields=["min_age", "level"])
            eligibility.territories.set(clean.territories)
        record_audit(consultation.territory, actor, "participation.consultation_updated",
                     _("Consultation « %(title)s » modifiée") % {"title": consultation.title},
                     {"consultation": consultation.pk})
    return consultation


def publish_consultation(actor: Any, consultation: Consultation) -> Consultation:
    """Make a draft consultation visible to residents; answers start at its opening date.

    Refuses an actor without the role, a consultation without questions, and one whose closing
    date has passed. Writes a journal line; announces a consultation already open after the commit
    (one to open later: `clocher participation announce-due`).
    """
    _check_staff(actor, consultation.territory)
    if consultation.status == ConsultationStatus.PUBLISHED:
        return consultation
    now = timezone.now()
    if not consultation.questions.exists():
        raise ConsultationRefused(_("Ajoutez au moins une question avant de publier."))
    if consultation.closes_at <= now:
        raise ConsultationRefused(_("La date de clôture est passée : changez-la avant de publier."))
    with transaction.atomic():
        consultation.status, consultation.published_at = ConsultationStatus.PUBLISHED, now
        consultation.save(update_fields=["status", "published_at", "updated_at"])
        record_audit(consultation.territory, actor, "participation.consultation_published",
                     _("Consultation « %(title)s » publiée") % {"title": consultation.title},
                     {"consultation": consultation.pk})
        if consultation.opens_at <= now:
            # Already open: say so now; an opening to come is `clocher participation announce-due`'s.
            transaction.on_commit(partial(notifications.consultation_opened, consultation))
    return consultation


def close_consultation(actor: Any, consultation: Consultation) -> Consultation:
    """End an open consultation now. Refuses one that is not open (a draft, one not open yet:
    change its dates instead, one already closed). Drafts in progress stay until the person's
    next visit, which tells them it is closed. Writes a journal line."""
    _check_staff(actor, consultation.territory)
    now = timezone.now()
    if consultation.status != ConsultationStatus.PUBLISHED or now < consultation.opens_at:
        raise ConsultationRefused(_("Cette consultation n'est pas ouverte : modifiez plutôt ses dates."))
    if now >= consultation.closes_at:
        raise ConsultationRefused(_("Cette consultation est déjà close."))
    with transaction.atomic():
        consultation.closes_at, consultation.closed_early_at = now, now
        consultation.save(update_fields=["closes_at", "closed_early_at", "updated_at"])
        record_audit(consultation.territory, actor, "participation.consultation_closed",
                     _("Consultation « %(title)s » close par anticipation") % {"title": consultation.title},
                     {"consultation": consultation.pk})
    return consultation


# Questions

_QUESTIONS_FROZEN = _("La consultation a commencé : les questions ne peuvent plus être ajoutées, retirées ni "
                      "déplacées, seulement reformulées.")


def _clean_question(consultation: Consultation, data: QuestionData, question: Question | None,
                    ) -> tuple[QuestionData, Question | None, list[QuestionOption]]:
    """Refuses what no question may be; returns the trimmed data, the question a condition
    depends on and the options of that condition."""
    if data.kind not in QuestionKind.values:
        raise ConsultationRefused(_("Type de question inconnu."), "kind")
    label = _CONTROL.sub("", data.label).strip()
    if not label:
        raise ConsultationRefused(_("Écrivez la question."), "label")
    if len(label) > 300:
        raise ConsultationRefused(_("La question tient en 300 caractères au plus."), "label")
    help_text = _CONTROL.sub("", data.help_text).strip()
    if len(help_text) > 1000:
        raise ConsultationRefused(_("L'aide tient en 1 000 caractères au plus."), "help_text")
    options: list[str] = []
    if data.kind in OPTION_KINDS:
        options = [_CONTROL.sub("", line).strip() for line in data.options]
        options = [line for line in options if line]
        if len(options) < 2:
            raise ConsultationRefused(_("Proposez au moins deux réponses."), "options")
        if len(options) > MAX_OPTIONS:
            raise ConsultationRefused(_("Proposez %(max)s réponses au plus.") % {"max": MAX_OPTIONS}, "options")
        if any(len(option) > 200 for option in options):
            raise ConsultationRefused(_("Chaque réponse tient en 200 caractères au plus."), "options")
        if len({option.casefold() for option in options}) < len(options):
            raise ConsultationRefused(_("Deux réponses sont identiques."), "options")
    max_choices = data.max_choices if data.kind == QuestionKind.MULTIPLE else None
    if max_choices is not None and not 1 <= max_choices <= len(options):
        raise ConsultationRefused(
            _("Le nombre de choix au plus doit être compris entre 1 et le nombre de réponses (%(count)s).")
            % {"count": len(options)}, "max_choices")
    scale_min = scale_max = None
    scale_min_label = scale_max_label = ""
    if data.kind == QuestionKind.SCALE:
        scale_min, scale_max = data.scale_min, data.scale_max
        if scale_min is None or scale_max is None:
            raise ConsultationRefused(_("Indiquez les deux bornes de l'échelle."), "scale_max")
        low, high = SCALE_BOUNDS
        if not (low <= scale_min < scale_max <= high) or scale_max - scale_min + 1 > MAX_SCALE_STEPS:
            raise ConsultationRefused(
                _("L'échelle va d'un nombre à un plus grand, en %(steps)s valeurs au plus (de 0 à 10 par "
                  "exemple).") % {"steps": MAX_SCALE_STEPS}, "scale_max")
        scale_min_label = _CONTROL.sub("", data.scale_min_label).strip()[:60]
        scale_max_label = _CONTROL.sub("", data.scale_max_label).strip()[:60]
    condition_question: Question | None = None
    condition_options: list[QuestionOption] = []
    if data.condition_options:
        condition_options = list(
            QuestionOption.objects.filter(pk__in=set(data.condition_options),
                                          question__consultation=consultation).select_related("question")
        )
        parents = {option.question_id for option in condition_options}
        if len(condition_options) != len(set(data.condition_options)) or len(parents) != 1:
            raise ConsultationRefused(
                _("La condition porte sur les réponses d'une seule question précédente."), "condition_options")
        condition_question = condition_options[0].question
        if condition_question.kind not in CHOICE_KINDS:
            raise ConsultationRefused(_("Une condition porte sur une question à choix."), "condition_options")
        if question is not None and (condition_question.pk == question.pk
                                     or (condition_question.position, condition_question.pk)
                                     >= (question.position, question.pk)):
            raise ConsultationRefused(_("Une condition porte sur une question placée avant celle-ci."),
                                      "condition_options")
    clean = QuestionData(
        kind=data.kind, label=label, help_text=help_text, required=bool(data.required),
        new_page=bool(data.new_page), options=options, max_choices=max_choices, scale_min=scale_min,
        scale_max=scale_max, scale_min_label=scale_min_label, scale_max_label=scale_max_label,
        condition_options=sorted(option.pk for option in condition_options),
    )
    return clean, condition_question, condition_options


def _lock(consultation: Consultation) -> Consultation:
    """The consultation, locked: question edits of one consultation happen one at a time, so
    positions and conditions are checked against what is really there."""
    return (Consultation.objects.select_for_update().select_related("territory", "eligibility")
            .get(pk=consultation.pk))


def _renumber(consultation: Consultation, ordered: list[Question]) -> None:
    for position, question in enumerate(ordered):
        if question.position != position:
            question.position = position
            question.save(update_fields=["position"])


def _apply(question: Question, clean: QuestionData, condition_question: Question | None) -> None:
    question.kind, question.label, question.help_text = clean.kind, clean.label, clean.help_text
    question.required, question.new_page, question.max_choices = clean.required, clean.new_page, clean.max_choices
    question.scale_min, question.scale_max = clean.scale_min, clean.scale_max
    question.scale_min_label, question.scale_max_label = clean.scale_min_label, clean.scale_max_label
    question.condition_question = condition_question


def _write_options(question: Question, labels: list[str]) -> None:
    """Keeps the options whose wording stays (conditions on them stay valid), deletes the others
    and adds the new ones; refuses to delete an option a later question's condition uses."""
    existing = {option.label.casefold(): option for option in question.options.all()}
    kept = {label.casefold() for label in labels}
    removed = [option for key, option in existing.items() if key not in kept]
    used = Question.objects.filter(condition_options__in=removed).order_by("position").first()
    if used is not None:
        raise ConsultationRefused(
            _("La question « %(label)s » s'affiche selon une réponse que vous retirez : changez d'abord sa "
              "condition.") % {"label": used.label}, "options")
    QuestionOption.objects.filter(pk__in=[option.pk for option in removed]).delete()
    for position, label in enumerate(labels):
        option = existing.get(label.casefold())
        if option is None:
            QuestionOption.objects.create(question=question, label=label, position=position)
        elif option.position != position or option.label != label:
            option.position, option.label = position, label
            option.save(update_fields=["position", "label"])


def add_question(actor: Any, consultation: Consultation, data: QuestionData) -> Question:
    """A new question at the end of the consultation.

    Refuses an actor without the role, a consultation that has started, more than 100 questions,
    and a question no kind allows (see `_clean_question`: options, scale, condition on an earlier
    choice question). Writes a journal line.
    """
    _check_staff(actor, consultation.territory)
    with transaction.atomic():
        consultation = _lock(consultation)
        if has_started(consultation):
            raise ConsultationRefused(_QUESTIONS_FROZEN)
        if consultation.questions.count() >= MAX_QUESTIONS:
            raise ConsultationRefused(_("Une consultation compte %(max)s questions au plus.") % {"max": MAX_QUESTIONS})
        clean, condition_question, condition_options = _clean_question(consultation, data, None)
        last = consultation.questions.aggregate(last=Max("position"))["last"]
        question = Question(consultation=consultation, position=0 if last is None else last + 1)
        _apply(question, clean, condition_question)
        question.save()
        _write_options(question, clean.options)
        question.condition_options.set(condition_options)
        record_audit(consultation.territory, actor, "participation.consultation_question_added",
                     _("Question « %(label)s » ajoutée à la consultation « %(title)s »")
                     % {"label": question.label, "title": consultation.title},
                     {"consultation": consultation.pk, "question": question.pk})
    return question


def _only_wording_changed(question: Question, clean: QuestionData) -> bool:
    return (
        question.kind == clean.kind and question.required == clean.required and question.new_page == clean.new_page
        and question.max_choices == clean.max_choices and question.scale_min == clean.scale_min
        and question.scale_max == clean.scale_max
        and sorted(question.condition_options.values_list("pk", flat=True)) == clean.condition_options
        and question.options.count() == len(clean.options)
    )


def update_question(actor: Any, question: Question, data: QuestionData) -> Question:
    """Change a question. Before the consultation opens, everything may change. Once it has
    started, only the wording: the question, its help, the words at the ends of a scale, and each
    option's label in place (same number of options, same order); the kind, the options' number,
    the scale, the maximum, the condition, "required" and the page break are what people answered.

    Also refuses what `add_question` refuses, a kind that no longer offers the options a later
    question's condition uses, and removing such an option. Writes a journal line.
    """
    consultation = question.consultation
    _check_staff(actor, consultation.territory)
    with transaction.atomic():
        consultation = _lock(consultation)
        question = consultation.questions.get(pk=question.pk)
        clean, condition_question, condition_options = _clean_question(consultation, data, question)
        if has_started(consultation):
            if not _only_wording_changed(question, clean):
                raise ConsultationRefused(_QUESTIONS_FROZEN)
            for option, label in zip(question.options.all(), clean.options, strict=True):
                if option.label != label:
                    option.label = label
                    option.save(update_fields=["label"])
        else:
            if clean.kind not in CHOICE_KINDS and question.dependents.exists():
                raise ConsultationRefused(
                    _("Une question suivante s'affiche selon la réponse à celle-ci : elle doit rester une "
                      "question à choix."), "kind")
            _write_options(question, clean.options)
            question.condition_options.set(condition_options)
        _apply(question, clean, condition_question)
        question.save()
        record_audit(consultation.territory, actor, "participation.consultation_question_updated",
                     _("Question « %(label)s » modifiée dans la consultation « %(title)s »")
                     % {"label": question.label, "title": consultation.title},
                     {"consultation": consultation.pk, "question": question.pk})
    return question


def delete_question(actor: Any, question: Question) -> None:
    """Remove a question and its options. Refuses once the consultation has started, and a
    question a later question's condition depends on. Writes a journal line."""
    consultation = question.consultation
    _check_staff(actor, consultation.territory)
    with transaction.atomic():
        consultation = _lock(consultation)
        if has_started(consultation):
            raise ConsultationRefused(_QUESTIONS_FROZEN)
        question = consultation.questions.get(pk=question.pk)
        dependent = question.dependents.order_by("position").first()
        if dependent is not None:
            raise ConsultationRefused(
                _("La question « %(label)s » s'affiche selon la réponse à celle-ci : changez d'abord sa "
                  "condition.") % {"label": dependent.label})
        label = question.label
        question.condition_options.clear()
        question.delete()
        _renumber(consultation, list(consultation.questions.order_by("position", "pk")))
        record_audit(consultation.territory, actor, "participation.consultation_question_deleted",
                     _("Question « %(label)s » retirée de la consultation « %(title)s »")
                     % {"label": label, "title": consultation.title},
                     {"consultation": consultation.pk})


def move_question(actor: Any, question: Question, direction: str) -> None:
    """Move a question one place "up" or "down". Refuses once the consultation has started, and a
    move that would put a conditional question before the question it depends on. The first
    question up or the last down stays where it is. Writes a journal line."""
    if direction not in ("up", "down"):
        raise ConsultationRefused(_("Direction inconnue."))
    consultation = question.consultation
    _check_staff(actor, consultation.territory)
    with transaction.atomic():
        consultation = _lock(consultation)
        if has_started(consultation):
            raise ConsultationRefused(_QUESTIONS_FROZEN)
        ordered = list(consultation.questions.order_by("position", "pk"))
        index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(ordered):
            return
        first, second = sorted((index, other))
        earlier, later = ordered[first], ordered[second]
        if later.condition_question_id == earlier.pk:
            raise ConsultationRefused(
                _("« %(later)s » s'affiche selon la réponse à « %(earlier)s » : elle doit rester après.")
                % {"later": later.label, "earlier": earlier.label})
        ordered[first], ordered[second] = later, earlier
        _renumber(consultation, ordered)
        record_audit(consultation.territory, actor, "participation.consultation_question_moved",
                     _("Question « %(label)s » déplacée dans la consultation « %(title)s »")
                     % {"label": question.label, "title": consultation.title},
                     {"consultation": consultation.pk, "question": question.pk, "direction": direction})


# Answering

def check_value(question: Question, value: object, *, enforce_required: bool = True) -> AnswerValue | None:
    """The answer in its stored shape, or None for no answer; raises ValueError with a French
    sentence for an answer the question does not allow, or (with `enforce_required`) no answer to
    a required question."""
    required = question.required and enforce_required
    if value is None or value == "" or value == []:
        if required:
            raise ValueError(_("Répondez à cette question : elle est obligatoire."))
        return None
    option_ids = [option.pk for option in question.options.all()]
    if question.kind == QuestionKind.SINGLE:
        if isinstance(value, bool) or not isinstance(value, int) or value not in option_ids:
            raise ValueError(_("Cette réponse ne fait pas partie de la question."))
        return value
    if question.kind == QuestionKind.MULTIPLE:
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValueError(_("Cette réponse ne fait pas partie de la question."))
        chosen = sorted(set(value))
        if not set(chosen) <= set(option_ids):
            raise ValueError(_("Cette réponse ne fait pas partie de la question."))
        if question.max_choices and len(chosen) > question.max_choices:
            raise ValueError(_("Choisissez %(max)s réponses au plus ; vous en avez choisi %(count)s.")
                             % {"max": question.max_choices, "count": len(chosen)})
        return chosen
    if question.kind == QuestionKind.SCALE:
        low, high = question.scale_min, question.scale_max
        if (isinstance(value, bool) or not isinstance(value, int) or low is None or high is None
                or not low <= value <= high):
            raise ValueError(_("Choisissez une valeur de %(min)s à %(max)s.") % {"min": low, "max": high})
        return value
    if question.kind == QuestionKind.RANKING:
        if (not isinstance(value, list) or len(value) != len(option_ids) or set(value) != set(option_ids)
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise ValueError(_("Donnez à chaque proposition un rang différent, de 1 à %(count)s.")
                             % {"count": len(option_ids)})
        return list(value)
    if not isinstance(value, str):
        raise ValueError(_("Écrivez votre réponse."))
    text = _CONTROL.sub("", value).replace("\r\n", "\n").strip()
    limit = SHORT_TEXT_MAX if question.kind == QuestionKind.SHORT_TEXT else LONG_TEXT_MAX
    if len(text) > limit:
        raise ValueError(_("Votre réponse dépasse %(max)s caractères : raccourcissez-la.") % {"max": limit})
    if not text:
        if required:
            raise ValueError(_("Répondez à cette question : elle est obligatoire."))
        return None
    return text


def _refusals(user: Any, consultation: Consultation, now: datetime.datetime) -> list[str]:
    if consultation.status != ConsultationStatus.PUBLISHED or now < consultation.opens_at:
        return [_("Cette consultation n'est pas encore ouverte.")]
    if now >= consultation.closes_at:
        return [_("Cette consultation est close.")]
    if has_responded(user, consultation):
        return [_("Vous avez déjà répondu à cette consultation.")]
    return []


def save_page(user: Any, consultation: Consultation, number: int, values: Mapping[str, object], *,
              enforce_required: bool = True) -> ConsultationDraft:
    """Save the answers of page `number` (1-based) in the person's draft, and the next page to
    show as where they are. `values` maps question ids (as strings) to answers in the stored shape.

    Only the questions the page shows for the answers saved so far count; an unanswered one is
    removed from the draft. Refuses, storing nothing: a consultation not open, a person its
    eligibility turns down or who already answered, a page that does not exist, and any answer the
    question does not allow (every error at once, by question); with `enforce_required` (going
    forward, not back), a required question left unanswered.
    """
    from .eligibility import can_take_part

    now = timezone.now()
    reasons = _refusals(user, consultation, now)
    if not reasons:
        reasons = can_take_part(user, consultation.eligibility).reasons
    if reasons:
        raise ParticipationRefused(reasons)
    questions = questions_of(consultation)
    pages = pages_of(questions)
    if not 1 <= number <= len(pages):
        raise ParticipationRefused([_("Cette page n'existe pas.")])
    with transaction.atomic():
        # Created inside the transaction: a refused first page leaves no empty draft behind.
        draft, _created = ConsultationDraft.objects.get_or_create(consultation=consultation, user=user)
        draft = ConsultationDraft.objects.select_for_update().get(pk=draft.pk)
        answers: dict[str, Any] = dict(draft.answers) if isinstance(draft.answers, dict) else {}
        on_page = {question.pk for question in pages[number - 1]}
        errors: dict[int, str] = {}
        for question in shown_questions(questions, answers):
            if question.pk not in on_page:
                continue
            key = str(question.pk)
            try:
                clean = check_value(question, values.get(key), enforce_required=enforce_required)
            except ValueError as exc:
                errors[question.pk] = str(exc)
                continue
            if clean is None:
                answers.pop(key, None)
            else:
                answers[key] = clean
        if errors:
            raise AnswersInvalid(errors)
        for question in pages[number - 1]:
            # A question the page no longer shows (its condition changed) keeps no answer.
            if question.pk not in {q.pk for q in shown_questions(questions, answers)}:
                answers.pop(str(question.pk), None)
        # Where "Reprendre" leads: the next page with something to answer, else this one (the
        # presentation also offers the review then).
        draft.answers = answers
        draft.page = next_page(pages, questions, answers, number + 1, 1) or number
        draft.save(update_fields=["answers", "page", "updated_at"])
    return draft


def review(consultation: Consultation, answers: Mapping[str, object]) -> tuple[list[Question], dict[int, str]]:
    """The questions the answers show, and what is wrong with any of them (by question id)."""
    shown = shown_questions(questions_of(consultation), answers)
    errors: dict[int, str] = {}
    for question in shown:
        try:
            check_value(question, answers.get(str(question.pk)))
        except ValueError as exc:
            errors[question.pk] = str(exc)
    return shown, errors


def submit_response(user: Any, consultation: Consultation) -> Participation:
    """Send the person's saved answers, once, and delete their draft.

    Only the questions shown for those answers count: answers to a question whose condition is no
    longer met are dropped. Refuses, storing nothing: a consultation not open, no draft, a required
    shown question without answer or any answer no longer valid (every error, by question), no
    answer at all, a
    person the eligibility turns down, and a second response (the participation's unique
    constraint decides). An anonymous response keeps no user, no time and a random key.
    """
    now = timezone.now()
    reasons = _refusals(user, consultation, now)
    if reasons:
        if has_responded(user, consultation):
            ConsultationDraft.objects.filter(user=user, consultation=consultation).delete()
        raise ParticipationRefused(reasons)
    draft = draft_of(user, consultation)
    if draft is None:
        raise ParticipationRefused([_("Commencez par répondre aux questions.")])
    answers: dict[str, Any] = draft.answers if isinstance(draft.answers, dict) else {}
    shown, errors = review(consultation, answers)
    if errors:
        raise AnswersInvalid(errors)
    rows: list[Answer] = []
    for question in shown:
        value = check_value(question, answers.get(str(question.pk)))
        if value is None:
            continue
        if question.kind == QuestionKind.SINGLE and isinstance(value, int):
            rows.append(Answer(question=question, option_id=value))
        elif question.kind == QuestionKind.MULTIPLE and isinstance(value, list):
            rows.extend(Answer(question=question, option_id=pk) for pk in value)
        elif question.kind == QuestionKind.RANKING and isinstance(value, list):
            rows.extend(Answer(question=question, option_id=pk, number=rank) for rank, pk in enumerate(value, 1))
        elif question.kind == QuestionKind.SCALE and isinstance(value, int):
            rows.append(Answer(question=question, number=value))
        elif isinstance(value, str):
            rows.append(Answer(question=question, text=value))
    if not rows:
        # Every question optional and none answered: a response that says nothing would still
        # count as taking part, and the person could not answer later.
        raise ParticipationRefused([_("Répondez à au moins une question avant d'envoyer.")])

    def write_response(participation: Participation) -> None:
        # Read again inside the transaction: staff may have closed the consultation since the check.
        if not Consultation.objects.filter(pk=consultation.pk, status=ConsultationStatus.PUBLISHED,
                                           closes_at__gt=now).exists():
            raise ParticipationRefused([_("Cette consultation est close.")])
        response = Response.objects.create(
            consultation=consultation,
            user=user if consultation.signed else None,
            submitted_at=now if consultation.signed else None,
        )
        for row in rows:
            row.response = response
        Answer.objects.bulk_create(rows)
        ConsultationDraft.objects.filter(pk=draft.pk).delete()

    try:
        return participate_once(user, consultation, consultation.eligibility, then=write_response)
    except ParticipationRefused:
        if has_responded(user, consultation):
            ConsultationDraft.objects.filter(user=user, consultation=consultation).delete()
        raise
