"""Which categories are offered at a point and which collectivity handles a report, on the real
boundaries of Auch and Marciac (france-geojson)."""

from __future__ import annotations

import pytest

from clocher.reports.models import Competence, ReportCategory
from clocher.reports.routing import ReportRefused, categories_at, responsible_for
from clocher.reports.tests.geo import inside
from clocher.territories.models import Territory, TerritoryKind

CATHEDRAL_OF_AUCH = (43.6465, 0.5855)
PARIS = (48.8566, 2.3522)


def test_a_departmental_road_reported_in_auch_goes_to_the_gers(bounded, gers, auch, departmental_road):
    assert responsible_for(departmental_road, auch) == gers


def test_a_departmental_road_reported_outside_auch_goes_to_the_gers(
    gers_portal, bounded, gers, marciac, departmental_road
):
    assert departmental_road in categories_at(gers_portal, *inside(marciac.code))
    assert responsible_for(departmental_road, marciac) == gers


def test_a_communal_category_goes_to_the_commune_that_contains_the_point(bounded, auch, lighting):
    assert responsible_for(lighting, auch) == auch


def test_an_intercommunal_category_goes_to_the_epci_of_the_commune(bounded, auch, grand_auch, waste):
    assert responsible_for(waste, auch) == grand_auch


def test_auch_is_offered_its_own_its_epci_s_and_the_departement_s_categories_in_that_order(
    gers_portal, bounded, lighting, marciac_lighting, waste, departmental_road
):
    assert categories_at(gers_portal, *CATHEDRAL_OF_AUCH) == [lighting, waste, departmental_road]


def test_marciac_is_not_offered_auch_s_categories_nor_another_epci_s(
    gers_portal, bounded, marciac, lighting, marciac_lighting, waste, departmental_road
):
    assert categories_at(gers_portal, *inside(marciac.code)) == [marciac_lighting, departmental_road]


def test_inactive_categories_are_not_offered(gers_portal, bounded, lighting, departmental_road):
    lighting.is_active = False
    lighting.save()
    assert categories_at(gers_portal, *CATHEDRAL_OF_AUCH) == [departmental_road]


def test_a_category_of_a_level_that_is_not_its_own_is_neither_offered_nor_routed(gers_portal, bounded, gers, auch):
    # A département's entry marked "commune" would land on a commune that never chose it.
    odd = ReportCategory.objects.create(territory=gers, code="odd", name="Bizarre", competence=Competence.COMMUNE)
    assert categories_at(gers_portal, *CATHEDRAL_OF_AUCH) == []
    with pytest.raises(ReportRefused):
        responsible_for(odd, auch)


def test_another_commune_s_category_is_refused(bounded, marciac, lighting):
    with pytest.raises(ReportRefused) as refused:
        responsible_for(lighting, marciac)
    assert refused.value.field == "category"


def test_an_inactive_category_is_refused(bounded, auch, lighting):
    lighting.is_active = False
    with pytest.raises(ReportRefused):
        responsible_for(lighting, auch)


def test_an_epci_category_in_a_commune_without_epci_is_refused(gers, waste):
    lonely = Territory.objects.create(kind=TerritoryKind.COMMUNE, code="32999", name="Seule", departement=gers)
    with pytest.raises(ReportRefused):
        responsible_for(waste, lonely)


def test_a_point_in_no_commune_is_refused(gers_portal, bounded):
    with pytest.raises(ReportRefused) as refused:
        categories_at(gers_portal, *PARIS)
    assert str(refused.value) == "Ce lieu est hors du territoire de ce portail."
    assert refused.value.field == "location"


def test_a_point_of_another_portal_is_refused(orne_portal, bounded, lighting):
    with pytest.raises(ReportRefused) as refused:
        categories_at(orne_portal, *CATHEDRAL_OF_AUCH)
    assert str(refused.value) == "Ce lieu est hors du territoire de ce portail."
