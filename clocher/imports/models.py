"""Sources of open data that a territory keeps in sync, and the record of each synchronisation."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from clocher.organisations.models import Organisation
from clocher.territories.models import Territory

# A week: a calendar that changes less often than that needs no schedule at all.
MAX_INTERVAL_HOURS = 24 * 7


class SourceKind(models.TextChoices):
    ICS = "ics", _("Calendrier iCalendar (.ics)")
    OPENAGENDA = "openagenda", _("OpenAgenda (API v2, JSON)")
    DATATOURISME_EVENTS = "datatourisme-events", _("Événements DATAtourisme (JSON-LD)")


class RunOutcome(models.TextChoices):
    OK = "ok", _("Réussie")
    FAILED = "failed", _("Échouée")


class ImportSource(models.Model):
    """A URL whose events a territory publishes, fetched again every `interval_hours`.

    Events imported from it carry the provenance `src:<pk>` (see `event_source`), so that a later
    run updates them in place and unpublishes those the source no longer lists. When the source
    is an association's calendar, `organisation` is shown as the organiser of its events.
    """

    territory = models.ForeignKey(
        Territory, models.CASCADE, related_name="import_sources", verbose_name=_("territoire")
    )
    kind = models.CharField(_("format"), max_length=24, choices=SourceKind.choices)
    name = models.CharField(_("nom"), max_length=120, blank=True)
    url = models.URLField(_("adresse (URL)"), max_length=1000)
    organisation = models.ForeignKey(
        Organisation, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("organisateur"),
    )
    interval_hours = models.PositiveSmallIntegerField(
        _("fréquence (heures)"), default=24,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_INTERVAL_HOURS)],
    )
    enabled = models.BooleanField(_("active"), default=True)
    last_run_at = models.DateTimeField(_("dernière synchronisation"), null=True, blank=True)
    last_outcome = models.CharField(
        _("résultat"), max_length=8, choices=RunOutcome.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("source de données")
        verbose_name_plural = _("sources de données")
        ordering = ["territory", "pk"]
        indexes = [models.Index(fields=["enabled", "last_run_at"], name="import_source_due")]

    def __str__(self) -> str:
        return self.name or self.url

    @property
    def event_source(self) -> str:
        """The provenance written on the events of this source (at most 40 characters)."""
        return f"src:{self.pk}"


class ImportRun(models.Model):
    """One synchronisation of a source: when, what it did, what it refused and why it failed."""

    source = models.ForeignKey(ImportSource, models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=RunOutcome.choices, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    unpublished = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # [[where, reason], ...] of the first rejections (the count above has them all).
    rejections = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("synchronisation")
        verbose_name_plural = _("synchronisations")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["source", "-started_at"], name="import_run_latest")]

    def __str__(self) -> str:
        return f"{self.source_id} · {self.started_at:%Y-%m-%d %H:%M}"
