"""Who reads what of a report (clocher.reports.selectors)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.http import Http404

from clocher.reports.models import Report, ReportCategory, ReportStatus
from clocher.reports.selectors import (
    PUBLIC_FIELDS,
    access_agent_report,
    access_public_report,
    agent_queue,
    can_handle,
    commune_reports,
    nearby_open_reports,
    public_map_rows,
    public_reports,
    report_handlers,
    reporting_communes,
)
from clocher.territories.models import Collectivity, ModuleSetting, Role, Territory
from clocher.territories.selectors import is_module_enabled
from conftest import grant, make_user

S = ReportStatus
AUCH = (43.6465, 0.5855)
# About 30 m north and 200 m east of AUCH.
NORTH_30_M = (43.6465 + 30 / 111_195, 0.5855)
EAST_200_M = (43.6465, 0.5855 + 0.0025)


def _report(category: ReportCategory, at: tuple[float, float] = AUCH, **extra) -> Report:
    territory = category.territory
    values = {"territory": territory, "commune": territory, "category": category, "lat": at[0], "lon": at[1]}
    values.update(extra)
    return Report.objects.create(**values)


@pytest.fixture
def agent(auch: Territory):
    user = make_user("agathe@example.org")
    grant(user, auch, Role.AGENT)
    return user


@pytest.fixture
def report(lighting) -> Report:
    return _report(
        lighting, reporter_name="Jean Dupont", reporter_email="jean@example.org", reporter_phone="0600000000"
    )


# --- nearby_open_reports -------------------------------------------------------------------------


def test_open_reports_of_the_same_category_within_50_m_are_offered_nearest_first(
    lighting, marciac_lighting, django_assert_num_queries
):
    far = _report(lighting, EAST_200_M)
    near = _report(lighting, NORTH_30_M)
    here = _report(lighting, AUCH)
    _report(lighting, AUCH, status=S.RESOLVED)
    _report(marciac_lighting, AUCH)
    with django_assert_num_queries(1):
        found = nearby_open_reports(lighting, *AUCH)
    assert found == [here, near]
    assert far not in nearby_open_reports(lighting, *AUCH, radius_m=100)
    assert far in nearby_open_reports(lighting, *AUCH, radius_m=250)


# --- public_reports, access_public_report --------------------------------------------------------


def test_public_reports_never_load_the_reporter(gers_portal, report):
    (found,) = public_reports(gers_portal)
    deferred = found.get_deferred_fields()
    assert {"reporter_id", "reporter_name", "reporter_email", "reporter_phone", "consent_at", "token",
            "idempotency_key", "assignee_id"} <= deferred
    assert "reporter_email" not in PUBLIC_FIELDS


def test_the_public_list_costs_one_query_whatever_its_length(gers_portal, lighting, django_assert_max_num_queries):
    for _ in range(20):
        _report(lighting)
    with django_assert_max_num_queries(1):
        rows = [(r.category.name, r.commune.name, r.territory.name, r.get_status_display())
                for r in public_reports(gers_portal)]
    assert len(rows) == 20


def test_a_report_of_the_portal_is_public(gers_portal, report):
    assert access_public_report(gers_portal, str(report.pk)) == report


def test_another_portal_s_report_is_a_404(orne_portal, report):
    assert list(public_reports(orne_portal)) == []
    with pytest.raises(Http404):
        access_public_report(orne_portal, report.pk)


@pytest.mark.parametrize("pk", ["abc", "", None, -1, 0, 10**30])
def test_a_meaningless_address_is_a_404(gers_portal, report, pk):
    with pytest.raises(Http404):
        access_public_report(gers_portal, pk)


# --- agent_queue ---------------------------------------------------------------------------------


def test_the_queue_filters_by_status_category_commune_and_age(auch, marciac, lighting, django_assert_max_num_queries):
    other = ReportCategory.objects.create(territory=auch, code="voirie", name="Voirie")
    with time_machine.travel(datetime(2026, 5, 1, tzinfo=UTC), tick=False):
        old = _report(lighting)
    with time_machine.travel(datetime(2026, 5, 20, tzinfo=UTC), tick=False):
        fresh = _report(lighting, status=S.IN_PROGRESS)
        road = _report(other)
        closed = _report(lighting, status=S.RESOLVED)
        _report(marciac_lighting_of(marciac))
        assert list(agent_queue(auch)) == [closed, road, fresh, old]
        assert list(agent_queue(auch, status=S.IN_PROGRESS)) == [fresh]
        assert list(agent_queue(auch, status="open")) == [road, fresh, old]
        assert list(agent_queue(auch, status="closed")) == [closed]
        assert list(agent_queue(auch, category=other)) == [road]
        assert list(agent_queue(auch, category=other.pk)) == [road]
        assert list(agent_queue(auch, commune=auch)) == [closed, road, fresh, old]
        assert list(agent_queue(auch, commune=marciac)) == []
        assert list(agent_queue(auch, older_than_days=7)) == [old]


def marciac_lighting_of(marciac: Territory) -> ReportCategory:
    return ReportCategory.objects.create(territory=marciac, code="eclairage", name="Éclairage")


def test_the_queue_costs_one_query_whatever_its_length(auch, lighting, agent, django_assert_max_num_queries):
    for number in range(30):
        _report(lighting, assignee=agent if number % 2 else None)
    with django_assert_max_num_queries(1):
        rows = [(r.category.name, r.commune.name, r.assignee and r.assignee.email) for r in agent_queue(auch)]
    assert len(rows) == 30


# --- access_agent_report -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "bob", "alice"])
def test_the_collectivity_s_agents_editors_and_admins_see_the_whole_report(gers_portal, report, who, request):
    found = access_agent_report(request.getfixturevalue(who), gers_portal, report.pk)
    assert (found, found.reporter_email) == (report, "jean@example.org")


def test_a_role_on_marciac_gives_nothing_on_auch_s_reports(gers_portal, marciac, report):
    marciac_admin = make_user("maire@marciac.example.org")
    for role in (Role.AGENT, Role.EDITOR, Role.ADMIN):
        grant(marciac_admin, marciac, role)
    with pytest.raises(Http404):
        access_agent_report(marciac_admin, gers_portal, report.pk)


@pytest.mark.parametrize("who", ["mona", "dora", "resident", "charlie"])
def test_other_roles_and_other_territories_get_a_404(gers_portal, report, who, request):
    with pytest.raises(Http404):
        access_agent_report(request.getfixturevalue(who), gers_portal, report.pk)


def test_an_anonymous_visitor_gets_a_404(gers_portal, report):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Http404):
        access_agent_report(AnonymousUser(), gers_portal, report.pk)


def test_another_portal_s_report_is_a_404_even_for_its_agent(orne_portal, report, agent):
    with pytest.raises(Http404):
        access_agent_report(agent, orne_portal, report.pk)


def test_a_missing_report_is_a_404(gers_portal, agent):
    with pytest.raises(Http404):
        access_agent_report(agent, gers_portal, 999_999)


# --- reporting_communes, commune_reports, public_map_rows ----------------------------------------


@pytest.mark.parametrize("defaults", [[], ["reports"], ["news"]])
@pytest.mark.parametrize("setting", [None, True, False])
def test_reporting_communes_follow_the_module_settings_rule(gers_portal, auch, marciac, defaults, setting):
    gers_portal.default_modules = defaults
    gers_portal.save()
    if setting is not None:
        ModuleSetting.objects.create(territory=auch, module="reports", enabled=setting)
    found = set(reporting_communes(gers_portal))
    for commune in (auch, marciac):
        assert (commune in found) == is_module_enabled(gers_portal, commune, "reports")
    assert gers_portal.root not in found  # communes only


def test_a_commune_that_switched_reports_off_shows_none(gers_portal, auch, report):
    ModuleSetting.objects.create(territory=auch, module="reports", enabled=False)
    assert list(public_reports(gers_portal)) == []
    with pytest.raises(Http404):
        access_public_report(gers_portal, report.pk)


def test_a_commune_s_reports_are_filtered_by_status_and_category(gers_portal, auch, lighting):
    other = ReportCategory.objects.create(territory=auch, code="voirie", name="Voirie")
    light, road = _report(lighting), _report(other, status=S.RESOLVED)
    assert list(commune_reports(gers_portal, auch)) == [road, light]
    assert list(commune_reports(gers_portal, auch, status="open")) == [light]
    assert list(commune_reports(gers_portal, auch, status="closed", category=other.pk)) == [road]
    assert list(commune_reports(gers_portal, auch, status=S.NEW, category=other.pk)) == []


def test_map_rows_hold_public_columns_only_and_say_when_some_are_left_out(
    gers_portal, auch, report, lighting, django_assert_num_queries
):
    _report(lighting)
    with django_assert_num_queries(1):
        rows, truncated = public_map_rows(commune_reports(gers_portal, auch), 1)
    assert truncated and len(rows) == 1
    (row,) = rows
    assert len(row) == 8 and "jean@example.org" not in [str(v) for v in row]
    assert public_map_rows(commune_reports(gers_portal, auch), 2)[1] is False


# --- report_handlers ----------------------------------------------------------------------------


def test_handlers_are_the_collectivity_s_own_unless_it_delegates(gers_portal, auch, grand_auch, agent, mona, alice):
    epci_agent = make_user("epci@example.org", display_name="Émile")
    grant(epci_agent, grand_auch, Role.AGENT)
    gone = make_user("parti@example.org", is_active=False)
    grant(gone, auch, Role.AGENT)
    assert set(report_handlers(auch)) == {agent, alice}  # not the moderator, not the EPCI, not the inactive
    Collectivity.objects.filter(territory=auch).update(delegates_to_parent=True)
    delegating = Territory.objects.get(pk=auch.pk)
    assert set(report_handlers(delegating)) == {agent, alice, epci_agent}
    assert can_handle(epci_agent, delegating)  # the same rule as the services'
