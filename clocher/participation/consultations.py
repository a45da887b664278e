"""Consultations: a questionnaire a collectivity puts to its residents (issue 7).

A consultation holds ordered questions of six kinds, some shown only for some answers to an earlier
question. A resident answers page by page, their progress kept in a `ConsultationDraft`, then sends
everything at once: one `Participation` (who took part, participation/models.py) and one `Response`
with its `Answer` rows (what they answered). A signed consultation keeps the person on the response;
an anonymous one keeps nothing that could lead back to them. See docs/participation-consultations.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory

from .models import Eligibility

MAX_QUESTIONS = 100
MAX_OPTIONS = 30
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 5000


class ConsultationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publiée")


class ResultsVisibility(models.TextChoices):
    AFTER_CLOSING = "after_closing", _("À tous, après la clôture")
    ALWAYS = "always", _("À tous, pendant la consultation aussi")
    STAFF = "staff", _("À l'équipe seulement")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Choix unique")
    MULTIPLE = "multiple", _("Choix multiple")
    SCALE = "scale", _("Échelle")
    RANKING = "ranking", _("Classement")
    SHORT_TEXT = "short_text", _("Texte court")
    LONG_TEXT = "long_text", _("Texte long")


# Kinds whose answers are options of the question; only these may be a condition for a later one.
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
OPTION_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING)
TEXT_KINDS = (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT)


class Consultation(models.Model):
    """A questionnaire a territory runs between two moments, answered once by each person its
    Eligibility admits. Whether it is open is read from the dates: closing early moves `closes_at`."""

    territory = models.ForeignKey(Territory, models.PROTECT, related_name="+", verbose_name=_("organisée par"))
    title = models.CharField(_("titre"), max_length=200)
    # Plain text, shown with linebreaks and escaped: nothing to sanitise.
    description = models.TextField(_("présentation"), blank=True)
    eligibility = models.OneToOneField(Eligibility, models.PROTECT, related_name="consultation")
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("clôture"))
    signed = models.BooleanField(
        _("réponses signées"), default=False,
        help_text=_("Signées : l'équipe voit le nom de chaque répondant. Anonymes : personne ne peut relier "
                    "une réponse à son auteur."),
    )
    results_visibility = models.CharField(
        _("résultats visibles"), max_length=16, choices=ResultsVisibility.choices,
        default=ResultsVisibility.AFTER_CLOSING,
    )
    status = models.CharField(_("état"), max_length=16, choices=ConsultationStatus.choices,
                              default=ConsultationStatus.DRAFT)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    closed_early_at = models.DateTimeField(_("close par anticipation le"), null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")),
                                   name="consultation_closes_after_opening"),
        ]
        indexes = [models.Index(fields=["status", "closes_at"], name="consultation_status_closes")]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One question of a consultation, in the order staff set (`position`).

    A question with `condition_options` is shown only when the earlier choice question
    `condition_question` was answered with at least one of them; such a question starts a page, so
    the answer it depends on is always saved before it is shown.
    """

    consultation = models.ForeignKey(Consultation, models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("type"), max_length=16, choices=QuestionKind.choices)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("aide"), max_length=1000, blank=True)
    required = models.BooleanField(_("réponse obligatoire"), default=False)
    new_page = models.BooleanField(_("commence une nouvelle page"), default=False)
    max_choices = models.PositiveSmallIntegerField(_("nombre de choix au plus"), null=True, blank=True)
    scale_min = models.SmallIntegerField(_("échelle : de"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("échelle : à"), null=True, blank=True)
    scale_min_label = models.CharField(_("libellé du minimum"), max_length=60, blank=True)
    scale_max_label = models.CharField(_("libellé du maximum"), max_length=60, blank=True)
    condition_question = models.ForeignKey(
        "self", models.RESTRICT, null=True, blank=True, related_name="dependents",
        verbose_name=_("affichée selon la réponse à"),
    )
    condition_options: models.ManyToManyField[QuestionOption, Any] = models.ManyToManyField(
        "QuestionOption", blank=True, related_name="+",
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scale_min__isnull=True) | models.Q(scale_max__gt=models.F("scale_min")),
                name="question_scale_order",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_conditional(self) -> bool:
        return self.condition_question_id is not None


class QuestionOption(models.Model):
    """One answer a choice or ranking question offers, in the order staff wrote them."""

    question = models.ForeignKey(Question, models.CASCADE, related_name="options")
    label = models.CharField(_("réponse"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("réponse proposée")
        verbose_name_plural = _("réponses proposées")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label


class ConsultationDraft(models.Model):
    """A person's answers so far, saved at every page so they can leave and come back; deleted when
    they send their response. Answers are JSON keyed by question id (see consultation_services)."""

    consultation = models.ForeignKey(Consultation, models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="consultation_drafts")
    answers = models.JSONField(default=dict)
    # The page (1-based) the person saved last, where "Reprendre" takes them back.
    page = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réponses en cours")
        verbose_name_plural = _("réponses en cours")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "user"], name="consultation_draft_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.consultation_id}"


class Response(models.Model):
    """One person's sent answers to a consultation.

    Signed: `user` and `submitted_at` say who and when. Anonymous: both stay empty, and the primary
    key is random (UUID4), not a counter: a sequence number or a time would let anyone holding both
    tables line responses up with the `Participation` rows, which are ordered and timed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultation = models.ForeignKey(Consultation, models.CASCADE, related_name="responses")
    # Emptied when the person deletes their account: the answers stay in the results, unsigned.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="consultation_responses")
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("réponse à une consultation")
        verbose_name_plural = _("réponses aux consultations")

    def __str__(self) -> str:
        return str(self.id)


class Answer(models.Model):
    """One piece of a response: an option chosen (single, multiple), an option and its rank
    (ranking), a number (scale) or a text. Random primary key for the same reason as Response's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, models.CASCADE, related_name="answers")
    # RESTRICT: a question or option that was answered cannot be deleted on its own (services
    # freeze them once the consultation opens), only with its whole consultation.
    question = models.ForeignKey(Question, models.RESTRICT, related_name="answers")
    option = models.ForeignKey(QuestionOption, models.RESTRICT, null=True, blank=True, related_name="+")
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("réponse à une question")
        verbose_name_plural = _("réponses aux questions")

    def __str__(self) -> str:
        return f"{self.response_id} → {self.question_id}"
