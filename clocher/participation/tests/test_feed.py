"""The participation module's part of the home feed: polls, consultations and budgets open now for
the resident's territories, each kind in one query, dated by what opened."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from clocher.accounts.models import User
from clocher.participation.budgets import Budget, BudgetStatus
from clocher.participation.consultations import Consultation, ConsultationStatus
from clocher.participation.feed import budget_feed, consultation_feed, participation_feed
from clocher.participation.models import Eligibility
from clocher.territories.models import Territory
from clocher.territories.selectors import ancestors

from .test_polls import NOW, open_poll

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _eligibility(*territories: Territory) -> Eligibility:
    eligibility = Eligibility.objects.create()
    eligibility.territories.set(territories)
    return eligibility


def consultation(territory: Territory, title: str, *reserved: Territory, opens: datetime.datetime = NOW - DAY,
                 closes: datetime.datetime = NOW + 7 * DAY, published: bool = True) -> Consultation:
    return Consultation.objects.create(
        territory=territory, title=title, eligibility=_eligibility(*reserved), opens_at=opens, closes_at=closes,
        status=ConsultationStatus.PUBLISHED if published else ConsultationStatus.DRAFT,
    )


def budget(territory: Territory, title: str, *reserved: Territory, shift: datetime.timedelta = datetime.timedelta(),
           results: datetime.datetime | None = None, published: bool = True) -> Budget:
    """A budget whose proposals run from NOW-30d to NOW-20d and vote from NOW-1d to NOW+10d, moved by `shift`."""
    return Budget.objects.create(
        territory=territory, title=title, eligibility=_eligibility(*reserved), amount=100_000,
        proposals_opens_at=NOW - 30 * DAY + shift, proposals_closes_at=NOW - 20 * DAY + shift,
        vote_opens_at=NOW - DAY + shift, vote_closes_at=NOW + 10 * DAY + shift, results_published_at=results,
        status=BudgetStatus.PUBLISHED if published else BudgetStatus.DRAFT,
    )


def test_open_consultations_of_the_residents_territories_only(
    auch: Territory, marciac: Territory, gers: Territory, django_assert_num_queries: Any,
) -> None:
    mine = consultation(auch, "Cantine", auch)
    everyone = consultation(gers, "Routes")
    consultation(gers, "Marciac", marciac)
    consultation(auch, "Close", auch, opens=NOW - 9 * DAY, closes=NOW - DAY)
    consultation(auch, "À venir", auch, opens=NOW + DAY)
    consultation(auch, "Brouillon", auch, published=False)
    with time_machine.travel(NOW, tick=False):
        chain = ancestors(auch)
        with django_assert_num_queries(1):
            items = consultation_feed(chain, 10, None)
    assert {item.title for item in items} == {"Routes", "Cantine"}
    assert {item.url for item in items} == {f"/consultations/{mine.pk}/", f"/consultations/{everyone.pk}/"}
    assert {item.kind for item in items} == {"Consultation"}


def test_a_budget_shows_what_is_open_now_and_links_to_it(
    auch: Territory, marciac: Territory, gers: Territory, django_assert_num_queries: Any,
) -> None:
    voting = budget(auch, "Budget d'Auch", auch)
    proposing = budget(gers, "Budget du Gers", shift=25 * DAY)  # proposals NOW-5d .. NOW+5d
    results = budget(gers, "Budget 2025", shift=-60 * DAY, results=NOW - 2 * DAY)
    budget(gers, "Budget 2024", shift=-400 * DAY, results=NOW - 300 * DAY)  # results too old
    budget(gers, "Budget de Marciac", marciac)
    budget(auch, "En étude", auch, shift=15 * DAY)  # review phase: nothing to do
    budget(auch, "Brouillon", auch, published=False)
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(1):
        items = budget_feed(ancestors(auch), 10, None)
    by_title = {item.title: item for item in items}
    assert set(by_title) == {
        "Budget d'Auch : le vote est ouvert", "Budget du Gers : proposez vos projets", "Budget 2025 : les résultats",
    }
    assert by_title["Budget d'Auch : le vote est ouvert"].url == f"/budgets/{voting.pk}/vote/"
    assert by_title["Budget du Gers : proposez vos projets"].url == f"/budgets/{proposing.pk}/"
    assert by_title["Budget 2025 : les résultats"].url == f"/budgets/{results.pk}/resultats/"
    assert [item.published_at for item in items] == sorted((item.published_at for item in items), reverse=True)


def test_the_module_feed_merges_the_three_kinds_newest_first_within_the_limit(
    bob: User, auch: Territory, gers: Territory,
) -> None:
    open_poll(bob, auch, title="Sondage", territories=[auch])  # opened NOW-1d
    consultation(auch, "Consultation", auch, opens=NOW - 3 * DAY)
    budget(auch, "Budget", auch, shift=DAY)  # vote opened at NOW
    with time_machine.travel(NOW, tick=False):
        chain = ancestors(auch)
        items = participation_feed(chain, 10, None)
        assert [item.title for item in items] == ["Budget : le vote est ouvert", "Sondage", "Consultation"]
        assert [item.title for item in participation_feed(chain, 2, None)] == ["Budget : le vote est ouvert", "Sondage"]
        older = participation_feed(chain, 10, NOW - 2 * DAY)
        assert [item.title for item in older] == ["Consultation"]
