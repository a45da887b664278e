"""The home page's feed costs the same number of queries with one item as with thirty.

Lives outside the apps: it fills the feed of every module (directory, news, agenda) at once, which
no single app may import.
"""

import datetime

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clocher.agenda.tests.factories import make_event
from clocher.news.models import Alert, Article
from clocher.territories.content import Status

NOW = timezone.now()


def _fill(auch, count: int, start: int = 0) -> None:
    now = NOW
    for n in range(start, start + count):
        Article.objects.create(
            territory=auch, title=f"Nouvelle {n}", status=Status.PUBLISHED,
            published_at=now - datetime.timedelta(hours=n + 1),
        )
        make_event(
            auch, f"Fête {n}", now + datetime.timedelta(days=n + 1),
            published_at=now - datetime.timedelta(hours=n + 1, minutes=30),
        )
        Alert.objects.create(
            territory=auch, title=f"Alerte {n}", status=Status.PUBLISHED,
            published_at=now - datetime.timedelta(minutes=n + 1), expires_at=now + datetime.timedelta(days=1),
        )


def _queries_of_home(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_home_feed_query_count_does_not_grow_with_its_items(gers_client, auch):
    gers_client.cookies["commune"] = auch.code
    _fill(auch, 1, start=0)
    gers_client.get("/")  # the portal is then known to this process, as on a running server
    cache.clear()
    few, html = _queries_of_home(gers_client)
    assert "Nouvelle 0" in html and "Fête 0" in html and "Alerte 0" in html
    _fill(auch, 29, start=1)
    cache.clear()  # anonymous home pages are kept 15 s
    many, html = _queries_of_home(gers_client)
    assert "Nouvelle 8" in html and "Fête 8" in html and "Alerte 20" in html
    assert many == few
    # The commune, its settings and collectivity, then each module's few queries (polls: one).
    assert many <= 10


def test_the_home_shows_alerts_first_then_news_and_coming_events(gers_client, auch):
    _fill(auch, 3)
    gers_client.cookies["commune"] = auch.code
    html = gers_client.get("/").content.decode()
    assert html.index("Alerte 0") < html.index("Nouvelle 0")
    assert html.index("Nouvelle 0") < html.index("Fête 0")
