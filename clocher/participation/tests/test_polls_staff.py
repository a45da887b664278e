"""Staff poll pages: an editor of Auch writes a poll from the form, publishes it, closes it early and
reads the results and their CSV; nobody else's role opens any of it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from clocher.accounts.models import User
from clocher.participation import poll_services
from clocher.participation.models import Level
from clocher.participation.polls import Poll, PollStatus
from clocher.territories.models import AuditEntry, Territory
from conftest import GERS_HOST

from .test_polls import NOW, open_poll, option_ids, poll_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def bob_client(gers_portal: Any, bob: User) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(bob)
    return client


FORM = {
    "title": "Faut-il piétonniser la rue Dessoles le samedi ?", "description": "Essai de trois mois.",
    "options": "Oui\r\nNon\r\n\r\nSans avis", "kind": "single", "opens_at": "2026-05-04T08:00",
    "closes_at": "2026-05-20T18:00", "results_visibility": "after_closing", "level": Level.RESIDENCE_CODE,
}


def test_an_editor_writes_publishes_and_closes_a_poll(bob_client: Client, auch: Territory) -> None:
    base = f"/gestion/{auch.pk}/participation/sondages/"
    assert bob_client.get(base + "nouveau/").status_code == 200
    response = bob_client.post(base + "nouveau/", {**FORM, "territories": [auch.pk], "min_age": "16"})
    poll = Poll.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{base}{poll.pk}/"
    assert [o.label for o in poll.options.all()] == ["Oui", "Non", "Sans avis"]
    assert (poll.status, poll.eligibility.min_age, poll.eligibility.level) == ("draft", 16, Level.RESIDENCE_CODE)
    assert list(poll.eligibility.territories.all()) == [auch]
    # 8:00 in Paris in May is 6:00 UTC.
    assert poll.opens_at == datetime.datetime(2026, 5, 4, 6, 0, tzinfo=datetime.UTC)
    edit = bob_client.get(f"{base}{poll.pk}/").content.decode()
    assert "Oui\nNon\nSans avis" in edit and "Publier le sondage" in edit
    bob_client.post(f"{base}{poll.pk}/publier/")
    poll.refresh_from_db()
    assert poll.status == PollStatus.PUBLISHED
    assert "Clore le vote maintenant" in bob_client.get(f"{base}{poll.pk}/").content.decode()
    bob_client.post(f"{base}{poll.pk}/clore/")
    poll.refresh_from_db()
    assert poll.closes_at == NOW and poll.closed_early_at == NOW
    assert set(AuditEntry.objects.filter(territory=auch).values_list("action", flat=True)) == {
        "participation.poll_created", "participation.poll_published", "participation.poll_closed",
    }
    listing = bob_client.get(base).content.decode()
    assert poll.title in listing and "0 bulletin" in listing


@pytest.mark.parametrize(("changes", "message"), [
    ({"options": "Oui"}, "Proposez au moins deux réponses."),
    ({"closes_at": "2026-05-01T08:00"}, "La clôture doit venir après l&#x27;ouverture."),
    ({"opens_at": "demain"}, "Saisissez une date et une heure valides."),
    ({"kind": "multiple", "max_choices": "5"}, "entre 1 et le nombre de réponses (3)"),
])
def test_a_wrong_form_is_a_400_with_the_reason_at_its_field(bob_client: Client, auch: Territory,
                                                           changes: dict[str, str], message: str) -> None:
    response = bob_client.post(f"/gestion/{auch.pk}/participation/sondages/nouveau/", {**FORM, **changes})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Poll.objects.exists()


def test_an_open_poll_keeps_its_answers(bob_client: Client, bob: User, auch: Territory) -> None:
    poll = open_poll(bob, auch)
    url = f"/gestion/{auch.pk}/participation/sondages/{poll.pk}/"
    assert "seuls la question, la présentation et la date de clôture" in bob_client.get(url).content.decode()
    response = bob_client.post(url, {**FORM, "opens_at": "2026-05-03T12:00", "options": "Autre\nChose"})
    assert response.status_code == 400
    assert [o.label for o in poll.options.all()] == ["Simone Veil", "Les Arts", "Du Gers"]


def test_staff_read_results_and_csv_before_residents_may(bob_client: Client, bob: User, auch: Territory,
                                                         resident: User) -> None:
    poll = open_poll(bob, auch)
    poll_services.vote(resident, poll, option_ids(poll)[1:2])
    base = f"/gestion/{auch.pk}/participation/sondages/{poll.pk}/"
    page = bob_client.get(base + "resultats/").content.decode()
    assert "Les habitants ne les voient pas encore." in page
    assert '<th scope="row">Les Arts</th>' in page and "100,0 %" in page
    csv = bob_client.get(base + "resultats.csv")
    assert csv.status_code == 200 and "Les Arts;1;100,0" in csv.content.decode()


def test_publishing_or_closing_another_territorys_poll_is_a_404(gers_portal: Any, bob: User, mona: User,
                                                                 dora: User, gers: Territory, auch: Territory) -> None:
    theirs = poll_services.create_poll(dora, gers, poll_data())
    mine = open_poll(bob, auch)
    for person, territory, poll in ((bob, gers, theirs), (bob, auch, theirs), (mona, auch, mine)):
        client = Client(HTTP_HOST=GERS_HOST)
        client.force_login(person)
        for action in ("publier", "clore"):
            url = f"/gestion/{territory.pk}/participation/sondages/{poll.pk}/{action}/"
            assert client.post(url).status_code == 404, (person, url)
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.status == PollStatus.DRAFT and mine.closed_early_at is None
