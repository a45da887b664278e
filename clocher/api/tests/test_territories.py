"""The territories API: search, the commune at a point, one territory; each within its portal."""

from __future__ import annotations

import json

import pytest

from clocher.territories.geography import shared_data_dir
from clocher.territories.models import Postcode, Territory, TerritoryKind

CATHEDRAL_OF_AUCH = {"lat": 43.6465, "lon": 0.5855}


@pytest.fixture
def auch_bounded(auch):
    path = shared_data_dir() / "france-geojson" / "communes-32-gers.geojson"
    with path.open(encoding="utf-8") as handle:
        features = {f["properties"]["code"]: f for f in json.load(handle)["features"]}
    auch.boundary = features["32013"]["geometry"]
    auch.save()
    return auch


@pytest.fixture
def alencon_square(alencon):
    """A square around Alençon: enough to be found at a point in the Orne."""
    alencon.boundary = {
        "type": "Polygon",
        "coordinates": [[[0.05, 48.40], [0.12, 48.40], [0.12, 48.46], [0.05, 48.46], [0.05, 48.40]]],
    }
    alencon.save()
    return alencon


# --- search ------------------------------------------------------------------------------------------


def test_it_finds_a_commune_by_name_whatever_the_accents_case_and_hyphens(gers_client, auch):
    Territory.objects.create(
        kind=TerritoryKind.COMMUNE, code="32378", name="Saint-Clar", departement=auch.departement
    )

    response = gers_client.get("/api/v1/territories", {"q": "SAINT clar"})

    assert response.status_code == 200
    assert [t["code"] for t in response.json()] == ["32378"]


def test_it_finds_a_commune_by_postcode_with_its_epci_and_departement(gers_client, marciac):
    response = gers_client.get("/api/v1/territories", {"q": "32230"})

    assert response.status_code == 200
    [found] = response.json()
    assert found["code"] == "32233"
    assert found["postcodes"] == ["32230"]
    assert found["epci"] == {"code": "200034460", "name": "CC Bastides et Vallons du Gers"}
    assert found["departement"] == {"code": "32", "name": "Gers"}


def test_it_searches_every_kind_unless_told_which(gers_client, gers, bastides):
    everything = gers_client.get("/api/v1/territories", {"q": "gers"}).json()
    assert [(t["kind"], t["code"]) for t in everything] == [("departement", "32"), ("epci", "200034460")]

    epcis = gers_client.get("/api/v1/territories", {"q": "gers", "kind": "epci"}).json()
    assert [t["code"] for t in epcis] == ["200034460"]
    assert gers_client.get("/api/v1/territories", {"q": "gers", "kind": "commune"}).json() == []


def test_search_does_not_show_another_portals_communes(orne_client, auch, alencon):
    assert orne_client.get("/api/v1/territories", {"q": "auch"}).json() == []
    found = orne_client.get("/api/v1/territories", {"q": "alencon", "kind": "commune"}).json()
    assert [t["code"] for t in found] == ["61001"]


@pytest.mark.parametrize("query", ["", "   ", "x" * 101])
def test_it_refuses_an_empty_or_too_long_query_with_a_message(gers_client, query):
    response = gers_client.get("/api/v1/territories", {"q": query})

    assert response.status_code == 400
    assert response.json()["detail"]


def test_it_refuses_a_limit_above_fifty(gers_client):
    assert gers_client.get("/api/v1/territories", {"q": "a", "limit": 51}).status_code == 422


def test_it_honours_the_limit(gers_client, gers):
    for i in range(5):
        Territory.objects.create(kind=TerritoryKind.COMMUNE, code=f"3290{i}", name=f"Lamothe {i}", departement=gers)

    assert len(gers_client.get("/api/v1/territories", {"q": "lamothe", "limit": 3}).json()) == 3


