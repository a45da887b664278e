"""Places in the staff interface and proposals, in a phone's browser: an editor adds a place in a few
taps, a resident proposes one, the commune's moderator accepts it. Every page goes through axe-core."""

import re

from playwright.sync_api import expect

from clocher.directory.models import Place, PlaceProposal
from clocher.territories.content import Status
from clocher.territories.models import Role
from conftest import PASSWORD, grant, make_user

from .conftest import check, sign_in, visit

# The resident proposal pages, until clocher/directory/urls.py routes them.


def _tap(page, locator):
    with page.expect_navigation():
        locator.click()
    check(page)


def test_an_editor_adds_a_place_from_a_phone(page, bob, auch):
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/")
    _tap(page, page.get_by_role("link", name="Gérer les lieux"))
    _tap(page, page.get_by_role("link", name="Ajouter un lieu"))
    page.get_by_label(re.compile("^Nom du lieu")).fill("Le Café du Marché")
    page.get_by_label("Café, bar").check()
    page.get_by_label(re.compile("^Téléphone")).fill("12")
    _tap(page, page.get_by_role("button", name="Enregistrer et publier"))
    expect(page.get_by_text("Ce numéro de téléphone n'existe pas.")).to_be_visible()
    page.get_by_label(re.compile("^Téléphone")).fill("05 62 05 00 00")
    page.get_by_label(re.compile("^Horaires")).fill("Mo-Sa 08:00-19:00")
    _tap(page, page.get_by_role("button", name="Enregistrer et publier"))
    place = Place.objects.get(name="Le Café du Marché")
    assert place.status == Status.PUBLISHED
    expect(page.get_by_role("heading", level=1)).to_have_text("Le Café du Marché")
    _tap(page, page.get_by_role("link", name="Archiver le lieu"))
    _tap(page, page.get_by_role("button", name="Archiver le lieu"))
    place.refresh_from_db()
    assert place.status == Status.ARCHIVED


def test_a_resident_proposes_a_place_and_the_moderator_accepts_it(page, context, auch, foyer_rural):
    # Places are proposed in the name of an association or a business the person belongs to.
    from clocher.organisations.models import Membership

    resident = make_user("asso@example.org", home_commune=auch)
    Membership.objects.create(organisation=foyer_rural, user=resident)
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/lieux/proposer/")
    page.get_by_label(re.compile("^Nom du lieu")).fill("Épicerie solidaire")
    page.get_by_label("Commerce", exact=True).check()
    _tap(page, page.get_by_role("button", name="Envoyer la proposition"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes propositions de lieux")
    proposal = PlaceProposal.objects.get()

    context.clear_cookies()
    moderator = make_user("mod@example.org")
    grant(moderator, auch, Role.MODERATOR)
    sign_in(page, moderator.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/propositions/")
    _tap(page, page.get_by_role("link", name="Épicerie solidaire"))
    page.get_by_label(re.compile("^Message")).fill("Bienvenue !")
    _tap(page, page.get_by_role("button", name="Accepter et publier"))
    proposal.refresh_from_db()
    assert proposal.place is not None and proposal.place.status == Status.PUBLISHED


def test_use_my_position_fills_the_coordinates(page, context, bob, auch):
    from clocher.directory.services import create_place

    place = create_place(bob, auch, {"name": "Halle aux grains"}, ["market"])
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 43.6465, "longitude": 0.5855})
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/lieux/{place.pk}/")
    page.locator("summary").click()
    page.get_by_role("button", name="Utiliser ma position actuelle").click()
    expect(page.get_by_label(re.compile("^Latitude"))).to_have_value("43.646500")
    expect(page.get_by_label(re.compile("^Longitude"))).to_have_value("0.585500")
    expect(page.get_by_role("status").filter(has_text="Position remplie")).to_be_visible()
    check(page)
