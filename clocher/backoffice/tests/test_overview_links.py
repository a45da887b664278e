"""A territory's staff page leads each person to what their role lets them do, and only that."""

from django.test import Client
from django.urls import reverse

from clocher.territories.models import ModuleSetting
from conftest import GERS_HOST


def _overview(user, territory) -> str:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(user)
    response = client.get(reverse("backoffice:territory", kwargs={"territory_id": territory.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_an_editor_is_led_to_the_agenda_the_news_the_alerts_and_the_sources(bob, auch, gers_portal):
    html = _overview(bob, auch)
    for name in ("events", "news", "news_alerts", "sources", "organisations"):
        assert reverse(f"backoffice:{name}", kwargs={"territory_id": auch.pk}) in html
    assert reverse("backoffice:event_proposals", kwargs={"territory_id": auch.pk}) not in html


def test_a_moderator_is_led_to_the_proposals_only(mona, auch, gers_portal):
    html = _overview(mona, auch)
    for name in ("event_proposals", "news_proposals", "organisations", "proposals"):
        assert reverse(f"backoffice:{name}", kwargs={"territory_id": auch.pk}) in html
    for name in ("events", "news", "sources"):
        assert f'href="{reverse(f"backoffice:{name}", kwargs={"territory_id": auch.pk})}"' not in html


def test_a_module_turned_off_takes_its_links_away(bob, auch, gers_portal):
    ModuleSetting.objects.create(territory=auch, module="agenda", enabled=False)
    html = _overview(bob, auch)
    assert reverse("backoffice:events", kwargs={"territory_id": auch.pk}) not in html
    assert reverse("backoffice:news", kwargs={"territory_id": auch.pk}) in html


def test_an_agent_is_led_to_the_reports_to_handle(auch, gers_portal):
    from clocher.territories.models import Role
    from conftest import grant, make_user

    agent = make_user("agent@example.org")
    grant(agent, auch, Role.AGENT)
    html = _overview(agent, auch)
    assert reverse("backoffice:reports", kwargs={"territory_id": auch.pk}) in html
    assert f'href="{reverse("backoffice:events", kwargs={"territory_id": auch.pk})}"' not in html
