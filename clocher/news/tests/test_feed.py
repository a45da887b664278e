"""The news on the home: articles newest first with a keyset cursor, alerts as an urgent banner, in
a number of queries that does not grow with the number of items."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from clocher.core.modules import registry
from clocher.news.feed import alert_banner, news_feed
from clocher.territories.selectors import ancestors

from .conftest import alert, publish

pytestmark = pytest.mark.django_db


def _publish_many(actor, territory, count):
    start = timezone.now() - datetime.timedelta(days=count)
    for index in range(count):
        with time_machine.travel(start + datetime.timedelta(hours=index), tick=False):
            publish(actor, territory, f"Article {index}", summary=f"Résumé {index}")


def test_the_module_registers_its_feed_banner_and_pages():
    module = registry.get("news")
    assert module is not None
    assert module.feed is news_feed and module.banner is alert_banner
    assert module.resident_url_name == "news:home" and module.staff_url_name == "backoffice:news"


def test_the_feed_is_newest_first_and_pages_strictly_before_the_cursor(bob, auch):
    _publish_many(bob, auch, 5)
    first = news_feed(ancestors(auch), 2, None)
    assert [item.title for item in first] == ["Article 4", "Article 3"]
    second = news_feed(ancestors(auch), 2, first[-1].published_at)
    assert [item.title for item in second] == ["Article 2", "Article 1"]
    item = first[0]
    assert item.module == "news" and item.kind == "Actualité" and item.summary == "Résumé 4"
    assert item.url.startswith(f"/actualites/{item.url.split('/')[2]}/article-4")
    assert item.territory_name == "Auch" and not item.urgent


def test_the_feed_summary_falls_back_on_the_body(bob, auch):
    publish(bob, auch, "Sans résumé", body="Un texte " * 60)
    [item] = news_feed(ancestors(auch), 5, None)
    assert item.summary.endswith("…") and len(item.summary) <= 200


def test_the_feed_costs_one_query_for_one_item_or_thirty(bob, auch, django_assert_max_num_queries):
    _publish_many(bob, auch, 1)
    territories = ancestors(auch)
    with django_assert_max_num_queries(1):
        assert len(news_feed(territories, 30, None)) == 1
    _publish_many(bob, auch, 29)
    with django_assert_max_num_queries(1):
        assert len(news_feed(territories, 30, None)) == 30


def test_the_banner_holds_current_alerts_most_severe_first(dora, gers, auch, django_assert_max_num_queries):
    alert(dora, gers, "Vigilance orages", severity="warning")
    alert(dora, gers, "Crue du Gers", severity="danger", message="Évacuez les berges.")
    territories = ancestors(auch)
    with django_assert_max_num_queries(1):
        banner = alert_banner(territories)
    assert [item.title for item in banner] == ["Crue du Gers", "Vigilance orages"]
    assert all(item.urgent for item in banner)
    assert banner[0].severity == "danger" and banner[0].summary == "Évacuez les berges."
    for index in range(28):
        alert(dora, gers, f"Alerte {index}")
    with django_assert_max_num_queries(1):
        assert len(alert_banner(territories)) == 30


def test_an_ended_alert_leaves_the_banner(bob, auch):
    from clocher.news.services import end_alert

    raised = alert(bob, auch)
    end_alert(bob, raised)
    assert alert_banner(ancestors(auch)) == []
