"""A participatory budget in a phone's browser, before and after the vote: a resident of Auch proposes
a project with a photo, a neighbour supports and comments on it, Auch's editor reviews it eligible
with a final cost, and once the results are out posts its follow-up with a photo, which residents
read on the budget and project pages. Every page goes through axe-core."""

import datetime
import io
import re

from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from clocher.participation.budgets import Budget, Progress, Project, ProjectComment, ProjectStatus
from conftest import PASSWORD, make_user

from .conftest import SCREENSHOTS, check, sign_in, visit

NARROW = {"width": 320, "height": 720}


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _photo(tmp_path, name):
    path = tmp_path / name
    picture = Image.new("RGB", (800, 600), (90, 140, 60))
    exif = Image.Exif()
    exif[0x0131] = "SecretSoftware"
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def _narrow_screenshot(page, name):
    size = page.viewport_size
    page.set_viewport_size(NARROW)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    page.set_viewport_size(size)


def test_a_project_goes_from_proposal_to_review_to_follow_up(page, context, no_tiles, tmp_path, bob, resident, auch):
    now = timezone.now()
    # Auch's editor writes the budget from the form and publishes it.
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/participation/budgets/")
    with page.expect_navigation():
        page.get_by_role("link", name="Créer un budget participatif").click()
    check(page)
    page.get_by_label(re.compile("^Titre")).fill("Budget participatif d'Auch")
    page.get_by_label(re.compile("^Présentation")).fill("Vos idées pour la ville.")
    page.get_by_label(re.compile("^Enveloppe")).fill("60000")
    page.get_by_label(re.compile("^Ouverture du dépôt")).fill(_local(now - datetime.timedelta(hours=1)))
    page.get_by_label(re.compile("^Clôture du dépôt")).fill(_local(now + datetime.timedelta(days=7)))
    # The vote before the proposals close: the form says so at the field.
    page.get_by_label(re.compile("^Ouverture du vote")).fill(_local(now + datetime.timedelta(days=3)))
    page.get_by_label(re.compile("^Clôture du vote")).fill(_local(now + datetime.timedelta(days=21)))
    page.get_by_label("adresse e-mail vérifiée").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    check(page)
    expect(page.get_by_text("Le vote ne peut ouvrir qu'après la clôture du dépôt des projets.")).to_be_visible()
    assert not Budget.objects.exists()
    page.get_by_label(re.compile("^Ouverture du vote")).fill(_local(now + datetime.timedelta(days=14)))
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    check(page)
    expect(page.get_by_text("est enregistré en brouillon")).to_be_visible()
    _narrow_screenshot(page, "budget-staff-form-320.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Publier le budget").click()
    check(page)
    budget = Budget.objects.get()
    assert (budget.status, budget.amount, list(budget.eligibility.territories.all())) == ("published", 60_000, [auch])
    visit(page, f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/projets/nouveau/")
    context.clear_cookies()

    neighbour = make_user("voisine@example.org", display_name="Jeanne", home_commune=auch)

    # A resident proposes a project with a photo.
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/communes/32013/budgets/")
    with page.expect_navigation():
        page.get_by_role("link", name="Budget participatif d'Auch").click()
    check(page)
    expect(page.locator('[aria-current="step"]')).to_contain_text("Dépôt des projets")
    _narrow_screenshot(page, "budget-page-320.png")
    with page.expect_navigation():
        page.get_by_role("link", name="Proposer un projet").click()
    check(page)
    # Nothing filled in: errors announced, nothing stored.
    with page.expect_navigation():
        page.get_by_role("button", name="Déposer le projet").click()
    check(page)
    expect(page.get_by_role("alert").first).to_contain_text("Le formulaire contient des erreurs")
    assert not Project.objects.exists()
    page.get_by_label(re.compile("^Titre du projet")).fill("Un verger partagé")
    page.get_by_label(re.compile("^Description")).fill("Vingt arbres fruitiers.\nCueillette libre.")
    page.get_by_label(re.compile(r"^Coût estimé")).fill("8000")
    page.get_by_label(re.compile("^Lieu précis")).fill("Rue du Moulin")
    page.get_by_label(re.compile("^Photo 1")).set_input_files(str(_photo(tmp_path, "verger.jpg")))
    page.get_by_label(re.compile("^Ce que montre la photo 1")).fill("La parcelle en friche")
    _narrow_screenshot(page, "budget-propose-320.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Déposer le projet").click()
    check(page)
    expect(page.get_by_text("Merci : votre projet « Un verger partagé » est déposé.")).to_be_visible()
    expect(page.get_by_role("img", name="La parcelle en friche")).to_be_visible()
    project = Project.objects.get()
    assert b"SecretSoftware" not in project.photos.get().file.read()

    # A neighbour supports it and comments.
    context.clear_cookies()
    sign_in(page, neighbour.email, PASSWORD)
    check(page)
    visit(page, f"/budgets/{budget.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Un verger partagé").click()
    check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Soutenir ce projet").click()
    check(page)
    expect(page.get_by_text("1 personne soutient ce projet.")).to_be_visible()
    expect(page.get_by_role("button", name="Retirer mon soutien")).to_be_visible()
    page.get_by_label("Votre commentaire").fill("Excellente idée !\nPensez aux abeilles.")
    with page.expect_navigation():
        page.get_by_role("button", name="Publier le commentaire").click()
    check(page)
    expect(page.locator(".budget-comment")).to_contain_text("Pensez aux abeilles.")
    assert ProjectComment.objects.get().author_name == "Jeanne"
    _narrow_screenshot(page, "budget-project-320.png")

    # Auch's editor reviews it: eligible, with a final cost.
    context.clear_cookies()
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/participation/budgets/")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Projets")).click()
    check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Un verger partagé").click()
    check(page)
    page.get_by_label("Non recevable").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la décision").click()
    check(page)
    expect(page.get_by_text("doit avoir un motif").first).to_be_visible()
    page.get_by_label("Recevable", exact=True).check()
    page.get_by_label(re.compile(r"^Coût retenu")).fill("9500")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la décision").click()
    check(page)
    expect(page.get_by_text("Décision enregistrée")).to_be_visible()
    project.refresh_from_db()
    assert (project.status, project.final_cost) == (ProjectStatus.ELIGIBLE, 9_500)
    _narrow_screenshot(page, "budget-staff-project-320.png")

    # The vote took place and the project won (the vote's part, done here directly); staff post news.
    Budget.objects.filter(pk=budget.pk).update(
        proposals_opens_at=now - datetime.timedelta(days=30), proposals_closes_at=now - datetime.timedelta(days=20),
        vote_opens_at=now - datetime.timedelta(days=10), vote_closes_at=now - datetime.timedelta(days=3),
        results={"winners": [project.code]}, results_published_at=now - datetime.timedelta(days=1),
    )
    visit(page, f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/projets/{project.pk}/")
    page.get_by_label(re.compile("^Nouvelles du projet")).fill("Les arbres sont commandés.")
    page.get_by_label(re.compile("^Avancement")).select_option(Progress.WORKS)
    page.get_by_label(re.compile("^Photo 1")).set_input_files(str(_photo(tmp_path, "chantier.jpg")))
    page.get_by_label(re.compile("^Ce que montre la photo 1")).fill("Les trous creusés pour les arbres")
    with page.expect_navigation():
        page.get_by_role("button", name="Publier les nouvelles").click()
    check(page)
    expect(page.get_by_text("Les nouvelles du projet sont publiées.")).to_be_visible()
    project.refresh_from_db()
    assert project.progress == Progress.WORKS

    # Anyone reads the follow-up on the budget page and the project's.
    context.clear_cookies()
    visit(page, f"/budgets/{budget.pk}/")
    expect(page.locator('[aria-current="step"]')).to_contain_text("Résultats et suivi")
    follow_up = page.get_by_role("region", name="Suivi des projets retenus")
    expect(follow_up).to_contain_text("En travaux")
    with page.expect_navigation():
        follow_up.get_by_role("link", name="Un verger partagé").click()
    check(page)
    expect(page.get_by_text("Les arbres sont commandés.")).to_be_visible()
    expect(page.get_by_role("img", name="Les trous creusés pour les arbres")).to_be_visible()
    _narrow_screenshot(page, "budget-follow-up-320.png")
