"""The participation module's home for a commune: budgets under way, consultations and polls open or
coming, links to each full list; the module's link in the menu leads there."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from clocher.accounts.models import User
from clocher.core.modules import registry
from clocher.territories.models import ModuleSetting, Territory

from .test_feed import DAY, budget, consultation
from .test_polls import NOW, open_poll

pytestmark = pytest.mark.django_db


def test_the_home_lists_what_a_commune_may_take_part_in(gers_client: Client, bob: User, auch: Territory,
                                                        marciac: Territory, gers: Territory, gers_portal: Any) -> None:
    open_poll(bob, auch, title="Nom de la médiathèque", territories=[auch])
    consultation(auch, "Cantine scolaire", auch)
    consultation(gers, "Plus tard", opens=NOW + 3 * DAY, closes=NOW + 9 * DAY)
    consultation(gers, "Pour Marciac", marciac)
    budget(gers, "Budget du Gers 2026")
    budget(gers, "Budget 2025", shift=-60 * DAY, results=NOW - 2 * DAY)
    with time_machine.travel(NOW, tick=False):
        response = gers_client.get(f"/communes/{auch.code}/participation/")
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ("Nom de la médiathèque", "Cantine scolaire", "Plus tard", "Budget du Gers 2026", "Vote"):
        assert shown in html
    assert "Pour Marciac" not in html and "Budget 2025" not in html  # another commune's; finished
    for link in (f"/communes/{auch.code}/sondages/", f"/communes/{auch.code}/consultations/",
                 f"/communes/{auch.code}/budgets/", "/participation/verifier/"):
        assert f'href="{link}"' in html


def test_the_module_links_to_its_home_and_is_gated_by_the_switch(gers_client: Client, auch: Territory,
                                                                 gers_portal: Any) -> None:
    module = registry.get("participation")
    assert module is not None and module.resident_url_name == "participation:home"
    ModuleSetting.objects.create(territory=auch, module="participation", enabled=False)
    assert gers_client.get(f"/communes/{auch.code}/participation/").status_code == 404


def test_an_unknown_commune_is_a_404(gers_client: Client, gers_portal: Any) -> None:
    assert gers_client.get("/communes/99999/participation/").status_code == 404


def test_a_poll_another_commune_runs_for_everyone_is_not_on_this_communes_list(
    gers_client: Client, bob: User, dora: User, auch: Territory, marciac: Territory, gers: Territory, gers_portal: Any,
) -> None:
    from clocher.participation import poll_selectors

    auchs = open_poll(bob, auch, title="Ouvert à tous, par Auch")
    gers_wide = open_poll(dora, gers, title="Ouvert à tous, par le Gers")
    assert set(poll_selectors.polls_for_commune(gers_portal, marciac)) == {gers_wide}
    assert set(poll_selectors.polls_for_commune(gers_portal, auch)) == {auchs, gers_wide}
    with time_machine.travel(NOW, tick=False):
        assert gers_client.get(f"/sondages/{auchs.pk}/").status_code == 200  # still reachable by its link
