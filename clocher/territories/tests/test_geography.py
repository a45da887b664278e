"""Loading the official geography (COG) and boundaries, on a slice of the real data sets."""

from __future__ import annotations

import json
from functools import cache
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import Point, shape

from clocher.territories.geography import (
    GeographyError,
    default_data_dir,
    import_boundaries,
    import_territories,
    shared_data_dir,
)
from clocher.territories.models import Postcode, Territory, TerritoryKind

GEOJSON = shared_data_dir() / "france-geojson"
KEPT_DEPARTEMENTS = {"32", "61"}


@cache
def _real(name: str) -> list[dict[str, Any]]:
    with (default_data_dir() / f"{name}.json").open(encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def _slice() -> dict[str, list[dict[str, Any]]]:
    """The Gers and the Orne of the real data set, with every région and département."""
    communes = [c for c in _real("communes") if c.get("departement") in KEPT_DEPARTEMENTS]
    codes = {c["code"] for c in communes}
    epcis = [e for e in _real("epci") if any(m["code"] in codes for m in e["membres"])]
    return {
        "regions": _real("regions"),
        "departements": _real("departements"),
        "epci": json.loads(json.dumps(epcis)),
        "communes": json.loads(json.dumps(communes)),
    }


def _write(folder: Path, data: dict[str, list[dict[str, Any]]]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, content in data.items():
        (folder / f"{name}.json").write_text(json.dumps(content), encoding="utf-8")
    return folder


@pytest.fixture
def cog(tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    return _slice()


@pytest.fixture
def cog_dir(tmp_path: Path, cog: dict[str, list[dict[str, Any]]]) -> Path:
    return _write(tmp_path / "cog", cog)


def _commune(data: dict[str, list[dict[str, Any]]], code: str) -> dict[str, Any]:
    return next(c for c in data["communes"] if c["code"] == code and c["type"] == "commune-actuelle")


def test_it_loads_communes_with_their_epci_departement_region_and_postcodes(db, cog_dir):
    import_territories(cog_dir)

    auch = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="32013")
    assert auch.name == "Auch"
    assert auch.search_name == "auch"
    assert auch.siren == "213200132"
    assert auch.population and auch.population > 20000
    assert auch.departement is not None and auch.departement.code == "32"
    assert auch.region is not None and auch.region.name == "Occitanie"
    assert auch.epci is not None and auch.epci.code == "200066926"
    assert auch.epci.epci_kind == "CA"
    assert auch.epci.departement_id == auch.departement_id
    assert [p.code for p in auch.postcodes.all()] == ["32000"]


def test_it_folds_names_for_search_although_bulk_writes_skip_save(db, cog_dir):
    import_territories(cog_dir)

    assert Territory.objects.get(kind=TerritoryKind.COMMUNE, code="61001").search_name == "alencon"


def test_it_sums_the_population_of_departements_from_their_communes(db, cog_dir, cog):
    import_territories(cog_dir)

    expected = sum(c.get("population") or 0 for c in cog["communes"]
                   if c["departement"] == "32" and c["type"] == "commune-actuelle")
    assert Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="32").population == expected


def test_it_imports_only_current_communes(db, cog_dir, cog):
    current = {c["code"] for c in cog["communes"] if c["type"] == "commune-actuelle"}
    delegated_only = sorted({c["code"] for c in cog["communes"]} - current)
    assert delegated_only, "the slice should hold communes déléguées"

    import_territories(cog_dir)

    assert not Territory.objects.filter(kind=TerritoryKind.COMMUNE, code__in=delegated_only).exists()
    assert Territory.objects.filter(kind=TerritoryKind.COMMUNE).count() == len(current)


def test_a_second_run_changes_nothing_and_says_so(db, cog_dir):
    first = import_territories(cog_dir)
    second = import_territories(cog_dir)

    assert first.changed
    assert not second.changed
    assert second.tallies["commune"].created == 0
    assert second.tallies["commune"].unchanged == first.tallies["commune"].created
    assert any("Aucun changement" in line for line in second.lines())


def test_it_deactivates_a_merged_commune_without_deleting_it_and_reactivates_it(db, tmp_path, cog):
    import_territories(_write(tmp_path / "before", cog))
    merged = [c for c in cog["communes"] if c["code"] != "32233"]

    summary = import_territories(_write(tmp_path / "after", {**cog, "communes": merged}))

    marciac = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="32233")
    assert not marciac.is_active
    assert summary.tallies["commune"].deactivated == 1
    assert Postcode.objects.filter(territory=marciac).exists()

    back = import_territories(_write(tmp_path / "before", cog))
    marciac.refresh_from_db()
    assert marciac.is_active
    assert back.tallies["commune"].reactivated == 1


def test_it_updates_a_renamed_commune_its_search_name_and_its_postcodes(db, tmp_path, cog):
    import_territories(_write(tmp_path / "before", cog))
    marciac = _commune(cog, "32233")
    marciac["nom"] = "Marciac-en-Jazz"
    marciac["codesPostaux"] = ["32231"]

    summary = import_territories(_write(tmp_path / "after", cog))

    territory = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="32233")
    assert territory.name == "Marciac-en-Jazz"
    assert territory.search_name == "marciac en jazz"
    assert [p.code for p in territory.postcodes.all()] == ["32231"]
    assert summary.tallies["commune"].updated == 1
    assert summary.postcodes_created == 1
    assert summary.postcodes_deleted == 1


