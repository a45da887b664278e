"""Writes on a person's account: their profile, their communes, and the deletion of the account."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.territories.models import AuditEntry, Portal, Role, StaffRole, Territory
from clocher.territories.services import check_choosable_commune, choose_home_commune

from .models import User


def update_profile(
    user: User, *, display_name: str, language: str, birth_date: datetime.date | None = None
) -> User:
    """Change the name shown to others, the language of the interface and the declared birth date.

    Refuses a language the site does not offer, and a birth date in the future or before 1900.
    """
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Cette langue n'est pas proposée."), code="language")
    if birth_date is not None and not (datetime.date(1900, 1, 1) <= birth_date <= timezone.localdate()):
        raise ValidationError(_("Indiquez une date de naissance entre 1900 et aujourd'hui."), code="birth_date")
    user.display_name = display_name.strip()
    user.language = language
    user.birth_date = birth_date
    user.save(update_fields=["display_name", "language", "birth_date"])
    return user


def set_home_commune(user: User, portal: Portal, commune: Territory) -> User:
    """Make `commune` the person's home commune: their feed starts from it.

    Refuses a territory that is not an active commune of `portal`. A home commune is not also kept
    among the followed ones: it is followed by definition.
    """
    choose_home_commune(user, portal, commune)
    return user


def clear_home_commune(user: User) -> User:
    """Forget the person's home commune."""
    user.home_commune = None
    user.save(update_fields=["home_commune"])
    return user


def follow_commune(user: User, portal: Portal, commune: Territory) -> User:
    """Add `commune` to the communes the person follows besides their own.

    Refuses a territory that is not an active commune of `portal`, and the home commune itself.
    """
    check_choosable_commune(portal, commune)
    if user.home_commune_id == commune.pk:
        raise ValidationError(_("C'est déjà votre commune."), code="home_commune")
    user.followed_communes.add(commune)
    return user


def unfollow_commune(user: User, commune: Territory) -> User:
    """Stop following `commune`. Unfollowing a commune one does not follow changes nothing."""
    user.followed_communes.remove(commune)
    return user


def territories_only_held_by(user: User) -> list[Territory]:
    """The territories where `user` is the only administrator: deleting them would orphan them."""
    administered = StaffRole.objects.filter(user=user, role=Role.ADMIN).values("territory_id")
    others = StaffRole.objects.filter(role=Role.ADMIN, territory_id__in=administered).exclude(user=user)
    return list(
        Territory.objects.filter(pk__in=administered)
        .exclude(pk__in=others.values("territory_id"))
        .order_by("name")
    )


def delete_account(user: User) -> None:
    """Delete the account and everything tied to it (e-mail addresses, staff roles, authenticators).

    Refuses while the person is the last administrator of a territory: the role must be handed over
    first, or the collectivity would have nobody left to manage it. The audit log keeps who did what
    by name (`actor_label`), filled in here for entries written without one.
    """
    orphaned = territories_only_held_by(user)
    if orphaned:
        raise ValidationError(
            _(
                "Vous êtes le dernier administrateur de : %(names)s. Confiez ce rôle à une autre "
                "personne avant de supprimer votre compte."
            )
            % {"names": ", ".join(t.name for t in orphaned)},
            code="last_admin",
        )
    with transaction.atomic():
        AuditEntry.objects.filter(actor=user, actor_label="").update(actor_label=str(user))
        user.delete()
