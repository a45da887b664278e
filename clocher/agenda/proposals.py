"""Events that organisations propose to their communes.

A member of an active organisation proposes an event to one of the communes it acts in; the event
is a draft of that commune, pending review, with the organisation as organiser. The commune's
moderator accepts it (it is then published) or refuses it with a message. A refused proposal can
be corrected and sent again: that makes a new proposal, and the refused one stays as it was
decided. What a person may propose comes from their membership, checked here; the services
(clocher.agenda.services) write.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.organisations.models import Organisation, ReviewStatus
from clocher.organisations.selectors import communes_of, organisations_of
from clocher.territories.images import ProcessedImage
from clocher.territories.models import Portal, Role, StaffRole, Territory
from clocher.territories.selectors import is_in_portal, territories_of_portal
from clocher.territories.services import ActionRefused

from . import services
from .forms import describe_when
from .models import Event
from .taxonomy import category_label

PROPOSALS_PER_DAY = 10
MODERATION_ROLES = (Role.ADMIN, Role.MODERATOR)
KEEP_IMAGE = services.KEEP_IMAGE


class ProposalRefused(ActionRefused):
    """A proposal the rules refuse; str(exc) is a French sentence, `field` the form field concerned."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Reads

def proposing_organisations(user: Any, portal: Portal) -> QuerySet[Organisation]:
    """The active organisations of this portal the person speaks for."""
    return organisations_of(user, portal)


def proposal_communes(user: Any, portal: Portal) -> QuerySet[Territory]:
    """The communes of the portal where at least one of the person's organisations acts."""
    organisations = proposing_organisations(user, portal)
    return Territory.objects.filter(
        pk__in=Organisation.communes.through.objects.filter(
            organisation__in=organisations
        ).values("territory_id"),
        is_active=True,
    ).filter(pk__in=territories_of_portal(portal).values("pk")).order_by("name", "pk")


def proposals_of(user: Any, portal: Portal) -> QuerySet[Event]:
    """What the person's organisations proposed in this portal, newest first, whoever wrote it."""
    return Event.objects.filter(
        organisation__in=proposing_organisations(user, portal),
    ).exclude(review_status=ReviewStatus.NONE).select_related(
        "organisation", "territory", "author", "reviewed_by",
    ).order_by("-created_at", "-pk")


def access_proposal(user: Any, portal: Portal, pk: int) -> Event:
    """One of the person's organisations' proposals, else 404 (another portal's, another
    organisation's, or an event that was never proposed)."""
    event = proposals_of(user, portal).filter(pk=pk).first()
    if event is None:
        raise Http404(_("Proposition introuvable."))
    return event


def proposals_left_today(user: Any) -> int:
    return max(0, PROPOSALS_PER_DAY - int(cache.get(_rate_key(user), 0)))


# Writes

def _rate_key(user: Any) -> str:
    return f"clocher:event-proposals:{user.pk}:{timezone.now():%Y%m%d}"


def _count_one(user: Any) -> None:
    key = _rate_key(user)
    cache.add(key, 0, timeout=86400)
    try:
        cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=86400)


@transaction.atomic
def propose_event(
    user: Any, portal: Portal, organisation: Organisation, commune: Territory, data: dict[str, Any],
    categories: list[str], *, image: ProcessedImage | None = None,
) -> Event:
    """Sends an event to `commune`'s moderators in the name of `organisation`.

    Refuses someone who is not a member of the organisation (or an organisation that is not
    active or not in this portal), a commune the organisation does not act in or outside the
    portal, a place or a point in another commune, more than PROPOSALS_PER_DAY proposals a day by the same person, and what the agenda's
    rules refuse (services.EventRejected, passed on as it is so forms show it on its field).
    Schedules an e-mail to the commune's moderators and admins after the commit.
    """
    if not proposing_organisations(user, portal).filter(pk=organisation.pk).exists():
        raise ProposalRefused(_("Vous ne faites pas partie de cette association."), "organisation")
    if not is_in_portal(portal, commune) or not communes_of(organisation).filter(pk=commune.pk).exists():
        raise ProposalRefused(
            _("%(organisation)s n'agit pas à %(commune)s : choisissez une de ses communes.")
            % {"organisation": organisation.name, "commune": commune.name},
            "commune",
        )
    if proposals_left_today(user) <= 0:
        raise ProposalRefused(
            _("Vous avez fait %(count)d propositions aujourd'hui : réessayez demain.")
            % {"count": PROPOSALS_PER_DAY}
        )
    _check_where(commune, data)
    event = services.create_proposed_event(user, commune, organisation, data, categories, image=image)
    _count_one(user)
    transaction.on_commit(partial(_mail_moderators, event.pk))
    return event


def _check_where(commune: Territory, data: dict[str, Any]) -> None:
    """The event happens in the commune it is proposed to: its moderators are the ones who decide."""
    cleaned = services.clean_event_data(data, territory=commune)
    found: Territory | None = cleaned.get("commune")
    if found is not None and found.pk != commune.pk:
        raise ProposalRefused(
            _("Ce lieu est à %(found)s, pas à %(commune)s : proposez l'événement à %(found)s.")
            % {"found": found.name, "commune": commune.name},
            "place" if cleaned.get("place") is not None else "lat",
        )


def _current_where(event: Event) -> dict[str, Any]:
    return {"title": event.title, "starts_at": event.starts_at, "place": event.place_id, "lat": event.lat,
            "lon": event.lon}


