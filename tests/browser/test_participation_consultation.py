"""A consultation in a phone's browser: Auch's editor writes it with the question editor (a choice,
a scale shown only to those who answered "Oui", a ranking) and publishes it; a verified resident
answers the first page, leaves, comes back to the saved progress, finishes, reviews and sends, and
cannot send twice; the editor reads the results. Every page goes through axe-core."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from clocher.participation.consultations import Consultation, ConsultationDraft, Response
from clocher.participation.models import Level, Participation, Verification
from conftest import PASSWORD

from .conftest import check, sign_in, visit


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _submit(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()
    check(page)


def _fits_320(page, name):
    """The page at 320 px wide, the narrowest phone WCAG's reflow asks for: no sideways scrolling."""
    phone = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 720})
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 320).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, (name, wide)
    page.screenshot(path=f"test-screenshots/{name}-320.png", full_page=True)
    page.set_viewport_size(phone)


def _add_question(page, kind_label, label, *, options="", condition=None, required=False, extra=None):
    page.get_by_label("Type de la nouvelle question").select_option(label=kind_label)
    _submit(page, "Ajouter une question")
    page.get_by_label(re.compile("^Question")).fill(label)
    if options:
        page.get_by_label(re.compile("^Réponses proposées")).fill(options)
    if required:
        page.get_by_label("Réponse obligatoire").check()
    for field, value in (extra or {}).items():
        page.get_by_label(field, exact=True).fill(value)
    if condition:
        group, option = condition
        page.get_by_role("group", name=group).get_by_label(option).check()
    _submit(page, "Enregistrer la question")
    expect(page.get_by_text(f"La question « {label} » est ajoutée.")).to_be_visible()


def test_a_resident_answers_a_two_page_consultation_leaves_comes_back_and_sends_once(page, context, bob, resident,
                                                                                      auch):
    Verification.objects.create(user=resident, commune=auch, level=Level.RESIDENCE_CODE)
    now = timezone.now()

    # The editor writes the consultation and its questions.
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/participation/consultations/")
    with page.expect_navigation():
        page.get_by_role("link", name="Créer une consultation").click()
    check(page)
    page.get_by_label(re.compile("^Titre")).fill("La place de la mairie")
    page.get_by_label(re.compile("^Ouverture")).fill(_local(now - datetime.timedelta(hours=1)))
    page.get_by_label(re.compile("^Clôture")).fill(_local(now + datetime.timedelta(days=7)))
    page.get_by_label("domicile vérifié par un code reçu").check()
    _submit(page, "Enregistrer")
    expect(page.get_by_text("est enregistrée en brouillon")).to_be_visible()
    _add_question(page, "Choix unique", "Venez-vous en voiture ?", options="Oui\nNon", required=True)
    _add_question(page, "Échelle", "Faut-il plus de places de parking ?", required=True,
                  condition=("« Venez-vous en voiture ? » a pour réponse :", "Oui"),
                  extra={"Libellé du minimum": "Pas du tout", "Libellé du maximum": "Tout à fait"})
    _add_question(page, "Classement", "Classez ces idées", options="Arbres\nBancs\nFontaine")
    expect(page.get_by_text("Page 2 · Échelle")).to_be_visible()
    page.screenshot(path="test-screenshots/consultation-staff-390x844.png", full_page=True)
    _fits_320(page, "consultation-staff")
    _submit(page, "Publier la consultation")
    expect(page.get_by_text("Ouverte jusqu'au")).to_be_visible()
    consultation = Consultation.objects.get()

    # The resident answers the first page, then leaves.
    context.clear_cookies()
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/communes/32013/consultations/")
    with page.expect_navigation():
        page.get_by_role("link", name="La place de la mairie").click()
    check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Répondre").click()
    check(page)
    expect(page.get_by_text("Page 1 sur 2")).to_be_visible()
    # Nothing chosen: an error the screen reader hears, nothing stored.
    _submit(page, "Enregistrer et continuer")
    expect(page.get_by_role("alert")).to_contain_text("obligatoire")
    assert not ConsultationDraft.objects.exists()
    page.get_by_role("group", name=re.compile("Venez-vous en voiture")).get_by_label("Oui").check()
    page.screenshot(path="test-screenshots/consultation-page-390x844.png", full_page=True)
    _fits_320(page, "consultation-page")
    _submit(page, "Enregistrer et continuer")
    expect(page.get_by_text("Page 2 sur 2")).to_be_visible()
    visit(page, "/")

    # Coming back: the saved progress leads to page 2, the conditional scale is there.
    visit(page, f"/consultations/{consultation.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Reprendre mes réponses").click()
    check(page)
    scale = page.get_by_role("group", name=re.compile("Faut-il plus de places de parking"))
    expect(scale.get_by_role("radio")).to_have_count(5)
    scale.get_by_label("4").check()
    _fits_320(page, "consultation-page-2")
    ranking = page.get_by_role("group", name="Classez ces idées")
    ranking.get_by_label("Fontaine").select_option("1")
    ranking.get_by_label("Arbres").select_option("2")
    ranking.get_by_label("Bancs").select_option("2")
    _submit(page, "Enregistrer et continuer")
    expect(page.get_by_role("alert")).to_contain_text("rang différent")
    page.get_by_role("group", name="Classez ces idées").get_by_label("Bancs").select_option("3")
    _submit(page, "Enregistrer et continuer")

    expect(page.get_by_role("heading", name="Relire mes réponses")).to_be_visible()
    expect(page.get_by_text("1. Fontaine ; 2. Arbres ; 3. Bancs")).to_be_visible()
    page.screenshot(path="test-screenshots/consultation-review-390x844.png", full_page=True)
    _fits_320(page, "consultation-review")
    _submit(page, "Envoyer mes réponses")
    expect(page.get_by_role("heading", name="Merci pour vos réponses")).to_be_visible()
    response = Response.objects.get()
    assert response.user_id is None and response.answers.count() == 1 + 1 + 3

    # A second time: nothing to send, the page says so.
    visit(page, f"/consultations/{consultation.pk}/")
    expect(page.get_by_text("Vous avez déjà répondu à cette consultation.")).to_be_visible()
    expect(page.get_by_role("link", name="Répondre")).to_have_count(0)
    page.goto(f"/consultations/{consultation.pk}/relecture/", wait_until="load")
    check(page)
    expect(page.get_by_text("Vous avez déjà répondu à cette consultation.")).to_be_visible()
    assert Participation.objects.count() == 1 and Response.objects.count() == 1

    # The editor reads the results: a chart and the numbers in a table.
    context.clear_cookies()
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/participation/consultations/{consultation.pk}/resultats/")
    expect(page.get_by_text("1 réponse envoyée.")).to_be_visible()
    first = page.get_by_role("region", name="Venez-vous en voiture ?")
    expect(first.get_by_role("row", name=re.compile("Oui 1 100,0 %"))).to_be_visible()
    expect(page.locator("svg.poll-bar")).to_have_count(2 + 5 + 3)
    page.screenshot(path="test-screenshots/consultation-results-390x844.png", full_page=True)
    _fits_320(page, "consultation-results")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporter les réponses (Excel, XLSX)").click()
    assert download_info.value.suggested_filename == f"consultation-{consultation.pk}-reponses.xlsx"
