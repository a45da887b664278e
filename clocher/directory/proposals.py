"""Proposals of places: a member of an association or a business (clocher.organisations) proposes, in
its name, a new place in one of the communes it acts in, or a change to a place of their own; the
commune's moderator accepts or refuses it with a message.

A place is the proposer's "own" when it was created or changed from an accepted proposal of theirs,
or of a member of one of their organisations (PlaceProposal.place links them). An account with a verified e-mail address may propose at most PROPOSALS_PER_DAY
a day, since a proposal costs the proposer nothing and a moderator's time. The commune's moderators
and admins get an e-mail for each new proposal, the proposer one for the decision.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.organisations.models import Organisation
from clocher.organisations.selectors import communes_of, organisations_of
from clocher.territories.content import Status
from clocher.territories.lookup import commune_at
from clocher.territories.models import Portal, Role, StaffRole, Territory, TerritoryKind
from clocher.territories.selectors import is_in_portal, roles_of, territories_of_portal
from clocher.territories.services import ActionRefused, record_audit

from . import services
from .models import Place, PlaceProposal, ProposalStatus
from .taxonomy import BY_SLUG

PROPOSALS_PER_DAY = 10
MODERATION_ROLES = (Role.ADMIN, Role.MODERATOR)
# Where proposals made before PlaceProposal.organisation existed kept it (see migration 0005);
# never written any more, and dropped from data when read.
ORGANISATION_KEY = "_organisation"


class ProposalRefused(ActionRefused):
    """A proposal or a decision the rules refuse; str(exc) is a French sentence, `field` the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Reads

def own_places(user: Any, portal: Portal) -> QuerySet[Place]:
    """The places of the portal created or changed from an accepted proposal of the user, or of a
    member of one of their active organisations, not archived."""
    if not getattr(user, "is_authenticated", False):
        return Place.objects.none()
    organisation_ids = list(organisations_of(user, portal).values_list("pk", flat=True))
    proposed = Q(proposer=user)
    if organisation_ids:
        proposed |= Q(organisation_id__in=organisation_ids)
    ids = PlaceProposal.objects.filter(proposed, status=ProposalStatus.ACCEPTED).values("place_id")
    places = Place.objects.filter(pk__in=ids).exclude(status=Status.ARCHIVED).select_related("commune")
    return places.filter(commune__in=_portal_communes(portal)).order_by("name", "pk")


def access_own_place(user: Any, portal: Portal, pk: int) -> Place:
    place = own_places(user, portal).filter(pk=pk).first()
    if place is None:
        raise Http404(_("Lieu introuvable."))
    return place


def proposals_of(user: Any, portal: Portal) -> QuerySet[PlaceProposal]:
    """The user's proposals in this portal, newest first."""
    return PlaceProposal.objects.filter(
        proposer=user, commune__in=_portal_communes(portal)
    ).select_related("commune", "place").order_by("-created_at", "-pk")


def proposal_communes(portal: Portal, user: Any = None) -> QuerySet[Territory]:
    """The communes a proposal may concern: the portal's active communes, and when `user` is given,
    only those where one of their active organisations acts."""
    communes = _portal_communes(portal).filter(is_active=True)
    if user is not None:
        communes = communes.filter(pk__in=organisations_of(user, portal).values("communes"))
    return communes.order_by("search_name", "name")


def organisation_of(proposal: PlaceProposal) -> dict[str, Any] | None:
    """The organisation a proposal was made in the name of: {"pk": ..., "name": ...}, or None."""
    organisation = proposal.organisation
    if organisation is None:
        return None
    return {"pk": organisation.pk, "name": organisation.name}


def _portal_communes(portal: Portal) -> QuerySet[Territory]:
    return territories_of_portal(portal).filter(kind=TerritoryKind.COMMUNE)


def proposals_left_today(user: Any) -> int:
    return max(0, PROPOSALS_PER_DAY - int(cache.get(_rate_key(user), 0)))


def readable_data(proposal: PlaceProposal) -> list[tuple[str, str]]:
    """The proposed fields as (French label, value) rows, for the moderator to read."""
    from .forms import PlaceForm

    rows: list[tuple[str, str]] = []
    organisation = organisation_of(proposal)
    if organisation is not None:
        rows.append((_("Au nom de"), str(organisation.get("name", ""))))
    for name, value in proposal.data.items():
        if value in (None, "", []) or name == ORGANISATION_KEY:
            continue
        field = PlaceForm.base_fields.get(name)
        label = str(field.label) if field is not None else name
        if name == "categories":
            shown = ", ".join(str(BY_SLUG[slug].label) if slug in BY_SLUG else slug for slug in value)
        elif isinstance(value, list):
            shown = ", ".join(str(item) for item in value)
        elif isinstance(value, bool):
            shown = _("Oui") if value else _("Non")
        else:
            shown = str(value)
        rows.append((label, shown))
    return rows