def can_correct(event: Event) -> bool:
    """A proposal its organisation may still change: waiting, or refused (then sent again)."""
    return event.review_status in (ReviewStatus.PENDING, ReviewStatus.REFUSED)


@transaction.atomic
def correct_proposal(
    user: Any, portal: Portal, event: Event, data: dict[str, Any], categories: list[str],
    *, image: ProcessedImage | None | services._Keep = services.KEEP_IMAGE,
) -> Event:
    """Saves a corrected proposal and puts it back in the commune's moderation queue.

    Refuses someone who does not speak for the proposing organisation (or whose organisation is
    no longer active), a proposal already accepted (staff edit it from then on), more than
    PROPOSALS_PER_DAY proposals and corrections a day, and what the agenda's rules refuse.
    Schedules an e-mail to the commune's moderators and admins after the commit.
    """
    if not proposals_of(user, portal).filter(pk=event.pk).exists():
        raise ProposalRefused(_("Vous ne faites pas partie de cette association."))
    if not can_correct(event):
        raise ProposalRefused(_("Cette proposition a déjà été acceptée : la commune la gère désormais."))
    if proposals_left_today(user) <= 0:
        raise ProposalRefused(
            _("Vous avez fait %(count)d propositions aujourd'hui : réessayez demain.")
            % {"count": PROPOSALS_PER_DAY}
        )
    _check_where(event.territory, {**_current_where(event), **data})
    event = services.update_proposed_event(user, event, data, categories, image=image)
    _count_one(user)
    transaction.on_commit(partial(_mail_moderators, event.pk))
    return event


@transaction.atomic
def decide_proposal(actor: Any, event: Event, *, accept: bool, message: str = "") -> Event:
    """A moderator's decision: accepts (the event is published, the organisation as organiser) or
    refuses with a message. Refuses what services.accept_event / refuse_event refuse (a role other
    than moderator or admin of the commune, an empty message to refuse, a second decision).
    Schedules an e-mail to the member who proposed it after the commit, with the message."""
    if accept:
        event = services.accept_event(actor, event, message)
    else:
        event = services.refuse_event(actor, event, message)
    transaction.on_commit(partial(_mail_proposer, event.pk))
    return event


def _moderators_emails(commune: Territory) -> list[str]:
    # Those who hold the role on the commune itself: they are the ones who decide.
    return sorted(set(
        StaffRole.objects.filter(territory=commune, role__in=MODERATION_ROLES)
        .exclude(user__email="").values_list("user__email", flat=True)
    ))


def _mail_moderators(event_id: int) -> None:
    event = Event.objects.select_related("territory", "organisation").get(pk=event_id)
    recipients = _moderators_emails(event.territory)
    if not recipients:
        return
    subject = _("Événement proposé à %(commune)s : %(title)s") % {
        "commune": event.territory.name, "title": event.title,
    }
    body = _(
        "Bonjour,\n\n"
        "%(organisation)s propose l'événement « %(title)s » (%(when)s) à %(commune)s.\n\n"
        "Acceptez-le ou refusez-le avec un message dans la gestion du portail : Agenda, "
        "« Propositions des associations ».\n"
    ) % {
        "organisation": event.organisation.name if event.organisation is not None else "?",
        "title": event.title, "when": describe_when(event), "commune": event.territory.name,
    }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _mail_proposer(event_id: int) -> None:
    event = Event.objects.select_related("territory", "author").get(pk=event_id)
    if event.author is None or not event.author.email:
        return
    names = {"title": event.title, "commune": event.territory.name}
    if event.review_status == ReviewStatus.ACCEPTED:
        subject = _("Votre événement « %(title)s » est publié") % names
        body = _("Bonjour,\n\n%(commune)s a accepté « %(title)s » : il est publié dans l'agenda.\n") % names
    else:
        subject = _("Votre proposition « %(title)s » est refusée") % names
        body = _(
            "Bonjour,\n\n%(commune)s a refusé « %(title)s ». Vous pouvez la corriger et la proposer à "
            "nouveau depuis « Mes propositions d'événements ».\n"
        ) % names
    if event.review_message:
        body += "\n" + _("Message de la commune :") + "\n" + event.review_message + "\n"
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [event.author.email])


def summary_rows(event: Event) -> list[tuple[str, str]]:
    """The event as (French label, value) rows, for the moderator and the proposer to read."""
    rows: list[tuple[str, str]] = [
        (_("Quand"), describe_when(event)),
        (_("Catégories"), ", ".join(category_label(link.category) for link in event.categories.all())),
    ]
    where = ", ".join(
        part for part in (
            event.place.name if event.place is not None else event.location_name, event.address,
            event.commune.name if event.commune is not None else "",
        ) if part
    )
    if where:
        rows.append((_("Où"), where))
    if event.is_free is not None or event.price:
        free = {True: _("Gratuit"), False: _("Payant"), None: ""}[event.is_free]
        rows.append((_("Tarifs"), " · ".join(part for part in (free, event.price) if part)))
    if event.booking_url:
        rows.append((_("Réservation"), event.booking_url))
    labels = {
        "wheelchair": _("Fauteuil roulant"), "hearing": _("Handicap auditif"), "sight": _("Handicap visuel"),
        "mental": _("Handicap mental"),
    }
    access = [
        f"{label} : {getattr(event, f'get_{name}_display')()}"
        for name, label in labels.items() if getattr(event, name)
    ]
    if event.accessibility_note:
        access.append(event.accessibility_note)
    if access:
        rows.append((_("Accessibilité"), " ; ".join(access)))
    return rows
