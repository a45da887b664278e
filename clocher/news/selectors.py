"""Reads of news that encode visibility: what a portal shows, what concerns a resident, current alerts.

An article or an alert belongs to a portal through its publishing territory. It concerns a resident
of a commune when its audience names the commune or one of its ancestors, or, with no audience,
when the commune or one of its ancestors published it ("the publisher and everything part of it").
`access_*` answer 404 alike for what does not exist, is not visible, or is another portal's.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.territories.content import Status, visible_now
from clocher.territories.models import ModuleSetting, Portal, Territory
from clocher.territories.selectors import territories_of_portal

from .models import Alert, Article, ArticleKind, Severity

MODULE = "news"
# Residents' words for the kinds, used in addresses (?type=travaux) and filters.
KIND_SLUGS = {
    "actualites": ArticleKind.NEWS,
    "travaux": ArticleKind.WORKS,
    "conseil": ArticleKind.COUNCIL,
    "bulletins": ArticleKind.BULLETIN,
}
SLUG_OF_KIND = {kind: slug for slug, kind in KIND_SLUGS.items()}
SEVERITY_RANK = {Severity.DANGER: 0, Severity.WARNING: 1, Severity.INFO: 2}

Content = TypeVar("Content", Article, Alert)


def news_on(qs: QuerySet[Content], portal: Portal | None = None) -> QuerySet[Content]:
    """Leaves out what territories that turned the news off publish (one subquery, no extra query).

    A territory's own ModuleSetting wins; otherwise, when a portal is given, its defaults, as
    enabled_modules reads them. Without a portal (the home feed), only explicit "off" rows count:
    the home asks this module only for residents whose commune has it on.
    """
    rows = ModuleSetting.objects.filter(module=MODULE)
    if portal is not None and portal.default_modules and MODULE not in portal.default_modules:
        return qs.filter(territory__in=rows.filter(enabled=True).values("territory"))
    return qs.exclude(territory__in=rows.filter(enabled=False).values("territory"))


def for_territories(qs: QuerySet[Content], territories: Sequence[Territory]) -> QuerySet[Content]:
    """What concerns people living in these territories (a commune and its ancestors, usually).

    With an audience: it names one of them. Without: one of them published it.
    """
    ids = [territory.pk for territory in territories]
    through: Any = qs.model.audience.through
    any_audience = through.objects.filter(**{f"{qs.model._meta.model_name}_id": OuterRef("pk")})
    addressed = any_audience.filter(territory_id__in=ids)
    return qs.filter(Q(Exists(addressed)) | (~Exists(any_audience) & Q(territory_id__in=ids)))


def in_portal(qs: QuerySet[Content], portal: Portal) -> QuerySet[Content]:
    return qs.filter(territory__in=territories_of_portal(portal).values("pk"))


def visible_articles(portal: Portal, now: datetime.datetime | None = None) -> QuerySet[Article]:
    """Published (or due), unexpired articles of the portal's territories that have the news on."""
    qs = news_on(visible_now(in_portal(Article.objects.all(), portal), now), portal)
    return qs.select_related("territory", "organisation").defer("territory__boundary").order_by(
        "-published_at", "-pk"
    )


def articles_for(portal: Portal, territories: Sequence[Territory]) -> QuerySet[Article]:
    """The portal's visible articles that concern people living in `territories`."""
    return for_territories(visible_articles(portal), territories)


def filter_kind(qs: QuerySet[Article], kind: str | None) -> QuerySet[Article]:
    return qs.filter(kind=kind) if kind else qs


def access_article(portal: Portal, pk: int) -> Article:
    """The article if this portal shows it now, else 404 (another portal's article is a 404 too)."""
    article = visible_articles(portal).filter(pk=pk).first()
    if article is None:
        raise Http404(_("Actualité introuvable."))
    return article


def _by_severity(qs: QuerySet[Alert]) -> QuerySet[Alert]:
    rank = Case(
        *(When(severity=severity, then=Value(order)) for severity, order in SEVERITY_RANK.items()),
        default=Value(9), output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", "-published_at", "-pk")


def current_alerts(territories: Sequence[Territory], now: datetime.datetime | None = None) -> QuerySet[Alert]:
    """The alerts running now for people living in these territories, most severe first."""
    qs = for_territories(news_on(visible_now(Alert.objects.all(), now or timezone.now())), territories)
    return _by_severity(qs.select_related("territory").defer("territory__boundary"))


def portal_alerts(portal: Portal) -> QuerySet[Alert]:
    """Every alert running now in the portal, most severe first."""
    return _by_severity(
        news_on(visible_now(in_portal(Alert.objects.all(), portal)), portal)
        .select_related("territory").defer("territory__boundary")
    )


def access_alert(portal: Portal, pk: int) -> Alert:
    """An alert of this portal that has started, even if over (its page says so), else 404.

    Drafts, archived alerts, alerts not yet started and another portal's are a 404.
    """
    now = timezone.now()
    alert = (
        news_on(in_portal(Alert.objects.all(), portal), portal)
        .filter(Q(status=Status.PUBLISHED) | Q(status=Status.SCHEDULED, published_at__lte=now))
        .select_related("territory").filter(pk=pk).first()
    )
    if alert is None:
        raise Http404(_("Alerte introuvable."))
    return alert


def alert_is_current(alert: Alert, now: datetime.datetime | None = None) -> bool:
    moment = now or timezone.now()
    started = alert.published_at is None or alert.published_at <= moment
    return started and (alert.expires_at is None or alert.expires_at > moment)
