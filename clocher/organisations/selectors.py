"""Reads about organisations that encode who may see or act for them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from clocher.territories.models import Portal, Territory
from clocher.territories.selectors import territories_of_portal

from .models import MemberRole, Membership, Organisation, OrganisationStatus


def organisations_of(user: Any, portal: Portal | None = None) -> QuerySet[Organisation]:
    """The active organisations this person is a member of (in this portal when given)."""
    if user is None or not user.is_authenticated:
        return Organisation.objects.none()
    organisations = Organisation.objects.filter(
        memberships__user=user, status=OrganisationStatus.ACTIVE
    )
    if portal is not None:
        organisations = organisations.filter(territory__in=territories_of_portal(portal))
    return organisations.distinct().order_by("name")


def membership_of(user: Any, organisation: Organisation) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(organisation=organisation, user=user).first()


def is_member(user: Any, organisation: Organisation) -> bool:
    return organisation.is_active and membership_of(user, organisation) is not None


def is_manager(user: Any, organisation: Organisation) -> bool:
    membership = membership_of(user, organisation)
    return organisation.is_active and membership is not None and membership.role == MemberRole.MANAGER


def access_member_organisation(user: Any, portal: Portal, pk: int) -> Organisation:
    """An organisation this person speaks for, in this portal; 404 otherwise (another portal's,
    one they do not belong to, or one not active)."""
    try:
        return organisations_of(user, portal).get(pk=pk)
    except Organisation.DoesNotExist as missing:
        raise Http404 from missing


def public_organisations(portal: Portal) -> QuerySet[Organisation]:
    """The active organisations residents of this portal may see."""
    return Organisation.objects.filter(
        status=OrganisationStatus.ACTIVE, territory__in=territories_of_portal(portal)
    )


def access_public_organisation(portal: Portal, pk: int) -> Organisation:
    try:
        return public_organisations(portal).get(pk=pk)
    except Organisation.DoesNotExist as missing:
        raise Http404 from missing


def communes_of(organisation: Organisation) -> QuerySet[Territory]:
    """Where its members may propose content: the communes it acts in."""
    return organisation.communes.filter(is_active=True).order_by("name")


def memberships_of(user: Any, portal: Portal) -> QuerySet[Membership]:
    """Every membership of this person in the portal, whatever the organisation's state: a pending
    or refused request shows there with the moderator's message."""
    if user is None or not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(
        user=user, organisation__territory__in=territories_of_portal(portal)
    ).select_related("organisation", "organisation__territory").order_by("organisation__name", "pk")


def access_my_organisation(user: Any, portal: Portal, pk: int) -> tuple[Organisation, Membership]:
    """An organisation this person belongs to in this portal, whatever its state, with their
    membership; 404 otherwise."""
    membership = memberships_of(user, portal).filter(organisation_id=pk).first()
    if membership is None:
        raise Http404
    return membership.organisation, membership


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    """Its members, managers first."""
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by(
        "role", "user__email", "pk"
    )


def organisations_of_territory(territory: Territory, status: str | None = None) -> QuerySet[Organisation]:
    """The organisations this territory registered or moderates (staff lists), requests first."""
    organisations = Organisation.objects.filter(territory=territory)
    if status:
        organisations = organisations.filter(status=status)
    return organisations.order_by("name", "pk")


def access_territory_organisation(territory: Territory, pk: int) -> Organisation:
    """An organisation of this territory (staff pages); another territory's is a 404."""
    try:
        return Organisation.objects.select_related("territory").get(pk=pk, territory=territory)
    except Organisation.DoesNotExist as missing:
        raise Http404 from missing


def search_public_organisations(
    portal: Portal, *, q: str = "", commune: Territory | None = None, kind: str = ""
) -> QuerySet[Organisation]:
    """The portal's active organisations matching a name, a commune they act in and a kind."""
    organisations = public_organisations(portal)
    if q:
        organisations = organisations.filter(name__icontains=q)
    if commune is not None:
        organisations = organisations.filter(communes=commune)
    if kind:
        organisations = organisations.filter(kind=kind)
    return organisations.distinct().order_by("name", "pk")


def public_communes(portal: Portal) -> QuerySet[Territory]:
    """The communes where at least one of the portal's active organisations acts (list filter)."""
    return Territory.objects.filter(
        pk__in=public_organisations(portal).values("communes")
    ).order_by("name", "pk")


def personal_data(user: Any) -> dict[str, Any]:
    """What is kept about a person as a member of associations and businesses, for "download my
    data": their memberships, and the registrations they asked for with the moderator's answer."""
    memberships = (
        Membership.objects.filter(user=user).select_related("organisation").order_by("created_at", "pk")
    )
    requested = Organisation.objects.filter(created_by=user).order_by("created_at", "pk")
    return {
        "memberships": [
            {
                "organisation": membership.organisation.name,
                "kind": membership.organisation.kind,
                "role": membership.role,
                "since": membership.created_at.isoformat(),
            }
            for membership in memberships
        ],
        "registrations_asked": [
            {
                "organisation": organisation.name,
                "status": organisation.status,
                "review_message": organisation.review_message,
                "asked_at": organisation.created_at.isoformat(),
            }
            for organisation in requested
        ],
    }
