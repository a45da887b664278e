"""A role on Marciac (Auch's sibling) opens none of the report pages of Auch, and a report of
Marciac is a 404 under Auch's URL even for Auch's own agent: on GET and on POST, nothing changes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from clocher.accounts.models import User
from clocher.reports.models import Report, ReportCategory, ReportEvent
from clocher.territories.models import Role, Territory
from conftest import grant, make_user

from . import test_reports as shared
from .conftest import with_totp

# The queue tests' fixtures: Auch joined, its agent signed in, a category.
joined_auch = shared.joined_auch
agent = shared.agent
agent_client = shared.agent_client
lighting = shared.lighting
make_report = shared.make_report

NAMES = ("reports", "reports_export", "reports_map", "reports_figures", "report")


def _urls(territory: Territory, report: Report) -> list[str]:
    return [reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk,
                                                  **({"report_id": report.pk} if name == "report" else {})})
            for name in NAMES]


@pytest.fixture
def marciac_agent(marciac: Territory) -> User:
    user = make_user("marc@example.org", display_name="Marc")
    for role in (Role.AGENT, Role.EDITOR, Role.ADMIN):
        grant(user, marciac, role)
    return user


@pytest.mark.parametrize("index", range(len(NAMES)))
def test_a_role_on_marciac_opens_no_report_page_of_auch(
    gers_client: Client, marciac_agent: User, auch: Territory, lighting: ReportCategory, index: int
) -> None:
    with_totp(marciac_agent)
    report = make_report(auch, lighting)
    gers_client.force_login(marciac_agent)
    url = _urls(auch, report)[index]
    events = ReportEvent.objects.count()
    assert gers_client.get(url).status_code == 404
    post = {"action": "status", "status-status": "acknowledged", "reports": [report.pk], "bulk_status": "acknowledged"}
    assert gers_client.post(url, post).status_code == 404
    report.refresh_from_db()
    assert report.status == "new" and ReportEvent.objects.count() == events


def test_a_report_of_marciac_is_a_404_under_auchs_url(
    agent_client: Client, auch: Territory, marciac: Territory
) -> None:
    theirs = make_report(marciac, ReportCategory.objects.create(territory=marciac, code="x", name="X"))
    url = reverse("backoffice:report", kwargs={"territory_id": auch.pk, "report_id": theirs.pk})
    assert agent_client.get(url).status_code == 404
    assert agent_client.post(url, {"action": "note", "note-text": "x"}).status_code == 404
