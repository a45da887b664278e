"""A module plugs into the foundation by registering itself, and a commune can turn it off."""

import datetime

import pytest
from django.http import HttpResponse
from django.urls import include, path
from django.utils import timezone

from clocher.core.modules import FeedItem, Module, registry
from clocher.territories.gating import require_module
from clocher.territories.models import ModuleSetting
from config.urls import urlpatterns as project_urlpatterns


@require_module("essai")
def essai_page(request, code):
    return HttpResponse(f"Page essai de {request.commune.name}")


def essai_gated_by_namespace(request, code):
    return HttpResponse("Page par espace de noms")


essai_urls = ([path("communes/<str:code>/plus/", essai_gated_by_namespace, name="more")], "essai")

urlpatterns = [
    path("communes/<str:code>/essai/", essai_page, name="essai_page"),
    path("", include(essai_urls)),
    *project_urlpatterns,
]

pytestmark = pytest.mark.urls(__name__)


def essai_feed(territories, limit, before=None):
    return [
        FeedItem(title=f"Essai à {territories[0].name}", url="/essai/", module="essai",
                 published_at=timezone.now() - datetime.timedelta(hours=1))
    ]


@pytest.fixture
def essai_module():
    module = registry.register(Module(
        name="essai", label="Module d'essai", icon="star", resident_url_name="essai_page",
        feed=essai_feed, url_namespaces=("essai",),
    ))
    yield module
    registry.unregister("essai")


def test_registering_a_module_adds_it_to_the_menu_and_the_commune_page(gers_client, auch, essai_module):
    gers_client.cookies["commune"] = "32013"
    home = gers_client.get("/").content.decode()
    nav = home.split('<nav class="site-nav"')[1].split("</nav>")[0]
    assert '<a href="/communes/32013/essai/">Module d&#x27;essai</a>' in nav
    assert "/communes/32013/essai/" in gers_client.get("/communes/32013/").content.decode()


def test_registering_a_module_adds_its_items_to_the_home_feed(gers_client, auch, essai_module):
    gers_client.cookies["commune"] = "32013"
    assert "Essai à Auch" in gers_client.get("/").content.decode()


def test_the_module_page_opens_where_it_is_on(gers_client, auch, essai_module):
    response = gers_client.get("/communes/32013/essai/")
    assert response.status_code == 200
    assert response.content.decode() == "Page essai de Auch"


def test_turning_a_module_off_removes_it_from_menu_feed_and_pages(gers_client, auch, essai_module):
    ModuleSetting.objects.create(territory=auch, module="essai", enabled=False)
    gers_client.cookies["commune"] = "32013"
    home = gers_client.get("/").content.decode()
    assert "/communes/32013/essai/" not in home
    assert "Essai à Auch" not in home
    assert gers_client.get("/communes/32013/essai/").status_code == 404
    assert gers_client.get("/communes/32013/plus/").status_code == 404


def test_a_module_off_in_one_commune_stays_on_in_its_sibling(gers_client, auch, marciac, essai_module):
    ModuleSetting.objects.create(territory=auch, module="essai", enabled=False)
    assert gers_client.get("/communes/32233/essai/").status_code == 200
    assert gers_client.get("/communes/32233/plus/").status_code == 200


def test_the_portal_defaults_decide_when_the_commune_chose_nothing(gers_client, gers_portal, auch, essai_module):
    gers_portal.default_modules = ["something-else"]
    gers_portal.save()
    assert gers_client.get("/communes/32013/essai/").status_code == 404
    ModuleSetting.objects.create(territory=auch, module="essai", enabled=True)
    assert gers_client.get("/communes/32013/essai/").status_code == 200


def test_module_pages_of_another_portals_commune_are_404(gers_client, alencon, essai_module):
    assert gers_client.get("/communes/61001/essai/").status_code == 404
    assert gers_client.get("/communes/61001/plus/").status_code == 404


def test_an_unregistered_module_page_is_404(gers_client, auch):
    assert gers_client.get("/communes/32013/essai/").status_code == 404
