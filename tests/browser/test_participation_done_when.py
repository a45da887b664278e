"""Issue 7's "done when", in a phone's browser: a verified resident of Auch votes in a poll (then cannot
vote twice), answers a consultation, submits a project to the participatory budget, and, once Auch's
editor has found the project eligible and the vote has opened, casts an approval-within-budget
ballot; the editor counts and publishes, and the results are shown with their explanations.
Every page goes through axe-core (`check`)."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from clocher.participation import budget_services, consultation_services, poll_services
from clocher.participation.budgets import BallotKind, Budget, BudgetBallot, Project, ProjectStatus
from clocher.participation.consultations import QuestionKind, Response
from clocher.participation.models import Level, Participation, Verification
from clocher.participation.polls import Ballot
from conftest import PASSWORD

from .conftest import check, sign_in, visit

DAY = datetime.timedelta(days=1)


def test_a_verified_resident_of_auch_takes_part_in_everything(page, context, no_tiles, bob, resident, auch):
    now = timezone.now()
    Verification.objects.create(user=resident, commune=auch, level=Level.RESIDENCE_CODE)
    # What Auch's editor prepared (their own pages have their own browser tests).
    poll = poll_services.publish_poll(bob, poll_services.create_poll(bob, auch, poll_services.PollData(
        title="Quel nom pour la médiathèque ?", options=["Simone Veil", "Les Arts", "Du Gers"],
        opens_at=now - DAY, closes_at=now + 7 * DAY, territories=[auch], level=Level.RESIDENCE_CODE,
    )))
    consultation = consultation_services.create_consultation(bob, auch, consultation_services.ConsultationData(
        title="La place de la mairie", opens_at=now - DAY, closes_at=now + 7 * DAY, territories=[auch],
        level=Level.RESIDENCE_CODE,
    ))
    car = consultation_services.add_question(bob, consultation, consultation_services.QuestionData(
        kind=QuestionKind.SINGLE, label="Venez-vous en voiture ?", options=["Oui", "Non"], required=True,
    ))
    consultation_services.add_question(bob, consultation, consultation_services.QuestionData(
        kind=QuestionKind.SCALE, label="Faut-il plus de places de parking ?", scale_min=1, scale_max=5, required=True,
        condition_options=[car.options.get(label="Oui").pk],
    ))
    consultation_services.add_question(bob, consultation, consultation_services.QuestionData(
        kind=QuestionKind.LONG_TEXT, label="Une idée pour la place ?",
    ))
    consultation_services.publish_consultation(bob, consultation)
    budget = budget_services.publish_budget(bob, budget_services.create_budget(bob, auch, budget_services.BudgetData(
        title="Budget participatif d'Auch", amount=50_000, ballot_kind=BallotKind.APPROVAL_BUDGET,
        proposals_opens_at=now - DAY, proposals_closes_at=now + 7 * DAY,
        vote_opens_at=now + 14 * DAY, vote_closes_at=now + 21 * DAY, territories=[auch], level=Level.RESIDENCE_CODE,
    )))
    for code, (title, cost) in enumerate([("Skatepark", 45_000), ("Bancs du parc", 12_000)], start=1):
        Project.objects.create(budget=budget, code=f"staff-{code}", title=title, description="Proposé en mairie.",
                               estimated_cost=cost, final_cost=cost, status=ProjectStatus.ELIGIBLE)

    sign_in(page, resident.email, PASSWORD)
    check(page)

    # The poll, from the commune's participation page.
    visit(page, "/communes/32013/participation/")
    with page.expect_navigation():
        page.get_by_role("link", name="Quel nom pour la médiathèque ?").click()
    check(page)
    page.get_by_label("Les Arts").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Voter").click()
    check(page)
    expect(page.get_by_text("Merci : votre vote est enregistré.")).to_be_visible()
    # Coming back: no second ballot is offered, and a replayed form is refused.
    visit(page, f"/sondages/{poll.pk}/")
    expect(page.get_by_text("Vous avez déjà voté.")).to_be_visible()
    expect(page.get_by_role("button", name="Voter")).to_have_count(0)
    assert Ballot.objects.filter(poll=poll).count() == 1

    # The consultation: the scale shows on page 2 because the resident comes by car.
    visit(page, "/communes/32013/participation/")
    with page.expect_navigation():
        page.get_by_role("link", name="La place de la mairie").click()
    check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Répondre").click()
    check(page)
    page.get_by_role("group", name=re.compile("Venez-vous en voiture")).get_by_label("Oui").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et continuer", exact=True).click()
    check(page)
    page.get_by_role("group", name=re.compile("Faut-il plus de places de parking")).get_by_label("2").check()
    page.get_by_label(re.compile("^Une idée pour la place")).fill("Des arbres <b>et</b> des bancs.")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer et continuer", exact=True).click()
    check(page)
    expect(page.get_by_role("heading", name="Relire mes réponses")).to_be_visible()
    expect(page.get_by_text("Des arbres <b>et</b> des bancs.")).to_be_visible()  # shown as written, not as HTML
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mes réponses", exact=True).click()
    check(page)
    expect(page.get_by_role("heading", name="Merci pour vos réponses")).to_be_visible()
    assert Response.objects.get(consultation=consultation).answers.count() == 3

    # A project for the participatory budget.
    visit(page, "/communes/32013/participation/")
    with page.expect_navigation():
        page.get_by_role("link", name="Budget participatif d'Auch").click()
    check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Proposer un projet").click()
    check(page)
    page.get_by_label(re.compile("^Titre du projet")).fill("Un verger partagé")
    page.get_by_label(re.compile("^Description")).fill("Vingt arbres fruitiers, cueillette libre.")
    page.get_by_label(re.compile(r"^Coût estimé")).fill("8000")
    with page.expect_navigation():
        page.get_by_role("button", name="Déposer le projet").click()
    check(page)
    expect(page.get_by_text("Merci : votre projet « Un verger partagé » est déposé.")).to_be_visible()
    project = Project.objects.get(title="Un verger partagé")

    # Auch's editor finds it eligible, at a final cost.
    context.clear_cookies()
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/projets/{project.pk}/")
    page.get_by_label("Recevable", exact=True).check()
    page.get_by_label(re.compile(r"^Coût retenu")).fill("9500")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la décision").click()
    check(page)
    expect(page.get_by_text("Décision enregistrée")).to_be_visible()

    # The proposals close and the vote opens (the calendar moves on).
    Budget.objects.filter(pk=budget.pk).update(
        proposals_opens_at=now - 30 * DAY, proposals_closes_at=now - 10 * DAY, vote_opens_at=now - DAY,
        vote_closes_at=now + 7 * DAY,
    )

    # The resident votes within the envelope: 9,500 + 12,000 fit; the skatepark on top would not.
    context.clear_cookies()
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, f"/budgets/{budget.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Voter")).first.click()
    check(page)
    live = page.locator('[aria-live="polite"]')
    page.get_by_label(re.compile("^Un verger partagé")).check()
    page.get_by_label(re.compile("^Bancs du parc")).check()
    expect(live).to_have_text(re.compile(r"Total choisi : 21\s500 € sur 50\s000 € ; reste 28\s500 €\."))
    page.get_by_label(re.compile("^Skatepark")).check()
    expect(live).to_contain_text("de plus que l'enveloppe")
    with page.expect_navigation():
        page.get_by_role("button", name="Voter").click()
    check(page)
    expect(page.get_by_role("alert")).to_contain_text("de plus que l'enveloppe de 50\u00a0000 €")
    assert not BudgetBallot.objects.exists()
    page.get_by_label(re.compile("^Skatepark")).uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Voter").click()
    check(page)
    expect(page.get_by_text("Merci : votre bulletin est enregistré.")).to_be_visible()
    assert BudgetBallot.objects.filter(budget=budget).count() == 1
    assert Participation.objects.filter(user=resident).count() == 3  # poll, consultation, budget

    # The vote closes; the editor counts and publishes.
    Budget.objects.filter(pk=budget.pk).update(vote_closes_at=timezone.now() - datetime.timedelta(seconds=1))
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

    # Anyone reads the results and why each project won or lost.
    context.clear_cookies()
    visit(page, f"/budgets/{budget.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("résultats", re.IGNORECASE)).first.click()
    check(page)
    outcomes = page.locator(".budget-outcome")
    expect(outcomes).to_have_count(3)
    expect(outcomes.filter(has_text="Un verger partagé")).to_contain_text("Ce projet est retenu")
    expect(outcomes.filter(has_text="Bancs du parc")).to_contain_text("Ce projet est retenu")
    expect(outcomes.filter(has_text="Skatepark")).to_contain_text("Ce projet n'est pas retenu")
    page.set_viewport_size({"width": 320, "height": 720})
    check(page)
    page.screenshot(path="test-screenshots/done-when-results-320.png", full_page=True)
