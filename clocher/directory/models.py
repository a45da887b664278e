from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clocher.territories.content import PublishedContent
from clocher.territories.models import Territory

from .taxonomy import CATEGORY_CHOICES


class Access(models.TextChoices):
    """OpenStreetMap-like accessibility levels, so unknown stays distinct from no."""

    UNKNOWN = "", _("Non renseigné")
    YES = "yes", _("Oui")
    LIMITED = "limited", _("En partie")
    NO = "no", _("Non")


class Place(PublishedContent):
    """A place people look for nearby: a restaurant, a gîte, a museum, a market, a mairie, a producer.

    It stands in one commune (found from its location) and is published by a territory (the commune,
    its EPCI or the département, or imported from an open-data source). Opening hours are kept in
    OpenStreetMap `opening_hours` syntax; a market's hours are its market days.
    """

    name = models.CharField(_("nom"), max_length=200)
    commune = models.ForeignKey(
        Territory, models.PROTECT, null=True, blank=True, related_name="places",
        verbose_name=_("commune"),
    )
    # Markdown as written, and its sanitised HTML as shown.
    description = models.TextField(_("description"), blank=True)
    description_html = models.TextField(blank=True, editable=False)
    street = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("localité"), max_length=120, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    # E.164 (+33562612100): formatted for display with phonenumbers.
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("site internet"), max_length=500, blank=True)
    opening_hours = models.CharField(
        _("horaires (syntaxe OpenStreetMap)"), max_length=500, blank=True,
        help_text=_("Par exemple : Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00; PH off"),
    )
    wheelchair = models.CharField(_("accès fauteuil roulant"), max_length=8, choices=Access.choices, blank=True)
    hearing = models.CharField(_("handicap auditif"), max_length=8, choices=Access.choices, blank=True)
    sight = models.CharField(_("handicap visuel"), max_length=8, choices=Access.choices, blank=True)
    mental = models.CharField(_("handicap mental"), max_length=8, choices=Access.choices, blank=True)
    languages = models.JSONField(_("langues parlées"), default=list, blank=True)
    price_range = models.PositiveSmallIntegerField(
        _("gamme de prix"), null=True, blank=True,
        choices=[(1, "€"), (2, "€€"), (3, "€€€"), (4, "€€€€")],
    )
    tags = models.JSONField(_("mots-clés"), default=list, blank=True)
    # Local producers.
    products = models.JSONField(_("produits"), default=list, blank=True)
    buying_ways = models.JSONField(_("où acheter"), default=list, blank=True)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    # Accommodation and restaurants.
    capacity = models.PositiveIntegerField(_("capacité"), null=True, blank=True)
    stars = models.PositiveSmallIntegerField(_("classement (étoiles)"), null=True, blank=True)
    cuisine = models.JSONField(_("cuisine"), default=list, blank=True)
    pets_allowed = models.BooleanField(_("animaux acceptés"), null=True, blank=True)
    # Other languages' name and description, as a source gives them (DATAtourisme does):
    # {"en": {"name": ..., "description": ..., "description_html": ...}, "de": {...}}. French is
    # the place's own fields; a reader in another language sees that language's text when given.
    translations = models.JSONField(_("traductions"), default=dict, blank=True)

    class Meta:
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        ordering = ["name"]
        indexes = [
            # Near-me and map queries take a latitude band first, then filter longitudes.
            models.Index(fields=["lat", "lon"], name="place_lat_lon"),
            models.Index(fields=["status", "commune"], name="place_status_commune"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~models.Q(source=""),
                name="place_unique_provenance",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def _translated(self, field: str) -> str:
        language = (get_language() or "fr").split("-")[0]
        if language == "fr":
            return ""
        text = (self.translations or {}).get(language, {}).get(field, "")
        return text if isinstance(text, str) else ""

    @property
    def display_name(self) -> str:
        """The name in the reader's language when the source gave one, else the French name."""
        return self._translated("name") or self.name

    @property
    def display_description_html(self) -> str:
        """The sanitised description in the reader's language when given, else the French one."""
        return self._translated("description_html") or self.description_html


class PlaceCategory(models.Model):
    """A category of a place, from the one taxonomy (clocher.directory.taxonomy)."""

    place = models.ForeignKey(Place, models.CASCADE, related_name="category_links")
    category = models.CharField(_("catégorie"), max_length=32, choices=CATEGORY_CHOICES)

    class Meta:
        verbose_name = _("catégorie du lieu")
        verbose_name_plural = _("catégories des lieux")
        constraints = [
            models.UniqueConstraint(fields=["place", "category"], name="place_category_unique"),
        ]
        indexes = [models.Index(fields=["category", "place"], name="place_category_lookup")]

    def __str__(self) -> str:
        return self.category


def _photo_path(instance: Any, filename: str) -> str:
    return f"places/{secrets.token_hex(8)}.jpg"


class PlacePhoto(models.Model):
    """A photo of a place, re-encoded (at most 2048 px, no EXIF) before it is stored."""

    place = models.ForeignKey(Place, models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=_photo_path)
    alt = models.CharField(_("texte alternatif"), max_length=200, blank=True)
    credit = models.CharField(_("crédit"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.alt or self.image.name or ""


class ContactTheme(models.TextChoices):
    URGENCES = "urgences", _("Urgences")
    SANTE = "sante", _("Santé")
    ENFANCE = "enfance", _("Enfance")
    SENIORS = "seniors", _("Seniors")
    VIOLENCES = "violences", _("Violences")
    SOCIAL = "social", _("Social")
    DECHETS = "dechets", _("Déchets")
    EAU = "eau", _("Eau")
    AUTRE = "autre", _("Autres")


class UsefulContact(models.Model):
    """A number to call, by theme. National numbers (15, 17, 112, 3919...) have no territory and
    appear in every portal; a collectivity adds its own."""

    territory = models.ForeignKey(
        Territory, models.CASCADE, null=True, blank=True, related_name="useful_contacts",
        verbose_name=_("territoire"),
    )
    theme = models.CharField(_("thème"), max_length=16, choices=ContactTheme.choices)
    name = models.CharField(_("nom"), max_length=200)
    phone = models.CharField(_("téléphone"), max_length=20)
    description = models.CharField(_("description"), max_length=300, blank=True)
    hours = models.CharField(_("horaires"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("contact utile")
        verbose_name_plural = _("contacts utiles")
        ordering = ["theme", "position", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")


class PlaceProposal(models.Model):
    """A new place, or a change to one's own place, proposed by an association or a business
    account, which the commune's moderator accepts or refuses with a message."""

    place = models.ForeignKey(
        Place, models.CASCADE, null=True, blank=True, related_name="proposals",
        help_text=_("Vide pour un nouveau lieu."),
    )
    commune = models.ForeignKey(Territory, models.CASCADE, related_name="place_proposals")
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="place_proposals")
    # The association or business in whose name it was proposed.
    organisation = models.ForeignKey(
        "organisations.Organisation", models.SET_NULL, null=True, blank=True, related_name="place_proposals",
        verbose_name=_("au nom de"),
    )
    data = models.JSONField(_("contenu proposé"), default=dict)
    status = models.CharField(
        _("état"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(_("message au proposant"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("proposition de lieu")
        verbose_name_plural = _("propositions de lieux")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.data.get("name", self.place or "?"))
