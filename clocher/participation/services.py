"""Writes for "who may take part": residence codes, verifications at the counter, participations.

Staff services check the actor's role again (ADR 0004), so a command or the API cannot skip what a
view checks, and write a line in the territory's journal. Refusals are exceptions whose text is a
French sentence for the person who tried.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.territories.models import Role, Territory
from clocher.territories.selectors import communes_within, roles_of
from clocher.territories.services import ActionRefused, record_audit

from . import codes
from .eligibility import can_take_part
from .models import (
    Eligibility,
    Level,
    Participation,
    ResidenceCode,
    ResidenceCodeBatch,
    Verification,
)

# Those who speak for the collectivity: its admins and editors. Agents, moderators and controllers
# have narrower jobs (reports, contributions, the card) and do not vouch for where people live.
VERIFICATION_ROLES = (Role.ADMIN, Role.EDITOR)
MAX_BATCH = 2000
MAX_VALID_DAYS = 365
DEFAULT_VALID_DAYS = 90


class VerificationRefused(ActionRefused):
    """A verification the rules forbid; str(exc) is a French sentence for the person who tried."""


class ParticipationRefused(Exception):
    """Taking part refused; `reasons` are French sentences, one per missing condition."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def _check_staff(actor: Any, territory: Territory) -> None:
    if not roles_of(actor, territory) & set(VERIFICATION_ROLES):
        raise VerificationRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _check_commune(territory: Territory, commune: Territory) -> None:
    if not communes_within(territory).filter(pk=commune.pk).exists():
        raise VerificationRefused(_("Cette commune ne fait pas partie de votre territoire."))


@dataclass(frozen=True)
class IssuedBatch:
    """A new batch and its codes in clear, which exist nowhere else: print them now or never."""

    batch: ResidenceCodeBatch
    codes: list[str]


def issue_residence_codes(
    actor: Any, territory: Territory, commune: Territory, *, count: int, valid_days: int = DEFAULT_VALID_DAYS
) -> IssuedBatch:
    """Make `count` one-time residence codes for `commune`, valid `valid_days` days (to the end of
    the last day), and return them in clear for the PDF; only their digests are stored.

    Refuses an actor without an admin or editor role on `territory`, a commune outside it, and a
    count or validity outside 1..2000 and 1..365. Writes a journal line on `territory`.
    """
    _check_staff(actor, territory)
    _check_commune(territory, commune)
    if not 1 <= count <= MAX_BATCH:
        raise VerificationRefused(_("Le nombre de codes doit être compris entre 1 et %(max)s.") % {"max": MAX_BATCH})
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise VerificationRefused(
            _("La durée de validité doit être comprise entre 1 et %(max)s jours.") % {"max": MAX_VALID_DAYS}
        )
    last_day = timezone.localdate() + datetime.timedelta(days=valid_days)
    expires_at = timezone.make_aware(datetime.datetime.combine(last_day, datetime.time.max))
    clear = list({codes.new_code() for _ in range(count)})
    while len(clear) < count:  # two equal draws in 2^50: never in practice, still handled
        clear = list({*clear, codes.new_code()})
    with transaction.atomic():
        batch = ResidenceCodeBatch.objects.create(
            commune=commune, issued_through=territory, created_by=actor, size=count, expires_at=expires_at,
        )
        ResidenceCode.objects.bulk_create(
            [ResidenceCode(batch=batch, digest=codes.digest(code)) for code in clear], batch_size=500
        )
        record_audit(
            territory, actor, "participation.codes_issued",
            _("%(count)s codes de vérification du domicile pour %(commune)s") % {"count": count, "commune": commune.name},
            {"batch": batch.pk, "commune": commune.code, "count": count, "expires_on": last_day.isoformat()},
        )
    return IssuedBatch(batch, clear)


def revoke_batch(actor: Any, territory: Territory, batch: ResidenceCodeBatch) -> ResidenceCodeBatch:
    """Void the unused codes of a batch (printed sheets lost or stolen). Codes already used stay
    used, and the verifications they gave stay. Refuses what `issue_residence_codes` refuses."""
    _check_staff(actor, territory)
    _check_commune(territory, batch.commune)
    if batch.revoked_at is None:
        batch.revoked_at = timezone.now()
        batch.save(update_fields=["revoked_at"])
        record_audit(
            territory, actor, "participation.codes_revoked",
            _("Lot de codes n° %(batch)s annulé pour %(commune)s") % {"batch": batch.pk, "commune": batch.commune.name},
            {"batch": batch.pk},
        )
    return batch


