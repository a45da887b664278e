"""A participatory budget's vote in a phone's browser: a verified resident of Auch chooses projects
within the envelope, hears the running total and what remains (the aria-live region), is refused
an over-budget ballot, votes, changes their ballot; Auch's editor counts and publishes, and the
results page explains each outcome. Every page goes through axe-core."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from clocher.participation.budgets import BudgetBallot
from clocher.participation.models import Participation
from clocher.participation.tests.test_budget_vote_factories import make_budget, verified
from conftest import PASSWORD

from .conftest import check, sign_in, visit


def test_a_resident_votes_within_the_envelope_changes_it_and_reads_the_explained_results(
    page, context, bob, resident, auch,
):
    verified(resident, auch)
    budget = make_budget(auch, now=timezone.now())
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, f"/budgets/{budget.pk}/vote/")
    ballot = page.get_by_role("group", name="Votre bulletin")
    expect(ballot.get_by_role("checkbox")).to_have_count(4)
    live = page.locator('[aria-live="polite"]')
    expect(live).to_have_text(re.compile(r"Total choisi : 0 € sur 55\s000 € ; reste 55\s000 €\."))

    # The running total follows the boxes, in the region a screen reader announces.
    page.get_by_label(re.compile("^Aire de jeux")).check()
    expect(live).to_have_text(re.compile(r"Total choisi : 30\s000 € sur 55\s000 € ; reste 25\s000 €\."))
    page.get_by_label(re.compile("^Bancs du parc")).check()
    page.get_by_label(re.compile("^Composteurs")).check()
    expect(live).to_have_text(re.compile(r"Total choisi : 65\s000 €, soit 10\s000 € de plus que l'enveloppe de 55\s000 €\."))
    page.set_viewport_size({"width": 320, "height": 700})
    page.screenshot(path="test-screenshots/budget-vote-over-320.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})

    # Voting over the envelope: refused with the excess named, nothing stored.
    with page.expect_navigation():
        page.get_by_role("button", name="Voter").click()
    check(page)
    expect(page.get_by_role("alert")).to_contain_text("soit 10\u00a0000 € de plus que l'enveloppe de 55\u00a0000 €")
    assert not BudgetBallot.objects.exists() and not Participation.objects.exists()

    # "Vérifier mon bulletin" is the page's answer without JavaScript: the same figures, nothing stored.
    page.get_by_label(re.compile("^Bancs du parc")).uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Vérifier mon bulletin").click()
    check(page)
    expect(live).to_have_text(re.compile(r"Total choisi : 40\s000 € sur 55\s000 € ; reste 15\s000 €\."))
    assert not BudgetBallot.objects.exists()

    with page.expect_navigation():
        page.get_by_role("button", name="Voter").click()
    check(page)
    expect(page.get_by_text("Merci : votre bulletin est enregistré.")).to_be_visible()
    own = page.get_by_role("region", name="Votre bulletin")
    expect(own).to_contain_text("Aire de jeux")
    expect(own).to_contain_text("Composteurs")
    page.screenshot(path="test-screenshots/budget-vote-own-390.png", full_page=True)

    with page.expect_navigation():
        page.get_by_role("link", name="Modifier mon bulletin").click()
    check(page)
    expect(page.get_by_label(re.compile("^Aire de jeux"))).to_be_checked()
    page.get_by_label(re.compile("^Aire de jeux")).uncheck()
    page.get_by_label(re.compile("^Bancs du parc")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer mon nouveau bulletin").click()
    check(page)
    expect(page.get_by_text("Votre bulletin est modifié.")).to_be_visible()
    expect(own).to_contain_text("Bancs du parc")
    expect(own).not_to_contain_text("Aire de jeux")
    assert BudgetBallot.objects.count() == 1 and Participation.objects.count() == 1

    # The vote closes; Auch's editor counts and publishes.
    budget.vote_closes_at = timezone.now() - datetime.timedelta(seconds=1)
    budget.save(update_fields=["vote_closes_at"])
    context.clear_cookies()
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/vote/")
    with page.expect_navigation():
        page.get_by_role("button", name="Dépouiller").click()
    check(page)
    expect(page.get_by_text("Le vote est dépouillé")).to_be_visible()
    visit(page, f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/vote/")
    with page.expect_navigation():
        page.get_by_role("button", name="Publier les résultats").click()
    check(page)
    expect(page.get_by_text("Les résultats sont publiés")).to_be_visible()

    context.clear_cookies()
    visit(page, f"/budgets/{budget.pk}/resultats/")
    expect(page.get_by_text(re.compile(r"3 projets retenus, pour 55\s000 € de l'enveloppe de 55\s000 €"))).to_be_visible()
    outcomes = page.locator(".budget-outcome")
    expect(outcomes).to_have_count(4)
    expect(outcomes.filter(has_text="Bancs du parc")).to_contain_text(
        re.compile(r"Ce projet est retenu : 1 voix, au rang 1 sur 4, et son coût de 25\s000 € tenait dans les 55\s000 € restants\.")
    )
    expect(outcomes.filter(has_text="Aire de jeux")).to_contain_text(
        re.compile(r"Ce projet n'est pas retenu : 0 voix, au rang 3 sur 4, mais son coût de 30\s000 € dépassait")
    )
    expect(outcomes.filter(has_text="Boîte à livres")).to_contain_text("Ce projet est retenu bien qu'aucun bulletin ne le choisisse")
    table = page.get_by_role("table", name=re.compile("Projets par nombre de voix"))
    expect(table.locator("svg.budget-bar")).to_have_count(4)
    page.set_viewport_size({"width": 320, "height": 700})
    check(page)  # axe again at the narrowest phone width
    page.screenshot(path="test-screenshots/budget-results-320.png", full_page=True)
