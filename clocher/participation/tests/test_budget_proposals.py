"""Participatory budgets before the vote and after it: residents propose, edit, withdraw, support and
comment on projects in the proposals phase only; photos are re-encoded without their EXIF; nothing is
stored when a service refuses."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction
from PIL import Image

from clocher.accounts.models import User
from clocher.participation import budget_services
from clocher.participation.budget_selectors import Phase, phase_of, public_projects
from clocher.participation.budget_services import BudgetData, BudgetRefused, PhotoData, ProjectData
from clocher.participation.budgets import (
    Budget,
    Project,
    ProjectComment,
    ProjectPhoto,
    ProjectStatus,
    ProjectSupport,
)
from clocher.participation.models import Level
from clocher.territories import images
from clocher.territories.models import Territory
from conftest import make_user

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)

# Where NOW falls for each phase, as offsets of the four dates from NOW.
PHASES: dict[str, tuple[datetime.timedelta, ...]] = {
    Phase.ANNOUNCED: (2 * DAY, 9 * DAY, 16 * DAY, 23 * DAY),
    Phase.PROPOSALS: (-DAY, 7 * DAY, 14 * DAY, 21 * DAY),
    Phase.REVIEW: (-9 * DAY, -2 * DAY, 5 * DAY, 12 * DAY),
    Phase.VOTE: (-16 * DAY, -9 * DAY, -2 * DAY, 5 * DAY),
    Phase.COUNTING: (-23 * DAY, -16 * DAY, -9 * DAY, -2 * DAY),
}


def budget_data(phase: str = Phase.PROPOSALS, **changes: Any) -> BudgetData:
    opens, closes, vote_opens, vote_closes = PHASES[phase]
    values: dict[str, Any] = {
        "title": "Budget participatif 2026", "amount": 100_000, "description": "Vos idées pour Auch.",
        "proposals_opens_at": NOW + opens, "proposals_closes_at": NOW + closes,
        "vote_opens_at": NOW + vote_opens, "vote_closes_at": NOW + vote_closes, "level": Level.EMAIL,
    }
    values.update(changes)
    return BudgetData(**values)


def make_budget(actor: User, territory: Territory, phase: str = Phase.PROPOSALS, **changes: Any) -> Budget:
    """A published budget whose phase at NOW is `phase` (created and published a month before)."""
    with time_machine.travel(NOW - 30 * DAY, tick=False):
        budget = budget_services.create_budget(actor, territory, budget_data(phase, **changes))
        return budget_services.publish_budget(actor, budget)


def jpeg_with_exif(size: tuple[int, int] = (64, 48)) -> bytes:
    picture = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0131] = "SecretSoftware"  # Software
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def photo(alt: str = "Le terrain vague") -> PhotoData:
    return PhotoData(images.reencode(io.BytesIO(jpeg_with_exif()), max_side=2048, output="JPEG"), alt)


def project_data(**changes: Any) -> ProjectData:
    values: dict[str, Any] = {
        "title": "Un abri vélo devant la gare", "description": "Douze places couvertes.\nPrès des quais.",
        "estimated_cost": 15_000,
    }
    values.update(changes)
    return ProjectData(**values)


@pytest.fixture(autouse=True)
def _now(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def budget(bob: User, auch: Territory) -> Budget:
    return make_budget(bob, auch, territories=[auch])


@pytest.fixture
def project(budget: Budget, resident: User, auch: Territory) -> Project:
    return budget_services.submit_project(resident, budget, project_data(commune=auch))


def move_to(budget: Budget, phase: str) -> Budget:
    """Sets the budget's dates so that NOW falls in `phase` (as staff could not: the test's shortcut)."""
    opens, closes, vote_opens, vote_closes = PHASES[phase]
    Budget.objects.filter(pk=budget.pk).update(
        proposals_opens_at=NOW + opens, proposals_closes_at=NOW + closes,
        vote_opens_at=NOW + vote_opens, vote_closes_at=NOW + vote_closes,
    )
    budget.refresh_from_db()
    assert phase_of(budget) == phase
    return budget


# Proposals

def test_a_resident_submits_a_project_whose_photos_lose_their_exif(budget: Budget, resident: User,
                                                                    auch: Territory) -> None:
    assert b"SecretSoftware" in jpeg_with_exif()
    project = budget_services.submit_project(
        resident, budget, project_data(commune=auch, address="  Place de la   gare ", photos=[photo(), photo("")]),
    )
    assert (project.status, project.author, project.code, project.address) == (
        ProjectStatus.SUBMITTED, resident, str(project.pk), "Place de la gare")
    photos = list(project.photos.all())
    assert [p.alt for p in photos] == ["Le terrain vague", ""]
    for stored in photos:
        content = stored.file.read()
        assert str(stored.file.name).endswith(".jpg") and content[:2] == b"\xff\xd8"
        assert b"SecretSoftware" not in content and b"CameraMaker" not in content and b"Exif" not in content
        with Image.open(io.BytesIO(content)) as decoded:
            assert not decoded.getexif()
            assert (decoded.width, decoded.height) == (stored.width, stored.height) == (64, 48)


@pytest.mark.parametrize("phase", [Phase.ANNOUNCED, Phase.REVIEW, Phase.VOTE])
def test_no_project_is_submitted_outside_the_proposals_phase(bob: User, auch: Territory, resident: User,
                                                             phase: str) -> None:
    budget = make_budget(bob, auch, phase)
    with pytest.raises(BudgetRefused, match="Le dépôt des projets n'est pas ouvert."):
        budget_services.submit_project(resident, budget, project_data(photos=[photo()]))
    assert not Project.objects.exists() and not ProjectPhoto.objects.exists()


def test_a_draft_budget_takes_no_project(bob: User, auch: Territory, resident: User) -> None:
    with time_machine.travel(NOW - 30 * DAY, tick=False):
        draft = budget_services.create_budget(bob, auch, budget_data())
    with pytest.raises(BudgetRefused):
        budget_services.submit_project(resident, draft, project_data())
    assert not Project.objects.exists()


def test_someone_the_eligibility_turns_down_cannot_propose(budget: Budget, marciac: Territory) -> None:
    outsider = make_user("marciac@example.org", home_commune=marciac)
    with pytest.raises(BudgetRefused, match="réservé"):
        budget_services.submit_project(outsider, budget, project_data())
    assert not Project.objects.exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "   "}, "title"),
    ({"description": " \n "}, "description"),
    ({"estimated_cost": 0}, "estimated_cost"),
    ({"estimated_cost": 100_001}, "estimated_cost"),
])
def test_a_wrong_project_is_refused_at_its_field(budget: Budget, resident: User, changes: dict[str, Any],
                                                 field: str) -> None:
    with pytest.raises(BudgetRefused) as refused:
        budget_services.submit_project(resident, budget, project_data(photos=[photo()], **changes))
    assert refused.value.field == field
    assert not Project.objects.exists() and not ProjectPhoto.objects.exists()


def test_a_commune_outside_the_budget_and_a_fourth_photo_are_refused(budget: Budget, resident: User,
                                                                     marciac: Territory) -> None:
    with pytest.raises(BudgetRefused, match="ne fait pas partie du territoire"):
        budget_services.submit_project(resident, budget, project_data(commune=marciac))
    with pytest.raises(BudgetRefused, match="3 photos au plus"):
        budget_services.submit_project(resident, budget, project_data(photos=[photo()] * 4))
    assert not Project.objects.exists()


def test_a_png_that_did_not_go_through_reencode_as_jpeg_is_refused(budget: Budget, resident: User) -> None:
    png = images.reencode(io.BytesIO(jpeg_with_exif()), max_side=100, output="PNG")
    with pytest.raises(BudgetRefused):
        budget_services.submit_project(resident, budget, project_data(photos=[PhotoData(png, "x")]))
    assert not Project.objects.exists()


# Editing and withdrawing

def test_the_author_edits_their_project_and_swaps_a_photo(project: Project, resident: User, auch: Territory,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    first = budget_services.update_project(resident, project, project_data(photos=[photo("Avant")], commune=auch))
    old = first.photos.get()
    storage, name = old.file.storage, str(old.file.name)
    with django_capture_on_commit_callbacks() as callbacks:
        updated = budget_services.update_project(
            resident, project,
            project_data(title="Un abri vélo sécurisé", estimated_cost=18_000, photos=[photo("Après")]),
            remove_photos=[old.pk],
        )
    assert (updated.title, updated.estimated_cost, updated.commune) == ("Un abri vélo sécurisé", 18_000, None)
    assert [p.alt for p in updated.photos.all()] == ["Après"]
    # The old file goes once the edit is committed, not before.
    assert storage.exists(name)
    for callback in callbacks:
        callback()
    assert not storage.exists(name)


def test_nobody_but_the_author_edits_or_withdraws(project: Project, bob: User) -> None:
    other = make_user("voisin@example.org")
    for person in (other, bob):
        with pytest.raises(BudgetRefused, match="Seul l'auteur"):
            budget_services.update_project(person, project, project_data(title="Détourné"))
        with pytest.raises(BudgetRefused, match="Seul l'auteur"):
            budget_services.withdraw_project(person, project)
    project.refresh_from_db()
    assert (project.title, project.status) == ("Un abri vélo devant la gare", ProjectStatus.SUBMITTED)


def test_a_project_cannot_change_once_reviewed_or_once_proposals_close(project: Project, resident: User,
                                                                       bob: User) -> None:
    budget_services.review_project(bob, project, ProjectStatus.ELIGIBLE)
    with pytest.raises(BudgetRefused, match="déjà été étudié"):
        budget_services.update_project(resident, project, project_data(title="Autre"))
    move_to(project.budget, Phase.REVIEW)
    with pytest.raises(BudgetRefused, match="clos"):
        budget_services.withdraw_project(resident, project)
    project.refresh_from_db()
    assert (project.title, project.status) == ("Un abri vélo devant la gare", ProjectStatus.ELIGIBLE)


def test_a_withdrawn_project_leaves_the_public_list(project: Project, resident: User) -> None:
    budget_services.withdraw_project(resident, project)
    assert not public_projects(project.budget).exists()
    with pytest.raises(BudgetRefused, match="retiré"):
        budget_services.withdraw_project(resident, project)


# Supports

def test_a_person_supports_once_and_may_take_it_back(project: Project, resident: User) -> None:
    assert budget_services.support_project(resident, project) is True
    assert budget_services.support_project(resident, project) is False
    project.refresh_from_db()
    assert project.supports_count == 1 and ProjectSupport.objects.count() == 1
    assert budget_services.unsupport_project(resident, project) is True
    assert budget_services.unsupport_project(resident, project) is False
    project.refresh_from_db()
    assert project.supports_count == 0


def test_the_database_refuses_a_second_support_row(project: Project, resident: User) -> None:
    ProjectSupport.objects.create(project=project, user=resident)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectSupport.objects.create(project=project, user=resident)


def test_supports_are_for_the_proposals_phase_and_for_those_who_may_take_part(
    project: Project, resident: User, marciac: Territory,
) -> None:
    outsider = make_user("marciac@example.org", home_commune=marciac)
    with pytest.raises(BudgetRefused, match="réservé"):
        budget_services.support_project(outsider, project)
    move_to(project.budget, Phase.REVIEW)
    with pytest.raises(BudgetRefused, match="pendant le dépôt des projets"):
        budget_services.support_project(resident, project)
    assert not ProjectSupport.objects.exists()


def test_an_ineligible_project_takes_no_more_supports(project: Project, resident: User, bob: User) -> None:
    budget_services.review_project(bob, project, ProjectStatus.INELIGIBLE, reason="Hors compétence.")
    with pytest.raises(BudgetRefused, match="pas recevable"):
        budget_services.support_project(resident, project)
    assert not ProjectSupport.objects.exists()


# Comments

def test_a_comment_is_kept_as_written_with_the_display_name(project: Project, auch: Territory) -> None:
    person = make_user("zoe@example.org", display_name="Zoé", home_commune=auch)
    comment = budget_services.comment_project(person, project, "  <b>Oui !</b>\nEt des arceaux.  ")
    assert (comment.text, comment.author_name) == ("<b>Oui !</b>\nEt des arceaux.", "Zoé")


def test_a_comment_needs_a_verified_address_and_some_text(project: Project) -> None:
    from allauth.account.models import EmailAddress

    person = make_user("nouveau@example.org")
    EmailAddress.objects.filter(user=person).update(verified=False)
    with pytest.raises(BudgetRefused, match="Vérifiez votre adresse e-mail"):
        budget_services.comment_project(person, project, "Bonjour")
    EmailAddress.objects.filter(user=person).update(verified=True)
    with pytest.raises(BudgetRefused, match="Écrivez votre commentaire"):
        budget_services.comment_project(person, project, "   ")
    with pytest.raises(BudgetRefused, match="2000 caractères"):
        budget_services.comment_project(person, project, "x" * 2001)
    assert not ProjectComment.objects.exists()
