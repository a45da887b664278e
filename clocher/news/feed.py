"""The news's part of the home: the newest articles for the resident's territories (a FeedFunction)
and the current alerts as a banner above the feed (a BannerFunction). See clocher.core.modules.

Each runs one query whatever the number of items: the publishing territory comes joined, and the
image URL is built from the stored name without touching the storage.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from clocher.core.modules import FeedItem
from clocher.territories.content import visible_now

from .models import Alert, Article, ArticleKind, Severity
from .selectors import current_alerts, for_territories, news_on

SUMMARY_LENGTH = 200


def article_url(article: Article) -> str:
    return reverse("news:article", kwargs={"pk": article.pk, "slug": slugify(article.title)[:60] or "actualite"})


def alert_url(alert: Alert) -> str:
    return reverse("news:alert", kwargs={"pk": alert.pk})


def _summary(article: Article) -> str:
    if article.summary:
        return article.summary
    body = " ".join(article.body.split())
    return body if len(body) <= SUMMARY_LENGTH else body[: SUMMARY_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def news_feed(territories: Sequence[Any], limit: int, before: datetime.datetime | None) -> list[FeedItem]:
    """At most `limit` articles for these territories published strictly before `before`, newest first."""
    if not territories or limit <= 0:
        return []
    now = timezone.now()
    qs = for_territories(news_on(visible_now(Article.objects.all(), now)), territories).filter(
        published_at__isnull=False
    )
    if before is not None:
        qs = qs.filter(published_at__lt=before)
    articles = (
        qs.select_related("territory", "organisation")
        .only(
            "pk", "title", "summary", "body", "kind", "image", "image_alt", "published_at",
            "territory__name", "organisation__name",
        )
        .order_by("-published_at", "-pk")[:limit]
    )
    items: list[FeedItem] = []
    for article in articles:
        assert article.published_at is not None  # filtered above
        publisher = article.organisation.name if article.organisation is not None else article.territory.name
        items.append(
            FeedItem(
                title=article.title,
                url=article_url(article),
                published_at=article.published_at,
                module="news",
                territory_name=publisher,
                summary=_summary(article),
                kind=str(ArticleKind(article.kind).label),
                image_url=article.image.url if article.image else "",
                image_alt=article.image_alt if article.image else "",
            )
        )
    return items


def alert_banner(territories: Sequence[Any]) -> list[FeedItem]:
    """The alerts running now for these territories, most severe first, each urgent."""
    if not territories:
        return []
    items: list[FeedItem] = []
    for alert in current_alerts(territories):
        items.append(
            FeedItem(
                title=alert.title,
                url=alert_url(alert),
                published_at=alert.published_at or alert.created_at,
                module="news",
                territory_name=alert.territory.name,
                summary=alert.message[:SUMMARY_LENGTH],
                urgent=True,
                kind=str(Severity(alert.severity).label),
                severity=alert.severity,
            )
        )
    return items
