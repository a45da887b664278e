"""The places API: filters, near a point, pagination, one place, GeoJSON, markers; each within its portal."""

from __future__ import annotations

import datetime
import gzip
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clocher.directory.models import Access
from clocher.directory.tests.test_selectors import make_place
from clocher.territories.content import Status

PARIS = ZoneInfo("Europe/Paris")
CATHEDRAL = (43.6465, 0.5855)
SATURDAY_MORNING = datetime.datetime(2026, 7, 18, 9, 0, tzinfo=PARIS)
NATIONAL_HOLIDAY = datetime.datetime(2026, 7, 14, 10, 0, tzinfo=PARIS)


def names(response):
    assert response.status_code == 200, response.content
    return [result["name"] for result in response.json()["results"]]


@pytest.fixture
def places(gers_portal, auch, marciac):
    lat, lon = CATHEDRAL
    return {
        "cafe": make_place(auch, "Café Gascon", "restaurant", "cafe-bar", lat=lat + 0.0009, lon=lon,
                           opening_hours="Mo-Sa 08:00-20:00; PH off", phone="+33562000000",
                           wheelchair=Access.YES),
        "market": make_place(auch, "Marché d'Auch", "market", lat=lat + 0.009, lon=lon,
                             opening_hours="Sa 07:30-13:00"),
        "museum": make_place(auch, "Musée des Amériques", "museum", lat=lat - 0.0045, lon=lon),
        "jazz": make_place(marciac, "Jazz in Marciac", "culture", lat=43.5253, lon=0.1617),
    }


def test_it_lists_the_portals_places_by_name(gers_client, places):
    response = gers_client.get("/api/v1/places")
    assert names(response) == ["Café Gascon", "Jazz in Marciac", "Marché d'Auch", "Musée des Amériques"]
    body = response.json()
    assert body["count"] == 4
    cafe = body["results"][0]
    assert cafe["categories"] == ["restaurant", "cafe-bar"]
    assert cafe["commune"] == {"code": "32013", "name": "Auch"}
    assert cafe["phone"] == "+33562000000"
    assert cafe["distance_m"] is None


def test_it_filters_by_category(gers_client, places):
    assert names(gers_client.get("/api/v1/places?category=restaurant")) == ["Café Gascon"]


def test_it_answers_400_in_french_for_an_unknown_category(gers_client, places):
    response = gers_client.get("/api/v1/places?category=spaceport")
    assert response.status_code == 400
    assert "Catégorie inconnue" in response.json()["detail"]


def test_it_filters_by_commune_epci_or_departement_code(gers_client, places):
    assert names(gers_client.get("/api/v1/places?territory=32233")) == ["Jazz in Marciac"]
    assert names(gers_client.get("/api/v1/places?territory=200066926")) == [
        "Café Gascon", "Marché d'Auch", "Musée des Amériques",
    ]
    assert len(names(gers_client.get("/api/v1/places?territory=32"))) == 4


def test_it_refuses_a_territory_of_another_portal_like_an_unknown_one(gers_client, places, alencon):
    other = gers_client.get("/api/v1/places?territory=61001")
    unknown = gers_client.get("/api/v1/places?territory=99999")
    assert other.status_code == unknown.status_code == 400
    assert other.json()["detail"].startswith("Territoire inconnu")


def test_it_finds_places_by_a_word(gers_client, places):
    assert names(gers_client.get("/api/v1/places?q=musée")) == ["Musée des Amériques"]


def test_it_keeps_only_wheelchair_accessible_places(gers_client, places):
    assert names(gers_client.get("/api/v1/places?accessible=true")) == ["Café Gascon"]


def test_it_lists_what_is_open_now_on_a_saturday_morning(gers_client, places):
    with time_machine.travel(SATURDAY_MORNING, tick=False):
        assert names(gers_client.get("/api/v1/places?open_now=true")) == ["Café Gascon", "Marché d'Auch"]


