"""Proposals of news by associations and businesses: a member of an active organisation proposes an
article (an actualité) to one of the communes it acts in; the commune's moderator or admin accepts
it (it is published, the organisation shows as its author) or refuses it with a message.

A proposal is an Article with status draft, review_status pending and its organisation set: it
never shows to residents before a moderator accepts it. A member makes at most PROPOSALS_PER_DAY
proposals a day (a proposal costs them nothing and a moderator's time).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.organisations.models import Organisation, ReviewStatus
from clocher.organisations.selectors import communes_of, organisations_of
from clocher.territories.content import Status
from clocher.territories.images import ProcessedImage
from clocher.territories.models import Portal, Role, Territory
from clocher.territories.selectors import is_in_portal, roles_of, territories_of_portal
from clocher.territories.services import record_audit

from .models import Article, ArticleKind
from .services import NewsRejected, clean_article_data, schedule_article_announcement

PROPOSALS_PER_DAY = 10
MODERATION_ROLES = (Role.ADMIN, Role.MODERATOR)
PROPOSED_FIELDS = ("title", "summary", "body", "image_alt")


class ProposalRefused(NewsRejected):
    """A proposal or a decision the rules refuse; str(exc) is a French sentence, `field` the field."""


# Reads

def proposals_of(user: Any, portal: Portal) -> QuerySet[Article]:
    """The articles this person proposed in this portal, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Article.objects.none()
    return (
        Article.objects.filter(author=user, organisation__isnull=False)
        .exclude(review_status=ReviewStatus.NONE)
        .filter(territory__in=territories_of_portal(portal).values("pk"))
        .select_related("territory", "organisation").defer("territory__boundary")
        .order_by("-created_at", "-pk")
    )


def personal_data(user: Any) -> dict[str, Any]:
    """What the news keeps about a person, for "download my data": the articles they wrote or
    proposed (staff articles carry their author too), with the moderator's answer."""
    rows = (
        Article.objects.filter(author=user).select_related("territory", "organisation")
        .defer("territory__boundary").order_by("created_at", "pk")
    )
    return {
        "articles": [
            {
                "title": article.title,
                "territory": article.territory.name,
                "organisation": article.organisation.name if article.organisation is not None else None,
                "status": article.status,
                "review_status": article.review_status,
                "review_message": article.review_message,
                "created_at": article.created_at.isoformat(),
            }
            for article in rows
        ]
    }


def pending_proposals(territory: Territory) -> QuerySet[Article]:
    """What waits for the moderators of this commune, oldest first."""
    return (
        Article.objects.filter(territory=territory, review_status=ReviewStatus.PENDING)
        .select_related("organisation", "author").order_by("created_at", "pk")
    )


def decided_proposals(territory: Territory, count: int = 20) -> QuerySet[Article]:
    return (
        Article.objects.filter(
            territory=territory, review_status__in=(ReviewStatus.ACCEPTED, ReviewStatus.REFUSED)
        )
        .select_related("organisation").order_by("-reviewed_at", "-pk")[:count]
    )


def proposal_choices(user: Any, portal: Portal) -> list[tuple[Organisation, list[Territory]]]:
    """The organisations this person may propose for, each with the communes it acts in."""
    choices = []
    in_portal = territories_of_portal(portal)
    for organisation in organisations_of(user, portal):
        communes = list(communes_of(organisation).filter(pk__in=in_portal.values("pk")))
        if communes:
            choices.append((organisation, communes))
    return choices


def proposals_left_today(user: Any) -> int:
    return max(0, PROPOSALS_PER_DAY - int(cache.get(_rate_key(user), 0)))


def _rate_key(user: Any) -> str:
    return f"clocher:news-proposals:{user.pk}:{timezone.now():%Y%m%d}"


# Writes

