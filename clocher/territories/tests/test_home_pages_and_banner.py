"""The home feed pages through every module's items ("load more"), and alerts stay above it."""

import datetime

import pytest
from django.utils import timezone

from clocher.core.modules import FeedItem, Module, registry
from clocher.territories.home import feed_page

START = timezone.now().replace(microsecond=0)


def _item(n: int, module: str) -> FeedItem:
    return FeedItem(
        title=f"{module} n°{n}", url=f"/{module}/{n}/", published_at=START - datetime.timedelta(hours=n),
        module=module,
    )


def _module(name: str, hours: list[int], queries: list[int]) -> Module:
    """A module whose items were published these many hours ago, honouring the cursor."""

    def feed(territories, limit, before=None):
        queries.append(limit)
        items = [_item(n, name) for n in sorted(hours)]
        if before is not None:
            items = [i for i in items if i.published_at < before]
        return items[:limit]

    return Module(name=name, label=name, icon="x", feed=feed)


@pytest.fixture
def two_modules():
    calls: list[int] = []
    # Interleaved publication times: the pages must merge both modules in time order.
    registry.register(_module("essai-a", [1, 3, 5, 7, 9, 11], calls))
    registry.register(_module("essai-b", [2, 4, 6, 8], calls))
    yield calls
    registry.unregister("essai-a")
    registry.unregister("essai-b")


@pytest.fixture
def alert_module():
    def banner(territories):
        return [
            FeedItem(
                title="Route de Pessan coupée", url="/alerte/1/", published_at=START, module="essai-alert",
                urgent=True, severity="danger", summary="Chute d'arbre.",
            )
        ]

    registry.register(Module(name="essai-alert", label="Alertes", icon="x", banner=banner))
    yield
    registry.unregister("essai-alert")


def _titles(page):
    return [item.title for item in page.items]


def test_pages_follow_each_other_without_gap_or_repeat(gers_portal, auch, two_modules):
    chain = [auch]
    first = feed_page(gers_portal, chain, limit=4)
    assert _titles(first) == ["essai-a n°1", "essai-b n°2", "essai-a n°3", "essai-b n°4"]
    second = feed_page(gers_portal, chain, limit=4, before=first.next_before)
    assert _titles(second) == ["essai-a n°5", "essai-b n°6", "essai-a n°7", "essai-b n°8"]
    third = feed_page(gers_portal, chain, limit=4, before=second.next_before)
    assert _titles(third) == ["essai-a n°9", "essai-a n°11"]
    assert third.next_before is None


def test_each_module_is_asked_for_one_item_more_than_the_page_holds(gers_portal, auch, two_modules):
    feed_page(gers_portal, [auch], limit=4)
    assert two_modules == [5, 5]


def test_load_more_without_javascript_shows_the_next_page(gers_client, auch, two_modules, monkeypatch):
    monkeypatch.setattr("clocher.territories.views.FEED_LIMIT", 4)
    gers_client.cookies["commune"] = auch.code
    html = gers_client.get("/").content.decode()
    assert "essai-b n°4" in html
    assert "Charger plus" in html
    cursor = (START - datetime.timedelta(hours=20)).isoformat()
    response = gers_client.get("/", {"avant": cursor})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Actualités plus anciennes" in page
    assert "essai-a n°1" not in page


def test_load_more_with_htmx_answers_the_next_items_only(gers_client, auch, two_modules):
    gers_client.cookies["commune"] = auch.code
    cursor = (START - datetime.timedelta(hours=4, minutes=30)).isoformat()
    response = gers_client.get("/", {"avant": cursor}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.count("<li") >= 5
    assert "essai-a n°5" in html and "essai-b n°4" not in html


@pytest.mark.parametrize("cursor", ["hier", "2026-13-45T00:00:00+00:00", "2026-11-24T10:00:00"])
def test_a_malformed_cursor_is_a_clear_400(gers_client, auch, cursor):
    response = gers_client.get("/", {"avant": cursor})
    assert response.status_code == 400
    assert "Demande invalide" in response.content.decode()


def test_alerts_show_above_the_feed_on_the_first_page_only(gers_client, auch, two_modules, alert_module):
    gers_client.cookies["commune"] = auch.code
    html = gers_client.get("/").content.decode()
    assert "Route de Pessan coupée" in html
    assert html.index("Route de Pessan coupée") < html.index("essai-a n°1")
    assert "alert--danger" in html
    later = gers_client.get("/", {"avant": START.isoformat()}).content.decode()
    assert "Route de Pessan coupée" not in later


def test_a_module_that_ignores_the_cursor_does_not_repeat_items(gers_portal, auch):
    def stubborn(territories, limit, before=None):
        return [_item(n, "essai-s") for n in range(1, 4)][:limit]

    registry.register(Module(name="essai-s", label="s", icon="x", feed=stubborn))
    try:
        page = feed_page(gers_portal, [auch], limit=5, before=START - datetime.timedelta(hours=1, minutes=30))
    finally:
        registry.unregister("essai-s")
    assert _titles(page) == ["essai-s n°2", "essai-s n°3"]
