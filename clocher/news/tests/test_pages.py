"""The resident's pages: a commune's news by kind, an article (works with dates, streets and map),
alerts, and the RSS and Atom feeds; another portal's news is a 404 everywhere."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from clocher.news import services
from clocher.territories.models import ModuleSetting

from .conftest import PDF, alert, publish

pytestmark = pytest.mark.django_db


def _xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314  # the feed we just generated, not untrusted input


def test_the_commune_page_lists_articles_with_kind_filters_and_feed_links(gers_client, bob, dora, auch, gers):
    publish(bob, auch, "Marché de Noël", summary="Place de la Libération")
    publish(dora, gers, "Route départementale fermée", kind="works", works_starts_on="2026-12-01",
            works_ends_on="2026-12-20")
    response = gers_client.get(reverse("news:home", kwargs={"code": "32013"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Marché de Noël" in page and "Route départementale fermée" in page
    assert 'type="application/rss+xml"' in page and "/actualites/32013.rss" in page
    assert 'type="application/atom+xml"' in page
    works = gers_client.get(reverse("news:home", kwargs={"code": "32013"}), {"type": "travaux"}).content.decode()
    assert "Route départementale fermée" in works and "Marché de Noël" not in works
    assert "/actualites/32013.rss?type=travaux" in works


def test_an_unknown_kind_shows_everything_and_pages_stay_bounded(gers_client, bob, auch, django_assert_max_num_queries):
    for index in range(25):
        publish(bob, auch, f"Article {index}")
    url = reverse("news:home", kwargs={"code": "32013"})
    with django_assert_max_num_queries(20):
        response = gers_client.get(url, {"type": "n'importe quoi", "page": "2"})
    assert response.status_code == 200
    assert "Page 2 sur 2" in response.content.decode()


def test_a_works_article_shows_dates_streets_documents_and_a_map(gers_client, bob, auch):
    article = publish(bob, auch, "Réfection de la rue Gambetta", kind="works", works_starts_on="2026-12-01",
                      works_ends_on="2026-12-20", works_streets="rue Gambetta, place Salinis",
                      works_geometry={"type": "LineString", "coordinates": [[0.585, 43.646], [0.587, 43.647]]},
                      body="Circulation **alternée**.")
    services.add_attachment(bob, article, SimpleUploadedFile("arrete.pdf", PDF), title="Arrêté de circulation")
    response = gers_client.get(reverse("news:article", kwargs={"pk": article.pk}), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[0][1] == 301
    assert response.request["PATH_INFO"].endswith("/refection-de-la-rue-gambetta/")
    assert "rue Gambetta, place Salinis" in page and "1 décembre 2026" in page
    assert "<strong>alternée</strong>" in page
    assert "Arrêté de circulation" in page and "PDF, " in page
    assert "data-works-map" in page and "LineString" in page and "leaflet.js" in page


def test_a_plain_article_loads_no_map(gers_client, bob, auch):
    article = publish(bob, auch, "Vœux du maire")
    page = gers_client.get(reverse("news:article", kwargs={"pk": article.pk}), follow=True).content.decode()
    assert "leaflet" not in page


def test_another_portals_article_and_alert_are_404(gers_client, orne_client, charlie, alencon, bob, auch):
    theirs = publish(charlie, alencon, "Alençon")
    their_alert = alert(charlie, alencon)
    assert gers_client.get(reverse("news:article", kwargs={"pk": theirs.pk})).status_code == 404
    assert gers_client.get(reverse("news:alert", kwargs={"pk": their_alert.pk})).status_code == 404
    assert gers_client.get(reverse("news:home", kwargs={"code": "61001"})).status_code == 404
    assert gers_client.get(reverse("news:alerts", kwargs={"code": "61001"})).status_code == 404
    assert gers_client.get(reverse("news:rss", kwargs={"territory_code": "61001"})).status_code == 404
    assert gers_client.get(reverse("news:atom", kwargs={"territory_code": "61"})).status_code == 404
    ours = publish(bob, auch, "Auch")
    assert orne_client.get(reverse("news:article", kwargs={"pk": ours.pk})).status_code == 404
    assert orne_client.get(reverse("news:article", kwargs={"pk": theirs.pk}), follow=True).status_code == 200


def test_a_commune_with_the_news_off_has_no_news_pages(gers_client, auch):
    ModuleSetting.objects.create(territory=auch, module="news", enabled=False)
    assert gers_client.get(reverse("news:home", kwargs={"code": "32013"})).status_code == 404
    assert gers_client.get(reverse("news:alerts", kwargs={"code": "32013"})).status_code == 404
    assert gers_client.get(reverse("news:rss", kwargs={"territory_code": "32013"})).status_code == 404


def test_the_alerts_page_lists_current_alerts_and_an_ended_alert_says_so(gers_client, bob, auch):
    raised = alert(bob, auch, "Coupure d'eau", message="Rue Gambetta de 8 h à 12 h.")
    page = gers_client.get(reverse("news:alerts", kwargs={"code": "32013"})).content.decode()
    assert "Coupure d&#x27;eau" in page and "Rue Gambetta de 8 h à 12 h." in page
    services.end_alert(bob, raised)
    assert "Coupure" not in gers_client.get(reverse("news:alerts", kwargs={"code": "32013"})).content.decode()
    ended = gers_client.get(reverse("news:alert", kwargs={"pk": raised.pk})).content.decode()
    assert "Cette alerte est terminée." in ended


def test_a_scheduled_alert_has_no_page_before_it_starts(gers_client, bob, auch):
    start = timezone.now() + datetime.timedelta(hours=1)
    raised = alert(bob, auch, starts_at=start, ends_at=start + datetime.timedelta(hours=1))
    assert gers_client.get(reverse("news:alert", kwargs={"pk": raised.pk})).status_code == 404


def test_rss_and_atom_feeds_are_valid_xml_with_the_territorys_news(gers_client, bob, dora, auch, gers, marciac):
    publish(bob, auch, "Conseil du 3 mars", kind="council", body="Compte rendu <b>approuvé</b>.")
    publish(dora, gers, "Vigilance crues", kind="news")
    rss = gers_client.get(reverse("news:rss", kwargs={"territory_code": "32013"}))
    assert rss.status_code == 200 and rss["Content-Type"].startswith("application/rss+xml")
    channel = _xml(rss.content).find("channel")
    assert channel is not None
    titles = [item.findtext("title") for item in channel.findall("item")]
    assert set(titles) == {"Conseil du 3 mars", "Vigilance crues"}
    links = [item.findtext("link") for item in channel.findall("item")]
    assert all((link or "").startswith("http://gers.test/actualites/") for link in links)
    council = gers_client.get(reverse("news:rss", kwargs={"territory_code": "32013"}), {"type": "conseil"})
    assert [i.findtext("title") for i in _xml(council.content).iter("item")] == ["Conseil du 3 mars"]
    atom = gers_client.get(reverse("news:atom", kwargs={"territory_code": "32"}))
    assert atom.status_code == 200 and atom["Content-Type"].startswith("application/atom+xml")
    entries = _xml(atom.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert [entry.findtext("{http://www.w3.org/2005/Atom}title") for entry in entries] == ["Vigilance crues"]
    assert gers_client.get(reverse("news:rss", kwargs={"territory_code": "32013"}), {"type": "x"}).status_code == 404
    assert gers_client.get(reverse("news:rss", kwargs={"territory_code": "99999"})).status_code == 404