def test_it_refuses_a_missing_data_folder(db, tmp_path):
    with pytest.raises(GeographyError, match="introuvable"):
        import_territories(tmp_path / "nowhere")


def test_it_refuses_unreadable_json_and_writes_nothing(db, tmp_path, cog):
    folder = _write(tmp_path / "cog", cog)
    (folder / "communes.json").write_text("{ not json", encoding="utf-8")

    with pytest.raises(GeographyError, match="JSON"):
        import_territories(folder)
    assert not Territory.objects.exists()


def test_the_import_command_prints_a_summary(db, cog_dir):
    out = StringIO()
    call_command("import", "territories", "--data-dir", str(cog_dir), "--no-progress", stdout=out)
    call_command("import", "territories", "--data-dir", str(cog_dir), "--no-progress", stdout=out)

    text = out.getvalue()
    assert "Communes : " in text
    assert "Aucun changement" in text


def test_the_import_command_turns_a_missing_folder_into_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="introuvable"):
        call_command("import", "territories", "--data-dir", str(tmp_path / "nowhere"), "--no-progress")


# --- boundaries --------------------------------------------------------------------------------------


@cache
def _gers_features() -> dict[str, dict[str, Any]]:
    with (GEOJSON / "communes-32-gers.geojson").open(encoding="utf-8") as handle:
        return {f["properties"]["code"]: f for f in json.load(handle)["features"]}


def _geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture
def boundaries_file(tmp_path: Path) -> Path:
    features = _gers_features()
    return _geojson(tmp_path / "gers.geojson", [features["32013"], features["32233"]])


def test_it_stores_a_boundary_its_box_and_a_point_inside(auch, marciac, boundaries_file):
    summary = import_boundaries(boundaries_file)

    auch.refresh_from_db()
    assert summary.created == 2
    assert auch.boundary == _gers_features()["32013"]["geometry"]
    polygon = shape(auch.boundary)
    assert (auch.min_lon, auch.min_lat, auch.max_lon, auch.max_lat) == pytest.approx(polygon.bounds)
    assert polygon.contains(Point(auch.center_lon, auch.center_lat))


def test_a_second_boundary_import_changes_nothing(auch, marciac, boundaries_file):
    import_boundaries(boundaries_file)
    second = import_boundaries(boundaries_file)

    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert any("Aucun changement" in line for line in second.lines())


def test_it_reports_unknown_codes_features_without_code_and_bad_geometries_and_goes_on(
    auch, tmp_path
):
    features = _gers_features()
    path = _geojson(tmp_path / "mixed.geojson", [
        features["32013"],
        features["32233"],  # Marciac is not in the database of this test
        {"type": "Feature", "properties": {"nom": "Sans code"}, "geometry": features["32013"]["geometry"]},
        {"type": "Feature", "properties": {"code": "32013"}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
    ])

    summary = import_boundaries(path)

    assert summary.unknown_codes == ["32233"]
    assert summary.without_code == 1
    text = "\n".join(summary.lines())
    assert "32233" in text
    assert "sans propriété « code »" in text


def test_it_accepts_a_departement_file_made_of_one_feature(gers):
    summary = import_boundaries(GEOJSON / "departement-32-gers.geojson")

    gers.refresh_from_db()
    assert summary.created == 1
    assert gers.boundary is not None
    assert gers.min_lon is not None and gers.min_lon < 0 < gers.max_lon


def test_it_repairs_a_self_crossing_polygon(auch, tmp_path):
    bow_tie = {"type": "Polygon", "coordinates": [[[0.5, 43.6], [0.6, 43.7], [0.6, 43.6], [0.5, 43.7], [0.5, 43.6]]]}
    path = _geojson(tmp_path / "bow.geojson", [{"type": "Feature", "properties": {"code": "32013"}, "geometry": bow_tie}])

    import_boundaries(path)

    auch.refresh_from_db()
    assert shape(auch.boundary).is_valid
    assert shape(auch.boundary).contains(Point(auch.center_lon, auch.center_lat))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "introuvable"),
        ("{ broken", "JSON"),
        ('{"type": "Point", "coordinates": [0, 0]}', "GeoJSON"),
    ],
)
def test_it_refuses_a_missing_unreadable_or_non_geojson_file(db, tmp_path, content, message):
    path = tmp_path / "file.geojson"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(GeographyError, match=message):
        import_boundaries(path)


def test_the_boundaries_command_prints_a_summary_and_clear_errors(auch, boundaries_file, tmp_path):
    out = StringIO()
    call_command("import", "boundaries", str(boundaries_file), "--no-progress", stdout=out)
    assert "Contours : 1 ajouté(s)" in out.getvalue()
    assert "32233" in out.getvalue()

    with pytest.raises(CommandError, match="introuvable"):
        call_command("import", "boundaries", str(tmp_path / "missing.geojson"), "--no-progress")
