"""A hostile review of participatory budgets (issue 7): garbage in every field of the vote and the
proposal forms is a 400 with a sentence, never a 500, and stores nothing; ids of another budget,
territory or portal are 404; the public results and exports name no voter; staff rights are checked
by the services as by the views."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from clocher.accounts.models import User
from clocher.participation import budget_services, budget_vote
from clocher.participation.budget_forms import budget_initial
from clocher.participation.budget_services import BudgetData
from clocher.participation.budget_views import SUPPORTS_PER_HOUR
from clocher.participation.budget_vote import VoteRefused
from clocher.participation.budgets import (
    BallotKind,
    BallotSource,
    Budget,
    BudgetBallot,
    BudgetBallotItem,
    BudgetStatus,
    Project,
    ProjectStatus,
    ProjectSupport,
)
from clocher.participation.models import Participation
from clocher.territories.models import AuditEntry, Portal, Role, Territory
from conftest import GERS_HOST, grant, make_user

from .test_budget_vote_factories import NOW, make_budget, pks, verified

pytestmark = pytest.mark.django_db
AFTER = NOW + datetime.timedelta(days=8)
GARBAGE = ["abc", "-1", "1.5", "", " ", "9" * 30, str(2**63), str(2**64 + 1), "٣", "１", "1e3", "0x10",
           "<script>", "\x00", "1" * 5000]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def voter(gers_portal: Portal, resident: User, auch: Territory) -> Client:
    verified(resident, auch)
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(resident)
    return client


@pytest.fixture
def staff(gers_portal: Portal, bob: User) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(bob)
    return client


def _nothing_stored() -> None:
    assert not BudgetBallot.objects.exists() and not BudgetBallotItem.objects.exists()
    assert not Participation.objects.exists()


# The resident's ballot

@pytest.mark.parametrize("value", GARBAGE)
def test_garbage_in_an_approval_ballot_is_a_400_and_stores_nothing(voter: Client, auch: Territory,
                                                                  value: str) -> None:
    budget = make_budget(auch)
    with time_machine.travel(NOW, tick=False):
        response = voter.post(f"/budgets/{budget.pk}/vote/", {"project": [value]})
    assert response.status_code == 400
    if "\x00" not in value:  # a NUL is refused by the middleware before any view
        assert "ne fait pas partie de ce vote" in response.content.decode()
    _nothing_stored()


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("kind", [BallotKind.CUMULATIVE, BallotKind.RANKING])
def test_garbage_in_points_or_ranks_is_a_400_and_stores_nothing(voter: Client, auch: Territory, kind: str,
                                                                value: str) -> None:
    budget = make_budget(auch, ballot_kind=kind, points=10 if kind == BallotKind.CUMULATIVE else None)
    p = pks(budget)
    field = "points" if kind == BallotKind.CUMULATIVE else "rank"
    data = {f"{field}-{p['1']}": value, f"{field}-{p['2']}": "1"}
    with time_machine.travel(NOW, tick=False):
        response = voter.post(f"/budgets/{budget.pk}/vote/", data)
        also = voter.post(f"/budgets/{budget.pk}/vote/", {**data, "action": "check"})
    assert response.status_code in (302, 400) and also.status_code in (200, 400)
    if value.strip() in ("", "0"):  # an empty field is no choice: a valid one-project ballot
        assert response.status_code == 302
    else:
        assert response.status_code == 400
        _nothing_stored()


def test_repeated_keys_and_another_budgets_project_are_refused(voter: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    other = make_budget(auch, title="Autre")
    p, q = pks(budget), pks(other)
    url = f"/budgets/{budget.pk}/vote/"
    with time_machine.travel(NOW, tick=False):
        foreign = voter.post(url, {"project": [p["1"], q["2"]]})
        assert foreign.status_code == 400 and "ne fait pas partie de ce vote" in foreign.content.decode()
        _nothing_stored()
        twice = voter.post(url, {"project": [p["1"], p["1"], p["1"]]})
    assert twice.status_code == 302
    assert BudgetBallotItem.objects.count() == 1


def test_a_ranking_with_gaps_or_twice_the_same_rank_or_an_over_budget_choice_is_refused(
    voter: Client, auch: Territory,
) -> None:
    ranking = make_budget(auch, ballot_kind=BallotKind.RANKING)
    p = pks(ranking)
    with time_machine.travel(NOW, tick=False):
        gap = voter.post(f"/budgets/{ranking.pk}/vote/", {f"rank-{p['1']}": "1", f"rank-{p['2']}": "3"})
        same = voter.post(f"/budgets/{ranking.pk}/vote/", {f"rank-{p['1']}": "1", f"rank-{p['2']}": "1"})
        huge = voter.post(f"/budgets/{ranking.pk}/vote/", {f"rank-{p['1']}": "40000"})
    assert [r.status_code for r in (gap, same, huge)] == [400, 400, 400]
    _nothing_stored()


def test_a_ballot_for_a_hidden_or_ineligible_project_of_the_same_budget_is_refused(voter: Client,
                                                                                  auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    Project.objects.filter(pk=p["1"]).update(status=ProjectStatus.INELIGIBLE)
    Project.objects.filter(pk=p["2"]).update(hidden_at=NOW)
    with time_machine.travel(NOW, tick=False):
        for pk in (p["1"], p["2"]):
            assert voter.post(f"/budgets/{budget.pk}/vote/", {"project": [pk]}).status_code == 400
    _nothing_stored()


# Secrecy

def test_the_public_exports_name_no_voter_and_say_nothing_of_the_order_of_votes(
    gers_portal: Portal, gers_client: Client, auch: Territory, bob: User,
) -> None:
    budget = make_budget(auch, level="email")
    p = pks(budget)
    voters = [make_user(f"v{n}@example.org", home_commune=auch, display_name=f"Votant{n}") for n in range(6)]
    with time_machine.travel(NOW, tick=False):
        for n, user in enumerate(voters):
            budget_vote.submit_ballot(user, budget, {p[str(1 + n % 4)]: 1})
        budget_vote.add_paper_ballot(bob, budget, "Jean Dupont", {p["1"]: 1})
    with time_machine.travel(AFTER, tick=False):
        budget_vote.count_votes(bob, budget)
        budget_vote.publish_results(bob, budget)
        pb = gers_client.get(f"/budgets/{budget.pk}/resultats.pb").content.decode()
        csv = gers_client.get(f"/budgets/{budget.pk}/resultats.csv").content.decode()
        page = gers_client.get(f"/budgets/{budget.pk}/resultats/").content.decode()
    keys = list(BudgetBallot.objects.exclude(voter_key=None).values_list("voter_key", flat=True))
    for text in (pb, csv, page):
        for user in voters:
            assert user.email not in text and user.display_name not in text
        assert not any(key and key in text for key in keys)
        assert not any(str(ballot) in text for ballot in BudgetBallot.objects.all())
    # What staff typed as a paper ballot's reference is theirs, not the public's.
    assert "Dupont" not in pb
    votes = pb.split("VOTES\n", 1)[1].splitlines()[1:]
    assert len(votes) == 7
    assert sorted(line.split(";")[0] for line in votes) == sorted([*(str(n) for n in range(1, 7)), "papier-1"])
    staff = Client(HTTP_HOST=GERS_HOST)
    staff.force_login(bob)
    with time_machine.travel(AFTER, tick=False):
        own = staff.get(f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/vote/resultats.pb").content.decode()
    assert "papier-Jean Dupont;" in own


def test_a_person_sees_only_their_own_ballot(voter: Client, gers_portal: Portal, auch: Territory) -> None:
    budget = make_budget(auch, level="email")
    p = pks(budget)
    other = make_user("other@example.org", home_commune=auch)
    with time_machine.travel(NOW, tick=False):
        budget_vote.submit_ballot(other, budget, {p["3"]: 1})
        page = voter.get(f"/budgets/{budget.pk}/vote/").content.decode()
    assert response_has_no_ballot(page)


def response_has_no_ballot(page: str) -> bool:
    return " checked" not in page and "Modifier mon bulletin" not in page


# Paper ballots and staff rights

def test_a_paper_ballot_reference_is_escaped_and_garbage_marks_are_a_400(staff: Client, auch: Territory,
                                                                        bob: User) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    url = f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/vote/"
    with time_machine.travel(NOW, tick=False):
        for value in GARBAGE:
            response = staff.post(url + "papier/", {"label": "P-1", "project": [value]})
            assert response.status_code == 400
        long = staff.post(url + "papier/", {"label": "x" * 5000, "project": [p["1"]]})
        assert long.status_code == 400
        _nothing_stored()
        ok = staff.post(url + "papier/", {"label": "<script>alert(1)</script>", "project": [p["1"]]})
        assert ok.status_code == 302
        page = staff.get(url).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert staff.get(url + "papier/not-a-uuid/supprimer/").status_code == 404


def test_staff_of_another_territory_or_a_moderator_cannot_touch_the_vote(gers_portal: Portal, auch: Territory,
                                                                        marciac: Territory, mona: User) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    marciac_editor = make_user("ed@example.org")
    grant(marciac_editor, marciac, Role.EDITOR)
    for user, territory in ((marciac_editor, marciac), (marciac_editor, auch), (mona, auch)):
        client = Client(HTTP_HOST=GERS_HOST)
        client.force_login(user)
        base = f"/gestion/{territory.pk}/participation/budgets/{budget.pk}/vote/"
        with time_machine.travel(NOW, tick=False):
            assert client.post(base + "papier/", {"label": "A", "project": [p["1"]]}).status_code in (403, 404)
        with pytest.raises(VoteRefused), time_machine.travel(NOW, tick=False):
            budget_vote.add_paper_ballot(user, budget, "A", {p["1"]: 1})
    _nothing_stored()
    assert not AuditEntry.objects.filter(action__startswith="participation.budget_paper").exists()


def test_the_results_csv_guards_formulas(gers_client: Client, auch: Territory, bob: User) -> None:
    budget = make_budget(auch, level="email")
    p = pks(budget)
    Project.objects.filter(pk=p["1"]).update(title="=HYPERLINK(\"http://evil\")")
    voter = make_user("v@example.org", home_commune=auch)
    with time_machine.travel(NOW, tick=False):
        budget_vote.submit_ballot(voter, budget, {p["1"]: 1})
    with time_machine.travel(AFTER, tick=False):
        budget_vote.count_votes(bob, budget)
        budget_vote.publish_results(bob, budget)
        csv = gers_client.get(f"/budgets/{budget.pk}/resultats.csv").content.decode()
    assert not re.search(r"(^|;)\"?=HYPERLINK", csv, re.M)


def test_results_and_exports_are_404_before_publication_and_across_portals(
    gers_client: Client, orne_client: Client, auch: Territory, bob: User,
) -> None:
    budget = make_budget(auch)
    with time_machine.travel(AFTER, tick=False):
        budget_vote.count_votes(bob, budget)
        for suffix in ("resultats/", "resultats.csv", "resultats.pb"):
            assert gers_client.get(f"/budgets/{budget.pk}/{suffix}").status_code == 404
        budget_vote.publish_results(bob, budget)
        for suffix in ("resultats/", "resultats.csv", "resultats.pb"):
            assert gers_client.get(f"/budgets/{budget.pk}/{suffix}").status_code == 200
            assert orne_client.get(f"/budgets/{budget.pk}/{suffix}").status_code == 404


# Proposals

@pytest.mark.parametrize("value", GARBAGE)
def test_garbage_in_the_proposal_form_is_a_form_error(gers_portal: Portal, resident: User, bob: User,
                                                      auch: Territory, value: str) -> None:
    budget = make_budget(auch, level="email", proposals_opens_at=NOW - datetime.timedelta(days=1),
                         proposals_closes_at=NOW + datetime.timedelta(days=5),
                         vote_opens_at=NOW + datetime.timedelta(days=6),
                         vote_closes_at=NOW + datetime.timedelta(days=9), costs=())
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(resident)
    with time_machine.travel(NOW, tick=False):
        for field in ("estimated_cost", "commune"):
            if field == "estimated_cost" and value in ("٣", "１"):
                continue  # other scripts' digits are digits: 3 € and 1 € are costs
            data = {"title": "Abri", "description": "Un abri", "estimated_cost": "100", "commune": str(auch.pk),
                    field: value}
            response = client.post(f"/budgets/{budget.pk}/proposer/", data)
            assert response.status_code == 400, (field, value)
    assert not Project.objects.exists()


def test_support_comment_and_edit_through_another_budget_are_404(gers_portal: Portal, resident: User,
                                                                 auch: Territory) -> None:
    budget = make_budget(auch, level="email")
    other = make_budget(auch, level="email", title="Autre")
    p = pks(budget)
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(resident)
    Project.objects.filter(pk=p["1"]).update(author=resident)
    base = f"/budgets/{other.pk}/projets/{p['1']}/"
    with time_machine.travel(NOW, tick=False):
        assert client.post(base + "soutien/", {"support": "1"}).status_code == 404
        assert client.post(base + "commenter/", {"text": "x"}).status_code == 404
        assert client.get(base + "modifier/").status_code == 404
        assert client.post(base + "retirer/").status_code == 404
        assert client.get(f"/budgets/{budget.pk}/projets/{2**64}/").status_code == 404


def test_a_moderator_cannot_review_or_add_projects(gers_portal: Portal, mona: User, auch: Territory) -> None:
    budget = make_budget(auch)
    project = Project.objects.filter(budget=budget).first()
    assert project is not None
    with pytest.raises(budget_services.BudgetRefused):
        budget_services.review_project(mona, project, ProjectStatus.INELIGIBLE, reason="Non")
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(mona)
    url = f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/projets/{project.pk}/decision/"
    assert client.post(url, {"status": "ineligible", "reason": "Non"}).status_code in (403, 404)
    project.refresh_from_db()
    assert project.status == ProjectStatus.ELIGIBLE


def test_toggling_a_support_in_a_loop_is_stopped_after_an_hour_s_worth(gers_portal: Portal, resident: User,
                                                                       auch: Territory) -> None:
    budget = make_budget(auch, level="email", proposals_opens_at=NOW - datetime.timedelta(days=1),
                         proposals_closes_at=NOW + datetime.timedelta(days=5),
                         vote_opens_at=NOW + datetime.timedelta(days=6),
                         vote_closes_at=NOW + datetime.timedelta(days=9))
    project = Project.objects.filter(budget=budget).first()
    assert project is not None
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.SUBMITTED)
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(resident)
    url = f"/budgets/{budget.pk}/projets/{project.pk}/soutien/"
    with time_machine.travel(NOW, tick=False):
        for n in range(SUPPORTS_PER_HOUR):
            client.post(url, {"support": str((n + 1) % 2)})
        assert ProjectSupport.objects.count() == 0  # an even number of toggles
        stopped = client.post(url, {"support": "1"}, follow=True)
        assert "réessayez dans une heure" in stopped.content.decode()
        assert ProjectSupport.objects.count() == 0
    # An hour later the cache has forgotten the count. Redis expires keys in real time, which
    # time_machine cannot move, so the expiry itself is what this line stands for.
    cache.delete(f"budgets:supports:user:{resident.pk}")
    with time_machine.travel(NOW + datetime.timedelta(hours=1, minutes=1), tick=False):
        client.post(url, {"support": "1"})
    assert ProjectSupport.objects.count() == 1


def test_staff_form_errors_are_tied_to_their_fields(staff: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    base = f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/"
    with time_machine.travel(NOW, tick=False):
        paper = staff.post(base + "vote/papier/", {"label": "", "project": [p["1"]]}).content.decode()
    field = re.search(r'<input type="text" name="label"[^>]*>', paper)
    assert field is not None and 'aria-invalid="true"' in field.group() and "label-errors" in field.group()
    before_vote = make_budget(auch, now=NOW + datetime.timedelta(days=40), title="Plus tard")
    project = Project.objects.filter(budget=before_vote).first()
    assert project is not None
    with time_machine.travel(NOW, tick=False):
        review = staff.post(f"/gestion/{auch.pk}/participation/budgets/{before_vote.pk}/projets/{project.pk}/decision/",
                            {"status": "nonsense", "final_cost": "9" * 30})
    page = review.content.decode()
    assert review.status_code == 400
    fieldset = re.search(r"<fieldset[^>]*>\s*<legend>Décision</legend>", page)
    assert fieldset is not None and 'aria-describedby="decision-errors"' in fieldset.group()
    assert 'id="decision-errors"' in page


def test_many_wrong_values_give_one_sentence_and_too_many_fields_a_400(voter: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    with time_machine.travel(NOW, tick=False):
        response = voter.post(f"/budgets/{budget.pk}/vote/", {"project": [f"x{n}" for n in range(500)]})
        flood = voter.post(f"/budgets/{budget.pk}/vote/", {"project": [str(n) for n in range(5000)]})
    assert response.status_code == 400
    assert response.content.decode().count("ne fait pas partie de ce vote") == 1
    assert flood.status_code == 400
    _nothing_stored()


def test_a_draft_holding_imported_ballots_keeps_the_rules_and_projects_they_were_cast_under(
    auch: Territory, bob: User, mona: User,
) -> None:
    budget = make_budget(auch, status=BudgetStatus.DRAFT, vote_opens_at=NOW - datetime.timedelta(days=3),
                         vote_closes_at=NOW - datetime.timedelta(days=2))
    p = pks(budget)
    ballot = BudgetBallot.objects.create(budget=budget, source=BallotSource.IMPORTED, label="v1")
    BudgetBallotItem.objects.create(ballot=ballot, project_id=p["1"])
    initial = budget_initial(budget)
    initial["territories"] = [auch]
    project = Project.objects.get(pk=p["1"])
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(budget_services.BudgetRefused):  # approval ballots read as points would be 0 points
            budget_services.update_budget(bob, budget, BudgetData(**{**initial, "ballot_kind": BallotKind.CUMULATIVE,
                                                                     "points": 10}))
        with pytest.raises(budget_services.BudgetRefused):
            budget_services.review_project(bob, project, ProjectStatus.INELIGIBLE, reason="Trop cher")
        with pytest.raises(budget_services.BudgetRefused):
            budget_services.hide_project(mona, project, "Doublon")
        budget_services.update_budget(bob, budget, BudgetData(**{**initial, "title": "Toulouse 2022"}))
    budget.refresh_from_db()
    project.refresh_from_db()
    assert (budget.ballot_kind, budget.title) == (BallotKind.APPROVAL_BUDGET, "Toulouse 2022")
    assert project.status == ProjectStatus.ELIGIBLE and project.hidden_at is None


def test_the_budget_form_ties_a_choice_s_error_to_its_group_and_takes_garbage(staff: Client, auch: Territory) -> None:
    url = f"/gestion/{auch.pk}/participation/budgets/nouveau/"
    response = staff.post(url, {"title": "<script>x</script>", "amount": str(2**64), "rule": "drop table",
                                "ballot_kind": "approval", "level": "email", "min_projects": "abc",
                                "proposals_opens_at": "2026-13-45T25:61", "territories": ["abc", str(2**64)]})
    assert response.status_code == 400
    page = response.content.decode()
    fieldset = re.search(r"<fieldset[^>]*>\s*<legend>Règle de dépouillement</legend>", page)
    assert fieldset is not None and "id_rule_error" in fieldset.group()
    assert 'id="id_rule_error"' in page and "<script>x" not in page
    assert not Budget.objects.exists()


def test_ids_beyond_any_column_are_404(voter: Client, staff: Client, auch: Territory) -> None:
    huge = 2**64
    for url in (f"/budgets/{huge}/", f"/budgets/{huge}/vote/", f"/budgets/{huge}/resultats.pb",
                f"/budgets/{huge}/projets/{huge}/"):
        assert voter.get(url).status_code == 404, url
    assert voter.post(f"/budgets/{huge}/projets/1/soutien/", {"support": "1"}).status_code == 404
    for url in (f"/gestion/{auch.pk}/participation/budgets/{huge}/", f"/gestion/{huge}/participation/budgets/",
                f"/gestion/{auch.pk}/participation/budgets/{huge}/vote/"):
        assert staff.get(url).status_code == 404, url


def test_a_points_field_holding_no_number_is_marked_invalid(voter: Client, staff: Client, auch: Territory) -> None:
    budget = make_budget(auch, ballot_kind=BallotKind.CUMULATIVE, points=10)
    p = pks(budget)
    with time_machine.travel(NOW, tick=False):
        page = voter.post(f"/budgets/{budget.pk}/vote/", {f"points-{p['1']}": "trois", f"points-{p['2']}": "2"})
        paper = staff.post(f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/vote/papier/",
                           {"label": "P-1", f"points-{p['1']}": "-4"})
    for response in (page, paper):
        assert response.status_code == 400
        html = response.content.decode()
        bad = re.search(rf'<input[^>]*id="points-{p["1"]}"[^>]*>', html)
        good = re.search(rf'<input[^>]*id="points-{p["2"]}"[^>]*>', html)
        assert bad is not None and 'aria-invalid="true"' in bad.group() and "ballot-errors" in bad.group()
        assert good is not None and "aria-invalid" not in good.group()
        assert 'id="ballot-errors"' in html
    _nothing_stored()
