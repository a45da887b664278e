"""Polls: staff create, publish and close them; a resident votes once, secretly, within the dates and
the poll's rules; results follow the poll's visibility."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from clocher.accounts.models import User
from clocher.participation import poll_selectors, poll_services
from clocher.participation.models import Level, Participation, Verification
from clocher.participation.polls import (
    Ballot,
    BallotChoice,
    Poll,
    PollKind,
    PollOption,
    ResultsVisibility,
)
from clocher.participation.services import ParticipationRefused
from clocher.territories.models import AuditEntry, Territory
from conftest import make_user

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)


def poll_data(**changes: Any) -> poll_services.PollData:
    values: dict[str, Any] = {
        "title": "Quel nom pour la nouvelle médiathèque ?",
        "options": ["Simone Veil", "Les Arts", "Du Gers"],
        "opens_at": NOW - datetime.timedelta(days=1),
        "closes_at": NOW + datetime.timedelta(days=7),
        "description": "Le conseil municipal choisira parmi les trois premiers.",
    }
    values.update(changes)
    return poll_services.PollData(**values)


def open_poll(actor: User, territory: Territory, **changes: Any) -> Poll:
    with time_machine.travel(NOW - datetime.timedelta(days=2), tick=False):
        poll = poll_services.create_poll(actor, territory, poll_data(**changes))
        return poll_services.publish_poll(actor, poll)


def option_ids(poll: Poll) -> list[int]:
    return list(poll.options.values_list("pk", flat=True))


@pytest.fixture
def auch_resident(resident: User, auch: Territory) -> User:
    Verification.objects.create(user=resident, commune=auch, level=Level.RESIDENCE_CODE)
    return resident


# Secrecy

def test_a_ballot_holds_no_reference_to_the_voter_nor_a_time() -> None:
    for model in (Ballot, BallotChoice):
        names = {f.name for f in model._meta.get_fields()}
        related = {f.related_model for f in model._meta.get_fields() if f.is_relation}
        assert User not in related, model
        assert Participation not in related, model
        assert not {n for n in names if "user" in n or "voter" in n or n.endswith("_at") or "date" in n}, model
        # A counter key would give the order of the votes, to be lined up with participations.
        assert model._meta.pk.get_internal_type() == "UUIDField"


def test_a_vote_writes_one_participation_and_one_anonymous_ballot(bob: User, auch: Territory, auch_resident: User) -> None:
    poll = open_poll(bob, auch, territories=[auch], level=Level.RESIDENCE_CODE)
    first = option_ids(poll)[0]
    with time_machine.travel(NOW, tick=False):
        poll_services.vote(auch_resident, poll, [str(first)])
    assert Participation.objects.filter(user=auch_resident, object_id=poll.pk).count() == 1
    ballot = Ballot.objects.get(poll=poll)
    assert list(ballot.choices.values_list("option_id", flat=True)) == [first]


# Once

def test_a_second_vote_is_refused_and_changes_nothing(bob: User, auch: Territory, auch_resident: User) -> None:
    poll = open_poll(bob, auch)
    first, second, _third = option_ids(poll)
    with time_machine.travel(NOW, tick=False):
        poll_services.vote(auch_resident, poll, [first])
        with pytest.raises(ParticipationRefused, match="déjà participé"):
            poll_services.vote(auch_resident, poll, [second])
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert list(BallotChoice.objects.values_list("option_id", flat=True)) == [first]


# Dates

@pytest.mark.parametrize(("moment", "reason"), [
    (NOW - datetime.timedelta(days=3), "pas encore ouvert"),
    (NOW + datetime.timedelta(days=8), "est clos"),
])
def test_no_vote_before_opening_or_after_closing(bob: User, auch: Territory, auch_resident: User,
                                                 moment: datetime.datetime, reason: str) -> None:
    poll = open_poll(bob, auch)
    with time_machine.travel(moment, tick=False), pytest.raises(ParticipationRefused, match=reason):
        poll_services.vote(auch_resident, poll, option_ids(poll)[:1])
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_a_draft_takes_no_vote(bob: User, auch: Territory, auch_resident: User) -> None:
    with time_machine.travel(NOW, tick=False):
        poll = poll_services.create_poll(bob, auch, poll_data())
        with pytest.raises(ParticipationRefused, match="pas encore ouvert"):
            poll_services.vote(auch_resident, poll, option_ids(poll)[:1])


def test_closing_early_stops_the_votes(bob: User, auch: Territory, auch_resident: User) -> None:
    poll = open_poll(bob, auch)
    with time_machine.travel(NOW, tick=False):
        poll_services.close_poll(bob, poll)
    assert poll.closes_at == NOW and poll.closed_early_at == NOW
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
        with pytest.raises(ParticipationRefused, match="est clos"):
            poll_services.vote(auch_resident, poll, option_ids(poll)[:1])
        with pytest.raises(poll_services.PollRefused, match="déjà clos"):
            poll_services.close_poll(bob, poll)
    assert AuditEntry.objects.filter(action="participation.poll_closed").count() == 1


def test_a_vote_checked_before_an_early_close_is_refused_after_it(bob: User, auch: Territory, auch_resident: User) -> None:
    # The poll in memory still says "open"; the database, read in the vote's transaction, says closed.
    poll = open_poll(bob, auch)
    stale = Poll.objects.get(pk=poll.pk)
    with time_machine.travel(NOW, tick=False):
        poll_services.close_poll(bob, poll)
        stale.closes_at = NOW + datetime.timedelta(days=1)
        with pytest.raises(ParticipationRefused, match="est clos"):
            poll_services.vote(auch_resident, stale, option_ids(poll)[:1])
    assert not Participation.objects.exists() and not Ballot.objects.exists()


# Choices

def test_a_single_choice_poll_takes_one_option(bob: User, auch: Territory, auch_resident: User) -> None:
    poll = open_poll(bob, auch)
    with time_machine.travel(NOW, tick=False), pytest.raises(ParticipationRefused, match="Une seule réponse"):
        poll_services.vote(auch_resident, poll, option_ids(poll)[:2])
    assert not Participation.objects.exists()


def test_a_multiple_choice_poll_takes_up_to_its_maximum(bob: User, auch: Territory, auch_resident: User) -> None:
    poll = open_poll(bob, auch, kind=PollKind.MULTIPLE, max_choices=2)
    ids = option_ids(poll)
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ParticipationRefused, match="2 réponses au plus ; vous en avez choisi 3"):
            poll_services.vote(auch_resident, poll, ids)
        assert not Participation.objects.exists()
        poll_services.vote(auch_resident, poll, ids[:2])
    assert sorted(BallotChoice.objects.values_list("option_id", flat=True)) == sorted(ids[:2])


@pytest.mark.parametrize("choice", [[], ["abc"], [None]])
def test_no_option_or_a_malformed_one_is_refused(bob: User, auch: Territory, auch_resident: User, choice: list[Any]) -> None:
    poll = open_poll(bob, auch)
    with time_machine.travel(NOW, tick=False), pytest.raises(ParticipationRefused):
        poll_services.vote(auch_resident, poll, choice)
    assert not Participation.objects.exists()


def test_an_option_of_another_poll_is_refused(bob: User, auch: Territory, auch_resident: User) -> None:
    poll = open_poll(bob, auch)
    other = open_poll(bob, auch, title="Autre question")
    with time_machine.travel(NOW, tick=False), pytest.raises(ParticipationRefused, match="ne fait pas partie"):
        poll_services.vote(auch_resident, poll, option_ids(other)[:1])
    assert not Participation.objects.exists()


# Eligibility

def test_a_resident_of_marciac_may_not_vote_in_a_poll_for_auch(bob: User, auch: Territory, marciac: Territory) -> None:
    poll = open_poll(bob, auch, territories=[auch])
    neighbour = make_user("voisine@example.org", home_commune=marciac)
    with time_machine.travel(NOW, tick=False), pytest.raises(ParticipationRefused, match="réservée aux habitants de Auch"):
        poll_services.vote(neighbour, poll, option_ids(poll)[:1])
    assert not Ballot.objects.exists()


def test_an_unverified_resident_is_told_to_verify(bob: User, auch: Territory, resident: User) -> None:
    poll = open_poll(bob, auch, territories=[auch], level=Level.RESIDENCE_CODE)
    with time_machine.travel(NOW, tick=False), pytest.raises(ParticipationRefused, match="doit être vérifié"):
        poll_services.vote(resident, poll, option_ids(poll)[:1])


# Staff

def test_only_editors_and_admins_of_the_territory_create_polls(mona: User, marciac: Territory, bob: User, auch: Territory) -> None:
    with pytest.raises(poll_services.PollRefused):
        poll_services.create_poll(mona, auch, poll_data())
    with pytest.raises(poll_services.PollRefused):
        poll_services.create_poll(bob, marciac, poll_data())
    assert not Poll.objects.exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "  "}, "title"),
    ({"options": ["Oui", " "]}, "options"),
    ({"options": ["Oui", "oui"]}, "options"),
    ({"options": [f"R{n}" for n in range(31)]}, "options"),
    ({"kind": PollKind.MULTIPLE, "max_choices": 4}, "max_choices"),
    ({"closes_at": NOW - datetime.timedelta(days=1)}, "closes_at"),
    ({"min_age": 130}, "min_age"),
])
def test_a_poll_that_cannot_be_is_refused(bob: User, auch: Territory, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(poll_services.PollRefused) as refused:
        poll_services.create_poll(bob, auch, poll_data(**changes))
    assert refused.value.field == field
    assert not Poll.objects.exists()


def test_a_commune_reserves_a_poll_to_itself_only(bob: User, auch: Territory, marciac: Territory) -> None:
    with pytest.raises(poll_services.PollRefused, match="votre territoire"):
        poll_services.create_poll(bob, auch, poll_data(territories=[marciac]))


def test_a_departement_reserves_a_poll_to_an_epci_or_a_commune_under_it(dora: User, gers: Territory, grand_auch: Territory,
                                                                        auch: Territory, alencon: Territory) -> None:
    assert set(poll_selectors.eligibility_choices(gers)) >= {gers, grand_auch, auch}
    assert alencon not in set(poll_selectors.eligibility_choices(gers))
    poll = poll_services.create_poll(dora, gers, poll_data(territories=[grand_auch]))
    assert list(poll.eligibility.territories.all()) == [grand_auch]


def test_once_open_only_the_wording_and_the_closing_date_change(bob: User, auch: Territory) -> None:
    poll = open_poll(bob, auch)
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(poll_services.PollRefused, match="Le vote a commencé"):
            poll_services.update_poll(bob, poll, poll_data(options=["Oui", "Non"]))
        with pytest.raises(poll_services.PollRefused, match="Le vote a commencé"):
            poll_services.update_poll(bob, poll, poll_data(results_visibility=ResultsVisibility.ALWAYS))
        later = NOW + datetime.timedelta(days=10)
        poll_services.update_poll(bob, poll, poll_data(title="Quel nom, enfin ?", closes_at=later))
    poll.refresh_from_db()
    assert (poll.title, poll.closes_at) == ("Quel nom, enfin ?", later)
    assert [o.label for o in poll.options.all()] == ["Simone Veil", "Les Arts", "Du Gers"]


def test_a_poll_not_yet_open_changes_entirely(bob: User, auch: Territory) -> None:
    with time_machine.travel(NOW, tick=False):
        poll = poll_services.create_poll(bob, auch, poll_data(opens_at=NOW + datetime.timedelta(days=1)))
        poll_services.publish_poll(bob, poll)
        poll_services.update_poll(bob, poll, poll_data(opens_at=NOW + datetime.timedelta(days=1),
                                                       options=["Oui", "Non"], kind=PollKind.MULTIPLE))
    assert list(PollOption.objects.filter(poll=poll).values_list("label", flat=True)) == ["Oui", "Non"]


# Results

def test_results_count_each_option_and_give_shares_of_the_ballots(bob: User, auch: Territory,
                                                                   django_assert_num_queries: Any) -> None:
    poll = open_poll(bob, auch, kind=PollKind.MULTIPLE)
    first, second, third = option_ids(poll)
    with time_machine.travel(NOW, tick=False):
        for number, choice in enumerate([[first], [first, second], [second], [first]]):
            poll_services.vote(make_user(f"votant{number}@example.org"), poll, choice)
    with django_assert_num_queries(3):
        found = poll_selectors.results(poll)
    assert found.ballots == 4
    assert [(o.label, o.votes, o.percent) for o in found.options] == [
        ("Simone Veil", 3, 75.0), ("Les Arts", 2, 50.0), ("Du Gers", 0, 0.0),
    ]
    csv_text = poll_selectors.results_csv(poll, found)
    assert csv_text.startswith("\ufeffRéponse;Voix;Pourcentage des bulletins\r\n")
    assert "Simone Veil;3;75,0\r\n" in csv_text and "Bulletins;4;\r\n" in csv_text


def test_an_option_written_as_a_formula_is_defused_in_the_csv(bob: User, auch: Territory) -> None:
    poll = open_poll(bob, auch, options=["=HYPERLINK(\"http://x\")", "Non"])
    assert "'=HYPERLINK" in poll_selectors.results_csv(poll, poll_selectors.results(poll))


@pytest.mark.parametrize(("visibility", "before_vote", "after_vote", "after_close"), [
    (ResultsVisibility.ALWAYS, True, True, True),
    (ResultsVisibility.AFTER_VOTING, False, True, True),
    (ResultsVisibility.AFTER_CLOSING, False, False, True),
])
def test_who_sees_the_results_when(bob: User, auch: Territory, auch_resident: User, visibility: str,
                                   before_vote: bool, after_vote: bool, after_close: bool) -> None:
    poll = open_poll(bob, auch, results_visibility=visibility)
    with time_machine.travel(NOW, tick=False):
        assert poll_selectors.results_visible(poll, auch_resident) is before_vote
        poll_services.vote(auch_resident, poll, option_ids(poll)[:1])
        assert poll_selectors.results_visible(poll, auch_resident) is after_vote
    with time_machine.travel(NOW + datetime.timedelta(days=8), tick=False):
        assert poll_selectors.results_visible(poll, auch_resident) is after_close
        assert poll_selectors.results_visible(poll, make_user("passant@example.org")) is after_close


def test_no_results_of_a_draft(bob: User, auch: Territory) -> None:
    with time_machine.travel(NOW, tick=False):
        poll = poll_services.create_poll(bob, auch, poll_data(results_visibility=ResultsVisibility.ALWAYS))
        assert not poll_selectors.results_visible(poll, bob)


def test_a_communes_list_holds_its_own_its_parents_and_unrestricted_polls(
    bob: User, dora: User, auch: Territory, marciac: Territory, gers: Territory, gers_portal: Any, grand_auch: Territory,
) -> None:
    mine = open_poll(bob, auch, title="Auch", territories=[auch])
    departement = open_poll(dora, gers, title="Gers", territories=[gers])
    epci = open_poll(dora, gers, title="Grand Auch", territories=[grand_auch])
    everyone = open_poll(dora, gers, title="Tous")
    marciac_only = open_poll(dora, gers, title="Marciac", territories=[marciac])
    poll_services.create_poll(bob, auch, poll_data(title="Brouillon"))
    found = set(poll_selectors.polls_for_commune(gers_portal, auch))
    assert found == {mine, departement, epci, everyone}
    assert marciac_only not in found


def test_the_home_feed_lists_open_polls_of_the_residents_territories(
    bob: User, dora: User, auch: Territory, marciac: Territory, gers: Territory, grand_auch: Territory,
    django_assert_num_queries: Any,
) -> None:
    from clocher.participation.feed import poll_feed
    from clocher.territories.selectors import ancestors

    mine = open_poll(bob, auch, title="Auch", territories=[auch])
    everyone = open_poll(dora, gers, title="Tous")
    open_poll(dora, gers, title="Marciac", territories=[marciac])
    open_poll(bob, auch, title="Clos", closes_at=NOW - datetime.timedelta(hours=1))
    with time_machine.travel(NOW, tick=False):
        chain = ancestors(auch)
        with django_assert_num_queries(1):
            items = poll_feed(chain, 10, None)
        assert {item.title for item in items} == {mine.title, everyone.title}
        assert {item.url for item in items} == {f"/sondages/{mine.pk}/", f"/sondages/{everyone.pk}/"}
        assert {item.kind for item in items} == {"Sondage"}
        assert poll_feed(chain, 10, NOW - datetime.timedelta(days=5)) == []
