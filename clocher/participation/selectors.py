"""Reads that encode who staff may see for verifications: residents of the communes under them."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from clocher.accounts.models import User
from clocher.territories.models import Territory
from clocher.territories.selectors import communes_within

from .models import Participation, ResidenceCodeBatch, Verification

SEARCH_LIMIT = 20


def batches_of(territory: Territory) -> QuerySet[ResidenceCodeBatch]:
    """The batches made for the communes of `territory`, newest first, with how many codes were used."""
    return (
        ResidenceCodeBatch.objects.filter(commune__in=communes_within(territory))
        .select_related("commune", "created_by")
        .annotate(used=Count("codes", filter=Q(codes__used_at__isnull=False)))
    )


def access_batch(territory: Territory, batch_id: int) -> ResidenceCodeBatch:
    """A batch of a commune under `territory`, or 404 (another territory's batch too)."""
    batch = batches_of(territory).filter(pk=batch_id).first()
    if batch is None:
        raise Http404(_("Lot introuvable."))
    return batch


def search_residents(territory: Territory, query: str) -> list[User]:
    """People whose home commune is under `territory` and whose e-mail address or displayed name
    is the one staff typed, case aside. Exact, not partial: the counter is not a
    directory of the commune's residents."""
    query = query.strip()
    if not query:
        return []
    candidates = User.objects.filter(home_commune__in=communes_within(territory), is_active=True)
    if "@" in query:
        found = candidates.filter(Q(email__iexact=query) | Q(emailaddress__email__iexact=query))
        return list(found.select_related("home_commune").distinct().order_by("email")[:SEARCH_LIMIT])
    found = candidates.filter(display_name__iexact=" ".join(query.split()))
    return list(found.select_related("home_commune").order_by("display_name", "email")[:SEARCH_LIMIT])


def access_resident(territory: Territory, user_id: int) -> User:
    """A person whose home commune is under `territory`, or 404 like one who does not exist."""
    user = (
        User.objects.filter(pk=user_id, home_commune__in=communes_within(territory), is_active=True)
        .select_related("home_commune").first()
    )
    if user is None:
        raise Http404(_("Personne introuvable."))
    return user


def verifications_of(user: Any) -> QuerySet[Verification]:
    return Verification.objects.filter(user=user).select_related("commune").order_by("commune__name", "level")


def _process_of(participation: Participation, titles: dict[tuple[int, int], str]) -> dict[str, Any]:
    return {
        "kind": participation.content_type.model,
        "title": titles.get((participation.content_type_id, participation.object_id), ""),
        "at": participation.created_at.isoformat(),
    }


def personal_data(user: Any) -> dict[str, Any]:
    """What participation keeps about a person, for "download my data": their residence
    verifications (how and when, and who verified them at the counter); which polls, consultations
    and budgets they took part in, and when (never what they chose: ballots are nobody's); their
    consultation drafts and signed responses; the projects they proposed, their comments and the
    projects they support."""
    from .budgets import Project, ProjectComment, ProjectSupport
    from .consultation_selectors import personal_data as consultation_data

    participations = list(Participation.objects.filter(user=user).select_related("content_type").order_by("pk"))
    titles: dict[tuple[int, int], str] = {}
    by_type: dict[int, list[int]] = {}
    for participation in participations:
        by_type.setdefault(participation.content_type_id, []).append(participation.object_id)
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is not None:
            for pk, title in model._default_manager.filter(pk__in=ids).values_list("pk", "title"):
                titles[(type_id, pk)] = title
    return {
        "residence_verifications": [
            {
                "commune": {"code": v.commune.code, "name": v.commune.name},
                "level": v.level,
                "verified_by": v.verified_by_label,
                "created_at": v.created_at.isoformat(),
            }
            for v in verifications_of(user)
        ],
        "took_part_in": [_process_of(p, titles) for p in participations],
        **consultation_data(user),
        "budget_projects": [
            {
                "budget": project.budget.title, "title": project.title, "description": project.description,
                "estimated_cost": project.estimated_cost, "address": project.address, "status": project.status,
                "created_at": project.created_at.isoformat(),
            }
            for project in Project.objects.filter(author=user).select_related("budget").order_by("pk")
        ],
        "budget_comments": [
            {"project": comment.project.title, "text": comment.text, "created_at": comment.created_at.isoformat()}
            for comment in ProjectComment.objects.filter(author=user).select_related("project").order_by("pk")
        ],
        "budget_supports": [
            {"project": support.project.title, "created_at": support.created_at.isoformat()}
            for support in ProjectSupport.objects.filter(user=user).select_related("project").order_by("pk")
        ],
    }