# Writes

def _rate_key(user: Any) -> str:
    return f"clocher:place-proposals:{user.pk}:{timezone.now():%Y%m%d}"


def has_verified_email(user: Any) -> bool:
    return bool(EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists())


@transaction.atomic
def propose_place(
    user: Any, portal: Portal, commune: Territory, data: dict[str, Any], categories: list[str],
    *, organisation: Organisation | None, place: Place | None = None,
) -> PlaceProposal:
    """Records a pending proposal, in the name of `organisation`, for a new place in `commune` (or a
    change to `place`), and e-mails the commune's moderators and admins after the commit.

    Refuses: an anonymous account or one without a verified e-mail address, no organisation or one
    the user is not an active member of in this portal, a commune outside the portal or where the
    organisation does not act, a place that is not the user's own, invalid data (the directory's
    rules), a location in another commune, a second pending proposal for the same place, and more
    than PROPOSALS_PER_DAY proposals a day.
    """
    if not getattr(user, "is_authenticated", False) or not has_verified_email(user):
        raise ProposalRefused(_("Confirmez d'abord votre adresse e-mail pour proposer un lieu."))
    if organisation is None or not organisations_of(user, portal).filter(pk=organisation.pk).exists():
        raise ProposalRefused(
            _("Proposez un lieu au nom d'une association ou d'une entreprise dont vous êtes membre."),
            "organisation",
        )
    if commune.kind != TerritoryKind.COMMUNE or not is_in_portal(portal, commune):
        raise ProposalRefused(_("Cette commune n'est pas sur le portail."), "commune")
    if not communes_of(organisation).filter(pk=commune.pk).exists():
        raise ProposalRefused(
            _("%(organisation)s n'agit pas à %(commune)s : choisissez une de ses communes.")
            % {"organisation": organisation.name, "commune": commune.name},
            "commune",
        )
    if place is not None:
        if not own_places(user, portal).filter(pk=place.pk).exists():
            raise ProposalRefused(_("Vous ne pouvez proposer de changement que pour vos propres lieux."))
        if PlaceProposal.objects.filter(place=place, status=ProposalStatus.PENDING).exists():
            raise ProposalRefused(_("Une proposition pour ce lieu attend déjà la décision de la commune."))
    if proposals_left_today(user) <= 0:
        raise ProposalRefused(
            _("Vous avez fait %(count)d propositions aujourd'hui : réessayez demain.") % {"count": PROPOSALS_PER_DAY}
        )
    try:
        cleaned = services.clean_place_data({**data, "categories": categories})
    except services.PlaceRejected as exc:
        raise ProposalRefused(str(exc), exc.field) from exc
    if not cleaned.get("categories"):
        raise ProposalRefused(_("Choisissez au moins une catégorie."), "categories")
    if cleaned.get("lat") is not None:
        found = commune_at(cleaned["lat"], cleaned["lon"])
        if found is not None and found.pk != commune.pk:
            raise ProposalRefused(
                _("Cette position est à %(found)s, pas à %(commune)s.") % {"found": found.name, "commune": commune.name},
                "lat",
            )
    stored = {name: value for name, value in data.items() if name not in ("commune", ORGANISATION_KEY)}
    stored["categories"] = cleaned["categories"]
    proposal = PlaceProposal.objects.create(
        place=place, commune=commune, proposer=user, organisation=organisation, data=stored
    )
    key = _rate_key(user)
    cache.add(key, 0, timeout=86400)
    try:
        cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=86400)
    transaction.on_commit(lambda: _mail_moderators(proposal.pk))
    return proposal


def _moderators_emails(commune: Territory) -> list[str]:
    # Those who hold the role on the commune itself: they are the ones who decide.
    return sorted(set(
        StaffRole.objects.filter(territory=commune, role__in=MODERATION_ROLES)
        .exclude(user__email="").values_list("user__email", flat=True)
    ))


