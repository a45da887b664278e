"""The resident's budget pages: a commune's budgets by phase, a budget with its timeline and its
filtered projects, a project with supports, comments and follow-up, proposing, editing and
withdrawing one's own project. Another portal's budget, a draft, a hidden or withdrawn project are
404; forms are plain POST forms that need their CSRF token."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from clocher.accounts.models import User
from clocher.participation import budget_services
from clocher.participation.budget_selectors import Phase
from clocher.participation.budgets import (
    Budget,
    Progress,
    Project,
    ProjectComment,
    ProjectPhoto,
    ProjectStatus,
    ProjectSupport,
)
from clocher.territories.models import Territory
from conftest import GERS_HOST, make_user

from .test_budget_proposals import (
    _now,  # noqa: F401  # the autouse clock and media folder
    budget_data,
    jpeg_with_exif,
    make_budget,
    move_to,
    project_data,
)
from .test_budget_staff import publish_results

pytestmark = pytest.mark.django_db


@pytest.fixture
def budget(bob: User, auch: Territory) -> Budget:
    return make_budget(bob, auch, territories=[auch])


@pytest.fixture
def project(budget: Budget, resident: User, auch: Territory) -> Project:
    return budget_services.submit_project(resident, budget, project_data(commune=auch))


@pytest.fixture
def resident_client(gers_portal: Any, resident: User) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(resident)
    return client


def upload(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_with_exif(), content_type="image/jpeg")


# Lists and pages

def test_the_commune_lists_published_budgets_by_phase(gers_client: Client, bob: User, auch: Territory,
                                                      budget: Budget, django_assert_max_num_queries: Any) -> None:
    make_budget(bob, auch, Phase.VOTE, title="Budget 2025")
    budget_services.create_budget(bob, auch, budget_data(title="Brouillon caché"))
    with django_assert_max_num_queries(12):
        page = gers_client.get("/communes/32013/budgets/").content.decode()
    assert page.index("Dépôt des projets") < page.index("Budget participatif 2026") < page.index(
        ">Vote<") < page.index("Budget 2025")
    assert "Brouillon caché" not in page and "100\xa0000 €" in page


def test_the_budget_page_marks_the_current_step_and_lists_projects(
    gers_client: Client, budget: Budget, project: Project, django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(15):
        page = gers_client.get(f"/budgets/{budget.pk}/").content.decode()
    current = re.findall(r'<li class="budget-step[^"]*" aria-current="step">\s*<span class="budget-step__label">([^<]+)',
                         page)
    assert current == ["Dépôt des projets "]
    assert page.count('aria-current="step"') == 1
    assert f'href="/budgets/{budget.pk}/projets/{project.pk}/"' in page
    assert "Connectez-vous pour participer." in page and "Se connecter" in page


def test_filters_by_state_and_sort_and_ignore_nonsense(gers_client: Client, bob: User, budget: Budget,
                                                       project: Project) -> None:
    other = budget_services.add_project(bob, budget, project_data(title="Des bancs au parc", estimated_cost=3_000))
    budget_services.review_project(bob, other, ProjectStatus.ELIGIBLE)
    eligible = gers_client.get(f"/budgets/{budget.pk}/?etat=eligible").content.decode()
    assert "Des bancs au parc" in eligible and project.title not in eligible
    cheap_first = gers_client.get(f"/budgets/{budget.pk}/?tri=cout").content.decode()
    assert cheap_first.index("Des bancs au parc") < cheap_first.index(project.title)
    nonsense = gers_client.get(f"/budgets/{budget.pk}/?etat=%3Cx%3E&tri=drop&commune=abc")
    assert nonsense.status_code == 200 and project.title in nonsense.content.decode()


def test_another_portal_a_draft_a_hidden_or_withdrawn_project_are_404(
    gers_client: Client, orne_client: Client, bob: User, mona: User, auch: Territory, budget: Budget,
    project: Project, resident: User,
) -> None:
    assert orne_client.get(f"/budgets/{budget.pk}/").status_code == 404
    assert orne_client.get(f"/budgets/{budget.pk}/projets/{project.pk}/").status_code == 404
    with_draft = budget_services.create_budget(bob, auch, budget_data())
    assert gers_client.get(f"/budgets/{with_draft.pk}/").status_code == 404
    other = make_budget(bob, auch, title="Autre budget")
    assert gers_client.get(f"/budgets/{other.pk}/projets/{project.pk}/").status_code == 404
    budget_services.hide_project(mona, project, "Injurieux")
    assert gers_client.get(f"/budgets/{budget.pk}/projets/{project.pk}/").status_code == 404
    assert project.title not in gers_client.get(f"/budgets/{budget.pk}/").content.decode()
    budget_services.unhide_project(mona, project)
    budget_services.withdraw_project(resident, project)
    assert gers_client.get(f"/budgets/{budget.pk}/projets/{project.pk}/").status_code == 404


# Proposing

def test_a_resident_proposes_a_project_with_a_photo_from_the_form(resident_client: Client, budget: Budget,
                                                                  auch: Territory) -> None:
    form = resident_client.get(f"/budgets/{budget.pk}/proposer/").content.decode()
    assert 'enctype="multipart/form-data"' in form and f'<option value="{auch.pk}" selected>' in form
    response = resident_client.post(f"/budgets/{budget.pk}/proposer/", {
        "title": "Un verger partagé", "description": "Vingt arbres fruitiers.", "estimated_cost": "8000",
        "commune": auch.pk, "address": "Rue du Moulin", "photo_1": upload(), "alt_1": "La parcelle en friche",
    })
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/budgets/{budget.pk}/projets/{project.pk}/"
    stored = project.photos.get()
    assert stored.alt == "La parcelle en friche" and b"SecretSoftware" not in stored.file.read()
    page = resident_client.get(response["Location"]).content.decode()
    assert 'alt="La parcelle en friche"' in page and "openstreetmap.org/search?query=Rue%20du%20Moulin%2C%20Auch" in page


def test_a_file_that_is_not_an_image_is_a_form_error_and_nothing_is_stored(resident_client: Client,
                                                                           budget: Budget, auch: Territory) -> None:
    response = resident_client.post(f"/budgets/{budget.pk}/proposer/", {
        "title": "Un verger", "description": "Des arbres.", "estimated_cost": "8000", "commune": auch.pk,
        "photo_1": SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg"),
    })
    assert response.status_code == 400
    assert "pas une image reconnue" in response.content.decode()
    assert not Project.objects.exists() and not ProjectPhoto.objects.exists()


def test_proposing_outside_the_proposals_phase_is_refused(resident_client: Client, budget: Budget,
                                                          auch: Territory) -> None:
    move_to(budget, Phase.REVIEW)
    assert "Le dépôt des projets n'est pas ouvert." in resident_client.get(
        f"/budgets/{budget.pk}/proposer/").content.decode()
    response = resident_client.post(f"/budgets/{budget.pk}/proposer/", {
        "title": "Trop tard", "description": "x", "estimated_cost": "10", "commune": auch.pk})
    assert response.status_code == 409 and not Project.objects.exists()


def test_a_sixth_project_in_a_day_is_refused(resident_client: Client, budget: Budget, auch: Territory) -> None:
    data = {"description": "Une idée.", "estimated_cost": "100", "commune": auch.pk}
    for n in range(5):
        assert resident_client.post(f"/budgets/{budget.pk}/proposer/", {**data, "title": f"Idée {n}"}).status_code == 302
    response = resident_client.post(f"/budgets/{budget.pk}/proposer/", {**data, "title": "Idée 6"})
    assert response.status_code == 429 and Project.objects.count() == 5


def test_a_visitor_is_sent_to_sign_in(gers_client: Client, budget: Budget, project: Project) -> None:
    response = gers_client.get(f"/budgets/{budget.pk}/proposer/")
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    response = gers_client.post(f"/budgets/{budget.pk}/projets/{project.pk}/soutien/", {"support": "1"})
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    assert not ProjectSupport.objects.exists()


# Own projects

def test_the_author_edits_and_withdraws_from_my_projects(resident_client: Client, budget: Budget, project: Project,
                                                         auch: Territory) -> None:
    mine = resident_client.get(f"/budgets/{budget.pk}/mes-projets/").content.decode()
    assert f"/budgets/{budget.pk}/projets/{project.pk}/modifier/" in mine
    response = resident_client.post(f"/budgets/{budget.pk}/projets/{project.pk}/modifier/", {
        "title": "Un abri vélo couvert", "description": "Vingt places.", "estimated_cost": "20000",
        "commune": auch.pk,
    })
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.title, project.estimated_cost) == ("Un abri vélo couvert", 20_000)
    confirm = resident_client.get(f"/budgets/{budget.pk}/projets/{project.pk}/retirer/").content.decode()
    assert "Retirer mon projet" in confirm
    resident_client.post(f"/budgets/{budget.pk}/projets/{project.pk}/retirer/")
    project.refresh_from_db()
    assert project.status == ProjectStatus.WITHDRAWN
    assert "Retiré par son auteur" in resident_client.get(f"/budgets/{budget.pk}/mes-projets/").content.decode()


def test_someone_elses_project_cannot_be_edited_or_withdrawn(gers_portal: Any, budget: Budget, project: Project,
                                                            auch: Territory) -> None:
    other = Client(HTTP_HOST=GERS_HOST)
    other.force_login(make_user("voisin@example.org", home_commune=auch))
    assert other.get(f"/budgets/{budget.pk}/projets/{project.pk}/modifier/").status_code == 404
    assert other.post(f"/budgets/{budget.pk}/projets/{project.pk}/retirer/").status_code == 404
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED


def test_the_author_sees_why_their_project_was_hidden(resident_client: Client, mona: User, budget: Budget,
                                                      project: Project) -> None:
    budget_services.hide_project(mona, project, "Nom d'une personne privée")
    mine = resident_client.get(f"/budgets/{budget.pk}/mes-projets/").content.decode()
    assert "masqué par la modération" in mine and "Nom d&#x27;une personne privée" in mine


# Supports and comments

def test_a_resident_supports_then_withdraws_their_support(resident_client: Client, budget: Budget,
                                                          project: Project) -> None:
    url = f"/budgets/{budget.pk}/projets/{project.pk}/"
    assert "Soutenir ce projet" in resident_client.get(url).content.decode()
    resident_client.post(url + "soutien/", {"support": "1"})
    resident_client.post(url + "soutien/", {"support": "1"})
    page = resident_client.get(url).content.decode()
    assert "1 personne soutient ce projet." in page and "Retirer mon soutien" in page
    resident_client.post(url + "soutien/", {"support": "0"})
    project.refresh_from_db()
    assert project.supports_count == 0 and not ProjectSupport.objects.exists()


def test_forms_need_their_csrf_token(gers_portal: Any, resident: User, budget: Budget, project: Project,
                                     auch: Territory) -> None:
    strict = Client(HTTP_HOST=GERS_HOST, enforce_csrf_checks=True)
    strict.force_login(resident)
    url = f"/budgets/{budget.pk}/projets/{project.pk}/"
    assert strict.post(url + "soutien/", {"support": "1"}).status_code == 403
    assert strict.post(url + "commenter/", {"text": "Bonjour"}).status_code == 403
    assert strict.post(f"/budgets/{budget.pk}/proposer/", {
        "title": "X", "description": "Y", "estimated_cost": "1", "commune": auch.pk}).status_code == 403
    assert not ProjectSupport.objects.exists() and not ProjectComment.objects.exists()
    assert Project.objects.count() == 1


def test_a_comment_is_escaped_and_keeps_its_lines(resident_client: Client, budget: Budget, project: Project) -> None:
    url = f"/budgets/{budget.pk}/projets/{project.pk}/"
    response = resident_client.post(url + "commenter/", {"text": "<script>alert(1)</script>\nDeuxième ligne"})
    comment = ProjectComment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{url}#commentaire-{comment.pk}"
    page = resident_client.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Deuxième ligne" in page and "<script>alert" not in page


def test_an_empty_comment_is_a_400_and_the_eleventh_in_an_hour_a_429(resident_client: Client, budget: Budget,
                                                                     project: Project) -> None:
    url = f"/budgets/{budget.pk}/projets/{project.pk}/commenter/"
    empty = resident_client.post(url, {"text": "  "})
    assert empty.status_code == 400
    for n in range(10):
        assert resident_client.post(url, {"text": f"Avis {n}"}).status_code == 302
    flooded = resident_client.post(url, {"text": "Encore"})
    assert flooded.status_code == 429 and "réessayez dans une heure" in flooded.content.decode()
    assert ProjectComment.objects.count() == 10


def test_a_hidden_comment_is_replaced_on_the_public_page(gers_client: Client, mona: User, resident: User,
                                                         budget: Budget, project: Project) -> None:
    comment = budget_services.comment_project(resident, project, "Publicité pour des montres")
    budget_services.hide_comment(mona, comment, "Publicité")
    page = gers_client.get(f"/budgets/{budget.pk}/projets/{project.pk}/").content.decode()
    assert "Publicité pour des montres" not in page and "Commentaire masqué par la modération." in page


# Follow-up

def test_winners_and_their_news_show_once_results_are_published(gers_client: Client, bob: User, budget: Budget,
                                                                project: Project) -> None:
    loser = budget_services.add_project(bob, budget, project_data(title="Un kiosque"))
    for each in (project, loser):
        budget_services.review_project(bob, each, ProjectStatus.ELIGIBLE)
    publish_results(budget, project)
    budget_services.post_update(bob, project, "Commande passée au fabricant.", Progress.STUDY)
    page = gers_client.get(f"/budgets/{budget.pk}/").content.decode()
    follow_up = page[page.index('id="suivi"'):page.index('id="projets"')]
    assert project.title in follow_up and "À l&#x27;étude" in follow_up and "Un kiosque" not in follow_up
    project_page = gers_client.get(f"/budgets/{budget.pk}/projets/{project.pk}/").content.decode()
    assert "Suivi du projet" in project_page and "Commande passée au fabricant." in project_page


def test_image_helper_really_carries_exif() -> None:
    with Image.open(io.BytesIO(jpeg_with_exif())) as decoded:
        assert decoded.getexif()[0x0131] == "SecretSoftware"


def test_a_project_page_keeps_its_query_count(resident_client: Client, bob: User, budget: Budget, project: Project,
                                              django_assert_max_num_queries: Any) -> None:
    for n in range(5):
        budget_services.comment_project(bob, project, f"Avis {n}")
    with django_assert_max_num_queries(20):
        page = resident_client.get(f"/budgets/{budget.pk}/projets/{project.pk}/")
    assert page.content.decode().count('class="budget-comment"') == 5
