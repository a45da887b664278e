"""A poll in a phone's browser: Auch's editor writes and publishes it, a verified resident of Auch
votes, is told on coming back that they already voted, and reads the results with their chart.
Every page goes through axe-core."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from clocher.participation.models import Level, Participation, Verification
from clocher.participation.polls import Ballot, Poll
from conftest import PASSWORD

from .conftest import check, sign_in, visit


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_staff_create_a_poll_and_a_verified_resident_of_auch_votes_once(page, context, bob, resident, auch):
    Verification.objects.create(user=resident, commune=auch, level=Level.RESIDENCE_CODE)
    now = timezone.now()
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/participation/sondages/")
    with page.expect_navigation():
        page.get_by_role("link", name="Créer un sondage").click()
    check(page)
    page.get_by_label(re.compile("^Question")).fill("Quel nom pour la médiathèque ?")
    page.get_by_label(re.compile("^Réponses proposées")).fill("Simone Veil\nLes Arts\nDu Gers")
    page.get_by_label(re.compile("^Ouverture du vote")).fill(_local(now - datetime.timedelta(hours=1)))
    page.get_by_label(re.compile("^Clôture du vote")).fill(_local(now + datetime.timedelta(days=7)))
    page.get_by_label("Aux votants dès qu'ils ont voté, à tous après la clôture").check()
    page.get_by_label("domicile vérifié par un code reçu").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    check(page)
    expect(page.get_by_text("est enregistré en brouillon")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Publier le sondage").click()
    check(page)
    expect(page.get_by_text("Vote ouvert jusqu'au")).to_be_visible()
    poll = Poll.objects.get()
    assert list(poll.eligibility.territories.all()) == [auch]

    context.clear_cookies()
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/communes/32013/sondages/")
    with page.expect_navigation():
        page.get_by_role("link", name="Quel nom pour la médiathèque ?").click()
    check(page)
    ballot = page.get_by_role("group", name="Quel nom pour la médiathèque ?")
    expect(ballot.get_by_role("radio")).to_have_count(3)
    # Nothing ticked: a refusal the screen reader announces, nothing stored.
    with page.expect_navigation():
        page.get_by_role("button", name="Voter").click()
    check(page)
    expect(page.get_by_role("alert")).to_contain_text("Choisissez une réponse.")
    assert not Participation.objects.exists()
    page.get_by_label("Les Arts").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Voter").click()
    check(page)
    expect(page.get_by_text("Merci : votre vote est enregistré.")).to_be_visible()
    expect(page.get_by_text("Vous avez déjà voté.")).to_be_visible()
    page.screenshot(path="test-screenshots/poll-page-390x844.png")

    # A second try: the page says it, and offers no ballot.
    visit(page, f"/sondages/{poll.pk}/")
    expect(page.get_by_text("Vous avez déjà voté.")).to_be_visible()
    expect(page.get_by_role("button", name="Voter")).to_have_count(0)
    assert Ballot.objects.filter(poll=poll).count() == 1

    with page.expect_navigation():
        page.get_by_role("link", name="Voir les résultats").click()
    check(page)
    table = page.get_by_role("table", name="Voix et part des bulletins pour chaque réponse")
    expect(table.get_by_role("row", name=re.compile("Les Arts 1 100,0 %"))).to_be_visible()
    expect(table.locator("svg.poll-bar")).to_have_count(3)
    page.screenshot(path="test-screenshots/poll-results-390x844.png")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger les résultats (CSV, tableur)").click()
    assert download_info.value.suggested_filename == f"sondage-{poll.pk}-resultats.csv"
