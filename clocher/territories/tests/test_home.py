import datetime

import pytest
from django.utils import timezone

from clocher.core.modules import FeedItem, Module, registry
from clocher.territories.home import feed_for
from clocher.territories.models import Collectivity


def _at(days_ago: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days_ago)


@pytest.fixture
def news_module():
    """A module whose feed repeats back which territories it was asked about."""
    calls = []

    def feed(territories, limit, before=None):
        calls.append([t.code for t in territories])
        return [
            FeedItem(title=f"Nouvelle de {t.name}", url=f"/n/{t.code}/", published_at=_at(i),
                     module="essai-news", territory_name=t.name)
            for i, t in enumerate(territories)
        ][:limit]

    registry.register(Module(name="essai-news", label="Essai", icon="news", feed=feed))
    yield calls
    registry.unregister("essai-news")


def test_a_visitor_without_a_commune_sees_the_portal_root_and_an_invitation(gers_client):
    response = gers_client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html and "Gers" in html
    assert "Choisir ma commune" in html


def test_the_commune_cookie_chooses_the_commune_shown(gers_client, auch, gers_portal):
    Collectivity.objects.filter(territory=auch).update(
        email="mairie@auch.fr", website="https://www.auch.fr/", address="Place de la Libération",
        opening_hours="Lundi au vendredi 8 h 30 – 17 h 30",
    )
    gers_client.cookies["commune"] = auch.code
    html = gers_client.get("/").content.decode()
    assert "Auch" in html
    assert "22\xa0428 habitants" in html
    assert "CA Grand Auch Cœur de Gascogne" in html
    assert 'href="tel:+33562612100"' in html
    assert "mailto:mairie@auch.fr" in html
    assert "Place de la Libération" in html
    assert "Lundi au vendredi" in html


def test_a_cookie_for_another_portals_commune_is_ignored(gers_client, alencon):
    gers_client.cookies["commune"] = alencon.code
    html = gers_client.get("/").content.decode()
    assert "Alençon" not in html
    assert "Choisir ma commune" in html


def test_a_signed_in_residents_home_commune_wins_over_the_cookie(gers_client, resident, marciac):
    gers_client.force_login(resident)
    gers_client.cookies["commune"] = marciac.code
    html = gers_client.get("/").content.decode()
    assert '<h1 id="card-title">Auch</h1>' in html


def test_it_says_plainly_when_no_module_publishes_anything(gers_client, auch, monkeypatch):
    monkeypatch.setattr(registry, "_modules", {})
    gers_client.cookies["commune"] = auch.code
    html = gers_client.get("/").content.decode()
    assert "Aucun service ne publie encore" in html


def test_it_says_plainly_when_the_modules_have_nothing_new(gers_client, auch):
    gers_client.cookies["commune"] = auch.code
    html = gers_client.get("/").content.decode()
    assert "Rien de nouveau pour l'instant" in html


def test_the_feed_merges_the_modules_items_for_the_commune_and_its_ancestors(
    gers_client, auch, news_module
):
    gers_client.cookies["commune"] = auch.code
    html = gers_client.get("/").content.decode()
    assert news_module[-1] == ["32013", "200066926", "32", "76"]
    assert html.index("Nouvelle de Auch") < html.index("Nouvelle de Gers")


def test_a_residents_feed_includes_the_communes_they_follow(gers_client, resident, marciac, news_module):
    resident.followed_communes.add(marciac)
    gers_client.force_login(resident)
    gers_client.get("/")
    assert news_module[-1] == ["32013", "200066926", "32", "76", "32233", "200034460"]


def test_urgent_items_come_first_then_the_newest(gers_portal, auch):
    def feed(territories, limit, before=None):
        return [
            FeedItem(title="vieux", url="/a/", published_at=_at(5), module="a"),
            FeedItem(title="neuf", url="/b/", published_at=_at(1), module="a"),
            FeedItem(title="alerte", url="/c/", published_at=_at(9), module="a", urgent=True),
        ]

    module = Module(name="essai-order", label="Ordre", icon="x", feed=feed)
    items = feed_for(gers_portal, [auch], limit=10, modules=[module])
    assert [item.title for item in items] == ["alerte", "neuf", "vieux"]
    assert [item.title for item in feed_for(gers_portal, [auch], limit=2, modules=[module])] == [
        "alerte", "neuf",
    ]


def test_a_failing_module_does_not_break_the_home_page(gers_client, auch, news_module):
    def broken(territories, limit, before=None):
        raise RuntimeError("boom")

    registry.register(Module(name="essai-broken", label="Cassé", icon="x", feed=broken))
    try:
        gers_client.cookies["commune"] = auch.code
        response = gers_client.get("/")
    finally:
        registry.unregister("essai-broken")
    assert response.status_code == 200
    assert "Nouvelle de Auch" in response.content.decode()


