"""What a person can do about the reasons they may not take part in a process: links, for the pages
of polls, consultations and budgets alike."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from clocher.territories.http import PortalRequest

from .eligibility import has_verified_email, residence_level
from .models import LEVEL_RANK, Eligibility, Level


def fixes_for(request: PortalRequest, eligibility: Eligibility) -> list[tuple[str, str]]:
    """Links, as (text, url), to what would lift the reasons `can_take_part` gave: signing in or up,
    choosing a home commune, giving a birth date, verifying the e-mail address or the residence."""
    user: Any = request.user
    if not user.is_authenticated:
        back = urlencode({"next": request.path})
        return [(_("Se connecter"), reverse("account_login") + "?" + back),
                (_("Créer un compte"), reverse("account_signup") + "?" + back)]
    fixes: list[tuple[str, str]] = []
    profile = reverse("accounts:profile")
    if user.home_commune is None:
        fixes.append((_("Choisir ma commune"), profile + "#ma-commune"))
    if eligibility.min_age and user.birth_date is None:
        fixes.append((_("Indiquer ma date de naissance"), profile + "#infos"))
    if not has_verified_email(user):
        fixes.append((_("Vérifier mon adresse e-mail"), reverse("account_email")))
    if (user.home_commune is not None and LEVEL_RANK[eligibility.level] >= LEVEL_RANK[Level.RESIDENCE_CODE]
            and residence_level(user, user.home_commune) is None):
        fixes.append((_("Vérifier mon domicile"), reverse("participation:verify")))
    return fixes
