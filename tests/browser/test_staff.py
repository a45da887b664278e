"""The staff interface (/gestion/) in a phone's browser, signed in through the real forms.

An editor of Auch updates the town hall's details in a few taps and residents see them; an admin must
have a second factor before any staff page, then chooses modules, invites a colleague and reads the
journal. Every page goes through axe-core.
"""

import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from clocher.accounts.security import has_second_factor
from clocher.accounts.tests.conftest import activate_totp, totp_code
from clocher.core.modules import Module, registry
from clocher.territories.models import AuditEntry, Invitation, Role
from conftest import PASSWORD

from .conftest import check, sign_in, visit

ACTIVATE_TOTP = "/comptes/2fa/totp/activate/"
AUTHENTICATE = "/comptes/2fa/authenticate/"
REAUTHENTICATE = "/comptes/reauthenticate/"


@pytest.fixture
def agenda_module():
    """A module in the registry, as an installed app registers it from its AppConfig."""
    existed = registry.get("testagenda")
    module = registry.register(
        Module(name="testagenda", label="Agenda de test", icon="calendar",
               description="Les événements de la commune.")
    )
    yield module
    if existed is None:
        registry.unregister("testagenda")


def _code_for_now(secret):
    """The authenticator app's code, not about to expire: allauth accepts only the current one."""
    left_in_period = 30 - time.time() % 30
    if left_in_period < 5:
        time.sleep(left_in_period + 0.1)
    return totp_code(secret)


def _tap(page, locator):
    """Tap something that loads a page, wait for that page, and check it."""
    with page.expect_navigation():
        locator.click()
    check(page)


def _message(page, text):
    return page.locator(".messages, [role=status], [role=alert]").filter(has_text=text)


def test_an_editor_updates_the_town_hall_details_and_residents_see_them(page, bob, auch):
    sign_in(page, bob.email, PASSWORD)
    check(page)

    visit(page, "/gestion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes collectivités")
    _tap(page, page.get_by_role("link", name="Auch", exact=True))
    # An editor sees the information page but none of the admin's pages.
    nav = page.get_by_role("navigation", name="Gestion du territoire")
    expect(nav.get_by_role("link", name="Fiche")).to_be_visible()
    expect(nav.get_by_role("link", name="Équipe")).to_have_count(0)
    _tap(page, page.get_by_role("link", name="Modifier la fiche de la collectivité"))

    page.get_by_label(re.compile("^Téléphone")).fill("05 62 61 21 21")
    page.get_by_label(re.compile("^Horaires")).fill("Lundi au vendredi : 8 h 30 – 17 h 30")
    page.get_by_label(re.compile("^Présentation|^Description")).fill(
        "Préfecture du Gers, au bord du Gers."
    )
    _tap(page, page.get_by_role("button", name="Enregistrer"))
    expect(_message(page, "Les informations de Auch sont enregistrées.")).to_be_visible()
    expect(page.get_by_label(re.compile("^Téléphone"))).to_have_value("05 62 61 21 21")

    visit(page, "/communes/32013/")
    card = page.locator("main")
    expect(card.get_by_role("link", name="05 62 61 21 21")).to_be_visible()
    expect(card).to_contain_text("Lundi au vendredi : 8 h 30 – 17 h 30")
    expect(card).to_contain_text("Préfecture du Gers, au bord du Gers.")
    assert AuditEntry.objects.filter(territory=auch, actor=bob).count() == 1


def test_an_admin_without_a_second_factor_is_sent_to_activate_one_first(page, alice):
    sign_in(page, alice.email, PASSWORD)
    check(page)

    response = visit(page, "/gestion/")
    went_through: list[str] = []
    request = response.request.redirected_from
    while request is not None:
        went_through.insert(0, urlsplit(request.url).path)
        request = request.redirected_from
    assert went_through == ["/gestion/", ACTIVATE_TOTP]
    expect(page.locator("main")).to_contain_text("exige une double authentification")
    # allauth asks for the password once more before a second factor changes, even right after
    # signing in: only a password typed on this page counts.
    assert urlsplit(page.url).path == REAUTHENTICATE
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill(PASSWORD)
    _tap(page, page.locator("main form").get_by_role("button", name="Confirmer"))
    assert urlsplit(page.url).path == ACTIVATE_TOTP

    # The authenticator app is given the secret shown on the page; the code it computes activates it.
    secret = page.locator("#authenticator_secret").input_value()
    assert secret
    page.get_by_label(re.compile("code", re.IGNORECASE)).fill(_code_for_now(secret))
    _tap(page, page.locator("main form").get_by_role("button", name=re.compile("Activer")))
    assert has_second_factor(alice)

    visit(page, "/gestion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes collectivités")


def test_an_admin_signs_in_with_a_code_then_sets_modules_invites_and_reads_the_journal(
    page, alice, auch, agenda_module, mailoutbox
):
    secret = activate_totp(alice)
    sign_in(page, alice.email, PASSWORD)
    check(page)
    # The password alone is not enough: the code of the authenticator app is asked.
    assert urlsplit(page.url).path == AUTHENTICATE
    page.get_by_label(re.compile("code", re.IGNORECASE)).fill(_code_for_now(secret))
    _tap(page, page.locator("main form").get_by_role("button", name="Connexion"))
    assert urlsplit(page.url).path == "/compte/"

    visit(page, "/gestion/")
    _tap(page, page.get_by_role("link", name="Auch", exact=True))
    nav = page.get_by_role("navigation", name="Gestion du territoire")

    _tap(page, nav.get_by_role("link", name="Modules"))
    module = page.get_by_label("Agenda de test")
    expect(module).to_be_checked()  # on by default
    module.uncheck()
    _tap(page, page.get_by_role("button", name="Enregistrer les modules"))
    expect(_message(page, "Les modules sont enregistrés.")).to_be_visible()
    expect(page.get_by_label("Agenda de test")).not_to_be_checked()

    _tap(page, nav.get_by_role("link", name="Équipe"))
    page.get_by_label(re.compile("^Adresse e-mail de la personne")).fill("nadia@example.org")
    page.get_by_label(re.compile("^Rôle")).select_option(label="Rédacteur")
    _tap(page, page.get_by_role("button", name="Envoyer l'invitation"))
    expect(_message(page, "Invitation envoyée à nadia@example.org.")).to_be_visible()
    pending = page.get_by_role("listitem").filter(has_text="nadia@example.org")
    expect(pending).to_contain_text("Rédacteur")
    expect(pending.get_by_role("button", name="Annuler l'invitation de nadia@example.org")).to_be_visible()
    invitation = Invitation.objects.get(territory=auch, email="nadia@example.org")
    assert invitation.role == Role.EDITOR
    assert [message.to for message in mailoutbox] == [["nadia@example.org"]]

    _tap(page, nav.get_by_role("link", name="Journal"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Auch : journal des modifications")
    entries = page.locator(".bo-entry")
    expect(entries).to_have_count(AuditEntry.objects.filter(territory=auch).count())
    expect(page.locator("main")).to_contain_text("nadia@example.org")
    # The detail of a change opens in place; what it shows is checked too.
    entries.first.get_by_text("Détail").click()
    expect(entries.first.locator("dl")).to_be_visible()
    check(page)