def redeem_residence_code(user: Any, typed: str) -> Verification:
    """Verify the person's residence in their home commune with a code of that commune, once.

    Refuses when the person has no home commune, is already verified there, or the code is unknown,
    used, expired, revoked, or another commune's (the home commune is never changed by a code: the
    person chooses it, the code confirms it). Marking the code used is one conditional UPDATE, so two
    people typing the same code at once cannot both succeed.
    """
    commune = user.home_commune
    if commune is None:
        raise VerificationRefused(
            _("Choisissez d'abord votre commune dans « Mon compte » : le code confirme que vous y habitez.")
        )
    if Verification.objects.filter(user=user, commune=commune).exists():
        raise VerificationRefused(_("Votre domicile à %(commune)s est déjà vérifié.") % {"commune": commune.name})
    invalid = VerificationRefused(
        _("Ce code n'est pas valable : vérifiez-le, ou demandez-en un nouveau à votre mairie.")
    )
    normalised = codes.normalise(typed)
    if normalised is None:
        raise invalid
    now = timezone.now()
    code = ResidenceCode.objects.select_related("batch__commune").filter(digest=codes.digest(normalised)).first()
    if code is None or code.used_at is not None or code.batch.revoked_at is not None:
        raise invalid
    if code.batch.expires_at < now:
        raise VerificationRefused(_("Ce code a expiré : demandez-en un nouveau à votre mairie."))
    if code.batch.commune_id != commune.pk:
        raise VerificationRefused(
            _("Ce code est celui de %(code_commune)s, et votre commune est %(commune)s. Si vous habitez "
              "%(code_commune)s, choisissez-la d'abord dans « Mon compte ».")
            % {"code_commune": code.batch.commune.name, "commune": commune.name}
        )
    try:
        with transaction.atomic():
            taken = ResidenceCode.objects.filter(pk=code.pk, used_at__isnull=True).update(used_by=user, used_at=now)
            if not taken:
                raise invalid
            return Verification.objects.create(
                user=user, commune=commune, level=Level.RESIDENCE_CODE, code=code,
            )
    except IntegrityError:
        # The same person, verified by another request between the check above and now.
        raise VerificationRefused(
            _("Votre domicile à %(commune)s est déjà vérifié.") % {"commune": commune.name}
        ) from None


def verify_in_person(actor: Any, territory: Territory, resident: Any) -> Verification:
    """Record that staff saw the resident and a proof of their address in their home commune.

    Refuses an actor without an admin or editor role on `territory`, a resident whose home commune
    is not under it, and a resident already verified at the counter there. Writes a journal line.
    """
    _check_staff(actor, territory)
    commune = resident.home_commune
    if commune is None:
        raise VerificationRefused(_("Cette personne n'a pas indiqué de commune."))
    _check_commune(territory, commune)
    try:
        with transaction.atomic():
            verification = Verification.objects.create(
                user=resident, commune=commune, level=Level.IN_PERSON,
                verified_by=actor, verified_by_label=(getattr(actor, "email", "") or str(actor))[:254],
                verified_through=territory,
            )
            record_audit(
                territory, actor, "participation.verified_in_person",
                _("%(person)s vérifié(e) au guichet comme habitant(e) de %(commune)s")
                % {"person": resident.email, "commune": commune.name},
                {"user": resident.pk, "commune": commune.code},
            )
    except IntegrityError:
        raise VerificationRefused(
            _("%(person)s est déjà vérifié(e) au guichet pour %(commune)s.")
            % {"person": resident.email, "commune": commune.name}
        ) from None
    return verification


def remove_verification(actor: Any, territory: Territory, verification: Verification) -> None:
    """Withdraw a residence verification (a mistake, a fraud, a person who moved away).

    Refuses an actor without an admin or editor role on `territory` and a verification of a commune
    not under it. A code that was used stays used. Writes a journal line.
    """
    _check_staff(actor, territory)
    _check_commune(territory, verification.commune)
    with transaction.atomic():
        record_audit(
            territory, actor, "participation.verification_removed",
            _("Vérification du domicile de %(person)s à %(commune)s retirée (%(level)s)")
            % {"person": verification.user.email, "commune": verification.commune.name,
               "level": verification.get_level_display()},
            {"user": verification.user_id, "commune": verification.commune.code, "level": verification.level},
        )
        verification.delete()


def participate_once(
    user: Any,
    process: models.Model,
    eligibility: Eligibility,
    *,
    then: Callable[[Participation], object] | None = None,
) -> Participation:
    """Record that `user` takes part in `process`, then run `then` (which writes the ballot, the
    answer...) in the same transaction.

    Refuses, with every reason, a person `can_take_part` turns down, and a second participation in
    the same process: the unique constraint decides, not a check before the insert, so 200 requests
    at once still leave one row; `then` is rolled back with a refused participation.
    """
    ok, reasons = can_take_part(user, eligibility)
    if not ok:
        raise ParticipationRefused(reasons)
    content_type = ContentType.objects.get_for_model(process)
    try:
        with transaction.atomic():
            participation = Participation.objects.create(content_type=content_type, object_id=process.pk, user=user)
            if then is not None:
                then(participation)
    except IntegrityError:
        if not Participation.objects.filter(content_type=content_type, object_id=process.pk, user=user).exists():
            raise  # the ballot's own write failed, not "once": not ours to explain
        raise ParticipationRefused([_("Vous avez déjà participé.")]) from None
    return participation
