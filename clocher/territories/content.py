"""What everything a territory publishes has in common (ARCHITECTURE: shared content rules).

The publishing territory, the audience, a status, publication and expiry times, the author, and,
for imported content, its provenance so that a re-import updates in place and never duplicates.
Modules (directory, agenda, news...) subclass `PublishedContent`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Territory


class Status(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SCHEDULED = "scheduled", _("Programmé")
    PUBLISHED = "published", _("Publié")
    ARCHIVED = "archived", _("Archivé")


class PublishedContent(models.Model):
    """Abstract base of published content: who publishes it, for whom, when, and where it came from."""

    territory = models.ForeignKey(
        Territory, models.PROTECT, related_name="+", verbose_name=_("publié par")
    )
    audience = models.ManyToManyField(
        Territory, blank=True, related_name="+", verbose_name=_("pour les territoires"),
        help_text=_("Vide : le territoire qui publie et tout ce qui en fait partie."),
    )
    status = models.CharField(_("état"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("auteur"),
    )
    # Provenance of imported content: (source, external_id) is unique per model, the checksum says
    # whether the source changed since the last import.
    source = models.CharField(_("source"), max_length=40, blank=True)
    external_id = models.CharField(_("identifiant dans la source"), max_length=255, blank=True)
    checksum = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def visible_now(queryset: QuerySet, now: object = None) -> QuerySet:  # type: ignore[type-arg]
    """Only what residents may see now: published (or scheduled and due), not yet expired."""
    moment = now or timezone.now()
    return queryset.filter(
        Q(status=Status.PUBLISHED) | Q(status=Status.SCHEDULED, published_at__lte=moment),
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=moment))
