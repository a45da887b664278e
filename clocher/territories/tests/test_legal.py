import datetime

import pytest

from clocher.territories.models import Portal


@pytest.fixture
def documented_portal(gers_portal: Portal) -> Portal:
    gers_portal.publisher_address = "81 route de Pessan, 32000 Auch"
    gers_portal.publication_director = "Le président du conseil départemental"
    gers_portal.dpo_email = "dpo@gers.fr"
    gers_portal.host_name = "Hébergeur Exemple SAS"
    gers_portal.accessibility_status = "partial"
    gers_portal.accessibility_audit_date = datetime.date(2025, 3, 14)
    gers_portal.save()
    return gers_portal


def test_the_legal_notice_names_the_publisher_director_and_host(gers_client, documented_portal):
    html = gers_client.get("/mentions-legales/").content.decode()
    assert "Conseil départemental du Gers" in html
    assert "81 route de Pessan" in html
    assert "Le président du conseil départemental" in html
    assert "Hébergeur Exemple SAS" in html


def test_the_privacy_page_lists_only_necessary_cookies_and_the_dpo(gers_client, documented_portal):
    html = gers_client.get("/donnees-personnelles/").content.decode()
    for cookie in ("commune", "sessionid", "csrftoken", "django_language"):
        assert f"<code>{cookie}</code>" in html
    assert "strictement nécessaires" in html
    assert "mailto:dpo@gers.fr" in html
    assert "Conseil départemental du Gers" in html
    assert "CNIL" in html


def test_the_accessibility_statement_gives_status_date_and_recourse(gers_client, documented_portal):
    html = gers_client.get("/accessibilite/").content.decode()
    assert "partiellement conforme" in html
    assert "14 mars 2025" in html
    assert "Défenseur des droits" in html
    assert "Conseil départemental du Gers" in html


def test_each_portal_has_its_own_legal_pages(orne_client, gers_portal):
    html = orne_client.get("/mentions-legales/").content.decode()
    assert "Conseil départemental du Gers" not in html
    assert "Orne dans ma poche" in html


def test_every_page_links_the_legal_pages_and_offers_a_language_switch(gers_client):
    html = gers_client.get("/").content.decode()
    for url in ("/mentions-legales/", "/donnees-personnelles/", "/accessibilite/"):
        assert f'href="{url}"' in html
    assert 'href="/langue/?lang=en&amp;next=/" lang="en" hreflang="en">English</a>' in html


def test_the_pages_switch_to_english(gers_client):
    gers_client.get("/langue/", {"lang": "en", "next": "/"})
    html = gers_client.get("/accessibilite/").content.decode()
    assert '<html lang="en">' in html


def test_pages_stay_in_french_for_an_english_browser_until_english_is_chosen(gers_client):
    html = gers_client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert '<html lang="fr">' in html
    gers_client.get("/langue/", {"lang": "en", "next": "/"})
    html = gers_client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert '<html lang="en">' in html
