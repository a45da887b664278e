"""Writes about organisations: registering them, moderating their accounts, their details and members.

Every service runs in a transaction, checks who acts again (no caller can skip it), raises
OrganisationRefused with a French sentence for what the rules refuse, writes a line in the
territory's journal (territories.AuditEntry) for staff actions, and sends its e-mails after the
commit. Organisations sit below the directory, the agenda and the news: nothing here imports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.mail import send_mail
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from clocher.core.fields import read_phone
from clocher.territories.images import ProcessedImage
from clocher.territories.models import Portal, Role, StaffRole, Territory, TerritoryKind
from clocher.territories.selectors import ancestors, is_in_portal, roles_of
from clocher.territories.services import ActionRefused, record_audit, sanitize_description

from .models import MemberRole, Membership, Organisation, OrganisationKind, OrganisationStatus

# Staff of the territory that registers an organisation: any of these roles may register one
# directly, or change its details and members.
STAFF_ROLES = (Role.ADMIN, Role.EDITOR, Role.MODERATOR)
# Those who decide on requests and may suspend an account.
MODERATION_ROLES = (Role.ADMIN, Role.MODERATOR)
# A request costs the resident nothing and a moderator's time.
REQUESTS_PER_DAY = 3
# Adding members sends e-mails: a manager adds at most this many people a day.
MEMBERS_ADDED_PER_DAY = 30
TEXT_FIELDS = {"name": 200, "email": 254, "phone": 40, "website": 500, "address": 255, "official_id": 20}
DESCRIPTION_MAX_LENGTH = 10_000
FIELDS = frozenset({*TEXT_FIELDS, "kind", "description"})

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


class OrganisationRefused(ActionRefused):
    """What the rules refuse; str(exc) is a French sentence, `field` the form field concerned."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Validation

def render_description(markdown: str) -> str:
    """The presentation's Markdown as sanitised HTML (no raw HTML, safe links, no headings).

    The directory has the same helper, but organisations sit below the directory (import-linter),
    so this one uses the foundation's sanitiser, whose tags suit a short presentation.
    """
    return sanitize_description(_markdown.render(markdown))


def clean_phone(value: str) -> str:
    """A French (or international) number as E.164, or OrganisationRefused on the phone field."""
    return read_phone(value, OrganisationRefused)