def test_the_home_page_keeps_its_queries_few(gers_client, resident, marciac, news_module,
                                             django_assert_max_num_queries):
    resident.followed_communes.add(marciac)
    gers_client.force_login(resident)
    gers_client.get("/")
    # The visitor's ten below, plus the session, the user, the followed communes and the count of
    # unread notifications in the header.
    with django_assert_max_num_queries(14):
        response = gers_client.get("/")
    assert response.status_code == 200


def test_the_home_page_of_a_visitor_takes_very_few_queries(gers_client, auch, django_assert_max_num_queries):
    gers_client.cookies["commune"] = auch.code
    # The portal, the commune, its module settings, then each module's few queries: the
    # directory's "near you" (two), the news, the agenda's items (two), participation (polls,
    # consultations and budgets in one query), the alerts' banner. Bounded, whatever the number of items (tests/integration/test_home_feed_queries.py).
    with django_assert_max_num_queries(10):
        gers_client.get("/")


def test_the_home_page_and_what_it_loads_weigh_under_60_kb_compressed(gers_client, auch):
    import gzip
    import re

    from django.contrib.staticfiles import finders

    gers_client.cookies["commune"] = auch.code
    html = gers_client.get("/").content
    total = len(gzip.compress(html))
    for src in re.findall(rb'(?:src|href)="(/static/[^"?]+)', html):
        path = finders.find(src.decode().removeprefix("/static/"))
        assert path, src
        with open(path, "rb") as handle:
            total += len(gzip.compress(handle.read()))
    for url in re.findall(rb'href="(/(?:theme\.css|manifest\.webmanifest|icons/[^"]+))"', html):
        total += len(gzip.compress(gers_client.get(url.decode().replace("&amp;", "&")).content))
    assert total < 60_000


def test_the_resident_templates_have_no_inline_script_style_or_handler():
    import re
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR) / "templates"
    templates = [root / "base.html", *(root / "territories").glob("*.html"), *(root / "includes").glob("*.html")]
    for template in templates:
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert "<style" not in text, template
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template


def test_anonymous_visitors_of_a_commune_share_one_rendering(gers_client, auch, django_assert_max_num_queries):
    gers_client.cookies["commune"] = "32013"
    first = gers_client.get("/").content
    with django_assert_max_num_queries(0):  # the page is kept under the cookie's code
        assert gers_client.get("/").content == first


def test_a_visitor_gets_the_page_of_their_own_commune_and_language(gers_client, auch, marciac):
    gers_client.cookies["commune"] = "32013"
    assert "Choisir Auch" not in gers_client.get("/").content.decode()
    assert "Auch" in gers_client.get("/").content.decode()
    gers_client.cookies["commune"] = "32233"
    html = gers_client.get("/").content.decode()
    assert "Marciac" in html and "Choisir Auch" not in html
    gers_client.cookies["django_language"] = "en"
    assert '<html lang="en">' in gers_client.get("/").content.decode()


def test_signed_in_residents_get_a_page_rendered_for_them(gers_client, resident, auch):
    gers_client.get("/")  # an anonymous rendering is kept
    gers_client.force_login(resident)
    html = gers_client.get("/").content.decode()
    assert "Mon compte" in html and "Se déconnecter" in html


def test_a_malformed_commune_cookie_gets_the_portal_page_and_is_not_kept(gers_client, gers, monkeypatch):
    from django.core.cache import cache

    kept: list[str] = []
    real_set = cache.set

    def recording_set(key, *args, **kwargs):
        kept.append(key)
        return real_set(key, *args, **kwargs)

    monkeypatch.setattr(cache, "set", recording_set)
    gers_client.cookies["commune"] = "<script>"
    html = gers_client.get("/").content.decode()
    assert "Choisissez votre commune" in html
    assert not [key for key in kept if key.startswith("clocher:home:")]
    gers_client.cookies["commune"] = "32013"
    gers_client.get("/")
    assert [key for key in kept if key.startswith("clocher:home:")]


def test_staff_find_the_staff_interface_in_the_header(gers_client, bob, resident):
    gers_client.force_login(resident)
    assert 'href="/gestion/"' not in gers_client.get("/").content.decode()
    gers_client.force_login(bob)
    assert 'href="/gestion/"' in gers_client.get("/").content.decode()


def test_a_kept_page_is_served_compressed_to_browsers_that_accept_it(gers_client, auch):
    import gzip

    gers_client.cookies["commune"] = "32013"
    fresh = gers_client.get("/", headers={"Accept-Encoding": "gzip"})
    kept = gers_client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert kept["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in kept["Vary"]
    assert gzip.decompress(kept.content) == gzip.decompress(fresh.content)
    plain = gers_client.get("/")
    assert not plain.has_header("Content-Encoding")
    assert plain.content == gzip.decompress(kept.content)
