from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clocher.core.text import fold


class TerritoryKind(models.TextChoices):
    REGION = "region", _("Région")
    DEPARTEMENT = "departement", _("Département")
    EPCI = "epci", _("Intercommunalité")
    COMMUNE = "commune", _("Commune")


class Territory(models.Model):
    """A collectivity of the official geography (COG): région, département, EPCI or commune.

    `code` is the INSEE code (région, département, commune) or the SIREN (EPCI). The "is part of"
    links are explicit foreign keys because a commune belongs to one EPCI and one département at
    once. A territory that left the official geography (a merger) is kept, inactive, so nothing that
    referred to it is lost.
    """

    kind = models.CharField(_("type"), max_length=16, choices=TerritoryKind.choices)
    code = models.CharField(_("code officiel"), max_length=16)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    name = models.CharField(_("nom"), max_length=200)
    # The folded name (see clocher.core.text.fold) that searches match against.
    search_name = models.CharField(max_length=200, db_index=True, editable=False)
    epci_kind = models.CharField(_("nature de l'EPCI"), max_length=8, blank=True)
    region = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("région")
    )
    departement = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("département"),
    )
    epci = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("intercommunalité"),
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    is_active = models.BooleanField(_("existe encore"), default=True)
    # Boundary as a GeoJSON geometry (Polygon or MultiPolygon, WGS 84), with its bounding box and a
    # representative point kept apart so lists and maps need not parse the polygon.
    boundary = models.JSONField(_("contour"), null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    center_lat = models.FloatField(null=True, blank=True)
    center_lon = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="territory_unique_kind_code"),
        ]
        indexes = [models.Index(fields=["kind", "is_active"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_name = fold(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)

    @property
    def is_commune(self) -> bool:
        return self.kind == TerritoryKind.COMMUNE

    def parent_ids(self) -> list[int]:
        """The territories this one is part of, nearest first (EPCI, département, région)."""
        return [pk for pk in (self.epci_id, self.departement_id, self.region_id) if pk is not None]


class Postcode(models.Model):
    """A postcode of a commune. A commune may have several, and a postcode may cover several communes."""

    territory = models.ForeignKey(Territory, models.CASCADE, related_name="postcodes")
    code = models.CharField(_("code postal"), max_length=5, db_index=True)

    class Meta:
        verbose_name = _("code postal")
        verbose_name_plural = _("codes postaux")
        constraints = [
            models.UniqueConstraint(fields=["territory", "code"], name="postcode_unique_per_territory"),
        ]

    def __str__(self) -> str:
        return self.code


def _logo_path(instance: Any, filename: str) -> str:
    return f"logos/{secrets.token_hex(8)}.png"


def _banner_path(instance: Any, filename: str) -> str:
    return f"banners/{secrets.token_hex(8)}.jpg"


class Portal(models.Model):
    """A branded citizen app ("Le Gers dans ma poche") bound to host names and a root territory.

    Everything published by the root territory or a territory under it can appear in the portal.
    One installation serves several portals; the Host header chooses one (see PortalHost).
    """

    name = models.CharField(_("nom"), max_length=120)
    short_name = models.CharField(_("nom court"), max_length=30)
    root = models.ForeignKey(
        Territory, models.PROTECT, related_name="portals", verbose_name=_("territoire racine")
    )
    primary_color = models.CharField(_("couleur principale"), max_length=7, default="#1f5c99")
    accent_color = models.CharField(_("couleur d'accent"), max_length=7, default="#b34700")
    logo = models.ImageField(_("logo"), upload_to=_logo_path, blank=True)
    description = models.TextField(_("présentation"), blank=True)
    default_modules = models.JSONField(
        _("modules actifs par défaut"), default=list, blank=True,
        help_text=_("Noms des modules actifs pour une collectivité qui n'a rien choisi."),
    )
    # What the legal pages are generated from.
    publisher_name = models.CharField(_("éditeur"), max_length=200, blank=True)
    publisher_address = models.TextField(_("adresse de l'éditeur"), blank=True)
    publication_director = models.CharField(_("directeur de la publication"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-mail de contact"), blank=True)
    dpo_email = models.EmailField(_("e-mail du délégué à la protection des données"), blank=True)
    host_name = models.CharField(_("hébergeur"), max_length=200, blank=True)
    host_address = models.TextField(_("adresse de l'hébergeur"), blank=True)
    accessibility_status = models.CharField(
        _("état de conformité RGAA"), max_length=20,
        choices=[
            ("total", _("totalement conforme")),
            ("partial", _("partiellement conforme")),
            ("none", _("non conforme")),
        ],
        default="partial",
    )
    accessibility_audit_date = models.DateField(_("date de l'audit d'accessibilité"), null=True, blank=True)
    is_active = models.BooleanField(_("en ligne"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portail")
        verbose_name_plural = _("portails")

    def __str__(self) -> str:
        return self.name


class PortalHost(models.Model):
    """A host name a portal answers on. A host name belongs to one portal only."""

    portal = models.ForeignKey(Portal, models.CASCADE, related_name="hosts")
    hostname = models.CharField(_("nom d'hôte"), max_length=253, unique=True)

    class Meta:
        verbose_name = _("nom d'hôte")
        verbose_name_plural = _("noms d'hôte")

    def __str__(self) -> str:
        return self.hostname


class Collectivity(models.Model):
    """A territory that joined a portal: it has staff, chooses its modules and presents itself.

    A territory without a Collectivity row is passive: its name and geography only, and its EPCI or
    département may publish for it.
    """

    territory = models.OneToOneField(Territory, models.CASCADE, related_name="collectivity")
    portal = models.ForeignKey(Portal, models.CASCADE, related_name="collectivities")
    joined_at = models.DateTimeField(_("a rejoint le"), default=timezone.now)
    # When true, staff of the parent territories may act for this collectivity.
    delegates_to_parent = models.BooleanField(_("délègue à l'échelon supérieur"), default=False)
    logo = models.ImageField(_("logo"), upload_to=_logo_path, blank=True)
    banner = models.ImageField(_("bannière"), upload_to=_banner_path, blank=True)
    banner_alt = models.CharField(_("texte alternatif de la bannière"), max_length=200, blank=True)
    description = models.TextField(_("présentation"), blank=True)
    address = models.TextField(_("adresse de la mairie"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("site internet"), blank=True)
    opening_hours = models.TextField(
        _("horaires d'ouverture"), blank=True,
        help_text=_("Par exemple : lundi au vendredi 9 h – 12 h, 14 h – 17 h."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("collectivité adhérente")
        verbose_name_plural = _("collectivités adhérentes")

    def __str__(self) -> str:
        return str(self.territory)


class ModuleSetting(models.Model):
    """Whether a joined collectivity has a module on. No row means the portal's default."""

    territory = models.ForeignKey(Territory, models.CASCADE, related_name="module_settings")
    module = models.CharField(_("module"), max_length=40)
    enabled = models.BooleanField(_("actif"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réglage de module")
        verbose_name_plural = _("réglages de modules")
        constraints = [
            models.UniqueConstraint(fields=["territory", "module"], name="module_setting_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.territory} · {self.module}"


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrateur")
    EDITOR = "editor", _("Rédacteur")
    AGENT = "agent", _("Agent (signalements)")
    MODERATOR = "moderator", _("Modérateur")
    CONTROLLER = "controller", _("Contrôleur (carte)")


class StaffRole(models.Model):
    """A role a person holds on one territory. It grants nothing on any other territory."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="staff_roles")
    territory = models.ForeignKey(Territory, models.CASCADE, related_name="staff_roles")
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")
        constraints = [
            models.UniqueConstraint(fields=["user", "territory", "role"], name="staff_role_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.territory}"


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """An e-mail invitation to hold a role on a territory, accepted once by signing in with that address."""

    territory = models.ForeignKey(Territory, models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.territory}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class AuditEntry(models.Model):
    """Who changed what on a territory, and when: written by every staff service."""

    territory = models.ForeignKey(Territory, models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text too, so the log still says who it was after the account is deleted.
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=60)
    summary = models.CharField(_("résumé"), max_length=300)
    changes = models.JSONField(_("changements"), default=dict, blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal des modifications")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label}: {self.summary}"


def with_parents(territories: models.QuerySet[Territory]) -> models.QuerySet[Territory]:
    """These territories with their EPCI, département and région in the same query, and no polygon.

    A boundary is tens of kilobytes of JSON (a département's, more) parsed for each row and each
    parent, that pages showing names and codes never read.
    """
    return territories.select_related("epci", "departement", "region").defer(
        "boundary", "epci__boundary", "departement__boundary", "region__boundary"
    )
