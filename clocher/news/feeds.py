"""RSS 2.0 and Atom feeds of a territory's news (/actualites/<code>.rss, .atom, optional ?type=travaux).

The code is a commune's INSEE code, an EPCI's SIREN, or a département's code; a commune's feed is
what concerns its residents (what it, its EPCI and its département publish for it), as its news
page shows. A territory of another portal, or a commune with the news off, is a 404.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.translation import gettext as _

from clocher.territories.models import Portal, Territory, TerritoryKind
from clocher.territories.selectors import access_territory_by_code, ancestors, is_module_enabled

from .feed import article_url
from .models import Article, ArticleKind
from .selectors import KIND_SLUGS, MODULE, articles_for, filter_kind

FEED_ITEMS = 30


class TerritoryNewsRss(Feed):  # type: ignore[type-arg]  # django-stubs: Feed[Item, Obj]
    feed_type: type[SyndicationFeed] = Rss201rev2Feed

    def get_object(self, request: HttpRequest, territory_code: str) -> tuple[Territory, str | None, Portal]:
        portal: Portal = request.portal  # type: ignore[attr-defined]
        territory = access_territory_by_code(portal, territory_code)
        if territory.kind == TerritoryKind.COMMUNE and not is_module_enabled(portal, territory, MODULE):
            raise Http404(_("Ce service n'est pas proposé dans cette commune."))
        slug = request.GET.get("type", "")
        kind = KIND_SLUGS.get(slug) or (slug if slug in ArticleKind.values else None)
        if slug and kind is None:
            raise Http404(_("Type d'actualité inconnu."))
        return territory, kind, portal

    def title(self, obj: tuple[Territory, str | None, Portal]) -> str:
        territory, kind, _portal = obj
        if kind:
            return _("%(kind)s · %(name)s") % {"kind": ArticleKind(kind).label, "name": territory.name}
        return _("Actualités · %(name)s") % {"name": territory.name}

    def link(self, obj: tuple[Territory, str | None, Portal]) -> str:
        territory = obj[0]
        if territory.kind == TerritoryKind.COMMUNE:
            return reverse("news:home", kwargs={"code": territory.code})
        return "/"

    def description(self, obj: tuple[Territory, str | None, Portal]) -> str:
        return _("Ce que publient %(name)s et les collectivités dont elle fait partie.") % {"name": obj[0].name}

    def items(self, obj: tuple[Territory, str | None, Portal]) -> list[Article]:
        territory, kind, portal = obj
        return list(filter_kind(articles_for(portal, ancestors(territory)), kind)[:FEED_ITEMS])

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        # Sanitised when stored (render_description); feed readers show it as HTML.
        return item.body_html or item.summary

    def item_link(self, item: Article) -> str:
        return article_url(item)

    def item_pubdate(self, item: Article) -> datetime.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Article) -> datetime.datetime | None:
        return item.updated_at

    def item_author_name(self, item: Article) -> str:
        return item.organisation.name if item.organisation is not None else item.territory.name

    def item_categories(self, item: Article) -> list[Any]:
        return [str(ArticleKind(item.kind).label)]


class TerritoryNewsAtom(TerritoryNewsRss):
    feed_type = Atom1Feed

    def subtitle(self, obj: tuple[Territory, str | None, Portal]) -> str:
        return self.description(obj)