def clean_organisation_data(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validates an organisation's details; returns only what `data` holds, normalised.

    Refuses unknown fields, a missing name (unless `partial`), an unknown kind, an invalid e-mail,
    phone number or website (http and https only), and texts too long. The description's Markdown
    also gives description_html.
    """
    unknown = set(data) - FIELDS
    if unknown:
        raise OrganisationRefused(_("Champs inconnus : %(names)s.") % {"names": ", ".join(sorted(unknown))})
    cleaned: dict[str, Any] = {}
    for name, max_length in TEXT_FIELDS.items():
        if name not in data:
            continue
        value = " ".join(str(data.get(name) or "").replace("\x00", "").split())
        if len(value) > max_length:
            raise OrganisationRefused(_("Trop long (%(max)d caractères au plus).") % {"max": max_length}, name)
        cleaned[name] = value
    if (not partial or "name" in data) and not cleaned.get("name"):
        raise OrganisationRefused(_("Le nom est obligatoire."), "name")
    if "kind" in data or not partial:
        kind = str(data.get("kind") or OrganisationKind.ASSOCIATION)
        if kind not in OrganisationKind.values:
            raise OrganisationRefused(_("Ce type n'existe pas."), "kind")
        cleaned["kind"] = kind
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].lower()
        try:
            EmailValidator()(cleaned["email"])
        except ValidationError:
            raise OrganisationRefused(_("Adresse e-mail invalide."), "email") from None
    if cleaned.get("phone"):
        cleaned["phone"] = clean_phone(cleaned["phone"])
    if cleaned.get("website"):
        try:
            URLValidator(schemes=["http", "https"])(cleaned["website"])
        except ValidationError:
            raise OrganisationRefused(_("Adresse de site invalide (http:// ou https://)."), "website") from None
        if not urlsplit(cleaned["website"]).hostname:
            raise OrganisationRefused(_("Adresse de site invalide (http:// ou https://)."), "website")
    if "description" in data:
        description = str(data.get("description") or "").replace("\x00", "").strip()
        if len(description) > DESCRIPTION_MAX_LENGTH:
            raise OrganisationRefused(
                _("Trop long (%(max)d caractères au plus).") % {"max": DESCRIPTION_MAX_LENGTH}, "description"
            )
        cleaned["description"] = description
        cleaned["description_html"] = render_description(description)
    return cleaned


def _is_under(commune: Territory, territory: Territory) -> bool:
    return commune.pk == territory.pk or territory.pk in commune.parent_ids()


def _check_communes(communes: Iterable[Territory], *, within: Territory | None = None,
                    portal: Portal | None = None) -> list[Territory]:
    chosen: list[Territory] = []
    for commune in communes:
        if commune.kind != TerritoryKind.COMMUNE or not commune.is_active:
            raise OrganisationRefused(_("%(name)s n'est pas une commune.") % {"name": commune.name}, "communes")
        if portal is not None and not is_in_portal(portal, commune):
            raise OrganisationRefused(
                _("%(name)s n'est pas sur le portail.") % {"name": commune.name}, "communes"
            )
        if within is not None and not _is_under(commune, within):
            raise OrganisationRefused(
                _("%(commune)s n'est pas sur le territoire de %(territory)s.")
                % {"commune": commune.name, "territory": within.name},
                "communes",
            )
        if commune not in chosen:
            chosen.append(commune)
    if not chosen:
        raise OrganisationRefused(_("Choisissez au moins une commune où elle agit."), "communes")
    return chosen


def scope_of(territory: Territory) -> Territory:
    """Where an organisation of `territory` may act: a commune's, anywhere in its département
    (each proposal still goes to the moderators of the commune it concerns); otherwise under the
    territory that registered it."""
    if territory.kind == TerritoryKind.COMMUNE and territory.departement is not None:
        return territory.departement
    return territory


def _check_staff(actor: Any, territory: Territory, roles: Sequence[str] = STAFF_ROLES) -> None:
    if not roles_of(actor, territory) & set(roles):
        raise OrganisationRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _is_staff(actor: Any, organisation: Organisation) -> bool:
    return bool(roles_of(actor, organisation.territory) & set(STAFF_ROLES))


def _is_manager(actor: Any, organisation: Organisation) -> bool:
    return Membership.objects.filter(
        organisation=organisation, user=actor, role=MemberRole.MANAGER
    ).exists() if getattr(actor, "is_authenticated", False) else False


def _check_can_manage(actor: Any, organisation: Organisation) -> bool:
    """True when the actor acts as staff (audited), False as a manager; refuses anyone else.

    A manager acts only while the account is active: a suspended or refused account is frozen.
    """
    if _is_staff(actor, organisation):
        return True
    if organisation.status == OrganisationStatus.ACTIVE and _is_manager(actor, organisation):
        return False
    raise OrganisationRefused(_("Seuls les responsables de l'association peuvent faire cela."))


def has_verified_email(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    )


def _bump(key: str) -> None:
    cache.add(key, 0, timeout=86400)
    try:
        cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=86400)


def _request_key(user: Any) -> str:
    return f"clocher:organisation-requests:{user.pk}:{timezone.now():%Y%m%d}"


def _members_key(organisation: Organisation) -> str:
    return f"clocher:organisation-members:{organisation.pk}:{timezone.now():%Y%m%d}"


def requests_left_today(user: Any) -> int:
    return max(0, REQUESTS_PER_DAY - int(cache.get(_request_key(user), 0)))


def _snapshot(organisation: Organisation) -> dict[str, Any]:
    return {
        "name": organisation.name, "kind": organisation.kind, "status": organisation.status,
        "communes": sorted(organisation.communes.values_list("code", flat=True)),
    }


def _save_logo(organisation: Organisation, logo: ProcessedImage | None) -> tuple[Storage, str] | None:
    """Stores the re-encoded logo (or removes it with None); returns the file to delete after commit."""
    field = organisation.logo
    old = (field.storage, field.name) if field.name else None
    if logo is None:
        organisation.logo = ""  # an empty name clears an ImageField
    else:
        field.save(f"logo.{logo.extension}", logo.as_file(), save=False)
    return old


# Registering and moderating

@transaction.atomic
def register_organisation(
    actor: Any, territory: Territory, data: Mapping[str, Any], communes: Iterable[Territory],
    *, logo: ProcessedImage | None = None,
) -> Organisation:
    """Staff (admin, editor or moderator) of `territory` register an organisation, active at once.

    Refuses an actor without such a role, invalid details, and communes outside `scope_of(territory)`
    (for a commune, its département). Writes an AuditEntry on the territory. Nobody is a member
    yet: staff add its manager next.
    """
    _check_staff(actor, territory)
    cleaned = clean_organisation_data(data)
    chosen = _check_communes(communes, within=scope_of(territory))
    organisation = Organisation.objects.create(
        territory=territory, status=OrganisationStatus.ACTIVE, created_by=actor, **cleaned
    )
    organisation.communes.set(chosen)
    if logo is not None:
        _save_logo(organisation, logo)
        organisation.save(update_fields=["logo"])
    record_audit(territory, actor, "organisation.register",
                 _("Association ou entreprise enregistrée : %(name)s") % {"name": organisation.name},
                 {"organisation": organisation.pk, **_snapshot(organisation)})
    return organisation


@transaction.atomic
def request_organisation(
    user: Any, portal: Portal, data: Mapping[str, Any], communes: Sequence[Territory],
) -> Organisation:
    """A resident asks to register an organisation; it stays pending until a moderator decides.

    The first of `communes` is where it has its seat: that commune's moderators and admins decide
    (or, when nobody moderates there, those of its EPCI or département: see `moderating_territory`),
    and receive an e-mail after the commit. The user becomes its manager. Refuses an account
    without a verified e-mail address, invalid details, communes outside the portal, and more than
    REQUESTS_PER_DAY requests a day.
    """
    if not has_verified_email(user):
        raise OrganisationRefused(_("Confirmez d'abord votre adresse e-mail pour inscrire une association."))
    if requests_left_today(user) <= 0:
        raise OrganisationRefused(
            _("Vous avez fait %(count)d demandes aujourd'hui : réessayez demain.") % {"count": REQUESTS_PER_DAY}
        )
    cleaned = clean_organisation_data(data)
    chosen = _check_communes(communes, portal=portal)
    organisation = Organisation.objects.create(
        territory=moderating_territory(chosen[0]), status=OrganisationStatus.PENDING, created_by=user, **cleaned
    )
    organisation.communes.set(chosen)
    Membership.objects.create(organisation=organisation, user=user, role=MemberRole.MANAGER, added_by=user)
    _bump(_request_key(user))
    transaction.on_commit(partial(_mail_moderators_of_request, organisation.pk))
    return organisation


def moderating_territory(commune: Territory) -> Territory:
    """Who decides on a request whose seat is `commune`: the commune when someone moderates there,
    else the nearest EPCI or département that has a moderator or an admin (many small communes
    have not joined, and a request nobody can see would wait forever); the commune when none has."""
    for territory in ancestors(commune):
        if StaffRole.objects.filter(territory=territory, role__in=MODERATION_ROLES).exists():
            return territory
    return commune


def moderators_of(territory: Territory) -> list[str]:
    """The e-mail addresses of those who moderate on this territory (its moderators and admins)."""
    return sorted(set(
        StaffRole.objects.filter(territory=territory, role__in=MODERATION_ROLES)
        .exclude(user__email="").values_list("user__email", flat=True)
    ))


def _mail_moderators_of_request(organisation_id: int) -> None:
    organisation = Organisation.objects.select_related("territory").get(pk=organisation_id)
    recipients = moderators_of(organisation.territory)
    if not recipients:
        return
    subject = _("Demande d'inscription : %(name)s") % {"name": organisation.name}
    body = _(
        "Bonjour,\n\n"
        "%(name)s (%(kind)s) demande à être inscrite pour %(territory)s. Elle pourra ensuite proposer "
        "des lieux, des événements et des actualités aux communes où elle agit.\n\n"
        "Vérifiez la demande, puis acceptez-la ou refusez-la avec un message, dans la gestion du "
        "portail, rubrique « Associations et entreprises ».\n"
    ) % {"name": organisation.name, "kind": organisation.get_kind_display(), "territory": organisation.territory.name}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _managers_emails(organisation: Organisation) -> list[str]:
    return sorted(set(
        Membership.objects.filter(organisation=organisation, role=MemberRole.MANAGER)
        .exclude(user__email="").values_list("user__email", flat=True)
    ))


def _mail_managers_of_decision(organisation_id: int) -> None:
    organisation = Organisation.objects.get(pk=organisation_id)
    recipients = _managers_emails(organisation)
    if not recipients:
        return
    if organisation.status == OrganisationStatus.ACTIVE:
        subject = _("%(name)s est inscrite") % {"name": organisation.name}
        body = _(
            "Bonjour,\n\n"
            "La demande d'inscription de %(name)s est acceptée. Ses membres peuvent maintenant "
            "proposer des lieux, des événements et des actualités aux communes où elle agit.\n"
        ) % {"name": organisation.name}
    else:
        subject = _("%(name)s : demande refusée") % {"name": organisation.name}
        body = _(
            "Bonjour,\n\n"
            "La demande d'inscription de %(name)s est refusée.\n"
        ) % {"name": organisation.name}
    if organisation.review_message:
        body += "\n" + _("Message de la commune :") + "\n" + organisation.review_message + "\n"
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _locked(organisation: Organisation) -> Organisation:
    # Locks the organisation row so that two staff (or two managers) acting at once act one after
    # the other: one decision, and never a last manager removed twice.
    return Organisation.objects.select_for_update(of=("self",)).select_related("territory").get(pk=organisation.pk)


def _set_status(actor: Any, organisation: Organisation, status: str, message: str, *,
                expected: Sequence[str], action: str, summary: str) -> Organisation:
    _check_staff(actor, organisation.territory, MODERATION_ROLES)
    organisation = _locked(organisation)
    if organisation.status not in expected:
        raise OrganisationRefused(_("Cette association a déjà changé d'état : rechargez la page."))
    before = organisation.status
    organisation.status = status
    organisation.review_message = message
    organisation.save(update_fields=["status", "review_message", "updated_at"])
    record_audit(organisation.territory, actor, action, summary % {"name": organisation.name},
                 {"organisation": organisation.pk, "status": [before, status], "message": message})
    return organisation


@transaction.atomic
def approve_organisation(actor: Any, organisation: Organisation, message: str = "") -> Organisation:
    """Accepts a pending request: the account becomes active and its managers get an e-mail.

    Refuses an actor who is not moderator or admin of its territory and a request already decided.
    Writes an AuditEntry.
    """
    organisation = _set_status(
        actor, organisation, OrganisationStatus.ACTIVE, message.strip(),
        expected=(OrganisationStatus.PENDING,), action="organisation.approve",
        summary=_("Inscription acceptée : %(name)s"),
    )
    transaction.on_commit(partial(_mail_managers_of_decision, organisation.pk))
    return organisation


@transaction.atomic
def refuse_organisation(actor: Any, organisation: Organisation, message: str) -> Organisation:
    """Refuses a pending request with a message its managers read (on their page and by e-mail).

    Refuses an actor who is not moderator or admin of its territory, an empty message and a
    request already decided. Writes an AuditEntry.
    """
    message = message.strip()
    if not message:
        raise OrganisationRefused(_("Écrivez au demandeur pourquoi la demande est refusée."), "message")
    organisation = _set_status(
        actor, organisation, OrganisationStatus.REFUSED, message,
        expected=(OrganisationStatus.PENDING,), action="organisation.refuse",
        summary=_("Inscription refusée : %(name)s"),
    )
    transaction.on_commit(partial(_mail_managers_of_decision, organisation.pk))
    return organisation


@transaction.atomic
def suspend(actor: Any, organisation: Organisation, message: str = "") -> Organisation:
    """Suspends an active account: its members can no longer propose anything in its name.

    Refuses an actor who is not moderator or admin of its territory and an account not active.
    Writes an AuditEntry.
    """
    return _set_status(
        actor, organisation, OrganisationStatus.SUSPENDED, message.strip(),
        expected=(OrganisationStatus.ACTIVE,), action="organisation.suspend",
        summary=_("Compte suspendu : %(name)s"),
    )


@transaction.atomic
def reactivate(actor: Any, organisation: Organisation, message: str = "") -> Organisation:
    """Makes a suspended (or refused) account active again.

    Refuses an actor who is not moderator or admin of its territory and an account that is active
    or pending (a pending one is approved instead). Writes an AuditEntry.
    """
    return _set_status(
        actor, organisation, OrganisationStatus.ACTIVE, message.strip(),
        expected=(OrganisationStatus.SUSPENDED, OrganisationStatus.REFUSED), action="organisation.reactivate",
        summary=_("Compte réactivé : %(name)s"),
    )


# Details

@transaction.atomic
def update_organisation(
    actor: Any, organisation: Organisation, data: Mapping[str, Any],
    communes: Iterable[Territory] | None = None, *, logo: ProcessedImage | None = None,
    remove_logo: bool = False,
) -> Organisation:
    """Saves an organisation's details: the fields in `data`, its communes when given, its logo.

    Managers of an active account, or staff of its territory, may do it. Refuses anyone else,
    invalid details, and communes outside `scope_of` its territory (for a commune, its
    département). The logo
    must come re-encoded (territories.images.reencode_logo); the old file is deleted after the
    commit. Writes an AuditEntry when staff act.
    """
    as_staff = _check_can_manage(actor, organisation)
    cleaned = clean_organisation_data(data, partial=True)
    organisation = _locked(organisation)
    before = _snapshot(organisation)
    for name, value in cleaned.items():
        setattr(organisation, name, value)
    obsolete = None
    if logo is not None or (remove_logo and organisation.logo):
        obsolete = _save_logo(organisation, logo)
    organisation.save()
    if communes is not None:
        organisation.communes.set(_check_communes(communes, within=scope_of(organisation.territory)))
    if obsolete is not None:
        storage, name = obsolete
        transaction.on_commit(partial(storage.delete, name))
    if as_staff:
        after = _snapshot(organisation)
        record_audit(organisation.territory, actor, "organisation.update",
                     _("Association ou entreprise modifiée : %(name)s") % {"name": organisation.name},
                     {key: [before[key], value] for key, value in after.items() if before[key] != value}
                     | {"organisation": organisation.pk, "fields": sorted(cleaned)})
    return organisation


# Members

@transaction.atomic
def add_member(actor: Any, organisation: Organisation, email: str, role: str = MemberRole.MEMBER) -> Membership:
    """Adds the account with this e-mail address to the organisation, and tells them by e-mail.

    Managers of an active account, or staff of its territory, may do it. Refuses anyone else, an
    unknown role, an address that matches no account with a verified e-mail (the person must first
    create an account), someone already a member, and more than MEMBERS_ADDED_PER_DAY additions
    a day. Writes an AuditEntry when staff act.
    """
    as_staff = _check_can_manage(actor, organisation)
    if role not in MemberRole.values:
        raise OrganisationRefused(_("Ce rôle n'existe pas."), "role")
    email = email.strip().lower()
    if not as_staff and int(cache.get(_members_key(organisation), 0)) >= MEMBERS_ADDED_PER_DAY:
        raise OrganisationRefused(_("Trop de membres ajoutés aujourd'hui : réessayez demain."))
    address = EmailAddress.objects.filter(email__iexact=email, verified=True).select_related("user").first()
    if address is None or not address.user.is_active:
        raise OrganisationRefused(
            _("Aucun compte n'utilise l'adresse %(email)s. La personne doit d'abord créer un compte sur le "
              "portail et confirmer son adresse e-mail ; vous pourrez ensuite l'ajouter.") % {"email": email},
            "email",
        )
    user = address.user
    organisation = _locked(organisation)
    if Membership.objects.filter(organisation=organisation, user=user).exists():
        raise OrganisationRefused(_("%(email)s est déjà membre.") % {"email": email}, "email")
    membership = Membership.objects.create(organisation=organisation, user=user, role=role, added_by=actor)
    if as_staff:
        record_audit(organisation.territory, actor, "organisation.member.add",
                     _("Membre ajouté à %(name)s : %(email)s") % {"name": organisation.name, "email": email},
                     {"organisation": organisation.pk, "email": email, "role": role})
    else:
        _bump(_members_key(organisation))
    transaction.on_commit(partial(_mail_new_member, membership.pk, actor))
    return membership


def _mail_new_member(membership_id: int, actor: Any) -> None:
    membership = Membership.objects.select_related("organisation", "user").get(pk=membership_id)
    adder = getattr(actor, "display_name", "") or getattr(actor, "email", "")
    subject = _("Vous êtes membre de %(name)s") % {"name": membership.organisation.name}
    body = _(
        "Bonjour,\n\n"
        "%(adder)s vous a ajouté à %(name)s sur le portail, avec le rôle « %(role)s ». Vous pouvez "
        "maintenant proposer en son nom des lieux, des événements et des actualités aux communes où "
        "elle agit : retrouvez-la dans « Mes associations » une fois connecté.\n\n"
        "Si vous ne vous attendiez pas à ce message, vous pouvez quitter l'association depuis cette page.\n"
    ) % {"adder": adder, "name": membership.organisation.name, "role": membership.get_role_display()}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [membership.user.email])


def _remove(membership: Membership) -> None:
    # Counted under the organisation's lock: two managers removing each other leave one.
    if membership.role == MemberRole.MANAGER and Membership.objects.filter(
        organisation_id=membership.organisation_id, role=MemberRole.MANAGER
    ).count() <= 1:
        raise OrganisationRefused(
            _("Une association garde au moins un responsable : nommez-en un autre avant.")
        )
    membership.delete()


@transaction.atomic
def remove_member(actor: Any, membership: Membership) -> None:
    """Removes a member. Managers of an active account, or staff of its territory, may do it.

    Refuses anyone else and the removal of the last manager. Writes an AuditEntry when staff act.
    """
    organisation = membership.organisation
    as_staff = _check_can_manage(actor, organisation)
    organisation = _locked(organisation)
    locked = Membership.objects.select_related("user").filter(pk=membership.pk).first()
    if locked is None:
        raise OrganisationRefused(_("Cette personne n'est déjà plus membre."))
    email = locked.user.email
    _remove(locked)
    if as_staff:
        record_audit(organisation.territory, actor, "organisation.member.remove",
                     _("Membre retiré de %(name)s : %(email)s") % {"name": organisation.name, "email": email},
                     {"organisation": organisation.pk, "email": email})


@transaction.atomic
def set_member_role(actor: Any, membership: Membership, role: str) -> Membership:
    """Makes a member a manager or a plain member.

    Managers of an active account, or staff of its territory, may do it. Refuses anyone else, an
    unknown role, and turning the last manager into a plain member. Writes an AuditEntry when
    staff act.
    """
    organisation = membership.organisation
    as_staff = _check_can_manage(actor, organisation)
    if role not in MemberRole.values:
        raise OrganisationRefused(_("Ce rôle n'existe pas."), "role")
    organisation = _locked(organisation)
    locked = Membership.objects.select_related("user").filter(pk=membership.pk).first()
    if locked is None:
        raise OrganisationRefused(_("Cette personne n'est déjà plus membre."))
    if locked.role == MemberRole.MANAGER and role != MemberRole.MANAGER and Membership.objects.filter(
        organisation=organisation, role=MemberRole.MANAGER
    ).count() <= 1:
        raise OrganisationRefused(_("Une association garde au moins un responsable : nommez-en un autre avant."))
    locked.role = role
    locked.save(update_fields=["role"])
    if as_staff:
        record_audit(organisation.territory, actor, "organisation.member.role",
                     _("Rôle changé dans %(name)s : %(email)s") % {"name": organisation.name, "email": locked.user.email},
                     {"organisation": organisation.pk, "email": locked.user.email, "role": role})
    return locked


@transaction.atomic
def leave_organisation(user: Any, organisation: Organisation) -> None:
    """The user stops being a member. Refuses someone who is not a member, and the last manager
    (they name another one first, or ask the commune to close the account)."""
    organisation = _locked(organisation)
    membership = Membership.objects.filter(organisation=organisation, user=user).first() \
        if getattr(user, "is_authenticated", False) else None
    if membership is None:
        raise OrganisationRefused(_("Vous n'êtes pas membre de cette association."))
    _remove(membership)

