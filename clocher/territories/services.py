"""Writes for joined collectivities: their information, their modules, their staff and invitations.

Every service runs in a transaction, saves named fields, writes an AuditEntry on the territory, and
schedules e-mail and file clean-up with `transaction.on_commit`. What the rules forbid raises
ActionRefused with a French message a view can show as is. Services check the actor's role again,
so the API and management commands that call them cannot skip the check a view makes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

import nh3
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.core.modules import registry

from .images import ProcessedImage
from .models import (
    AuditEntry,
    Collectivity,
    Invitation,
    ModuleSetting,
    Portal,
    Role,
    StaffRole,
    Territory,
    TerritoryKind,
)
from .selectors import collectivity_of, is_in_portal, roles_of

INVITATION_VALIDITY = datetime.timedelta(days=14)
# Sending an e-mail costs an attacker nothing; a compromised or careless account may not use a
# collectivity to spam. A real team invites a handful of people at a time.
INVITATIONS_PER_HOUR = 20

# The collectivity's information a staff member edits, text fields first.
COLLECTIVITY_TEXT_FIELDS = (
    "description",
    "address",
    "phone",
    "email",
    "website",
    "opening_hours",
    "banner_alt",
)
COLLECTIVITY_IMAGE_FIELDS = ("logo", "banner")

# Enough HTML for a presentation: paragraphs, emphasis, lists and links.
DESCRIPTION_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a"}
DESCRIPTION_ATTRIBUTES = {"a": {"href"}}
DESCRIPTION_URL_SCHEMES = {"http", "https", "mailto", "tel"}

EDIT_ROLES = (Role.ADMIN, Role.EDITOR)


class ActionRefused(Exception):
    """A staff action the rules forbid. str(exc) is a French sentence for the person who tried."""


def sanitize_description(text: str) -> str:
    """The presentation text with only DESCRIPTION_TAGS kept, links made safe, scripts removed."""
    return nh3.clean(
        text,
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        url_schemes=DESCRIPTION_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def record_audit(
    territory: Territory,
    actor: Any,
    action: str,
    summary: str,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Writes one line of the territory's journal. The actor's label is kept for after account deletion."""
    label = ""
    if actor is not None:
        label = getattr(actor, "email", "") or str(actor)
    return AuditEntry.objects.create(
        territory=territory,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=label[:254],
        action=action,
        summary=summary[:300],
        changes=dict(changes or {}),
    )


def _check_role(actor: Any, territory: Territory, roles: Iterable[str]) -> None:
    if not roles_of(actor, territory) & set(roles):
        raise ActionRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _require_collectivity(territory: Territory) -> Collectivity:
    collectivity = collectivity_of(territory)
    if collectivity is None:
        raise ActionRefused(
            _("%(name)s n'a pas encore rejoint le portail.") % {"name": territory.name}
        )
    return collectivity


@transaction.atomic
def update_collectivity(
    actor: Any,
    collectivity: Collectivity,
    data: Mapping[str, Any],
    files: Mapping[str, ProcessedImage | None] | None = None,
) -> AuditEntry | None:
    """Saves the collectivity's information: the text fields in `data`, the images in `files`.

    `data` holds values for some of COLLECTIVITY_TEXT_FIELDS (the description is sanitised here, so
    every caller stores the same safe HTML). `files` maps "logo"/"banner" to a ProcessedImage (the
    type guarantees it was re-encoded by territories.images) or to None to remove the image.
    Refuses an actor who is neither admin nor editor and unknown field names. Writes one AuditEntry
    listing the changed fields, with before/after values for text; returns None when nothing
    changed. Replaced image files are deleted from storage after the commit.
    """
    territory = collectivity.territory
    _check_role(actor, territory, EDIT_ROLES)
    files = files or {}
    unknown = (set(data) - set(COLLECTIVITY_TEXT_FIELDS)) | (set(files) - set(COLLECTIVITY_IMAGE_FIELDS))
    if unknown:
        raise ActionRefused(_("Champs inconnus : %(names)s.") % {"names": ", ".join(sorted(unknown))})

    collectivity = Collectivity.objects.select_for_update().get(pk=collectivity.pk)
    changes: dict[str, Any] = {}
    changed_fields: list[str] = []
    for name, value in data.items():
        new = str(value or "").strip()
        if name == "description":
            new = sanitize_description(new)
        old = getattr(collectivity, name)
        if new != old:
            setattr(collectivity, name, new)
            changes[name] = {"before": old, "after": new}
            changed_fields.append(name)

    obsolete_files: list[tuple[Storage, str]] = []
    for name, image in files.items():
        field = getattr(collectivity, name)
        if image is None and not field:
            continue
        if field.name:
            obsolete_files.append((field.storage, field.name))
        if image is None:
            setattr(collectivity, name, "")
            changes[name] = {"removed": True}
        else:
            # The storage path comes from the model's upload_to; the name passed here is ignored.
            field.save(f"{name}.{image.extension}", image.as_file(), save=False)
            changes[name] = {"replaced": True, "width": image.width, "height": image.height}
        changed_fields.append(name)

    if not changed_fields:
        return None
    collectivity.save(update_fields=[*changed_fields, "updated_at"])
    for storage, old_name in obsolete_files:
        transaction.on_commit(partial(storage.delete, old_name))
    return record_audit(
        territory, actor, "collectivity.updated",
        _("Informations modifiées : %(fields)s")
        % {"fields": ", ".join(str(_field_label(name)) for name in changed_fields)},
        changes,
    )


