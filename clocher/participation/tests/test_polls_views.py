"""The resident's poll pages: the list of a commune, the ballot, "already voted", the reasons and
the links to fix them, the results with their chart and CSV; another portal's poll is a 404."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from clocher.accounts.models import User
from clocher.participation import poll_services
from clocher.participation.models import Level, Participation, Verification
from clocher.participation.polls import Ballot, Poll, PollKind, ResultsVisibility
from clocher.territories.models import Territory
from conftest import make_user

from .test_polls import NOW, open_poll, option_ids, poll_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def auch_poll(bob: User, auch: Territory, gers_portal: Any) -> Poll:
    with time_machine.travel(NOW - datetime.timedelta(days=2), tick=False):
        poll = poll_services.create_poll(bob, auch, poll_data(territories=[auch], level=Level.RESIDENCE_CODE))
        return poll_services.publish_poll(bob, poll)


@pytest.fixture
def verified(resident: User, auch: Territory) -> User:
    Verification.objects.create(user=resident, commune=auch, level=Level.RESIDENCE_CODE)
    return resident


def test_a_verified_resident_votes_then_is_told_they_already_voted(gers_client: Client, auch_poll: Poll, verified: User) -> None:
    gers_client.force_login(verified)
    url = f"/sondages/{auch_poll.pk}/"
    page = gers_client.get(url).content.decode()
    assert '<legend>Quel nom pour la nouvelle médiathèque ?</legend>' in page
    assert page.count('type="radio" name="option"') == 3
    first, second, _ = option_ids(auch_poll)
    response = gers_client.post(url, {"option": first}, follow=True)
    html = response.content.decode()
    assert "Merci : votre vote est enregistré." in html
    assert "Vous avez déjà voté." in html and 'name="option"' not in html
    again = gers_client.post(url, {"option": second})
    assert again.status_code == 409
    assert "Vous avez déjà voté." in again.content.decode()
    assert Ballot.objects.filter(poll=auch_poll).count() == 1


def test_a_multiple_choice_ballot_has_checkboxes_and_says_its_limit(gers_client: Client, bob: User, auch: Territory,
                                                                    verified: User) -> None:
    poll = open_poll(bob, auch, kind=PollKind.MULTIPLE, max_choices=2)
    gers_client.force_login(verified)
    page = gers_client.get(f"/sondages/{poll.pk}/").content.decode()
    assert page.count('type="checkbox" name="option"') == 3
    assert "Choisissez jusqu&#x27;à 2 réponses." in page or "Choisissez jusqu'à 2 réponses." in page
    response = gers_client.post(f"/sondages/{poll.pk}/", {"option": option_ids(poll)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "2 réponses au plus ; vous en avez choisi 3" in html and 'role="alert"' in html
    assert html.count(" checked") == 3  # what the person ticked is kept
    assert not Participation.objects.exists()


def test_an_empty_ballot_is_a_form_error(gers_client: Client, auch_poll: Poll, verified: User) -> None:
    gers_client.force_login(verified)
    response = gers_client.post(f"/sondages/{auch_poll.pk}/", {})
    assert response.status_code == 400
    assert "Choisissez une réponse." in response.content.decode()


def test_a_visitor_is_asked_to_sign_in_and_a_post_sends_them_there(gers_client: Client, auch_poll: Poll) -> None:
    url = f"/sondages/{auch_poll.pk}/"
    page = gers_client.get(url).content.decode()
    assert "Connectez-vous pour participer." in page
    assert f'href="/comptes/login/?next=%2Fsondages%2F{auch_poll.pk}%2F"' in page
    assert 'name="option"' not in page
    response = gers_client.post(url, {"option": option_ids(auch_poll)[0]})
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    assert not Participation.objects.exists()


def test_an_unverified_resident_sees_why_and_the_link_to_verify(gers_client: Client, auch_poll: Poll, resident: User) -> None:
    gers_client.force_login(resident)
    page = gers_client.get(f"/sondages/{auch_poll.pk}/").content.decode()
    assert "Votre domicile à Auch doit être vérifié" in page
    assert 'href="/participation/verifier/"' in page
    assert 'name="option"' not in page


def test_a_resident_without_a_commune_is_sent_to_choose_it(gers_client: Client, auch_poll: Poll) -> None:
    person = make_user("sans-commune@example.org")
    gers_client.force_login(person)
    page = gers_client.get(f"/sondages/{auch_poll.pk}/").content.decode()
    assert "choisissez-la dans « Mon compte »" in page
    assert 'href="/compte/#ma-commune"' in page


def test_the_commune_list_shows_open_and_closed_polls_and_what_the_person_voted(
    gers_client: Client, auch_poll: Poll, bob: User, auch: Territory, verified: User, django_assert_max_num_queries: Any,
) -> None:
    closed = open_poll(bob, auch, title="Question close", closes_at=NOW - datetime.timedelta(hours=1))
    poll_services.create_poll(bob, auch, poll_data(title="Brouillon caché"))
    poll_services.vote(verified, auch_poll, option_ids(auch_poll)[:1])
    gers_client.force_login(verified)
    with django_assert_max_num_queries(12):
        page = gers_client.get("/communes/32013/sondages/").content.decode()
    assert auch_poll.title in page and "Vous avez voté." in page
    assert f'href="/sondages/{closed.pk}/resultats/"' in page
    assert "Brouillon caché" not in page


def test_another_portals_poll_and_a_draft_are_404(orne_client: Client, gers_client: Client, auch_poll: Poll,
                                                  charlie: User, alencon: Territory, bob: User, auch: Territory) -> None:
    for path in ("/sondages/{}/", "/sondages/{}/resultats/", "/sondages/{}/resultats.csv"):
        assert orne_client.get(path.format(auch_poll.pk)).status_code == 404
    draft = poll_services.create_poll(bob, auch, poll_data())
    assert gers_client.get(f"/sondages/{draft.pk}/").status_code == 404
    assert gers_client.get("/communes/61001/sondages/").status_code == 404


def test_results_wait_for_the_closing_then_show_a_chart_a_table_and_a_csv(gers_client: Client, auch_poll: Poll,
                                                                         verified: User) -> None:
    first = option_ids(auch_poll)[0]
    poll_services.vote(verified, auch_poll, [first])
    results_url, csv_url = f"/sondages/{auch_poll.pk}/resultats/", f"/sondages/{auch_poll.pk}/resultats.csv"
    waiting = gers_client.get(results_url).content.decode()
    assert "Les résultats seront publiés à la clôture du vote" in waiting and "<table" not in waiting
    assert gers_client.get(csv_url).status_code == 404
    with time_machine.travel(NOW + datetime.timedelta(days=8), tick=False):
        page = gers_client.get(results_url).content.decode()
        assert '<th scope="row">Simone Veil</th>' in page
        assert '<td class="poll-results__number">1</td>' in page and "100,0 %" in page
        assert 'aria-hidden="true"' in page and 'width="100.0"' in page
        csv = gers_client.get(csv_url)
        assert csv["Content-Type"] == "text/csv; charset=utf-8"
        assert "Simone Veil;1;100,0" in csv.content.decode()


def test_after_voting_results_open_to_the_voter_only(gers_client: Client, bob: User, auch: Territory, verified: User) -> None:
    poll = open_poll(bob, auch, results_visibility=ResultsVisibility.AFTER_VOTING)
    url = f"/sondages/{poll.pk}/resultats/"
    assert "<table" not in gers_client.get(url).content.decode()
    gers_client.force_login(verified)
    gers_client.post(f"/sondages/{poll.pk}/", {"option": option_ids(poll)[1]})
    assert '<th scope="row">Les Arts</th>' in gers_client.get(url).content.decode()