def _mail_moderators(proposal_id: int) -> None:
    proposal = PlaceProposal.objects.select_related("commune", "place").get(pk=proposal_id)
    recipients = _moderators_emails(proposal.commune)
    if not recipients:
        return
    organisation = organisation_of(proposal) or {}
    subject = _("Proposition de lieu à %(commune)s : %(name)s") % {
        "commune": proposal.commune.name, "name": str(proposal),
    }
    what = (_("un changement du lieu « %(name)s »") % {"name": proposal.place.name} if proposal.place
            else _("un nouveau lieu, « %(name)s »") % {"name": str(proposal)})
    body = _(
        "Bonjour,\n\n"
        "%(organisation)s propose %(what)s à %(commune)s.\n\n"
        "Acceptez-la ou refusez-la avec un message dans la gestion du portail, rubrique "
        "« Propositions de lieux ».\n"
    ) % {"organisation": organisation.get("name") or proposal.proposer.email, "what": what,
         "commune": proposal.commune.name}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _mail_proposer(proposal_id: int) -> None:
    proposal = PlaceProposal.objects.select_related("commune", "proposer").get(pk=proposal_id)
    if not proposal.proposer.email:
        return
    if proposal.status == ProposalStatus.ACCEPTED:
        subject = _("Votre proposition « %(name)s » est acceptée") % {"name": str(proposal)}
        body = _("Bonjour,\n\n%(commune)s a accepté votre proposition « %(name)s » : le lieu est publié.\n")
    else:
        subject = _("Votre proposition « %(name)s » est refusée") % {"name": str(proposal)}
        body = _("Bonjour,\n\n%(commune)s a refusé votre proposition « %(name)s ».\n")
    body %= {"commune": proposal.commune.name, "name": str(proposal)}
    if proposal.message:
        body += "\n" + _("Message de la commune :") + "\n" + proposal.message + "\n"
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [proposal.proposer.email])


def _check_moderator(actor: Any, proposal: PlaceProposal) -> None:
    if not roles_of(actor, proposal.commune) & set(MODERATION_ROLES):
        raise ProposalRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _pending(proposal: PlaceProposal) -> PlaceProposal:
    # Locks the proposal so two moderators deciding at once make one decision.
    locked = PlaceProposal.objects.select_for_update(of=("self",)).select_related("commune", "place").get(pk=proposal.pk)
    if locked.status != ProposalStatus.PENDING:
        raise ProposalRefused(_("Cette proposition a déjà été traitée."))
    return locked


@transaction.atomic
def accept_proposal(actor: Any, proposal: PlaceProposal, message: str = "") -> Place:
    """Accepts a pending proposal: creates the place (published by the commune, authored by the
    proposer) or applies the change to the proposer's place, and publishes it.

    Refuses an actor who is not moderator or admin of the proposal's commune, a proposal already
    decided, and data the directory's rules now refuse. Writes an AuditEntry on the commune and
    e-mails the proposer after the commit.
    """
    _check_moderator(actor, proposal)
    proposal = _pending(proposal)
    commune = proposal.commune
    data = dict(proposal.data)
    categories = list(data.pop("categories", []) or [])
    data.pop(ORGANISATION_KEY, None)
    organisation = organisation_of(proposal)
    try:
        cleaned = services.clean_place_data(data)
        slugs = services.clean_categories(categories)
    except services.PlaceRejected as exc:
        raise ProposalRefused(str(exc)) from exc
    now = timezone.now()
    if proposal.place is None:
        place = Place.objects.create(
            territory=commune, commune=commune, author=proposal.proposer, status=Status.PUBLISHED,
            published_at=now, **cleaned,
        )
        action, summary = "directory.proposal.create", _("Lieu créé sur proposition : %(name)s")
    else:
        place = Place.objects.select_for_update().get(pk=proposal.place.pk)
        for name, value in cleaned.items():
            setattr(place, name, value)
        place.status = Status.PUBLISHED
        place.published_at = place.published_at or now
        place.save()
        action, summary = "directory.proposal.update", _("Lieu modifié sur proposition : %(name)s")
    services._set_categories(place, slugs)
    proposal.place = place
    proposal.status = ProposalStatus.ACCEPTED
    proposal.moderator = actor
    proposal.message = message.strip()
    proposal.decided_at = now
    proposal.save(update_fields=["place", "status", "moderator", "message", "decided_at"])
    record_audit(commune, actor, action, summary % {"name": place.name},
                 {"place": place.pk, "proposal": proposal.pk, "proposer": proposal.proposer.email,
                  "organisation": organisation})
    transaction.on_commit(lambda: _mail_proposer(proposal.pk))
    return place


@transaction.atomic
def refuse_proposal(actor: Any, proposal: PlaceProposal, message: str) -> PlaceProposal:
    """Refuses a pending proposal with a message the proposer will read (on their page, and by an
    e-mail sent after the commit).

    Refuses an actor who is not moderator or admin of the proposal's commune, an empty message and
    a proposal already decided. Writes an AuditEntry on the commune.
    """
    _check_moderator(actor, proposal)
    message = message.strip()
    if not message:
        raise ProposalRefused(_("Écrivez au proposant pourquoi la proposition est refusée."), "message")
    proposal = _pending(proposal)
    proposal.status = ProposalStatus.REFUSED
    proposal.moderator = actor
    proposal.message = message
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "moderator", "message", "decided_at"])
    record_audit(proposal.commune, actor, "directory.proposal.refuse",
                 _("Proposition refusée : %(name)s") % {"name": str(proposal)},
                 {"proposal": proposal.pk, "proposer": proposal.proposer.email,
                  "organisation": organisation_of(proposal)})
    transaction.on_commit(lambda: _mail_proposer(proposal.pk))
    return proposal
