"""Finding the commune at a point, on real Gers boundaries (france-geojson)."""

from __future__ import annotations

import json
import random
from functools import cache
from typing import Any

import pytest
import shapely
from shapely.geometry import Point, shape

from clocher.territories import lookup
from clocher.territories.geography import shared_data_dir
from clocher.territories.lookup import commune_at, commune_id_at
from clocher.territories.models import Territory, TerritoryKind

CATHEDRAL_OF_AUCH = (43.6465, 0.5855)
PARIS = (48.8566, 2.3522)


@cache
def _features() -> dict[str, dict[str, Any]]:
    path = shared_data_dir() / "france-geojson" / "communes-32-gers.geojson"
    with path.open(encoding="utf-8") as handle:
        return {f["properties"]["code"]: f for f in json.load(handle)["features"]}


def _bound(territory: Territory) -> Territory:
    territory.boundary = _features()[territory.code]["geometry"]
    territory.save()
    return territory


@cache
def _neighbours_of(code: str) -> list[str]:
    """The communes of the file that share an edge with this one."""
    geom = shape(_features()[code]["geometry"])
    return sorted(
        other for other, feature in _features().items()
        if other != code and shape(feature["geometry"]).intersection(geom.boundary).length > 0
    )


def _add_communes(codes: list[str], gers: Territory) -> list[Territory]:
    return [
        _bound(Territory.objects.create(
            kind=TerritoryKind.COMMUNE, code=code, name=_features()[code]["properties"]["nom"], departement=gers,
        ))
        for code in codes
    ]


@pytest.fixture
def bounded(auch, marciac, gers):
    """Auch, Marciac and the communes around Auch, with their real boundaries."""
    _bound(auch)
    _bound(marciac)
    return _add_communes(_neighbours_of("32013"), gers)


def test_it_finds_auch_at_its_cathedral_with_its_epci_and_departement(bounded):
    found = commune_at(*CATHEDRAL_OF_AUCH)

    assert found is not None
    assert found.code == "32013"
    assert found.epci is not None and found.epci.code == "200066926"
    assert found.departement is not None and found.departement.code == "32"


def test_it_finds_every_commune_at_its_own_representative_point(bounded, auch, marciac):
    for territory in [auch, marciac, *bounded]:
        point = shape(territory.boundary).representative_point()
        assert commune_id_at(point.y, point.x) == territory.pk


def test_it_finds_nothing_outside_every_boundary(bounded):
    assert commune_at(*PARIS) is None


def test_it_finds_nothing_for_coordinates_that_are_not_real(bounded):
    assert commune_at(float("nan"), 0.5855) is None
    assert commune_at(43.6465, float("inf")) is None
    assert commune_at(123.0, 0.5855) is None


def test_it_finds_nothing_when_no_boundary_is_loaded(auch):
    assert commune_at(*CATHEDRAL_OF_AUCH) is None


def test_it_leaves_merged_communes_out(bounded, auch):
    auch.is_active = False
    auch.save()
    lookup.invalidate()

    assert commune_at(*CATHEDRAL_OF_AUCH) is None


def test_a_point_on_a_shared_edge_belongs_to_the_commune_with_the_smaller_code(bounded, auch):
    neighbour = bounded[0]
    edge = shapely.intersection(shape(auch.boundary).boundary, shape(neighbour.boundary).boundary)
    lon, lat = shapely.get_coordinates(edge)[0]
    point = Point(lon, lat)
    assert shape(auch.boundary).intersects(point) and shape(neighbour.boundary).intersects(point)

    answers = {commune_id_at(lat, lon) for _ in range(3)}
    lookup.invalidate()
    answers.add(commune_id_at(lat, lon))

    smaller = min([auch, neighbour], key=lambda t: t.code)
    assert answers == {smaller.pk}


def test_it_follows_boundaries_changed_in_the_database(bounded, auch, settings):
    assert commune_id_at(*CATHEDRAL_OF_AUCH) == auch.pk
    settings.TERRITORY_LOOKUP_MAX_AGE = 0
    auch.boundary = None
    auch.save()

    assert commune_id_at(*CATHEDRAL_OF_AUCH) is None


def test_it_keeps_its_index_for_a_while_between_checks(bounded, auch, settings, django_assert_num_queries):
    commune_at(*CATHEDRAL_OF_AUCH)
    settings.TERRITORY_LOOKUP_MAX_AGE = 60

    with django_assert_num_queries(0):
        for _ in range(10):
            assert commune_at(*CATHEDRAL_OF_AUCH) is not None


def test_it_gives_each_caller_its_own_copy(bounded):
    first = commune_at(*CATHEDRAL_OF_AUCH)
    assert first is not None and first.epci is not None
    first.name = "Changed"
    first.epci.name = "Changed too"

    again = commune_at(*CATHEDRAL_OF_AUCH)
    assert again is not None and again.epci is not None
    assert (again.name, again.epci.name) == ("Auch", "CA Grand Auch Cœur de Gascogne")


def test_it_agrees_with_a_plain_scan_on_a_thousand_points_of_the_whole_gers(gers):
    # The speed target (10,000 points in under a second) is measured by `make bench`, not here.

    _add_communes(sorted(_features()), gers)
    polygons = {
        code: shape(t.boundary)
        for code, t in ((t.code, t) for t in Territory.objects.exclude(boundary=None))
    }
    rng = random.Random(32)
    points = [(rng.uniform(43.3, 44.1), rng.uniform(-0.3, 1.2)) for _ in range(1_000)]

    for lat, lon in points:
        found = commune_at(lat, lon)
        containing = sorted(c for c, p in polygons.items() if p.covers(Point(lon, lat)))
        assert (found.code if found else None) == (containing[0] if containing else None)


def test_threads_of_one_process_get_the_right_answers_together(bounded, auch, settings):
    from concurrent.futures import ThreadPoolExecutor

    # Other threads have no test database: they must answer from the index.
    settings.TERRITORY_LOOKUP_MAX_AGE = 60
    commune_at(*CATHEDRAL_OF_AUCH)  # builds the index in this thread, where the test database is
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: commune_id_at(*CATHEDRAL_OF_AUCH), range(2000)))

    assert set(answers) == {auch.pk}
