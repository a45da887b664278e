"""Incident reports: what a resident saw, where, with photos; who handles it, and its history.

Each collectivity defines its own categories (its service catalogue); a category says at which
level the matter is handled (its competence: commune, EPCI or département), which with the
location decides the collectivity a report goes to (clocher.reports.routing). Every change of a
report writes a ReportEvent: the public timeline and the internal notes are both made of them.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory


class Competence(models.TextChoices):
    COMMUNE = "commune", _("La commune")
    EPCI = "epci", _("L'intercommunalité")
    DEPARTEMENT = "departement", _("Le département")


class ReportCategory(models.Model):
    """A kind of problem a collectivity handles: "Éclairage public", "Route départementale".

    `territory` is the collectivity whose catalogue it belongs to; `competence` the level that
    handles it where a report is made (a commune's category is handled by the commune containing
    the point). `code` is stable: the Open311 service_code.
    """

    territory = models.ForeignKey(
        Territory, models.CASCADE, related_name="report_categories", verbose_name=_("collectivité")
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("nom"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    competence = models.CharField(
        _("compétence"), max_length=12, choices=Competence.choices, default=Competence.COMMUNE
    )
    keywords = models.CharField(_("mots-clés"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("catégorie de signalement")
        verbose_name_plural = _("catégories de signalement")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "code"], name="report_category_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class ReportStatus(models.TextChoices):
    NEW = "new", _("Nouveau")
    ACKNOWLEDGED = "acknowledged", _("Pris en compte")
    IN_PROGRESS = "in_progress", _("En cours")
    RESOLVED = "resolved", _("Résolu")
    REJECTED = "rejected", _("Rejeté")
    DUPLICATE = "duplicate", _("Doublon")


# Open311 says "open" or "closed".
CLOSED_STATUSES = (ReportStatus.RESOLVED, ReportStatus.REJECTED, ReportStatus.DUPLICATE)


def _token() -> str:
    return secrets.token_urlsafe(16)


class Report(models.Model):
    """A problem a resident reported at a place, handled by one collectivity.

    The reporter's name and contact are private: only the handling collectivity's agents see them.
    `token` answers Open311's tokens/{token} before the report is accepted; `idempotency_key`
    makes a retried submission (offline queue, flaky network) return the first report.
    """

    territory = models.ForeignKey(
        Territory, models.PROTECT, related_name="reports", verbose_name=_("collectivité responsable")
    )
    commune = models.ForeignKey(
        Territory, models.PROTECT, related_name="reports_in", verbose_name=_("commune")
    )
    category = models.ForeignKey(ReportCategory, models.PROTECT, related_name="reports", verbose_name=_("catégorie"))
    description = models.TextField(_("description"), max_length=4000, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    status = models.CharField(_("état"), max_length=14, choices=ReportStatus.choices, default=ReportStatus.NEW)
    public_reason = models.CharField(_("motif public"), max_length=500, blank=True)
    duplicate_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="duplicates", verbose_name=_("doublon de")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="assigned_reports",
        verbose_name=_("agent"),
    )
    # The reporter: an account, or nobody (anonymous), and contact details kept private.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="reports",
    )
    reporter_name = models.CharField(_("nom"), max_length=120, blank=True)
    reporter_email = models.EmailField(_("e-mail"), blank=True)
    reporter_phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    supporters = models.PositiveIntegerField(_("soutiens"), default=0)
    token = models.CharField(max_length=32, unique=True, default=_token, editable=False)
    idempotency_key = models.CharField(max_length=64, blank=True)
    # "web", "app" (offline queue) or "open311:<client>".
    channel = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["territory", "status", "created_at"], name="report_queue"),
            # The queue with no status chosen, newest first: read backwards, the first page is its
            # first 30 entries instead of every report of the collectivity sorted.
            models.Index(fields=["territory", "created_at", "id"], name="report_queue_newest"),
            # The queue's filters: its category and commune lists, and the count of a filtered
            # queue, read from the index alone, without visiting the reports.
            models.Index(fields=["territory", "commune", "category", "status"], name="report_queue_filters"),
            models.Index(fields=["lat", "lon"], name="report_where"),
            models.Index(fields=["category", "status"], name="report_category_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], condition=~models.Q(idempotency_key=""),
                name="report_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


class MediaKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Vidéo")


def _media_path(instance: Any, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not (extension.isascii() and extension.isalnum()):
        extension = "bin"
    return f"reports/{secrets.token_hex(16)}.{extension[:5]}"


class ReportMedia(models.Model):
    """A photo (re-encoded, no EXIF) or a video (sniffed MP4, WebM or QuickTime) of a report; an
    "after" photo belongs to the public update that posted it."""

    report = models.ForeignKey(Report, models.CASCADE, related_name="media")
    kind = models.CharField(max_length=5, choices=MediaKind.choices)
    file = models.FileField(upload_to=_media_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(default=0)
    event = models.ForeignKey("ReportEvent", models.CASCADE, null=True, blank=True, related_name="media")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("média")
        verbose_name_plural = _("médias")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.file.name or ""


class EventKind(models.TextChoices):
    CREATED = "created", _("Signalé")
    STATUS = "status", _("Changement d'état")
    ASSIGNED = "assigned", _("Attribué")
    PUBLIC_UPDATE = "update", _("Information publique")
    NOTE = "note", _("Note interne")
    SUPPORTED = "supported", _("Soutenu")


class ReportEvent(models.Model):
    """One step of a report's history (Saleor's order events): the public timeline is made of the
    public ones, the agents see all of them."""

    report = models.ForeignKey(Report, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    is_public = models.BooleanField(default=True)
    status = models.CharField(max_length=14, choices=ReportStatus.choices, blank=True)
    text = models.TextField(max_length=4000, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("étape d'un signalement")
        verbose_name_plural = _("étapes des signalements")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.kind}"


def hash_api_key(key: str) -> str:
    """What is stored of an Open311 key: its SHA-256, so a leaked database leaks no usable key."""
    return hashlib.sha256(key.encode()).hexdigest()


class Open311Client(models.Model):
    """A trusted app filing reports through Open311 with an api_key: its reports carry the channel
    "open311:<name>" and skip the per-address limit. Only the key's hash is kept."""

    name = models.SlugField(_("nom"), max_length=30, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    territory = models.ForeignKey(
        Territory, models.CASCADE, related_name="open311_clients", verbose_name=_("collectivité")
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("client Open311")
        verbose_name_plural = _("clients Open311")

    def __str__(self) -> str:
        return self.name
