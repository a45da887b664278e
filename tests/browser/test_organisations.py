"""Associations in a phone's browser: a resident asks to register theirs, Auch's moderator accepts it,
the resident proposes a place in its name, and anyone finds it in the list. Every page goes through
axe-core."""

import re

from playwright.sync_api import expect

from clocher.directory.models import PlaceProposal
from clocher.organisations.models import Organisation, OrganisationStatus
from conftest import PASSWORD, make_user

from .conftest import check, sign_in, visit


def _tap(page, locator):
    with page.expect_navigation():
        locator.click()
    check(page)


def test_a_resident_registers_an_association_the_moderator_accepts_it_and_it_proposes_a_place(
    page, context, auch, mona,
):
    resident = make_user("presidente@example.org", home_commune=auch)
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/lieux/proposer/")
    expect(page.get_by_text("au nom d'une association ou d'une entreprise")).to_be_visible()
    _tap(page, page.get_by_role("link", name="Inscrire une association ou une entreprise"))
    page.get_by_label(re.compile("^Nom")).fill("Les Amis de la Cathédrale")
    page.get_by_label(re.compile("^Présentation")).fill("Visites **guidées** le dimanche.")
    page.get_by_label(re.compile("^Téléphone")).fill("12")
    _tap(page, page.get_by_role("button", name="Envoyer la demande"))
    expect(page.get_by_text("Ce numéro de téléphone n'existe pas.")).to_be_visible()
    page.get_by_label(re.compile("^Téléphone")).fill("05 62 00 00 00")
    _tap(page, page.get_by_role("button", name="Envoyer la demande"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes associations")
    expect(page.get_by_text("En attente de validation")).to_be_visible()
    organisation = Organisation.objects.get(name="Les Amis de la Cathédrale")

    context.clear_cookies()
    sign_in(page, mona.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/associations/?etat=pending")
    _tap(page, page.get_by_role("link", name="Les Amis de la Cathédrale"))
    page.get_by_label(re.compile("^Message")).fill("Bienvenue !")
    _tap(page, page.get_by_role("button", name="Accepter l'inscription"))
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.ACTIVE

    context.clear_cookies()
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/lieux/proposer/")
    page.get_by_label(re.compile("^Nom du lieu")).fill("Maison des visites")
    page.get_by_label("Commerce", exact=True).check()
    _tap(page, page.get_by_role("button", name="Envoyer la proposition"))
    expect(page.get_by_text("au nom de Les Amis de la Cathédrale")).to_be_visible()
    assert PlaceProposal.objects.get().organisation == organisation

    context.clear_cookies()
    visit(page, "/associations/")
    page.get_by_label("Nom").fill("cathédrale")
    _tap(page, page.get_by_role("button", name="Rechercher"))
    _tap(page, page.get_by_role("link", name="Les Amis de la Cathédrale"))
    expect(page.get_by_role("link", name="Appeler le 05 62 00 00 00")).to_be_visible()


def test_a_manager_adds_a_member_from_a_phone(page, erin, foyer_rural):
    make_user("benevole@example.org")
    sign_in(page, erin.email, PASSWORD)
    check(page)
    visit(page, "/associations/mon-espace/")
    _tap(page, page.get_by_role("link", name="Foyer rural d'Auch"))
    _tap(page, page.get_by_role("link", name="Gérer les membres"))
    page.get_by_label(re.compile("^Adresse e-mail")).fill("inconnu@example.org")
    _tap(page, page.get_by_role("button", name="Ajouter", exact=True))
    expect(page.get_by_text(re.compile("doit d'abord créer un compte"))).to_be_visible()
    page.get_by_label(re.compile("^Adresse e-mail")).fill("benevole@example.org")
    _tap(page, page.get_by_role("button", name="Ajouter", exact=True))
    expect(page.get_by_role("heading", name="benevole@example.org")).to_be_visible()