def test_it_lists_nothing_open_on_14_july_for_places_closed_on_holidays(gers_client, places):
    with time_machine.travel(NATIONAL_HOLIDAY, tick=False):
        assert names(gers_client.get("/api/v1/places?open_now=true")) == []


def test_it_sorts_places_near_a_point_with_their_distance(gers_client, places):
    response = gers_client.get("/api/v1/places?near=43.6465,0.5855&radius=2000")
    assert names(response) == ["Café Gascon", "Musée des Amériques", "Marché d'Auch"]
    distances = [result["distance_m"] for result in response.json()["results"]]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(100, abs=2)


def test_it_combines_near_with_a_category_and_open_now(gers_client, places):
    with time_machine.travel(SATURDAY_MORNING, tick=False):
        response = gers_client.get("/api/v1/places?near=43.6465,0.5855&radius=2000&category=restaurant&open_now=1")
    assert names(response) == ["Café Gascon"]


def test_it_pages_near_results(gers_client, places):
    first = gers_client.get("/api/v1/places?near=43.6465,0.5855&radius=2000&limit=2").json()
    second = gers_client.get("/api/v1/places?near=43.6465,0.5855&radius=2000&limit=2&offset=2").json()
    assert [r["name"] for r in first["results"]] == ["Café Gascon", "Musée des Amériques"]
    assert first["next_offset"] == 2
    assert [r["name"] for r in second["results"]] == ["Marché d'Auch"]
    assert second["next_offset"] is None


def test_it_keeps_places_in_a_bbox(gers_client, places):
    assert names(gers_client.get("/api/v1/places?bbox=0.1,43.5,0.2,43.6")) == ["Jazz in Marciac"]


@pytest.mark.parametrize(
    "query",
    [
        "bbox=1,2,3", "bbox=a,b,c,d", "bbox=0.7,43.6,0.5,43.7", "bbox=0,100,1,101", "bbox=nan,0,1,1",
        "near=43.6", "near=43.6,x", "near=95,0.5", "near=43.6,0.5,1", "near=inf,0.5",
    ],
)
def test_it_answers_400_in_french_for_a_malformed_bbox_or_near(gers_client, places, query):
    response = gers_client.get(f"/api/v1/places?{query}")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "doit être" in detail


def test_it_refuses_a_limit_above_the_maximum(gers_client, places):
    assert gers_client.get("/api/v1/places?limit=1000").status_code == 422


def test_it_paginates_with_limit_and_offset(gers_client, places):
    first = gers_client.get("/api/v1/places?limit=3").json()
    assert first["count"] == 4
    assert first["next_offset"] == 3
    second = gers_client.get("/api/v1/places?limit=3&offset=3").json()
    assert [r["name"] for r in second["results"]] == ["Musée des Amériques"]
    assert second["next_offset"] is None


@pytest.mark.parametrize("count", [3, 30])
def test_the_query_count_of_a_list_does_not_grow_with_its_length(
    gers_client, auch, count, django_assert_max_num_queries
):
    for step in range(count):
        make_place(auch, f"Lieu {step:02d}", "restaurant", "cafe-bar", lat=43.6465, lon=0.5855 + step / 10000)
    gers_client.get("/api/v1/places")  # the portal is remembered for a few seconds
    with django_assert_max_num_queries(4):
        assert len(names(gers_client.get("/api/v1/places?limit=100"))) == count
    with django_assert_max_num_queries(4):
        assert len(names(gers_client.get("/api/v1/places?near=43.6465,0.5855&limit=100"))) == count
    with django_assert_max_num_queries(2):
        assert len(gers_client.get("/api/v1/places/markers").json()) == count


