"""The vote's pages: a resident's ballot without JavaScript ("Vérifier", then "Voter"), their own
ballot only, changes until the close; the public results once published; the staff's paper
ballots, count and publication; another territory's budget is a 404 everywhere."""

from __future__ import annotations

import datetime
import html
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from clocher.accounts.models import User
from clocher.participation import budget_vote
from clocher.participation.budgets import BallotKind, BallotSource, BudgetBallot, BudgetStatus
from clocher.participation.models import Participation
from clocher.territories.models import Portal, Role, Territory
from conftest import GERS_HOST, ORNE_HOST, grant, make_user

from .test_budget_vote_factories import NOW, make_budget, pks, verified

pytestmark = pytest.mark.django_db
AFTER = NOW + datetime.timedelta(days=8)


@pytest.fixture
def voter_client(gers_portal: Portal, resident: User, auch: Territory) -> Client:
    verified(resident, auch)
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(resident)
    return client


@pytest.fixture
def bob_client(gers_portal: Portal, bob: User) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(bob)
    return client


def text(response: Any) -> str:
    """The page with runs of white space (no-break spaces in amounts too) as one space."""
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_a_visitor_is_told_to_sign_in_and_sees_no_ballot(gers_client: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    with time_machine.travel(NOW, tick=False):
        page = text(gers_client.get(f"/budgets/{budget.pk}/vote/"))
    assert "Connectez-vous pour participer." in page and "Se connecter" in page
    assert 'name="project"' not in page


def test_check_shows_the_total_and_what_remains_and_stores_nothing(voter_client: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    url = f"/budgets/{budget.pk}/vote/"
    with time_machine.travel(NOW, tick=False):
        page = text(voter_client.get(url))
        assert 'aria-live="polite"' in page and "Total choisi : 0 € sur 55 000 € ; reste 55 000 €." in page
        response = voter_client.post(url, {"action": "check", "project": [p["1"], p["4"]]})
        assert response.status_code == 200
        assert "Total choisi : 40 000 € sur 55 000 € ; reste 15 000 €." in text(response)
        over = voter_client.post(url, {"action": "check", "project": [p["1"], p["2"]]})
        page = text(over)
        assert 'role="alert"' not in page
        assert "Votre choix coûte 55 000 €" not in page  # 55 000 fits exactly: no refusal
        over = voter_client.post(url, {"action": "check", "project": [p["1"], p["2"], p["4"]]})
        assert "Votre choix coûte 65 000 €, soit 10 000 € de plus que l'enveloppe de 55 000 €" in text(over)
    assert not BudgetBallot.objects.exists() and not Participation.objects.exists()


def test_a_resident_votes_sees_their_ballot_and_changes_it(voter_client: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    url = f"/budgets/{budget.pk}/vote/"
    with time_machine.travel(NOW, tick=False):
        refused = voter_client.post(url, {"action": "cast", "project": [p["1"], p["2"], p["4"]]})
        assert refused.status_code == 400 and "de plus que l'enveloppe" in text(refused)
        assert not BudgetBallot.objects.exists()
        response = voter_client.post(url, {"action": "cast", "project": [p["1"], p["4"]]})
        assert response.status_code == 302
        page = text(voter_client.get(url))
        assert "Merci : votre bulletin est enregistré." in page and "Votre bulletin" in page
        assert "Aire de jeux — 30 000 €" in page and "Modifier mon bulletin" in page
        assert 'name="project"' not in page
        form = text(voter_client.get(url + "?modifier=1"))
        assert re.search(rf'value="{p["1"]}" id="project-{p["1"]}" data-cost="30000" checked', form)
        voter_client.post(url, {"action": "cast", "project": [p["3"]]})
        page = text(voter_client.get(url))
        assert "Votre bulletin est modifié." in page and "Boîte à livres — 20 000 €" in page
    assert BudgetBallot.objects.count() == 1 and Participation.objects.count() == 1


def test_a_resident_never_sees_another_persons_ballot(voter_client: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    other = verified(make_user("other@example.org", home_commune=auch), auch)
    with time_machine.travel(NOW, tick=False):
        budget_vote.submit_ballot(other, budget, {p["2"]: 1})
        page = text(voter_client.get(f"/budgets/{budget.pk}/vote/"))
    assert "Votre bulletin est secret" not in page and "Modifier mon bulletin" not in page
    assert 'checked' not in page


def test_points_and_ranks_are_read_from_their_fields(voter_client: Client, auch: Territory) -> None:
    cumulative = make_budget(auch, ballot_kind=BallotKind.CUMULATIVE, points=10)
    p = pks(cumulative)
    with time_machine.travel(NOW, tick=False):
        bad = voter_client.post(f"/budgets/{cumulative.pk}/vote/", {"action": "cast", f"points-{p['1']}": "beaucoup"})
        assert bad.status_code == 400 and "doivent être un nombre entier" in text(bad)
        over = voter_client.post(f"/budgets/{cumulative.pk}/vote/", {"action": "check", f"points-{p['1']}": "12"})
        assert "Points donnés : 12, soit 2 de trop sur 10." in text(over)
        voter_client.post(f"/budgets/{cumulative.pk}/vote/", {"action": "cast", f"points-{p['1']}": "6", f"points-{p['2']}": "4"})
    assert sorted(item.points or 0 for item in BudgetBallot.objects.get(budget=cumulative).items.all()) == [4, 6]
    ranking = make_budget(auch, ballot_kind=BallotKind.RANKING, title="Classement")
    r = pks(ranking)
    with time_machine.travel(NOW, tick=False):
        page = text(voter_client.get(f"/budgets/{ranking.pk}/vote/"))
        assert f'<select name="rank-{r["1"]}"' in page
        voter_client.post(f"/budgets/{ranking.pk}/vote/", {"action": "cast", f"rank-{r['2']}": "1", f"rank-{r['1']}": "2"})
    items = BudgetBallot.objects.get(budget=ranking).items.order_by("rank")
    assert [item.project.code for item in items] == ["2", "1"]


def test_other_portals_and_drafts_are_404(orne_portal: Portal, gers_client: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    draft = make_budget(auch, status=BudgetStatus.DRAFT)
    orne = Client(HTTP_HOST=ORNE_HOST)
    with time_machine.travel(NOW, tick=False):
        assert orne.get(f"/budgets/{budget.pk}/vote/").status_code == 404
        assert gers_client.get(f"/budgets/{draft.pk}/vote/").status_code == 404
        assert gers_client.get(f"/budgets/{budget.pk}/resultats/").status_code == 404


def _counted_and_published(bob: User, auch: Territory, voters: int = 3) -> Any:
    budget = make_budget(auch)
    p = pks(budget)
    choices = [{p["1"]: 1, p["3"]: 1}, {p["1"]: 1}, {p["2"]: 1, p["4"]: 1}]
    with time_machine.travel(NOW, tick=False):
        for number in range(voters):
            person = verified(make_user(f"v{number}@example.org", home_commune=auch), auch)
            budget_vote.submit_ballot(person, budget, choices[number % 3])
    with time_machine.travel(AFTER, tick=False):
        budget_vote.count_votes(bob, budget)
        budget_vote.publish_results(bob, budget)
    return budget


def test_the_results_page_explains_each_outcome(gers_client: Client, bob: User, auch: Territory) -> None:
    budget = _counted_and_published(bob, auch)
    with time_machine.travel(AFTER, tick=False):
        page = text(gers_client.get(f"/budgets/{budget.pk}/resultats/"))
        csv = gers_client.get(f"/budgets/{budget.pk}/resultats.csv")
        pb = gers_client.get(f"/budgets/{budget.pk}/resultats.pb")
    assert "3 bulletins." in page
    # Greedy: 1 (2 votes, 30 000) then 2, 3, 4 with one vote each, in code order: 2 fits (25 000),
    # then nothing is left for 3 nor 4.
    assert "3 projets retenus" not in page and "2 projets retenus, pour 55 000 € de l'enveloppe de 55 000 €." in page
    assert ("Ce projet est retenu : 2 voix, au rang 1 sur 4, et son coût de 30 000 € tenait dans les "
            "55 000 € restants.") in page
    assert ("Ce projet n'est pas retenu : 1 voix, au rang 3 sur 4, mais son coût de 20 000 € dépassait les "
            "0 € qui restaient à son tour.") in page
    assert page.count("<svg class=\"budget-bar\"") == 4
    assert csv.status_code == 200 and csv["Content-Disposition"] == f'attachment; filename="budget-{budget.pk}-resultats.csv"'
    assert "Aire de jeux" in csv.content.decode()
    assert pb.status_code == 200 and "vote_type;approval" in pb.content.decode()


def test_the_vote_box_links_to_the_vote_then_the_results(auch: Territory) -> None:
    from django.template.loader import render_to_string

    budget = make_budget(auch)
    assert "/vote/" in render_to_string("participation/budgets/_vote_box.html", {"budget": budget, "phase": "vote"})
    assert "/resultats/" in render_to_string("participation/budgets/_vote_box.html", {"budget": budget, "phase": "results"})


# Staff

def test_staff_enter_a_paper_ballot_count_and_publish(bob_client: Client, resident: User, auch: Territory) -> None:
    budget = make_budget(auch)
    p = pks(budget)
    base = f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/vote/"
    with time_machine.travel(NOW, tick=False):
        page = text(bob_client.get(base))
        assert "Saisir un bulletin papier" in page and "Aucun bulletin papier pour l'instant." in page
        refused = bob_client.post(base + "papier/", {"label": "M-1", "project": [p["1"], p["2"], p["3"]]})
        assert refused.status_code == 400 and "de plus que l'enveloppe" in text(refused)
        assert bob_client.post(base + "papier/", {"label": "M-1", "project": [p["1"]]}).status_code == 302
        ballot = BudgetBallot.objects.get(source=BallotSource.PAPER)
        assert "M-1" in text(bob_client.get(base))
        assert bob_client.get(f"{base}papier/{ballot.pk}/supprimer/").status_code == 200
        bob_client.post(f"{base}papier/{ballot.pk}/supprimer/")
        assert not BudgetBallot.objects.exists()
        bob_client.post(base + "papier/", {"label": "M-2", "project": [p["2"]]})
        bob_client.post(base + "depouiller/")
        assert budget.__class__.objects.get(pk=budget.pk).results == {}  # not closed: refused
    with time_machine.travel(AFTER, tick=False):
        response = bob_client.post(base + "depouiller/")
        assert response.status_code == 302 and response["Location"].endswith("resultats/")
        results = text(bob_client.get(base + "resultats/"))
        assert "1 bulletin." in results and "Bancs du parc" in results
        bob_client.post(base + "publier/")
        budget.refresh_from_db()
        assert budget.results_published_at is not None
        assert bob_client.get(base + "resultats.pb").status_code == 200
        assert bob_client.get(base + "resultats.csv").status_code == 200


def test_staff_of_another_territory_get_404(gers_portal: Portal, auch: Territory, marciac: Territory) -> None:
    budget = make_budget(auch)
    editor = make_user("marciac-editor@example.org")
    grant(editor, marciac, Role.EDITOR)
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(editor)
    for path in ("", "resultats/", "resultats.pb", "resultats.csv"):
        assert client.get(f"/gestion/{marciac.pk}/participation/budgets/{budget.pk}/vote/{path}").status_code == 404
        assert client.get(f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/vote/{path}").status_code == 404
    for path in ("depouiller/", "publier/", "papier/"):
        assert client.post(f"/gestion/{marciac.pk}/participation/budgets/{budget.pk}/vote/{path}").status_code == 404


def test_a_bad_ballot_id_is_404(bob_client: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    base = f"/gestion/{auch.pk}/participation/budgets/{budget.pk}/vote/"
    assert bob_client.get(base + "papier/not-a-uuid/supprimer/").status_code == 404
    assert bob_client.get(base + "papier/00000000-0000-0000-0000-000000000000/supprimer/").status_code == 404


def test_a_ballot_sent_after_the_close_is_refused_with_the_reason_shown(voter_client: Client, auch: Territory) -> None:
    budget = make_budget(auch)
    with time_machine.travel(AFTER, tick=False):
        response = voter_client.post(f"/budgets/{budget.pk}/vote/", {"action": "cast", "project": [pks(budget)["1"]]})
    assert response.status_code == 400 and 'role="alert"' in text(response) and "Le vote est clos." in text(response)
    assert not BudgetBallot.objects.exists()
