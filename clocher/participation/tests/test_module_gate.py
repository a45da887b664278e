"""A collectivity that turns the participation module off closes its processes' pages too: a poll or
a budget reached by its number is a 404, as its commune's list already is."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from clocher.accounts.models import User
from clocher.participation import poll_services
from clocher.participation.budget_selectors import access_budget
from clocher.participation.budgets import Budget, BudgetStatus
from clocher.participation.models import Eligibility
from clocher.territories.models import ModuleSetting, Territory

from .test_polls import NOW, poll_data

pytestmark = pytest.mark.django_db


def _budget(territory: Territory) -> Budget:
    return Budget.objects.create(
        territory=territory, title="Budget d'Auch", eligibility=Eligibility.objects.create(), amount=50_000,
        status=BudgetStatus.PUBLISHED, proposals_opens_at=NOW - datetime.timedelta(days=30),
        proposals_closes_at=NOW - datetime.timedelta(days=20), vote_opens_at=NOW - datetime.timedelta(days=1),
        vote_closes_at=NOW + datetime.timedelta(days=10),
    )


def test_a_poll_of_a_collectivity_with_participation_off_is_a_404(gers_client: Client, bob: User, auch: Territory,
                                                                 gers_portal: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        poll = poll_services.publish_poll(bob, poll_services.create_poll(bob, auch, poll_data(territories=[auch])))
        assert gers_client.get(f"/sondages/{poll.pk}/").status_code == 200
        ModuleSetting.objects.create(territory=auch, module="participation", enabled=False)
        assert gers_client.get(f"/sondages/{poll.pk}/").status_code == 404
        assert gers_client.get(f"/sondages/{poll.pk}/resultats/").status_code == 404


def test_a_budget_of_a_collectivity_with_participation_off_is_not_found(auch: Territory, gers_portal: Any) -> None:
    budget = _budget(auch)
    assert access_budget(gers_portal, budget.pk) == budget
    ModuleSetting.objects.create(territory=auch, module="participation", enabled=False)
    from django.http import Http404
    with pytest.raises(Http404):
        access_budget(gers_portal, budget.pk)


def test_a_consultation_of_a_collectivity_with_participation_off_is_a_404(gers_client: Client, auch: Territory,
                                                                         gers_portal: Any) -> None:
    from .test_feed import consultation

    asked = consultation(auch, "Cantine", auch)
    with time_machine.travel(NOW, tick=False):
        assert gers_client.get(f"/consultations/{asked.pk}/").status_code == 200
        ModuleSetting.objects.create(territory=auch, module="participation", enabled=False)
        assert gers_client.get(f"/consultations/{asked.pk}/").status_code == 404
