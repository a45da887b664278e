"""News in a phone's browser: an editor publishes an actualité in at most five screens (second factor
included), a resident reads the commune's news, a works article with its map, and the alert banner
pages; every page goes through axe-core."""

from __future__ import annotations

import datetime
import re
import time
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import expect

from clocher.accounts.tests.conftest import activate_totp, totp_code
from clocher.news import services
from clocher.news.models import Article
from clocher.territories.content import Status
from conftest import PASSWORD

from .conftest import check, visit

AUTHENTICATE = "/comptes/2fa/authenticate/"


def _code_for_now(secret):
    left_in_period = 30 - time.time() % 30
    if left_in_period < 5:
        time.sleep(left_in_period + 0.1)
    return totp_code(secret)


class Screens:
    """Counts the screens a person goes through: each page load after a tap."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def visit(self, path):
        visit(self.page, path)
        self.count += 1

    def tap(self, locator):
        with self.page.expect_navigation():
            locator.click()
        check(self.page)
        self.count += 1


def test_an_editor_publishes_news_from_a_phone_in_five_screens_at_most(page, bob, auch):
    secret = activate_totp(bob)
    screens = Screens(page)
    # The staff bookmark of the news: the sign-in page sends the person on to it.
    screens.visit(f"/comptes/login/?next=/gestion/{auch.pk}/actualites/")
    page.get_by_label(re.compile(r"^(Courriel|(Adresse )?e-mail)", re.IGNORECASE)).fill(bob.email)
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill(PASSWORD)
    screens.tap(page.locator("main form").get_by_role("button", name=re.compile("connexion|connecter", re.I)))
    assert urlsplit(page.url).path == AUTHENTICATE
    page.get_by_label(re.compile("code", re.IGNORECASE)).fill(_code_for_now(secret))
    screens.tap(page.locator("main form").get_by_role("button", name="Connexion"))
    assert urlsplit(page.url).path == f"/gestion/{auch.pk}/actualites/"

    screens.tap(page.get_by_role("link", name="Écrire une actualité"))
    page.get_by_label(re.compile("^Titre")).fill("Marché de Noël sous la halle")
    page.get_by_label(re.compile("^Résumé")).fill("Du 10 au 24 décembre, place de la Libération.")
    page.get_by_label(re.compile("^Texte")).fill("Venez **nombreux** : vin chaud et chorale.")
    expect(page.get_by_label("Publier maintenant")).to_be_checked()
    screens.tap(page.get_by_role("button", name="Enregistrer"))
    assert screens.count <= 5
    expect(page.get_by_text("« Marché de Noël sous la halle » est publié.")).to_be_visible()
    article = Article.objects.get(title="Marché de Noël sous la halle")
    assert article.status == Status.PUBLISHED

    # And residents read it.
    screens.tap(page.get_by_role("link", name="Voir la page publique"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Marché de Noël sous la halle")
    expect(page.locator("strong", has_text="nombreux")).to_be_visible()


def test_a_resident_reads_the_communes_news_works_and_alerts(page, bob, dora, gers, auch):
    services.raise_alert(dora, gers, "Crue du Gers", "Évitez les berges jusqu'à demain.", "danger",
                         ends_at=timezone.now() + datetime.timedelta(hours=12))
    services.publish_article(bob, services.create_article(bob, auch, {"title": "Vœux du maire", "summary": "Salle du Mouzon."}))
    works = services.create_article(bob, auch, {
        "title": "Réfection de la rue Gambetta", "kind": "works", "works_starts_on": "2026-12-01",
        "works_ends_on": "2026-12-20", "works_streets": "rue Gambetta, place Salinis",
        "works_geometry": {"type": "LineString", "coordinates": [[0.585, 43.646], [0.587, 43.647]]},
        "body": "Circulation alternée.",
    })
    services.publish_article(bob, works)

    visit(page, "/communes/32013/actualites/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Actualités à Auch")
    page.get_by_role("link", name="1 alerte en cours").click()
    page.wait_for_url("**/communes/32013/alertes/")
    check(page)
    expect(page.get_by_role("heading", name="Crue du Gers")).to_be_visible()
    page.get_by_role("link", name="Crue du Gers").click()
    page.wait_for_url("**/alertes/*/")
    check(page)

    visit(page, "/communes/32013/actualites/?type=travaux")
    expect(page.get_by_role("link", name="Vœux du maire")).to_have_count(0)
    page.get_by_role("link", name="Réfection de la rue Gambetta").click()
    page.wait_for_url("**/refection-de-la-rue-gambetta/")
    check(page)
    expect(page.get_by_text("rue Gambetta, place Salinis")).to_be_visible()
    # The map shows once Leaflet ran (tiles may fail offline: the streets stay written out).
    expect(page.locator("[data-works-map]")).to_be_visible()


def test_an_editor_raises_an_alert_from_a_phone(page, context, bob, auch):
    from .conftest import sign_in

    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/alertes/")
    page.get_by_role("link", name="Lancer une alerte").click()
    page.wait_for_url("**/alertes/nouvelle/")
    check(page)
    page.get_by_label("Danger").check()
    page.get_by_label(re.compile("^Titre")).fill("Coupure d'eau rue Gambetta")
    with page.expect_navigation():
        page.get_by_role("button", name="Lancer l'alerte").click()
    check(page)
    expect(page.get_by_text("est en cours")).to_be_visible()
    visit(page, "/communes/32013/alertes/")
    expect(page.get_by_role("heading", name="Coupure d'eau rue Gambetta")).to_be_visible()


def test_an_association_proposes_news_and_the_moderator_accepts_it(page, context, erin, mona, foyer_rural, auch):
    from .conftest import sign_in

    sign_in(page, erin.email, PASSWORD)
    check(page)
    visit(page, "/actualites/proposer/")
    page.get_by_label(re.compile("^Titre")).fill("Loto du Foyer rural")
    page.get_by_label(re.compile("^Texte")).fill("Samedi à 20 h, salle des fêtes.")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la proposition").click()
    check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes propositions d’actualités")
    expect(page.get_by_text("En attente de modération")).to_be_visible()

    context.clear_cookies()
    sign_in(page, mona.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/actualites/propositions/")
    page.get_by_role("link", name="Loto du Foyer rural").click()
    page.wait_for_url("**/propositions/*/")
    check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter et publier").click()
    check(page)
    article = Article.objects.get(title="Loto du Foyer rural")
    assert article.status == Status.PUBLISHED
    visit(page, article_path(article))
    expect(page.get_by_text("Proposé par Foyer rural d'Auch")).to_be_visible()


def article_path(article):
    from clocher.news.feed import article_url

    return article_url(article)