def test_search_runs_a_bounded_number_of_queries(gers_client, gers, django_assert_max_num_queries):
    for i in range(30):
        commune = Territory.objects.create(
            kind=TerritoryKind.COMMUNE, code=f"329{i:02d}", name=f"Bassoues {i}", departement=gers
        )
        Postcode.objects.create(territory=commune, code="32320")

    with django_assert_max_num_queries(5):
        response = gers_client.get("/api/v1/territories", {"q": "bassoues", "limit": 30})
    assert len(response.json()) == 30


# --- at a point --------------------------------------------------------------------------------------


def test_it_gives_the_commune_at_a_point_with_its_epci_and_departement(gers_client, auch_bounded):
    response = gers_client.get("/api/v1/territories/at", CATHEDRAL_OF_AUCH)

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["name"], body["kind"]) == ("32013", "Auch", "commune")
    assert body["epci"]["code"] == "200066926"
    assert body["departement"] == {"code": "32", "name": "Gers"}
    assert body["postcodes"] == ["32000"]
    assert body["center"] == {"lat": 43.6465, "lon": 0.5855}


def test_the_point_lookup_runs_a_bounded_number_of_queries(gers_client, auch_bounded, django_assert_max_num_queries):
    gers_client.get("/api/v1/territories/at", CATHEDRAL_OF_AUCH)  # builds the index

    with django_assert_max_num_queries(3):
        assert gers_client.get("/api/v1/territories/at", CATHEDRAL_OF_AUCH).status_code == 200


def test_it_answers_404_in_french_outside_every_boundary(gers_client, auch_bounded):
    response = gers_client.get("/api/v1/territories/at", {"lat": 45.0, "lon": 3.0})

    assert response.status_code == 404
    assert "Aucune commune" in response.json()["detail"]


def test_the_orne_portal_does_not_see_a_gers_commune_at_a_point(orne_client, auch_bounded):
    response = orne_client.get("/api/v1/territories/at", CATHEDRAL_OF_AUCH)

    assert response.status_code == 404


def test_the_orne_portal_finds_its_own_commune_at_a_point(orne_client, alencon_square, auch_bounded):
    response = orne_client.get("/api/v1/territories/at", {"lat": 48.43, "lon": 0.09})

    assert response.status_code == 200
    assert response.json()["code"] == "61001"


@pytest.mark.parametrize(
    "params",
    [{"lat": 91, "lon": 0}, {"lat": 0, "lon": -181}, {"lat": "abc", "lon": 0}, {"lat": 43.6}],
)
def test_it_refuses_coordinates_out_of_range_or_missing(gers_client, params):
    assert gers_client.get("/api/v1/territories/at", params).status_code == 422


# --- one territory -----------------------------------------------------------------------------------


def test_it_gives_one_territory_by_kind_and_code(gers_client, grand_auch, auch):
    response = gers_client.get("/api/v1/territories/epci/200066926")

    assert response.status_code == 200
    assert response.json()["name"] == "CA Grand Auch Cœur de Gascogne"


def test_the_orne_portal_gets_404_for_a_gers_territory(orne_client, auch):
    response = orne_client.get("/api/v1/territories/commune/32013")

    assert response.status_code == 404
    assert response.json() == {"detail": "Territoire introuvable."}


def test_an_unknown_code_is_the_same_404(gers_client, auch):
    response = gers_client.get("/api/v1/territories/commune/99999")

    assert response.status_code == 404
    assert response.json() == {"detail": "Territoire introuvable."}


def test_an_unknown_kind_is_refused(gers_client):
    assert gers_client.get("/api/v1/territories/canton/32013").status_code == 422


def test_one_territory_runs_a_bounded_number_of_queries(gers_client, auch, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert gers_client.get("/api/v1/territories/commune/32013").status_code == 200


def test_the_openapi_document_builds_and_lists_the_territory_endpoints(gers_client):
    response = gers_client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/territories", "/api/v1/territories/at", "/api/v1/territories/{kind}/{code}"} <= set(paths)
