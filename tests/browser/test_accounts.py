"""A resident's account, in a phone's browser: sign up, confirm the address, choose communes, sign out.

Also the pages where things go wrong (a wrong password, a forgotten one) and the deletion page: their
errors must reach someone who cannot see the page, so each one goes through axe-core.
"""

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from conftest import PASSWORD

from .conftest import check, sign_in, visit

NEW_EMAIL = "nouvelle.habitante@example.org"
EMAIL_LABEL = re.compile(r"^(Courriel|(Adresse )?e-mail)", re.IGNORECASE)
PASSWORD_LABEL = re.compile(r"^Mot de passe\s*:?$")


def _tap(page, locator):
    """Tap something that loads a page, wait for that page, and check it."""
    with page.expect_navigation():
        locator.click()
    check(page)


def _messages(page):
    return page.locator(".messages, [role=status], [role=alert]")


def test_a_new_resident_signs_up_confirms_chooses_marciac_follows_auch_and_signs_out(page, mailoutbox):
    visit(page, "/comptes/signup/")
    page.get_by_label(EMAIL_LABEL).fill(NEW_EMAIL)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Mot de passe \(confirmation\)")).fill(PASSWORD)
    _tap(page, page.locator("main form").get_by_role("button"))

    # Verification is mandatory: the page says an e-mail is on its way.
    assert urlsplit(page.url).path == "/comptes/confirm-email/"
    expect(page.locator("main")).to_contain_text(re.compile("vérifi|confirm", re.IGNORECASE))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [NEW_EMAIL]
    link = re.search(r"https?://\S+/confirm-email/\S+", str(mailoutbox[0].body))
    assert link, mailoutbox[0].body
    visit(page, urlsplit(link.group(0)).path)
    _tap(page, page.locator("main form").get_by_role("button", name="Confirmer"))

    # Confirming signs the person in and takes them to their account.
    assert urlsplit(page.url).path == "/compte/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.locator("main")).to_contain_text(NEW_EMAIL)

    search = page.get_by_role("search")
    search.get_by_label("Nom ou code postal de la commune").fill("marciac")
    _tap(page, search.get_by_role("button", name="Chercher"))
    _tap(page, page.get_by_role("button", name="Choisir Marciac comme ma commune"))
    expect(_messages(page).first).to_contain_text("Marciac est maintenant votre commune.")
    expect(page.locator("#ma-commune").locator("..")).to_contain_text("Marciac")

    search = page.get_by_role("search")
    search.get_by_label("Nom ou code postal de la commune").fill("Auch")
    _tap(page, search.get_by_role("button", name="Chercher"))
    _tap(page, page.get_by_role("button", name="Suivre Auch"))
    expect(_messages(page).first).to_contain_text("Vous suivez maintenant Auch.")
    expect(page.get_by_role("button", name="Ne plus suivre Auch")).to_be_visible()

    download = page.get_by_role("link", name=re.compile("Télécharger mes données"))
    expect(download).to_have_attribute("href", "/compte/mes-donnees.json")
    expect(download).to_have_attribute("download", "")

    _tap(page, page.locator(".site-header").get_by_role("button", name="Se déconnecter"))
    expect(page.locator(".site-header")).to_contain_text("Se connecter")
    visit(page, "/compte/")
    assert urlsplit(page.url).path == "/comptes/login/"


def test_a_wrong_password_is_refused_with_an_error_everyone_perceives(page, resident):
    visit(page, "/comptes/login/")
    page.get_by_label(EMAIL_LABEL).fill(resident.email)
    page.get_by_label(PASSWORD_LABEL).fill("pas-le-bon-mot-de-passe")
    _tap(page, page.locator("main form").get_by_role("button", name="Connexion"))

    # The refusal is written in the form, before the fields, where it is read first.
    error = page.locator("main form").get_by_text(
        re.compile("mot de passe sont incorrects", re.IGNORECASE)
    )
    expect(error).to_be_visible()
    expect(page.get_by_label(EMAIL_LABEL)).to_have_value(resident.email)
    visit(page, "/compte/")
    assert urlsplit(page.url).path == "/comptes/login/"


def test_the_password_reset_page_refuses_a_malformed_address_then_sends_the_link(
    page, resident, mailoutbox
):
    visit(page, "/comptes/password/reset/")
    field = page.get_by_label(EMAIL_LABEL)
    field.fill("pas-une-adresse")
    field.evaluate("(input) => input.form.noValidate = true")
    _tap(page, page.locator("main form").get_by_role("button"))
    # The error is tied to its field, so a screen reader reads it with the field.
    field = page.get_by_label(EMAIL_LABEL)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("adresse de courriel valide"))
    assert mailoutbox == []

    field.fill(resident.email)
    _tap(page, page.locator("main form").get_by_role("button"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Réinitialisation")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [resident.email]


def test_the_account_deletion_page_asks_for_the_password_and_says_what_is_wrong(page, resident):
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/compte/")
    _tap(page, page.get_by_role("link", name="Supprimer mon compte"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Supprimer mon compte")

    page.get_by_label("Votre mot de passe").fill("pas-le-bon-mot-de-passe")
    _tap(page, page.get_by_role("button", name="Supprimer définitivement mon compte"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Supprimer mon compte")
    password = page.get_by_label("Votre mot de passe")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description("Ce mot de passe est incorrect.")
    confirmation = page.get_by_label(re.compile("Je comprends"))
    expect(confirmation).to_have_attribute("aria-invalid", "true")
    expect(confirmation).to_have_accessible_description("Ce champ est obligatoire.")
    resident.refresh_from_db()
    assert resident.is_active
