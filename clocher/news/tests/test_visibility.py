"""Who sees which article: the portal, the resident's commune and its ancestors, the audience, and
territories that turned the news off."""

from __future__ import annotations

import pytest
from django.http import Http404

from clocher.news import services
from clocher.news.selectors import access_article, articles_for, visible_articles
from clocher.territories.models import ModuleSetting
from clocher.territories.selectors import ancestors

from .conftest import publish

pytestmark = pytest.mark.django_db


def test_a_resident_sees_what_the_commune_and_its_ancestors_publish_not_a_sibling(
    bob, dora, auch, marciac, gers, gers_portal
):
    from conftest import grant, make_user

    marc = make_user("marc@example.org")
    grant(marc, marciac, "editor")
    own = publish(bob, auch, "Auch")
    departement = publish(dora, gers, "Gers")
    sibling = publish(marc, marciac, "Marciac")
    assert set(articles_for(gers_portal, ancestors(auch))) == {own, departement}
    assert set(articles_for(gers_portal, ancestors(marciac))) == {sibling, departement}


def test_an_audience_narrows_who_sees_it(dora, gers, auch, marciac, gers_portal):
    for_marciac = publish(dora, gers, "Pour Marciac", audience=[marciac])
    assert list(articles_for(gers_portal, ancestors(auch))) == []
    assert list(articles_for(gers_portal, ancestors(marciac))) == [for_marciac]


def test_drafts_and_another_portals_articles_are_404(bob, charlie, auch, alencon, gers_portal, orne_portal):
    draft = services.create_article(bob, auch, {"title": "Brouillon"})
    with pytest.raises(Http404):
        access_article(gers_portal, draft.pk)
    theirs = publish(charlie, alencon, "Alençon")
    with pytest.raises(Http404):
        access_article(gers_portal, theirs.pk)
    assert access_article(orne_portal, theirs.pk) == theirs


def test_a_territory_that_turned_the_news_off_publishes_nothing(bob, auch, gers_portal):
    article = publish(bob, auch)
    ModuleSetting.objects.create(territory=auch, module="news", enabled=False)
    assert not visible_articles(gers_portal).exists()
    with pytest.raises(Http404):
        access_article(gers_portal, article.pk)


def test_a_portal_without_news_in_its_defaults_shows_only_who_turned_it_on(bob, auch, gers_portal):
    publish(bob, auch)
    gers_portal.default_modules = ["directory"]
    gers_portal.save()
    assert not visible_articles(gers_portal).exists()
    ModuleSetting.objects.create(territory=auch, module="news", enabled=True)
    assert visible_articles(gers_portal).exists()
