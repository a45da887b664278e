"""The news in the API: a territory's articles by kind, paginated, one article, current alerts; an
unknown territory or kind is a 400 in French, another portal's article a 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clocher.news import services

from .conftest import PDF, alert, publish

pytestmark = pytest.mark.django_db


def test_the_news_of_a_commune_include_its_ancestors_newest_first(gers_client, bob, dora, auch, gers, marciac):
    from conftest import grant, make_user

    marc = make_user("marc@example.org")
    grant(marc, marciac, "editor")
    publish(dora, gers, "Gers")
    publish(bob, auch, "Auch", kind="works")
    publish(marc, marciac, "Marciac")
    body = gers_client.get("/api/v1/news", {"territory": "32013"}).json()
    assert body["count"] == 2 and body["next_offset"] is None
    assert [item["title"] for item in body["results"]] == ["Auch", "Gers"]
    first = body["results"][0]
    assert first["kind"] == "works" and first["kind_label"] == "Travaux"
    assert first["publisher"] == {"code": "32013", "name": "Auch", "kind": "commune"}
    assert first["url"].startswith("http://gers.test/actualites/")
    works = gers_client.get("/api/v1/news", {"territory": "32013", "kind": "works"}).json()
    assert [item["title"] for item in works["results"]] == ["Auch"]
    in_french = gers_client.get("/api/v1/news", {"territory": "32013", "kind": "travaux"}).json()
    assert [item["title"] for item in in_french["results"]] == ["Auch"]
    everything = gers_client.get("/api/v1/news").json()
    assert everything["count"] == 3


def test_pages_follow_offsets_with_a_flat_query_count(gers_client, bob, auch, django_assert_max_num_queries):
    publish(bob, auch, "Un")
    with django_assert_max_num_queries(12) as few:
        gers_client.get("/api/v1/news", {"territory": "32013", "limit": 2})
    for index in range(5):
        publish(bob, auch, f"Article {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = gers_client.get("/api/v1/news", {"territory": "32013", "limit": 2, "offset": 2}).json()
    assert body["count"] == 6 and body["next_offset"] == 4 and len(body["results"]) == 2


def test_unknown_territories_and_kinds_are_400_in_french(gers_client, auch):
    unknown = gers_client.get("/api/v1/news", {"territory": "61001"})
    assert unknown.status_code == 400 and "Territoire inconnu" in unknown.json()["detail"]
    kind = gers_client.get("/api/v1/news", {"kind": "gossip"})
    assert kind.status_code == 400 and "Type inconnu" in kind.json()["detail"]
    assert gers_client.get("/api/v1/alerts", {"territory": "nope"}).status_code == 400


def test_an_article_with_its_documents_and_works_and_another_portals_is_404(
    gers_client, orne_client, bob, charlie, auch, alencon
):
    article = publish(bob, auch, "Rue Gambetta", kind="works", works_streets="rue Gambetta",
                      works_geometry={"type": "Point", "coordinates": [0.5855, 43.6465]}, body="**Fermée**")
    services.add_attachment(bob, article, SimpleUploadedFile("arrete.pdf", PDF), title="Arrêté")
    body = gers_client.get(f"/api/v1/news/{article.pk}").json()
    assert body["body_html"] == "<p><strong>Fermée</strong></p>"
    assert body["attachments"][0]["title"] == "Arrêté" and body["attachments"][0]["size"] == len(PDF)
    assert body["works"]["streets"] == "rue Gambetta" and body["works"]["geometry"]["type"] == "Point"
    theirs = publish(charlie, alencon, "Alençon")
    missing = gers_client.get(f"/api/v1/news/{theirs.pk}")
    assert missing.status_code == 404 and missing.json()["detail"] == "Actualité introuvable."
    assert orne_client.get(f"/api/v1/news/{article.pk}").status_code == 404
    draft = services.create_article(bob, auch, {"title": "Brouillon"})
    assert gers_client.get(f"/api/v1/news/{draft.pk}").status_code == 404


def test_current_alerts_most_severe_first_and_none_of_another_portal(
    gers_client, dora, gers, charlie, alencon, auch, marciac
):
    alert(dora, gers, "Orages", severity="warning")
    alert(dora, gers, "Crue", severity="danger", audience=[marciac])
    alert(charlie, alencon, "Neige")
    for_auch = gers_client.get("/api/v1/alerts", {"territory": "32013"}).json()
    assert [item["title"] for item in for_auch] == ["Orages"]
    portal = gers_client.get("/api/v1/alerts").json()
    assert [item["title"] for item in portal] == ["Crue", "Orages"]
    assert portal[0]["severity"] == "danger" and portal[0]["url"].startswith("http://gers.test/alertes/")


def test_the_endpoints_are_documented_in_openapi(gers_client):
    paths = gers_client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/news", "/api/v1/news/{article_id}", "/api/v1/alerts"} <= set(paths)