def test_it_shows_one_place_with_its_week_and_state(gers_client, places):
    with time_machine.travel(NATIONAL_HOLIDAY, tick=False):
        response = gers_client.get(f"/api/v1/places/{places['cafe'].pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Café Gascon"
    assert body["opening"]["is_open"] is False
    assert body["opening"]["label"] == "Fermé · ouvre demain à 08:00"
    week = {day["date"]: day["intervals"] for day in body["week"]}
    assert week["2026-07-14"] == []
    assert week["2026-07-15"] == [["08:00", "20:00"]]


def test_the_orne_portal_never_sees_a_gers_place(orne_client, places, alencon):
    assert orne_client.get(f"/api/v1/places/{places['cafe'].pk}").status_code == 404
    assert orne_client.get("/api/v1/places").json()["results"] == []
    assert orne_client.get("/api/v1/places/markers").json() == []
    assert orne_client.get("/api/v1/places.geojson").json()["features"] == []


def test_a_draft_place_is_a_404(gers_client, auch):
    draft = make_place(auch, "Brouillon", status=Status.DRAFT)
    response = gers_client.get(f"/api/v1/places/{draft.pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "Lieu introuvable."


def test_it_exports_the_portals_places_as_geojson(gers_client, places, auch):
    make_place(auch, "Sans position")
    response = gers_client.get("/api/v1/places.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 4
    cafe = next(f for f in body["features"] if f["properties"]["name"] == "Café Gascon")
    assert cafe["geometry"] == {"type": "Point", "coordinates": [0.5855, 43.6474]}
    assert cafe["properties"]["categories"] == ["restaurant", "cafe-bar"]
    assert cafe["properties"]["commune"] == "32013"


def test_it_gives_compact_markers_for_the_map(gers_client, places):
    response = gers_client.get("/api/v1/places/markers")
    assert response.status_code == 200
    markers = response.json()
    assert [places["cafe"].pk, 43.6474, 0.5855, "restaurant"] in markers
    assert len(markers) == 4
    in_marciac = gers_client.get("/api/v1/places/markers?bbox=0.1,43.5,0.2,43.6").json()
    assert [m[0] for m in in_marciac] == [places["jazz"].pk]
    museums = gers_client.get("/api/v1/places/markers?category=museum").json()
    assert [m[0] for m in museums] == [places["museum"].pk]
    assert gers_client.get("/api/v1/places/markers?bbox=1,2").status_code == 400


def test_the_markers_are_compressed_for_a_phone(gers_client, auch):
    for step in range(300):
        make_place(auch, f"Lieu {step}", "restaurant", lat=43.6 + step / 1000, lon=0.5 + step / 1000)
    response = gers_client.get("/api/v1/places/markers", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert len(gzip.decompress(response.content)) > len(response.content)


def test_the_endpoints_are_in_the_openapi_document(gers_client):
    paths = gers_client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/places", "/api/v1/places/{place_id}", "/api/v1/places.geojson", "/api/v1/places/markers"):
        assert path in paths


def test_places_of_a_commune_that_turned_the_directory_off_are_in_no_list_nor_on_the_map(
    gers_client, places, marciac
):
    from clocher.territories.models import ModuleSetting

    ModuleSetting.objects.create(territory=marciac, module="directory", enabled=False)
    assert "Jazz in Marciac" not in names(gers_client.get("/api/v1/places"))
    marker_ids = [row[0] for row in gers_client.get("/api/v1/places/markers").json()]
    assert places["jazz"].pk not in marker_ids
    assert places["cafe"].pk in marker_ids
    assert gers_client.get(f"/api/v1/places/{places['jazz'].pk}").status_code == 404


def test_the_markers_are_capped_and_say_so(gers_client, places, monkeypatch):
    monkeypatch.setattr("clocher.api.places.MARKERS_MAX", 3)
    response = gers_client.get("/api/v1/places/markers")
    assert len(response.json()) == 3
    assert response["X-Markers-Truncated"] == "1"
    in_marciac = gers_client.get("/api/v1/places/markers?bbox=0.1,43.5,0.2,43.6")
    assert len(in_marciac.json()) == 1
    assert "X-Markers-Truncated" not in in_marciac