@transaction.atomic
def propose_article(
    user: Any,
    portal: Portal,
    organisation: Organisation,
    commune: Territory,
    data: Mapping[str, Any],
    *,
    image: ProcessedImage | None = None,
) -> Article:
    """Records a proposed actualité of `organisation` for `commune`, waiting for its moderators.

    Refuses: someone who is not a member of this active organisation in this portal, a commune
    where the organisation does not act, fields other than title, summary, body and image_alt,
    invalid data (the news rules), an image without its text alternative, and more than
    PROPOSALS_PER_DAY proposals a day.
    """
    if not organisations_of(user, portal).filter(pk=organisation.pk).exists():
        raise ProposalRefused(_("Vous ne pouvez pas proposer d'actualité au nom de cette organisation."))
    if not is_in_portal(portal, commune) or not communes_of(organisation).filter(pk=commune.pk).exists():
        raise ProposalRefused(
            _("%(organisation)s n'agit pas à %(commune)s.") % {"organisation": organisation.name, "commune": commune.name},
            "commune",
        )
    unknown = set(data) - set(PROPOSED_FIELDS)
    if unknown:
        raise ProposalRefused(_("Champs inconnus : %(names)s.") % {"names": ", ".join(sorted(unknown))})
    try:
        cleaned = clean_article_data(data)
    except NewsRejected as exc:
        raise ProposalRefused(exc.message, exc.field) from exc
    if image is not None and not cleaned.get("image_alt"):
        raise ProposalRefused(_("Décrivez l'image en quelques mots."), "image_alt")
    if proposals_left_today(user) <= 0:
        raise ProposalRefused(
            _("Vous avez fait %(count)d propositions aujourd'hui : réessayez demain.") % {"count": PROPOSALS_PER_DAY}
        )
    article = Article.objects.create(
        territory=commune, organisation=organisation, author=user, kind=ArticleKind.NEWS,
        status=Status.DRAFT, review_status=ReviewStatus.PENDING, **cleaned,
    )
    if image is not None:
        article.image.save(f"image.{image.extension}", image.as_file(), save=False)
        article.save(update_fields=["image"])
    key = _rate_key(user)
    cache.add(key, 0, timeout=86400)
    try:
        cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=86400)
    return article


def _check_moderator(actor: Any, article: Article) -> None:
    if not roles_of(actor, article.territory) & set(MODERATION_ROLES):
        raise ProposalRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _pending(article: Article) -> Article:
    # Locks the article alone (PostgreSQL refuses FOR UPDATE across the nullable organisation's
    # outer join) so two moderators deciding at once make one decision.
    locked = (
        Article.objects.select_for_update(of=("self",))
        .select_related("territory", "organisation").get(pk=article.pk)
    )
    if locked.review_status != ReviewStatus.PENDING:
        raise ProposalRefused(_("Cette proposition a déjà été traitée."))
    return locked


@transaction.atomic
def accept_article_proposal(actor: Any, article: Article, message: str = "") -> Article:
    """Accepts a pending proposal and publishes it now, the organisation showing as its author.

    Refuses an actor who is not moderator or admin of the commune, and a proposal already decided
    (a second decision). Writes an AuditEntry on the commune; announces the article after the commit.
    """
    _check_moderator(actor, article)
    article = _pending(article)
    now = timezone.now()
    article.review_status = ReviewStatus.ACCEPTED
    article.review_message = message.strip()[:2000]
    article.reviewed_by = actor
    article.reviewed_at = now
    article.status = Status.PUBLISHED
    article.published_at = now
    article.save(update_fields=["review_status", "review_message", "reviewed_by", "reviewed_at", "status",
                                "published_at", "updated_at"])
    record_audit(article.territory, actor, "news.proposal.accept",
                 _("Actualité proposée acceptée : %(title)s") % {"title": article.title},
                 {"article": article.pk, "organisation": article.organisation_id})
    schedule_article_announcement(article)
    return article


@transaction.atomic
def refuse_article_proposal(actor: Any, article: Article, message: str) -> Article:
    """Refuses a pending proposal with a message the proposer reads on their proposals page.

    Refuses an actor who is not moderator or admin of the commune, an empty message and a proposal
    already decided. Writes an AuditEntry on the commune.
    """
    _check_moderator(actor, article)
    message = (message or "").strip()[:2000]
    if not message:
        raise ProposalRefused(_("Écrivez au proposant pourquoi la proposition est refusée."), "message")
    article = _pending(article)
    article.review_status = ReviewStatus.REFUSED
    article.review_message = message
    article.reviewed_by = actor
    article.reviewed_at = timezone.now()
    article.save(update_fields=["review_status", "review_message", "reviewed_by", "reviewed_at", "updated_at"])
    record_audit(article.territory, actor, "news.proposal.refuse",
                 _("Actualité proposée refusée : %(title)s") % {"title": article.title},
                 {"article": article.pk, "organisation": article.organisation_id})
    return article
