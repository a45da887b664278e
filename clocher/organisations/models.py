"""Associations and local businesses: accounts that propose content to their communes.

An organisation acts in some communes; its members propose events, news and places there, and each
proposal goes to the moderators of the commune it is addressed to. What a member may do comes from
the membership, never from the organisation's name or from the content itself.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory


class OrganisationKind(models.TextChoices):
    ASSOCIATION = "association", _("Association")
    BUSINESS = "business", _("Entreprise ou commerce")


class OrganisationStatus(models.TextChoices):
    # A resident asked to register it: the commune's moderators have not answered yet.
    PENDING = "pending", _("En attente de validation")
    ACTIVE = "active", _("Active")
    REFUSED = "refused", _("Refusée")
    SUSPENDED = "suspended", _("Suspendue")


def _logo_path(instance: Any, filename: str) -> str:
    # A random name: media are public, and the image of a draft or a pending proposal must not be
    # found by counting (/media/organisations/12/image.jpg).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not (extension.isascii() and extension.isalnum()):
        extension = "jpg"
    return f"organisations/{secrets.token_hex(16)}.{extension[:5]}"


class Organisation(models.Model):
    """An association or a business of the territory, with member accounts.

    `territory` is the collectivity that registered it and moderates its account (usually its
    commune); `communes` are where it acts, hence where its members may propose content.
    """

    kind = models.CharField(
        _("type"), max_length=12, choices=OrganisationKind.choices, default=OrganisationKind.ASSOCIATION
    )
    name = models.CharField(_("nom"), max_length=200)
    # Markdown as written, and its sanitised HTML as shown.
    description = models.TextField(_("présentation"), blank=True)
    description_html = models.TextField(blank=True, editable=False)
    logo = models.ImageField(_("logo"), upload_to=_logo_path, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    website = models.URLField(_("site internet"), max_length=500, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    # The RNA number (W123456789) of an association or the SIRET of a business, when known.
    official_id = models.CharField(_("n° RNA ou SIRET"), max_length=20, blank=True)
    territory = models.ForeignKey(
        Territory, models.PROTECT, related_name="organisations", verbose_name=_("rattachée à")
    )
    communes = models.ManyToManyField(
        Territory, related_name="+", verbose_name=_("communes où elle agit"), blank=True
    )
    status = models.CharField(
        _("état"), max_length=10, choices=OrganisationStatus.choices, default=OrganisationStatus.ACTIVE
    )
    review_message = models.TextField(_("message du modérateur"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("association ou entreprise")
        verbose_name_plural = _("associations et entreprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == OrganisationStatus.ACTIVE


class MemberRole(models.TextChoices):
    # Manages the account: its details and its members.
    MANAGER = "manager", _("Responsable")
    MEMBER = "member", _("Membre")


class Membership(models.Model):
    """A person who speaks for an organisation: they may propose content in its name."""

    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation}"


class ReviewStatus(models.TextChoices):
    # Published by staff: nobody needs to review it.
    NONE = "", _("Publié par la collectivité")
    PENDING = "pending", _("En attente de modération")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")


class Proposable(models.Model):
    """Abstract fields of content an organisation may propose to a commune (events, news).

    The content's own `status` stays draft until a moderator of its territory accepts it; the
    organisation then shows as its organiser.
    """

    organisation = models.ForeignKey(
        Organisation, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("organisateur"),
    )
    review_status = models.CharField(
        _("modération"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.NONE, blank=True
    )
    review_message = models.TextField(_("message du modérateur"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
