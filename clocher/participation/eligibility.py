"""Whether a person may take part in a process, and in plain French why not.

Pure reads: nothing here writes. The pages show every missing condition at once, so a resident
learns in one visit all they have to do (choose their commune, give their birth date, verify...).
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from allauth.account.models import EmailAddress
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clocher.territories.models import Territory

from .models import LEVEL_RANK, Eligibility, Level, Verification


def concerning(territory_ids: list[int]) -> Q:
    """The processes (polls, consultations, budgets) that concern these territories: reserved to one
    of them, or open to everyone and run by one of them. Joins the eligibility's territories: filter
    a subquery of ids with it, so rows are not repeated."""
    return (Q(eligibility__territories__in=territory_ids)
            | Q(eligibility__territories__isnull=True, territory__in=territory_ids))


class Decision(NamedTuple):
    """`ok` and, when not, one French sentence per missing condition (unpacks as `ok, reasons`)."""

    ok: bool
    reasons: list[str]


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Full years of age on `day`. Someone born on 29 February has their birthday on 1 March in
    other years, as French civil law counts it."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def has_verified_email(user: Any) -> bool:
    verified: bool = EmailAddress.objects.filter(user=user, verified=True).exists()
    return verified


def residence_level(user: Any, commune: Territory | None) -> str | None:
    """The strongest residence verification the person holds for `commune`, or None."""
    if commune is None:
        return None
    levels = set(Verification.objects.filter(user=user, commune=commune).values_list("level", flat=True))
    for level in (Level.IN_PERSON, Level.RESIDENCE_CODE):
        if level in levels:
            return str(level)
    return None


def level_of(user: Any) -> str | None:
    """How verified the person is as a resident of their current home commune: a residence
    verification of that commune, else a verified e-mail address, else None."""
    level = residence_level(user, user.home_commune)
    if level is not None:
        return level
    return str(Level.EMAIL) if has_verified_email(user) else None


def lives_in(commune: Territory, territories: list[Territory]) -> bool:
    """Whether `commune` is one of `territories` or part of one of them (its EPCI, département, région)."""
    wanted = {t.pk for t in territories}
    return commune.pk in wanted or bool(wanted & set(commune.parent_ids()))


def can_take_part(user: Any, eligibility: Eligibility, *, on: datetime.date | None = None) -> Decision:
    """Whether `user` meets every condition of `eligibility` on day `on` (today by default).

    A level is met by itself or a stronger one (Level order: e-mail < code < counter). Residence
    verifications count for the current home commune only.
    """
    if not getattr(user, "is_authenticated", False):
        return Decision(False, [_("Connectez-vous pour participer.")])
    day = on or timezone.localdate()
    reasons: list[str] = []
    territories = list(eligibility.territories.order_by("name"))
    commune: Territory | None = user.home_commune
    needs_residence = LEVEL_RANK[eligibility.level] >= LEVEL_RANK[Level.RESIDENCE_CODE]
    if commune is None and (territories or needs_residence):
        reasons.append(_("Vous n'avez pas indiqué votre commune : choisissez-la dans « Mon compte »."))
    elif commune is not None and territories and not lives_in(commune, territories):
        reasons.append(
            ngettext(
                "Cette participation est réservée aux habitants de %(names)s ; votre commune, %(commune)s, "
                "n'en fait pas partie.",
                "Cette participation est réservée aux habitants de : %(names)s ; votre commune, %(commune)s, "
                "n'en fait pas partie.",
                len(territories),
            ) % {"names": ", ".join(t.name for t in territories), "commune": commune.name}
        )
    if eligibility.min_age:
        if user.birth_date is None:
            reasons.append(
                _("Cette participation est ouverte à partir de %(age)s ans : indiquez votre date de naissance "
                  "dans « Mon compte ».") % {"age": eligibility.min_age}
            )
        elif age_on(user.birth_date, day) < eligibility.min_age:
            reasons.append(
                _("Cette participation est ouverte à partir de %(age)s ans.") % {"age": eligibility.min_age}
            )
    level = level_of(user)
    if LEVEL_RANK.get(level or "", 0) < LEVEL_RANK[eligibility.level]:
        if eligibility.level == Level.EMAIL:
            reasons.append(_("Vérifiez votre adresse e-mail : ouvrez le lien du message que nous vous avons envoyé."))
        elif eligibility.level == Level.RESIDENCE_CODE:
            if commune is not None:
                reasons.append(
                    _("Votre domicile à %(commune)s doit être vérifié : saisissez le code reçu de votre mairie, "
                      "ou passez à son guichet.") % {"commune": commune.name}
                )
        elif commune is not None:
            reasons.append(
                _("Votre domicile à %(commune)s doit être vérifié au guichet de votre mairie, avec un "
                  "justificatif de domicile.") % {"commune": commune.name}
            )
    return Decision(not reasons, reasons)