def _field_label(name: str) -> str:
    field = Collectivity._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


@transaction.atomic
def set_module_enabled(actor: Any, territory: Territory, name: str, enabled: bool) -> AuditEntry | None:
    """Turns a module on or off for a joined collectivity.

    Refuses a name the registry does not know, a passive territory and an actor who is not admin.
    Writes an AuditEntry; returns None when the module already was in that state by choice.
    """
    _check_role(actor, territory, (Role.ADMIN,))
    module = registry.get(name)
    if module is None:
        raise ActionRefused(_("Le module « %(name)s » n'existe pas.") % {"name": name})
    _require_collectivity(territory)
    setting, created = ModuleSetting.objects.select_for_update().get_or_create(
        territory=territory, module=name, defaults={"enabled": enabled}
    )
    if not created:
        if setting.enabled == enabled:
            return None
        setting.enabled = enabled
        setting.save(update_fields=["enabled", "updated_at"])
    summary = (
        _("Module « %(label)s » activé") if enabled else _("Module « %(label)s » désactivé")
    ) % {"label": module.label}
    return record_audit(
        territory, actor, "module.enabled" if enabled else "module.disabled", summary,
        {"module": name, "enabled": enabled},
    )


def _rate_limit_key(territory: Territory) -> str:
    return f"clocher:invitations:{territory.pk}:{timezone.now():%Y%m%d%H}"


def invitations_left_this_hour(territory: Territory) -> int:
    return max(0, INVITATIONS_PER_HOUR - int(cache.get(_rate_limit_key(territory), 0)))


@transaction.atomic
def invite_staff(actor: Any, territory: Territory, email: str, role: str, *, base_url: str) -> Invitation:
    """Invites `email` to hold `role` on `territory`; the invitation is valid INVITATION_VALIDITY.

    Refuses: an actor who is not admin, an unknown role, a territory that has not joined, a pending
    invitation for the same address, a person who already holds the role, and more than
    INVITATIONS_PER_HOUR invitations an hour on one territory. Sends the e-mail with the accept
    link (`base_url` is the portal's address, e.g. "https://gers.example") after the commit.
    """
    _check_role(actor, territory, (Role.ADMIN,))
    if role not in Role.values:
        raise ActionRefused(_("Ce rôle n'existe pas."))
    _require_collectivity(territory)
    email = email.strip().lower()
    if invitations_left_this_hour(territory) <= 0:
        raise ActionRefused(
            _("Trop d'invitations envoyées depuis une heure pour ce territoire. Réessayez plus tard.")
        )
    # Locks the territory row so two admins inviting the same person at once make one invitation.
    Territory.objects.select_for_update().filter(pk=territory.pk).first()
    now = timezone.now()
    if Invitation.objects.filter(
        territory=territory, email__iexact=email, accepted_at=None, revoked_at=None, expires_at__gt=now
    ).exists():
        raise ActionRefused(_("Une invitation est déjà en attente pour %(email)s.") % {"email": email})
    if StaffRole.objects.filter(territory=territory, role=role, user__email__iexact=email).exists():
        raise ActionRefused(_("%(email)s a déjà ce rôle.") % {"email": email})

    invitation = Invitation.objects.create(
        territory=territory, email=email, role=role, invited_by=actor, expires_at=now + INVITATION_VALIDITY
    )
    key = _rate_limit_key(territory)
    cache.add(key, 0, timeout=3600)
    try:
        cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=3600)
    record_audit(
        territory, actor, "invitation.created",
        _("Invitation envoyée à %(email)s (%(role)s)") % {"email": email, "role": Role(role).label},
        {"email": email, "role": role},
    )
    link = base_url.rstrip("/") + reverse("backoffice:accept_invitation", args=[invitation.token])
    transaction.on_commit(lambda: _send_invitation(invitation, link, actor))
    return invitation


