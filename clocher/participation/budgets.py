"""Participatory budgets: dated phases, residents' projects, review, secret ballots, results, follow-up.

A budget moves through phases read from its dates (`phase_of` in budget_selectors): announced,
proposals, review, vote, counting, results (once staff publish them), and the follow-up of the
winners after that. See docs/participation-budgets.md.

Ballots are kept as for polls: `Participation` says that a person voted, once; `BudgetBallot` and
`BudgetBallotItem` say what was chosen. A resident may change their ballot until the vote closes,
so the ballot carries `voter_key`, a keyed digest (HMAC under the installation's secret key) of the
budget and the person: it finds the person's own ballot again when they come back, but the
database alone, without the key, cannot tell whose ballot is whose.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory

from .models import Eligibility


class BallotKind(models.TextChoices):
    APPROVAL = "approval", _("Approbation : choisir des projets, jusqu'à un nombre maximum")
    APPROVAL_BUDGET = "approval_budget", _("Approbation dans l'enveloppe : choisir des projets sans dépasser le budget")
    CUMULATIVE = "cumulative", _("Points : répartir un nombre de points entre les projets")
    RANKING = "ranking", _("Classement : classer des projets par ordre de préférence")


class CountingRule(models.TextChoices):
    GREEDY = "greedy", _("Les plus soutenus d'abord, tant que l'enveloppe le permet")
    MES = "mes", _("Méthode des parts égales (Equal Shares)")


class BudgetStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")


class Budget(models.Model):
    """One participatory budget of a collectivity: an envelope, its dates, its rules.

    Amounts are whole euros, as every participatory budget counts them. The phases follow the dates:
    proposals between `proposals_opens_at` and `proposals_closes_at`, review until `vote_opens_at`,
    vote until `vote_closes_at`; results once `results_published_at` is set.
    """

    territory = models.ForeignKey(Territory, models.PROTECT, related_name="+", verbose_name=_("organisé par"))
    title = models.CharField(_("titre"), max_length=200)
    # Plain text, shown with linebreaks and escaped.
    description = models.TextField(_("présentation"), blank=True)
    eligibility = models.OneToOneField(Eligibility, models.PROTECT, related_name="budget")
    amount = models.PositiveBigIntegerField(_("enveloppe (€)"))
    ballot_kind = models.CharField(_("type de vote"), max_length=16, choices=BallotKind.choices,
                                   default=BallotKind.APPROVAL_BUDGET)
    max_projects = models.PositiveSmallIntegerField(
        _("nombre de projets au plus"), null=True, blank=True,
        help_text=_("Pour l'approbation et le classement ; vide : sans limite."),
    )
    min_projects = models.PositiveSmallIntegerField(_("nombre de projets au moins"), default=1)
    points = models.PositiveSmallIntegerField(
        _("points à répartir"), null=True, blank=True, help_text=_("Pour le vote par points."),
    )
    rule = models.CharField(_("règle de dépouillement"), max_length=8, choices=CountingRule.choices,
                            default=CountingRule.GREEDY)
    proposals_opens_at = models.DateTimeField(_("ouverture du dépôt des projets"))
    proposals_closes_at = models.DateTimeField(_("clôture du dépôt des projets"))
    vote_opens_at = models.DateTimeField(_("ouverture du vote"))
    vote_closes_at = models.DateTimeField(_("clôture du vote"))
    results_published_at = models.DateTimeField(_("résultats publiés le"), null=True, blank=True)
    # The last count (counting.Tally as JSON, see budget_services), kept so the results page does
    # not count again on every view; cleared whenever a ballot or a project changes.
    results = models.JSONField(default=dict, blank=True)
    results_computed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("état"), max_length=16, choices=BudgetStatus.choices, default=BudgetStatus.DRAFT)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    # A budget loaded from a Pabulib file (`clocher import pabulib`): its META section, as read.
    pabulib_meta = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("budget participatif")
        verbose_name_plural = _("budgets participatifs")
        ordering = ["-vote_opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(proposals_closes_at__gt=models.F("proposals_opens_at"))
                & models.Q(vote_opens_at__gte=models.F("proposals_closes_at"))
                & models.Q(vote_closes_at__gt=models.F("vote_opens_at")),
                name="budget_phases_in_order",
            ),
        ]
        indexes = [models.Index(fields=["status", "vote_closes_at"], name="budget_status_closes")]

    def __str__(self) -> str:
        return self.title


class ProjectStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Déposé, en attente d'étude")
    ELIGIBLE = "eligible", _("Recevable")
    INELIGIBLE = "ineligible", _("Non recevable")
    WITHDRAWN = "withdrawn", _("Retiré par son auteur")


class Progress(models.TextChoices):
    """Where a winning project stands, for the follow-up."""

    PLANNED = "planned", _("À venir")
    STUDY = "study", _("À l'étude")
    WORKS = "works", _("En travaux")
    DONE = "done", _("Réalisé")
    ABANDONED = "abandoned", _("Abandonné")


class Project(models.Model):
    """A project a resident proposes for a budget (or staff enter, or an import brings).

    `estimated_cost` is the author's figure; staff set `final_cost` at review, and the vote and the
    count use the final cost. `code` is the project's id in Pabulib files (imported or exported).
    """

    budget = models.ForeignKey(Budget, models.CASCADE, related_name="projects")
    code = models.CharField(_("identifiant"), max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(_("titre"), max_length=200)
    # Plain text, shown with linebreaks and escaped.
    description = models.TextField(_("description"))
    estimated_cost = models.PositiveBigIntegerField(_("coût estimé (€)"))
    final_cost = models.PositiveBigIntegerField(_("coût retenu (€)"), null=True, blank=True)
    commune = models.ForeignKey(Territory, models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("commune"))
    address = models.CharField(_("lieu"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=16, choices=ProjectStatus.choices,
                              default=ProjectStatus.SUBMITTED)
    # The public reason given with the review's decision (always shown when ineligible).
    review_reason = models.TextField(_("motif de la décision"), blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    # Moderation: a hidden project stays in the database, out of every public page.
    hidden_at = models.DateTimeField(null=True, blank=True)
    supports_count = models.PositiveIntegerField(default=0)
    progress = models.CharField(_("avancement"), max_length=16, choices=Progress.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "code"], name="budget_project_code"),
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True, lon__isnull=True)
                | models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="budget_project_point",
            ),
        ]
        indexes = [models.Index(fields=["budget", "status"], name="budget_project_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def cost(self) -> int:
        """What the project costs for the vote and the count: the final cost once reviewed."""
        return self.final_cost if self.final_cost is not None else self.estimated_cost


class ProjectUpdate(models.Model):
    """A public piece of news about a winning project (the follow-up), from staff, with photos."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="updates")
    text = models.TextField(_("nouvelles"))
    progress = models.CharField(_("avancement"), max_length=16, choices=Progress.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("nouvelles d'un projet")
        verbose_name_plural = _("nouvelles des projets")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.project_id} · {self.created_at:%Y-%m-%d}"


