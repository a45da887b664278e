"""News and alerts in the API: a territory's articles (paginated, by kind), one article, current alerts.

Every endpoint answers within the portal of the request's host: another portal's article is a 404,
exactly like one that does not exist. An unknown territory or kind answers 400 with a French message.
A territory's articles are those that concern its residents (what it and its ancestors publish for
it), as its news page shows them.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from clocher.news.feed import alert_url, article_url
from clocher.news.models import Alert, Article, ArticleKind, Attachment
from clocher.news.selectors import (
    KIND_SLUGS,
    access_article,
    articles_for,
    current_alerts,
    filter_kind,
    portal_alerts,
    visible_articles,
)
from clocher.territories.selectors import ancestors

from .places import LIST_MAX_LIMIT, OFFSET_MAX, Message, _portal, _territory

router = Router(tags=["Actualités et alertes"])


class PublisherOut(Schema):
    code: str
    name: str
    kind: str = Field(description="commune, epci, departement ou region.")


class ArticleOut(Schema):
    id: int
    kind: str = Field(description="news (actualité), works (travaux), council (conseil municipal), bulletin.")
    kind_label: str
    title: str
    summary: str
    published_at: datetime.datetime
    expires_at: datetime.datetime | None
    publisher: PublisherOut
    organisation: str | None = Field(description="L'association ou l'entreprise qui l'a proposé, s'il y a lieu.")
    url: str = Field(description="La page de l'article sur le portail.")
    image_url: str | None
    image_alt: str


class AttachmentOut(Schema):
    title: str
    url: str
    size: int = Field(description="Taille en octets.")


class WorksOut(Schema):
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    streets: str
    geometry: dict[str, object] | None = Field(
        description="GeoJSON (Point, MultiPoint, LineString ou MultiLineString), WGS 84."
    )


class ArticleDetailOut(ArticleOut):
    body_html: str = Field(description="Le texte en HTML assaini.")
    attachments: list[AttachmentOut]
    works: WorksOut | None = Field(description="Pour les travaux : dates, rues et tracé.")


class ArticlePage(Schema):
    count: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="L'offset de la page suivante, ou null.")
    results: list[ArticleOut]


class AlertOut(Schema):
    id: int
    severity: str = Field(description="info, warning (vigilance) ou danger.")
    severity_label: str
    title: str
    message: str
    link: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    publisher: PublisherOut
    url: str


def _publisher(article: Article | Alert) -> PublisherOut:
    territory = article.territory
    return PublisherOut(code=territory.code, name=territory.name, kind=territory.kind)


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def _article(request: HttpRequest, article: Article) -> dict[str, Any]:
    assert article.published_at is not None  # visible articles are published
    return {
        "id": article.pk,
        "kind": article.kind,
        "kind_label": str(ArticleKind(article.kind).label),
        "title": article.title,
        "summary": article.summary,
        "published_at": article.published_at,
        "expires_at": article.expires_at,
        "publisher": _publisher(article),
        "organisation": article.organisation.name if article.organisation is not None else None,
        "url": _absolute(request, article_url(article)),
        "image_url": _absolute(request, article.image.url) if article.image else None,
        "image_alt": article.image_alt if article.image else "",
    }


def _kind(value: str | None) -> str | None:
    if not value:
        return None
    # The residents' words of the pages and feeds (?type=travaux) are understood too.
    value = KIND_SLUGS.get(value, value)
    if value not in ArticleKind.values:
        raise HttpError(
            400, _("Type inconnu : %(kind)s (news, works, council ou bulletin).") % {"kind": value[:20]}
        )
    return value


@router.get(
    "/news",
    response={200: ArticlePage, 400: Message, 404: Message},
    summary="Les actualités d'un territoire, les plus récentes d'abord",
)
def list_news(
    request: HttpRequest,
    territory: Annotated[
        str | None,
        Query(description="Code INSEE d'une commune ou d'un département, ou SIREN d'un EPCI : ce qui concerne "
                          "ses habitants. Sans territoire : toutes les actualités du portail."),
    ] = None,
    kind: Annotated[
        str | None,
        Query(description="news, works, council ou bulletin (ou actualites, travaux, conseil, bulletins)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> ArticlePage:
    """The published articles of the portal, or those for a territory's residents, newest first."""
    portal = _portal(request)
    found = _territory(portal, territory)
    chosen = _kind(kind)
    qs = articles_for(portal, ancestors(found)) if found is not None else visible_articles(portal)
    qs = filter_kind(qs, chosen)
    total = qs.count()
    articles = list(qs[offset:offset + limit])
    return ArticlePage(
        count=total, limit=limit, offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
        results=[ArticleOut(**_article(request, article)) for article in articles],
    )


@router.get(
    "/news/{article_id}",
    response={200: ArticleDetailOut, 404: Message},
    summary="Une actualité : texte, documents PDF, et pour des travaux leurs dates, rues et tracé",
)
def news_detail(request: HttpRequest, article_id: int) -> ArticleDetailOut:
    """One published article of this portal; another portal's is a 404, like one that does not exist."""
    portal = _portal(request)
    try:
        article = access_article(portal, article_id)
    except Http404:
        raise HttpError(404, _("Actualité introuvable.")) from None
    attachments: list[Attachment] = list(article.attachments.all())
    works = None
    if article.kind == ArticleKind.WORKS:
        works = WorksOut(starts_on=article.works_starts_on, ends_on=article.works_ends_on,
                         streets=article.works_streets, geometry=article.works_geometry)
    return ArticleDetailOut(
        **_article(request, article),
        body_html=article.body_html,
        attachments=[
            AttachmentOut(title=item.title, url=_absolute(request, item.file.url), size=item.size)
            for item in attachments
        ],
        works=works,
    )


@router.get(
    "/alerts",
    response={200: list[AlertOut], 400: Message, 404: Message},
    summary="Les alertes en cours, les plus graves d'abord",
)
def list_alerts(
    request: HttpRequest,
    territory: Annotated[
        str | None,
        Query(description="Code INSEE d'une commune ou d'un département, ou SIREN d'un EPCI : les alertes "
                          "qui concernent ses habitants. Sans territoire : toutes celles du portail."),
    ] = None,
) -> list[AlertOut]:
    """The alerts running now, most severe first (never paginated: there are few)."""
    portal = _portal(request)
    found = _territory(portal, territory)
    alerts = current_alerts(ancestors(found)) if found is not None else portal_alerts(portal)
    return [
        AlertOut(
            id=alert.pk, severity=alert.severity, severity_label=str(alert.get_severity_display()),
            title=alert.title, message=alert.message, link=alert.link,
            starts_at=alert.published_at or alert.created_at, ends_at=alert.expires_at,
            publisher=_publisher(alert), url=_absolute(request, alert_url(alert)),
        )
        for alert in alerts
    ]