def _send_invitation(invitation: Invitation, link: str, actor: Any) -> None:
    inviter = getattr(actor, "display_name", "") or getattr(actor, "email", "")
    subject = _("Invitation à gérer %(territory)s") % {"territory": invitation.territory.name}
    body = _(
        "Bonjour,\n\n"
        "%(inviter)s vous invite dans l'équipe qui gère %(territory)s sur le portail, avec le rôle "
        "« %(role)s ».\n\n"
        "Pour accepter, ouvrez ce lien et connectez-vous (ou créez un compte) avec cette adresse "
        "e-mail : %(email)s\n\n%(link)s\n\n"
        "Ce lien est valable jusqu'au %(expires)s. Si vous ne vous attendiez pas à ce message, "
        "ignorez-le : rien ne sera fait sans vous.\n"
    ) % {
        "inviter": inviter,
        "territory": invitation.territory.name,
        "role": Role(invitation.role).label,
        "email": invitation.email,
        "link": link,
        "expires": timezone.localtime(invitation.expires_at).strftime("%d/%m/%Y"),
    }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


@transaction.atomic
def revoke_invitation(actor: Any, invitation: Invitation) -> AuditEntry:
    """Cancels a pending invitation so its link no longer works.

    Refuses an actor who is not admin of the invitation's territory and an invitation already
    accepted, revoked or expired.
    """
    territory = invitation.territory
    _check_role(actor, territory, (Role.ADMIN,))
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ActionRefused(_("Cette invitation n'est plus en attente."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return record_audit(
        territory, actor, "invitation.revoked",
        _("Invitation de %(email)s annulée") % {"email": invitation.email},
        {"email": invitation.email, "role": invitation.role},
    )


@transaction.atomic
def remove_staff_role(actor: Any, staff_role: StaffRole) -> AuditEntry:
    """Takes a role away from someone on a territory.

    Refuses an actor who is not admin there, and removing the last admin role (someone must remain
    able to manage the collectivity; a superuser restores access through the Django admin).
    """
    territory = staff_role.territory
    _check_role(actor, territory, (Role.ADMIN,))
    # Locks every admin role of the territory, in primary key order, so two admins removing each
    # other at the same moment cannot both succeed and leave nobody.
    admins = list(
        StaffRole.objects.select_for_update().filter(territory=territory, role=Role.ADMIN).order_by("pk")
    )
    staff_role = StaffRole.objects.select_related("user").get(pk=staff_role.pk)
    if staff_role.role == Role.ADMIN and len(admins) <= 1:
        raise ActionRefused(
            _("C'est le dernier administrateur de %(name)s : nommez-en un autre avant de retirer ce rôle.")
            % {"name": territory.name}
        )
    user = staff_role.user
    role = staff_role.role
    staff_role.delete()
    return record_audit(
        territory, actor, "role.removed",
        _("Rôle « %(role)s » retiré à %(email)s") % {"role": Role(role).label, "email": user.email},
        {"email": user.email, "role": role},
    )


def can_accept(user: Any, invitation: Invitation) -> bool:
    """Whether this signed-in user proved they own the invited address (verified with allauth)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(
        EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists()
    )


@transaction.atomic
def accept_invitation(user: Any, invitation: Invitation) -> StaffRole:
    """Gives `user` the invited role and marks the invitation accepted.

    Refuses an invitation that is no longer pending (accepted, revoked or expired) and a user
    without a verified address equal to the invited one: a forwarded link grants nothing.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("territory").get(pk=invitation.pk)
    )
    if not invitation.is_pending:
        raise ActionRefused(_("Cette invitation n'est plus valable."))
    if not can_accept(user, invitation):
        raise ActionRefused(
            _("Cette invitation a été envoyée à une autre adresse e-mail que la vôtre.")
        )
    staff_role, _created = StaffRole.objects.get_or_create(
        user=user, territory=invitation.territory, role=invitation.role,
        defaults={"granted_by": invitation.invited_by},
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record_audit(
        invitation.territory, user, "invitation.accepted",
        _("%(email)s a rejoint l'équipe (%(role)s)")
        % {"email": invitation.email, "role": Role(invitation.role).label},
        {"email": invitation.email, "role": invitation.role},
    )
    return staff_role


def check_choosable_commune(portal: Portal, commune: Territory) -> None:
    """Refuse anything but an existing commune that the portal covers, with a message to show."""
    if commune.kind != TerritoryKind.COMMUNE or not commune.is_active:
        raise ValidationError(_("Seule une commune existante peut être choisie."), code="not_a_commune")
    if not is_in_portal(portal, commune):
        raise ValidationError(
            _("%(name)s ne fait pas partie du territoire de %(portal)s.")
            % {"name": commune.name, "portal": portal.name},
            code="outside_portal",
        )


def choose_home_commune(user: Any, portal: Portal, commune: Territory) -> None:
    """Make `commune` the person's home commune: their feed starts from it.

    The one place that writes it, for the commune chooser and the account page alike. Refuses
    what check_choosable_commune refuses. A home commune is not also kept among the followed ones:
    it is followed by definition. `user` is the accounts User; this lower layer only touches its
    two fields.
    """
    check_choosable_commune(portal, commune)
    with transaction.atomic():
        user.home_commune = commune
        user.save(update_fields=["home_commune"])
        user.followed_communes.remove(commune)
