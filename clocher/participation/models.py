"""Who may take part: verifications of residence, residence codes, eligibility rules, participations.

Polls, consultations and participatory budgets all point to an `Eligibility` (who may take part) and
record each person's taking part as one `Participation` row, unique per process and person in the
database itself. See docs/participation-eligibility.md.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory


class Level(models.TextChoices):
    """How sure Clocher is that a person lives in their home commune, weakest first."""

    EMAIL = "email", _("adresse e-mail vérifiée")
    RESIDENCE_CODE = "residence_code", _("domicile vérifié par un code reçu")
    IN_PERSON = "in_person", _("domicile vérifié au guichet")


# The order levels are compared in: a requirement is met by its own level or a stronger one. Seeing a
# person and their proof of address at the counter is stronger than a code that reached their
# letterbox, which is stronger than an e-mail address anyone can open from anywhere.
LEVEL_RANK: dict[str, int] = {Level.EMAIL: 1, Level.RESIDENCE_CODE: 2, Level.IN_PERSON: 3}


class Eligibility(models.Model):
    """Who may take part in one process (a poll, a consultation, a budget): residents of some
    territories, from some age, verified to some level. A process points to one of these rows.

    No territory means no residence condition; no minimum age means any age.
    """

    territories = models.ManyToManyField(
        Territory, blank=True, related_name="+", verbose_name=_("réservé aux habitants de"),
        help_text=_("Les habitants de toute commune comprise dans l'un de ces territoires."),
    )
    min_age = models.PositiveSmallIntegerField(_("âge minimum"), null=True, blank=True)
    level = models.CharField(_("vérification demandée"), max_length=16, choices=Level.choices,
                             default=Level.EMAIL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conditions de participation")
        verbose_name_plural = _("conditions de participation")

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.min_age or 0}+"


class ResidenceCodeBatch(models.Model):
    """A batch of one-time residence codes that staff printed for one commune, to mail or hand out.

    The codes themselves are never stored, only their keyed digests (ResidenceCode): the PDF made at
    generation is the only place they appear. Revoking a batch (a lost envelope) voids its unused codes.
    """

    commune = models.ForeignKey(Territory, models.CASCADE, related_name="+", verbose_name=_("commune"))
    # The staff territory the batch was made from: the commune itself, or its EPCI or département.
    issued_through = models.ForeignKey(Territory, models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    size = models.PositiveIntegerField(_("nombre de codes"))
    expires_at = models.DateTimeField(_("valable jusqu'au"))
    revoked_at = models.DateTimeField(_("annulé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot de codes de vérification")
        verbose_name_plural = _("lots de codes de vérification")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.commune} · {self.size} · {self.created_at:%Y-%m-%d}"


class ResidenceCode(models.Model):
    """One code of a batch, used once by one resident of its commune to prove where they live."""

    batch = models.ForeignKey(ResidenceCodeBatch, models.CASCADE, related_name="codes")
    # HMAC-SHA256 of the code under the installation's secret key (codes.digest): looked up directly,
    # and worthless to someone who stole the database without the key.
    digest = models.CharField(max_length=64, unique=True)
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("code de vérification")
        verbose_name_plural = _("codes de vérification")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.pk}"


class Verification(models.Model):
    """A proof that a person lives in a commune, by a residence code or by staff at the counter.

    It counts only while the commune is the person's home commune: moving elsewhere needs a new one.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="residence_verifications")
    commune = models.ForeignKey(Territory, models.CASCADE, related_name="+")
    level = models.CharField(
        _("niveau"), max_length=16,
        choices=[(Level.RESIDENCE_CODE, Level.RESIDENCE_CODE.label), (Level.IN_PERSON, Level.IN_PERSON.label)],
    )
    # Who verified at the counter, and from which staff territory; kept as text too for the day the
    # staff account is deleted.
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    verified_by_label = models.CharField(max_length=254, blank=True)
    verified_through = models.ForeignKey(Territory, models.SET_NULL, null=True, blank=True, related_name="+")
    code = models.OneToOneField(ResidenceCode, models.SET_NULL, null=True, blank=True, related_name="verification")
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("vérification du domicile")
        verbose_name_plural = _("vérifications du domicile")
        constraints = [
            models.UniqueConstraint(fields=["user", "commune", "level"], name="verification_unique_level"),
            models.CheckConstraint(
                condition=models.Q(level=Level.IN_PERSON, code__isnull=True)
                | models.Q(level=Level.RESIDENCE_CODE, verified_by__isnull=True),
                name="verification_source_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.commune} · {self.level}"


class Participation(models.Model):
    """That a person took part in a process (voted in a poll, answered a consultation...), once.

    Only *that* they took part, never *what* they chose: a process keeps its ballots apart, so a
    secret vote stays secret. The process is any model row (content type and id), which lets every
    kind of process share the one database constraint that makes "one person, one participation"
    hold under concurrent requests.
    """

    content_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="participations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "user"], name="participation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.content_type_id}:{self.object_id}"


from .budgets import (  # noqa: E402,F401  # budgets live in budgets.py
    Budget,
    BudgetBallot,
    BudgetBallotItem,
    Project,
    ProjectComment,
    ProjectPhoto,
    ProjectSupport,
    ProjectUpdate,
)
from .consultations import (  # noqa: E402,F401  # consultations live in consultations.py
    Answer,
    Consultation,
    ConsultationDraft,
    Question,
    QuestionOption,
    Response,
)
from .polls import Ballot, BallotChoice, Poll, PollOption  # noqa: E402,F401  # polls live in polls.py
