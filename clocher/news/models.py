"""News articles and urgent alerts.

An article is what a mairie, an EPCI or the département tells residents: an actualité, roadworks
(travaux, with dates, the streets affected and a map), the minutes of the municipal council, the
municipal bulletin (a PDF). An alert is urgent and short-lived (storm, road closed, water cut): it
shows as a banner on the home of every resident of the territories it affects until it ends.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from clocher.organisations.models import Proposable
from clocher.territories.content import PublishedContent


class ArticleKind(models.TextChoices):
    NEWS = "news", _("Actualité")
    WORKS = "works", _("Travaux")
    COUNCIL = "council", _("Compte rendu du conseil municipal")
    BULLETIN = "bulletin", _("Bulletin municipal")


def _image_path(instance: Any, filename: str) -> str:
    # A random name: media are public, and the image of a draft or a pending proposal must not be
    # found by counting (/media/news/12/image.jpg).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not (extension.isascii() and extension.isalnum()):
        extension = "jpg"
    return f"news/{secrets.token_hex(16)}.{extension[:5]}"


def _attachment_path(instance: Any, filename: str) -> str:
    return f"news/{instance.article_id}/pieces/{filename}"


class Article(PublishedContent, Proposable):
    """A piece of news a territory publishes, possibly proposed by an association.

    Publication can be scheduled (status scheduled with a future `published_at`) and the article
    leaves the site at `expires_at`.
    """

    kind = models.CharField(_("type"), max_length=10, choices=ArticleKind.choices, default=ArticleKind.NEWS)
    title = models.CharField(_("titre"), max_length=200)
    summary = models.CharField(_("résumé"), max_length=300, blank=True)
    # Markdown as written, and its sanitised HTML as shown.
    body = models.TextField(_("texte"), blank=True)
    body_html = models.TextField(blank=True, editable=False)
    image = models.ImageField(_("image"), upload_to=_image_path, blank=True)
    image_alt = models.CharField(_("description de l'image"), max_length=200, blank=True)
    # Roadworks: when, which streets, and where on a map (a GeoJSON geometry: points or lines).
    works_starts_on = models.DateField(_("début des travaux"), null=True, blank=True)
    works_ends_on = models.DateField(_("fin des travaux"), null=True, blank=True)
    works_streets = models.CharField(_("rues concernées"), max_length=500, blank=True)
    works_geometry = models.JSONField(_("tracé des travaux (GeoJSON)"), null=True, blank=True)

    class Meta:
        verbose_name = _("actualité")
        verbose_name_plural = _("actualités")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "territory", "published_at"], name="article_feed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~models.Q(source=""),
                name="article_unique_provenance",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attachment(models.Model):
    """A PDF attached to an article: the bulletin, the council's minutes, a works notice."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier PDF"), upload_to=_attachment_path)
    title = models.CharField(_("titre"), max_length=200)
    size = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Vigilance")
    DANGER = "danger", _("Danger")


class Alert(PublishedContent):
    """An urgent message for the residents of some territories, from `published_at` (its start) to
    `expires_at` (its end). Staff only: organisations cannot raise alerts."""

    severity = models.CharField(_("gravité"), max_length=8, choices=Severity.choices, default=Severity.WARNING)
    title = models.CharField(_("titre"), max_length=140)
    message = models.TextField(_("message"), max_length=1000, blank=True)
    link = models.URLField(_("lien vers plus d'informations"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("alerte")
        verbose_name_plural = _("alertes")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="alert_current"),
        ]

    def __str__(self) -> str:
        return self.title
