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
