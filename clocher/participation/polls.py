"""Polls: a question, its options, and secret ballots (issue 7).

Who voted and what was chosen live in two tables that share nothing but the poll: `Participation`
(participation/models.py) says that a person took part, once; `Ballot` and `BallotChoice` say what
was chosen, by nobody in particular. See docs/participation-polls.md for what keeps them apart.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory

from .models import Eligibility

MAX_OPTIONS = 30


class PollKind(models.TextChoices):
    SINGLE = "single", _("Choix unique")
    MULTIPLE = "multiple", _("Choix multiple")


class ResultsVisibility(models.TextChoices):
    ALWAYS = "always", _("Toujours, pendant le vote")
    AFTER_VOTING = "after_voting", _("Aux votants dès qu'ils ont voté, à tous après la clôture")
    AFTER_CLOSING = "after_closing", _("À tous, après la clôture seulement")


class PollStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")


class Poll(models.Model):
    """A question a collectivity asks, open to votes between two moments, to those its
    Eligibility admits. Whether it is open is read from the dates: closing early moves `closes_at`."""

    territory = models.ForeignKey(Territory, models.PROTECT, related_name="+", verbose_name=_("organisé par"))
    title = models.CharField(_("question"), max_length=200)
    # Plain text, shown with linebreaks and escaped: nothing to sanitise.
    description = models.TextField(_("présentation"), blank=True)
    eligibility = models.OneToOneField(Eligibility, models.PROTECT, related_name="poll")
    kind = models.CharField(_("type"), max_length=16, choices=PollKind.choices, default=PollKind.SINGLE)
    max_choices = models.PositiveSmallIntegerField(
        _("nombre de choix au plus"), null=True, blank=True,
        help_text=_("Pour un choix multiple ; vide : autant que de réponses."),
    )
    opens_at = models.DateTimeField(_("ouverture du vote"))
    closes_at = models.DateTimeField(_("clôture du vote"))
    results_visibility = models.CharField(
        _("résultats visibles"), max_length=16, choices=ResultsVisibility.choices,
        default=ResultsVisibility.AFTER_CLOSING,
    )
    status = models.CharField(_("état"), max_length=16, choices=PollStatus.choices, default=PollStatus.DRAFT)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    closed_early_at = models.DateTimeField(_("clos par anticipation le"), null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sondage")
        verbose_name_plural = _("sondages")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")), name="poll_closes_after_opening"),
        ]
        indexes = [models.Index(fields=["status", "closes_at"], name="poll_status_closes")]

    def __str__(self) -> str:
        return self.title


class PollOption(models.Model):
    """One answer a poll offers, in the order staff wrote them."""

    poll = models.ForeignKey(Poll, models.CASCADE, related_name="options")
    label = models.CharField(_("réponse"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("réponse proposée")
        verbose_name_plural = _("réponses proposées")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["poll", "position"], name="poll_option_position")]

    def __str__(self) -> str:
        return self.label


class Ballot(models.Model):
    """One secret vote cast in a poll: which poll, nothing about who or when.

    The primary key is random (UUID4), not a counter, and there is no timestamp: a sequence number
    or a time would let anyone holding both tables line ballots up with the `Participation` rows,
    which are ordered and timed, and so learn each person's vote.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    poll = models.ForeignKey(Poll, models.CASCADE, related_name="ballots")

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")

    def __str__(self) -> str:
        return str(self.id)


class BallotChoice(models.Model):
    """An option marked on a ballot (one for a single choice, one or more for a multiple choice).
    Random primary key for the same reason as Ballot's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, models.CASCADE, related_name="choices")
    option = models.ForeignKey(PollOption, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("choix d'un bulletin")
        verbose_name_plural = _("choix des bulletins")
        constraints = [models.UniqueConstraint(fields=["ballot", "option"], name="ballot_choice_once")]

    def __str__(self) -> str:
        return f"{self.ballot_id} → {self.option_id}"