def _photo_path(instance: Any, filename: str) -> str:
    # Photos are always re-encoded to JPEG (territories.images.reencode): the name says so, whatever
    # the upload was called.
    return f"budgets/{secrets.token_hex(16)}.jpg"


class ProjectPhoto(models.Model):
    """A photo of a project (re-encoded, no EXIF); one posted with a follow-up update belongs to it."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="photos")
    update = models.ForeignKey(ProjectUpdate, models.CASCADE, null=True, blank=True, related_name="photos")
    file = models.FileField(upload_to=_photo_path)
    # What the photo shows, for screen readers; the project's title when the author wrote nothing.
    alt = models.CharField(_("description de la photo"), max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo d'un projet")
        verbose_name_plural = _("photos des projets")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.file.name or ""


class ProjectComment(models.Model):
    """A resident's comment on a project, during the proposals phase and after; moderators hide."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    # The name shown, kept as written when the comment was made (the account may go).
    author_name = models.CharField(max_length=150)
    # Plain text, shown with linebreaks and escaped.
    text = models.TextField(_("commentaire"))
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("motif du masquage"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id} · {self.author_name}"


class ProjectSupport(models.Model):
    """That a person supports a project during the proposals phase (public count, once per person)."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("soutien")
        verbose_name_plural = _("soutiens")
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="budget_support_once")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.project_id}"


class BallotSource(models.TextChoices):
    ONLINE = "online", _("En ligne")
    PAPER = "paper", _("Papier, saisi en mairie")
    IMPORTED = "imported", _("Importé d'un fichier Pabulib")


class BudgetBallot(models.Model):
    """One secret ballot of a budget. Random primary key and no timestamp, as for polls' ballots.

    An online ballot carries `voter_key` (see the module's docstring) so that its voter can change
    it until the vote closes; paper and imported ballots have none. `label` is the voter id of an
    imported ballot, or the reference staff wrote on a paper ballot, for exports.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    budget = models.ForeignKey(Budget, models.CASCADE, related_name="ballots")
    source = models.CharField(max_length=8, choices=BallotSource.choices, default=BallotSource.ONLINE)
    voter_key = models.CharField(max_length=64, null=True, blank=True)
    label = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            models.UniqueConstraint(fields=["budget", "voter_key"], name="budget_ballot_voter_once"),
            models.CheckConstraint(
                condition=models.Q(source=BallotSource.ONLINE, voter_key__isnull=False)
                | (~models.Q(source=BallotSource.ONLINE) & models.Q(voter_key__isnull=True)),
                name="budget_ballot_key_if_online",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


class BudgetBallotItem(models.Model):
    """A project on a ballot: chosen (approval), given `points` (cumulative), or placed at `rank`
    (ranking, 1 the favourite)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(BudgetBallot, models.CASCADE, related_name="items")
    project = models.ForeignKey(Project, models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("choix d'un bulletin")
        verbose_name_plural = _("choix des bulletins")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "project"], name="budget_ballot_item_once"),
            models.UniqueConstraint(fields=["ballot", "rank"], name="budget_ballot_rank_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id} → {self.project_id}"
