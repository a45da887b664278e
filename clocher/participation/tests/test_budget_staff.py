"""Staff and participatory budgets: an editor of Auch writes, publishes and changes a budget within
its phases, reviews projects (a public reason for an ineligible one, a final cost), adds a project
received on paper, moderates, and posts the winners' follow-up; nobody else's role opens any of it,
and every action writes a journal line."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from clocher.accounts.models import User
from clocher.participation import budget_services
from clocher.participation.budget_selectors import Phase, public_projects
from clocher.participation.budget_services import BudgetRefused
from clocher.participation.budgets import (
    BallotKind,
    Budget,
    BudgetStatus,
    CountingRule,
    Progress,
    Project,
    ProjectComment,
    ProjectPhoto,
    ProjectStatus,
    ProjectUpdate,
)
from clocher.participation.models import Level
from clocher.territories.models import AuditEntry, Territory
from conftest import GERS_HOST, make_user

from .test_budget_proposals import (
    DAY,
    NOW,
    _now,  # noqa: F401  # the autouse clock and media folder
    budget_data,
    make_budget,
    move_to,
    photo,
    project_data,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def budget(bob: User, auch: Territory) -> Budget:
    return make_budget(bob, auch, territories=[auch])


@pytest.fixture
def project(budget: Budget, resident: User, auch: Territory) -> Project:
    return budget_services.submit_project(resident, budget, project_data(commune=auch))


def actions(territory: Territory) -> list[str]:
    return list(AuditEntry.objects.filter(territory=territory).order_by("pk").values_list("action", flat=True))


def publish_results(budget: Budget, *winners: Project) -> Budget:
    """What budget_vote does once counted and published, as far as the follow-up reads it."""
    move_to(budget, Phase.COUNTING)
    Budget.objects.filter(pk=budget.pk).update(
        results={"winners": [p.code for p in winners]}, results_published_at=NOW - DAY)
    budget.refresh_from_db()
    return budget


# Budgets

def test_an_editor_creates_a_draft_then_publishes_it_with_journal_lines(bob: User, auch: Territory) -> None:
    budget = budget_services.create_budget(bob, auch, budget_data(territories=[auch], min_age=16))
    assert (budget.status, budget.eligibility.min_age, list(budget.eligibility.territories.all())) == (
        BudgetStatus.DRAFT, 16, [auch])
    budget_services.publish_budget(bob, budget)
    assert budget.status == BudgetStatus.PUBLISHED and budget.published_at == NOW
    assert actions(auch) == ["participation.budget_created", "participation.budget_published"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": " "}, "title"),
    ({"amount": 0}, "amount"),
    ({"proposals_closes_at": NOW - 2 * DAY}, "proposals_closes_at"),
    ({"vote_opens_at": NOW + 6 * DAY}, "vote_opens_at"),
    ({"vote_closes_at": NOW + 14 * DAY}, "vote_closes_at"),
    ({"ballot_kind": BallotKind.CUMULATIVE}, "points"),
    ({"min_projects": 3, "max_projects": 2}, "max_projects"),
    ({"level": "telepathy"}, "level"),
    ({"ballot_kind": BallotKind.RANKING, "rule": CountingRule.MES}, "rule"),
])
def test_a_budget_out_of_order_or_incomplete_is_refused_at_its_field(bob: User, auch: Territory,
                                                                     changes: dict[str, Any], field: str) -> None:
    with pytest.raises(BudgetRefused) as refused:
        budget_services.create_budget(bob, auch, budget_data(**changes))
    assert refused.value.field == field
    assert not Budget.objects.exists()


def test_a_budget_is_reserved_to_its_own_territory_only(bob: User, auch: Territory, marciac: Territory) -> None:
    with pytest.raises(BudgetRefused, match="votre territoire"):
        budget_services.create_budget(bob, auch, budget_data(territories=[marciac]))


def test_only_the_territorys_editors_and_admins_write_budgets(auch: Territory, mona: User, charlie: User,
                                                               resident: User, dora: User) -> None:
    for person in (mona, charlie, resident):
        with pytest.raises(BudgetRefused, match="droits"):
            budget_services.create_budget(person, auch, budget_data())
    assert not Budget.objects.exists()


def test_once_the_vote_opens_the_rules_are_frozen_but_the_wording_and_closing_may_change(
    bob: User, auch: Territory,
) -> None:
    budget = make_budget(bob, auch, Phase.VOTE, territories=[auch])
    same = budget_data(Phase.VOTE, territories=[auch])
    with pytest.raises(BudgetRefused, match="seuls le titre"):
        budget_services.update_budget(bob, budget, budget_data(Phase.VOTE, territories=[auch], amount=120_000))
    with pytest.raises(BudgetRefused, match="seuls le titre"):
        budget_services.update_budget(bob, budget, budget_data(Phase.VOTE, territories=[auch], rule="mes"))
    with pytest.raises(BudgetRefused) as refused:
        budget_services.update_budget(bob, budget, budget_data(Phase.VOTE, territories=[auch],
                                                               vote_closes_at=NOW - datetime.timedelta(hours=1)))
    assert refused.value.field == "vote_closes_at"
    same.title, same.vote_closes_at = "Budget 2026, vote prolongé", same.vote_closes_at + 2 * DAY
    updated = budget_services.update_budget(bob, budget, same)
    budget.refresh_from_db()
    assert (budget.title, budget.amount, budget.vote_closes_at) == (
        "Budget 2026, vote prolongé", 100_000, NOW + 7 * DAY)
    assert updated.pk == budget.pk


def test_a_published_budgets_passed_dates_stay_passed(bob: User, auch: Territory, budget: Budget) -> None:
    with pytest.raises(BudgetRefused) as refused:
        budget_services.update_budget(bob, budget, budget_data(proposals_opens_at=NOW - 3 * DAY, territories=[auch]))
    assert refused.value.field == "proposals_opens_at"
    longer = budget_services.update_budget(bob, budget, budget_data(proposals_closes_at=NOW + 8 * DAY,
                                                                    territories=[auch]))
    assert longer.proposals_closes_at == NOW + 8 * DAY


def test_a_budget_whose_vote_is_over_cannot_be_published(bob: User, auch: Territory) -> None:
    draft = budget_services.create_budget(bob, auch, budget_data(Phase.COUNTING))
    with pytest.raises(BudgetRefused, match="clôture du vote est passée"):
        budget_services.publish_budget(bob, draft)
    draft.refresh_from_db()
    assert draft.status == BudgetStatus.DRAFT


# Review

def test_an_eligible_project_gets_the_estimate_as_final_cost_unless_staff_set_one(bob: User, project: Project) -> None:
    reviewed = budget_services.review_project(bob, project, ProjectStatus.ELIGIBLE)
    assert (reviewed.status, reviewed.final_cost, reviewed.reviewed_by, reviewed.reviewed_at) == (
        ProjectStatus.ELIGIBLE, 15_000, bob, NOW)
    reviewed = budget_services.review_project(bob, project, ProjectStatus.ELIGIBLE, final_cost=17_500)
    assert reviewed.final_cost == 17_500 and reviewed.cost == 17_500
    entry = AuditEntry.objects.filter(action="participation.budget_project_reviewed").first()
    assert entry is not None and entry.changes["final_cost"] == 17_500


def test_an_ineligible_project_needs_a_public_reason(bob: User, project: Project) -> None:
    with pytest.raises(BudgetRefused) as refused:
        budget_services.review_project(bob, project, ProjectStatus.INELIGIBLE, reason="  ")
    assert refused.value.field == "reason"
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED
    budget_services.review_project(bob, project, ProjectStatus.INELIGIBLE, reason="Relève de la région.")
    project.refresh_from_db()
    assert (project.status, project.review_reason, project.final_cost) == (
        ProjectStatus.INELIGIBLE, "Relève de la région.", None)


def test_a_final_cost_above_the_envelope_is_refused(bob: User, project: Project) -> None:
    with pytest.raises(BudgetRefused) as refused:
        budget_services.review_project(bob, project, ProjectStatus.ELIGIBLE, final_cost=100_001)
    assert refused.value.field == "final_cost"


@pytest.mark.parametrize("phase", [Phase.VOTE, Phase.COUNTING])
def test_no_review_changes_once_the_vote_opens(bob: User, project: Project, phase: str) -> None:
    budget_services.review_project(bob, project, ProjectStatus.ELIGIBLE)
    move_to(project.budget, phase)
    with pytest.raises(BudgetRefused, match="Le vote a commencé"):
        budget_services.review_project(bob, project, ProjectStatus.INELIGIBLE, reason="Trop tard")
    with pytest.raises(BudgetRefused, match="Le vote a commencé"):
        budget_services.review_project(bob, project, ProjectStatus.ELIGIBLE, final_cost=1)
    project.refresh_from_db()
    assert (project.status, project.final_cost) == (ProjectStatus.ELIGIBLE, 15_000)


def test_a_withdrawn_project_is_not_reviewed_and_others_roles_review_nothing(
    bob: User, project: Project, resident: User, mona: User, charlie: User, dora: User,
) -> None:
    for person in (mona, charlie, resident):
        with pytest.raises(BudgetRefused, match="droits"):
            budget_services.review_project(person, project, ProjectStatus.ELIGIBLE)
    budget_services.withdraw_project(resident, project)
    with pytest.raises(BudgetRefused, match="retiré"):
        budget_services.review_project(bob, project, ProjectStatus.ELIGIBLE)


# Moderation

def test_a_moderator_hides_a_project_with_a_reason_and_shows_it_again(mona: User, project: Project) -> None:
    with pytest.raises(BudgetRefused) as refused:
        budget_services.hide_project(mona, project, " ")
    assert refused.value.field == "reason"
    budget_services.hide_project(mona, project, "Propos injurieux")
    assert not public_projects(project.budget).exists()
    project.refresh_from_db()
    assert budget_services.hidden_reasons([project]) == {project.pk: "Propos injurieux"}
    budget_services.unhide_project(mona, project)
    assert public_projects(project.budget).get() == project
    assert actions(project.budget.territory)[-2:] == [
        "participation.budget_project_hidden", "participation.budget_project_shown"]


def test_a_project_on_the_ballot_cannot_be_hidden_once_the_vote_opens(bob: User, mona: User, project: Project) -> None:
    budget_services.review_project(bob, project, ProjectStatus.ELIGIBLE)
    move_to(project.budget, Phase.VOTE)
    with pytest.raises(BudgetRefused, match="soumis au vote"):
        budget_services.hide_project(mona, project, "Doublon")
    project.refresh_from_db()
    assert project.hidden_at is None


def test_a_comment_is_hidden_and_shown_by_moderators_only(mona: User, charlie: User, project: Project,
                                                          resident: User) -> None:
    comment = budget_services.comment_project(resident, project, "Spam spam spam")
    with pytest.raises(BudgetRefused, match="droits"):
        budget_services.hide_comment(charlie, comment, "Spam")
    hidden = budget_services.hide_comment(mona, comment, "Publicité")
    assert (hidden.hidden_at, hidden.hidden_reason) == (NOW, "Publicité")
    shown = budget_services.unhide_comment(mona, comment)
    assert (shown.hidden_at, shown.hidden_reason) == (None, "")


# Projects received on paper

def test_staff_add_a_paper_project_before_the_vote_only(bob: User, budget: Budget, auch: Territory) -> None:
    project = budget_services.add_project(bob, budget, project_data(commune=auch, photos=[photo()]))
    assert (project.author, project.status, project.photos.count()) == (None, ProjectStatus.SUBMITTED, 1)
    move_to(budget, Phase.VOTE)
    with pytest.raises(BudgetRefused, match="Le vote a commencé"):
        budget_services.add_project(bob, budget, project_data(title="Trop tard"))
    assert Project.objects.count() == 1
    assert "participation.budget_project_added" in actions(auch)


# Follow-up

def test_staff_post_news_of_a_winner_with_photos_which_sets_its_progress(bob: User, project: Project) -> None:
    budget_services.review_project(bob, project, ProjectStatus.ELIGIBLE)
    with pytest.raises(BudgetRefused, match="publication des résultats"):
        budget_services.post_update(bob, project, "Commandé", Progress.STUDY)
    publish_results(project.budget, project)
    update = budget_services.post_update(bob, project, "Les travaux commencent lundi.", Progress.WORKS,
                                         [photo("Le chantier")])
    project.refresh_from_db()
    assert project.progress == Progress.WORKS
    assert [p.alt for p in update.photos.all()] == ["Le chantier"]
    assert ProjectPhoto.objects.filter(project=project, update__isnull=True).count() == 0
    assert "participation.budget_update_posted" in actions(project.budget.territory)


def test_a_project_that_did_not_win_has_no_follow_up(bob: User, budget: Budget, project: Project,
                                                     auch: Territory) -> None:
    other = budget_services.add_project(bob, budget, project_data(title="Le gagnant"))
    publish_results(budget, other)
    with pytest.raises(BudgetRefused, match="Seuls les projets retenus"):
        budget_services.post_update(bob, project, "Rien", Progress.PLANNED)
    with pytest.raises(BudgetRefused) as refused:
        budget_services.post_update(bob, other, "  ", Progress.PLANNED)
    assert refused.value.field == "text"
    assert not ProjectUpdate.objects.exists()


# Staff pages

@pytest.fixture
def bob_client(gers_portal: Any, bob: User) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(bob)
    return client


FORM = {
    "title": "Budget participatif 2026", "description": "Vos idées.", "amount": "50000",
    "proposals_opens_at": "2026-05-10T08:00", "proposals_closes_at": "2026-06-10T18:00",
    "vote_opens_at": "2026-06-20T08:00", "vote_closes_at": "2026-07-05T18:00",
    "ballot_kind": "approval_budget", "min_projects": "1", "rule": "greedy", "level": Level.EMAIL,
}


def test_an_editor_creates_and_publishes_a_budget_from_the_forms(bob_client: Client, auch: Territory) -> None:
    base = f"/gestion/{auch.pk}/participation/budgets/"
    assert bob_client.get(base + "nouveau/").status_code == 200
    response = bob_client.post(base + "nouveau/", {**FORM, "territories": [auch.pk]})
    budget = Budget.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{base}{budget.pk}/"
    # 8:00 in Paris in May is 6:00 UTC.
    assert budget.proposals_opens_at == datetime.datetime(2026, 5, 10, 6, 0, tzinfo=datetime.UTC)
    page = bob_client.get(f"{base}{budget.pk}/").content.decode()
    assert "Publier le budget" in page and 'value="50000"' in page
    bob_client.post(f"{base}{budget.pk}/publier/")
    budget.refresh_from_db()
    assert budget.status == BudgetStatus.PUBLISHED
    listing = bob_client.get(base).content.decode()
    assert "Budget participatif 2026" in listing and "0 projet" in listing


@pytest.mark.parametrize(("changes", "message"), [
    ({"vote_opens_at": "2026-06-01T08:00"}, "Le vote ne peut ouvrir qu&#x27;après la clôture du dépôt des projets."),
    ({"amount": "12,5"}, "Saisissez un nombre entier."),
    ({"ballot_kind": "cumulative"}, "indiquez le nombre de points"),
])
def test_a_wrong_budget_form_is_a_400_with_the_reason(bob_client: Client, auch: Territory,
                                                      changes: dict[str, str], message: str) -> None:
    response = bob_client.post(f"/gestion/{auch.pk}/participation/budgets/nouveau/", {**FORM, **changes})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Budget.objects.exists()


def test_an_editor_reviews_a_project_from_its_page(bob_client: Client, project: Project, auch: Territory) -> None:
    url = f"/gestion/{auch.pk}/participation/budgets/{project.budget_id}/projets/{project.pk}/"
    page = bob_client.get(url).content.decode()
    assert "Enregistrer la décision" in page and "Masquer le projet" in page
    refused = bob_client.post(url + "decision/", {"status": "ineligible", "reason": ""})
    assert refused.status_code == 400 and "doit avoir un motif" in refused.content.decode()
    done = bob_client.post(url + "decision/", {"status": "eligible", "final_cost": "16000"})
    assert done.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.final_cost) == (ProjectStatus.ELIGIBLE, 16_000)
    table = bob_client.get(f"/gestion/{auch.pk}/participation/budgets/{project.budget_id}/projets/").content.decode()
    assert "16" in table and project.title in table


def test_a_moderator_sees_projects_and_hides_a_comment_but_reviews_nothing(
    gers_portal: Any, mona: User, project: Project, resident: User, auch: Territory,
) -> None:
    comment = budget_services.comment_project(resident, project, "Achetez mes montres")
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(mona)
    base = f"/gestion/{auch.pk}/participation/budgets/"
    url = f"{base}{project.budget_id}/projets/{project.pk}/"
    page = client.get(url).content.decode()
    assert "Masquer le commentaire" in page and "Enregistrer la décision" not in page
    assert client.get(f"{base}{project.budget_id}/").status_code == 404
    assert client.post(url + "decision/", {"status": "eligible"}).status_code == 404
    client.post(url + f"commentaires/{comment.pk}/masquer/", {"reason": "Publicité"})
    comment.refresh_from_db()
    assert comment.hidden_reason == "Publicité"


def test_another_territorys_staff_get_404_everywhere(gers_portal: Any, orne_portal: Any, project: Project,
                                                     auch: Territory, charlie: User, marciac: Territory,
                                                     alencon: Territory) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from clocher.territories.models import Collectivity, Role, StaffRole

    # Admins need a second factor before any /gestion/ page; Marciac joined, so a 404 is about roles.
    TOTP.activate(charlie, generate_totp_secret())
    Collectivity.objects.create(territory=marciac, portal=gers_portal)
    marciac_admin = make_user("maire-marciac@example.org")
    TOTP.activate(marciac_admin, generate_totp_secret())
    StaffRole.objects.create(user=marciac_admin, territory=marciac, role=Role.ADMIN)
    budget_id = project.budget_id
    paths = [
        f"/gestion/{auch.pk}/participation/budgets/",
        f"/gestion/{auch.pk}/participation/budgets/{budget_id}/",
        f"/gestion/{auch.pk}/participation/budgets/{budget_id}/projets/",
        f"/gestion/{auch.pk}/participation/budgets/{budget_id}/projets/{project.pk}/",
    ]
    sibling = Client(HTTP_HOST=GERS_HOST)
    sibling.force_login(marciac_admin)
    assert sibling.get(f"/gestion/{marciac.pk}/participation/budgets/").status_code == 200
    for path in paths:
        assert sibling.get(path).status_code == 404
    # Through Marciac's own URL, Auch's budget is not there either.
    assert sibling.get(f"/gestion/{marciac.pk}/participation/budgets/{budget_id}/").status_code == 404
    assert sibling.post(f"/gestion/{marciac.pk}/participation/budgets/{budget_id}/projets/{project.pk}/decision/",
                        {"status": "eligible"}).status_code == 404
    orne = Client(HTTP_HOST="orne.test")
    orne.force_login(charlie)
    assert orne.get(f"/gestion/{alencon.pk}/participation/budgets/").status_code == 200
    for path in paths:
        assert orne.get(path).status_code == 404
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED and not ProjectComment.objects.exists()


def test_staff_lists_keep_their_query_counts(bob_client: Client, bob: User, budget: Budget, auch: Territory,
                                             resident: User, django_assert_max_num_queries: Any) -> None:
    for n in range(12):
        budget_services.add_project(bob, budget, project_data(title=f"Projet {n}", commune=auch))
    make_budget(bob, auch, Phase.VOTE, title="Budget 2025")
    base = f"/gestion/{auch.pk}/participation/budgets/"
    with django_assert_max_num_queries(14):
        listing = bob_client.get(base)
    assert listing.status_code == 200 and "12 projets" in listing.content.decode()
    with django_assert_max_num_queries(14):
        table = bob_client.get(f"{base}{budget.pk}/projets/")
    assert table.content.decode().count("saisi par la collectivité") == 12
