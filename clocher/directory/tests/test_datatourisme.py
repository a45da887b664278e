"""Importing DATAtourisme objects: the shared real objects, idempotence, territories, opening
periods, and objects of any shape (never a crash)."""

from __future__ import annotations

import copy
import json
import os
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine

from clocher.directory.importers import ImportFailed, ImportReport
from clocher.directory.importers.datatourisme import (
    import_datatourisme,
    import_place,
    literal,
    opening_hours_from,
    parse_object,
)
from clocher.directory.models import Place
from clocher.territories.content import Status
from clocher.territories.geography import shared_data_dir
from clocher.territories.models import Territory, TerritoryKind
from conftest import make_territory

OBJECTS = shared_data_dir() / "datatourisme-objects"
RESTAURANT = OBJECTS / "30-0049c43b-5087-3c44-87ef-349d316fc2b8.json"

needs_shared_data = pytest.mark.skipif(
    not OBJECTS.is_dir() and not os.environ.get("CI"),
    reason="the shared DATAtourisme objects are not beside the repository (they must be in CI)",
)

# (region, département, commune INSEE code, commune name) of the shared objects.
COMMUNES = [
    ("75", "19", "19010", "Argentat-sur-Dordogne"),
    ("75", "87", "87204", "Videix"),
    ("28", "50", "50523", "Sainte-Mère-Église"),
    ("28", "76", "76159", "Cany-Barville"),
    ("76", "34", "34161", "Montady"),
    ("52", "49", "49328", "Saumur"),
    ("93", "13", "13018", "Cabannes"),
]


@pytest.fixture
def communes(db: None) -> dict[str, Territory]:
    regions: dict[str, Territory] = {}
    found: dict[str, Territory] = {}
    for region_code, departement_code, code, name in COMMUNES:
        if region_code not in regions:
            regions[region_code] = make_territory(TerritoryKind.REGION, region_code, f"Région {region_code}")
        departement = make_territory(
            TerritoryKind.DEPARTEMENT, departement_code, f"Département {departement_code}",
            region=regions[region_code],
        )
        found[departement_code] = departement
        found[code] = make_territory(
            TerritoryKind.COMMUNE, code, name, region=regions[region_code], departement=departement,
        )
    return found


def square(lon: float, lat: float, half: float = 0.05) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[
            [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half],
        ]],
    }


def restaurant() -> dict[str, Any]:
    obj: dict[str, Any] = json.loads(RESTAURANT.read_text(encoding="utf-8"))
    return obj


def write(folder: Path, name: str, obj: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


@needs_shared_data
def test_it_imports_the_shared_objects_with_names_coordinates_communes_and_categories(
    communes: dict[str, Territory],
) -> None:
    report = import_datatourisme([OBJECTS])

    assert (report.created, report.updated, report.unchanged) == (6, 0, 0)
    assert report.rejected == [("49-00037bcf-28e4-3322-b72f-377587204703.json", "événement : voir l'agenda")]
    place = Place.objects.get(external_id="https://data.datatourisme.fr/30/0049c43b-5087-3c44-87ef-349d316fc2b8")
    assert place.name == "Chez Jeanne"
    assert (place.lat, place.lon) == (49.4090531, -1.3177702)
    assert place.commune == communes["50523"]
    assert place.territory == communes["50"]
    assert list(place.category_links.values_list("category", flat=True)) == ["restaurant"]
    assert place.phone == "+33214141360"
    assert place.street == "1 rue Division Leclerc"
    assert place.postcode == "50480"
    assert place.source == "datatourisme"
    assert place.status == Status.PUBLISHED
    assert place.description.startswith("La Crêperie")
    names = {p.name: (p.commune.code if p.commune else "", sorted(p.category_links.values_list("category", flat=True)))
             for p in Place.objects.select_related("commune")}
    assert names == {
        "Escapade Nature Pays d'Argentat": ("19010", ["leisure-sport"]),
        "MAZETTE": ("87204", ["gite"]),
        "Chez Jeanne": ("50523", ["restaurant"]),
        "Bien-être et soins": ("76159", ["leisure-sport"]),
        "DOMAINE DE SOUSTRES": ("34161", ["wine"]),
        "La Maison à Côté": ("13018", ["gite"]),
    }


@needs_shared_data
def test_a_second_run_changes_nothing(communes: dict[str, Territory]) -> None:
    import_datatourisme([OBJECTS])
    before = list(Place.objects.values_list("pk", "checksum", "updated_at").order_by("pk"))

    report = import_datatourisme([OBJECTS])

    assert (report.created, report.updated, report.unchanged, len(report.rejected)) == (0, 0, 6, 1)
    assert list(Place.objects.values_list("pk", "checksum", "updated_at").order_by("pk")) == before


@needs_shared_data
def test_it_updates_a_changed_object_in_place(communes: dict[str, Territory], tmp_path: Path) -> None:
    obj = restaurant()
    import_datatourisme([write(tmp_path, "a.json", obj)])
    obj["rdfs:label"] = {"fr": ["Chez Jeanne, crêperie"], "en": ["Jeanne's"]}

    report = import_datatourisme([write(tmp_path, "a.json", obj)])

    assert (report.created, report.updated) == (0, 1)
    assert Place.objects.get().name == "Chez Jeanne, crêperie"


@needs_shared_data
def test_it_publishes_for_the_given_territory_and_refuses_places_outside_it(
    communes: dict[str, Territory],
) -> None:
    report = import_datatourisme([OBJECTS], territory_code="19")

    assert report.created == 1
    assert Place.objects.get().territory == communes["19"]
    reasons = dict(report.rejected)
    assert reasons["30-0049c43b-5087-3c44-87ef-349d316fc2b8.json"] == (
        "Sainte-Mère-Église n'est pas sur le territoire de Département 19"
    )


def test_it_refuses_an_unknown_territory_or_path(db: None, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="Aucun territoire"):
        import_datatourisme([tmp_path], territory_code="99")
    with pytest.raises(ImportFailed, match="introuvable"):
        import_datatourisme([tmp_path / "absent"])


@needs_shared_data
def test_it_finds_the_commune_from_the_coordinates_when_the_address_has_no_insee_code(
    db: None, tmp_path: Path, gers: Territory
) -> None:
    commune = make_territory(
        TerritoryKind.COMMUNE, "32013", "Auch", departement=gers, boundary=square(0.5855, 43.6465),
    )
    obj = restaurant()
    del obj["isLocatedAt"][0]["schema:address"][0]["hasAddressCity"]
    obj["isLocatedAt"][0]["schema:geo"] = {"schema:latitude": "43.6465", "schema:longitude": "0.5855"}

    report = import_datatourisme([write(tmp_path, "a.json", obj)])

    assert report.created == 1, report.rejected
    place = Place.objects.get()
    assert (place.commune, place.territory) == (commune, gers)


@needs_shared_data
def test_it_rejects_a_place_in_no_known_commune(db: None, tmp_path: Path) -> None:
    report = import_datatourisme([write(tmp_path, "a.json", restaurant())])

    assert report.rejected == [
        ("a.json", "commune inconnue (INSEE 50523) et aucune commune connue à ces coordonnées")
    ]


@needs_shared_data
@time_machine.travel("2023-10-02 10:00 +0200")
def test_it_keeps_the_current_opening_periods_in_openstreetmap_syntax(communes: dict[str, Territory]) -> None:
    import_datatourisme([RESTAURANT])

    assert Place.objects.get().opening_hours == "2023 Sep 01-2023 Dec 31 Mo,Th-Su 12:00-14:00,19:00-20:30"


@needs_shared_data
def test_it_leaves_past_opening_periods_out_with_a_warning(communes: dict[str, Territory]) -> None:
    report = import_datatourisme([RESTAURANT])

    assert Place.objects.get().opening_hours == ""
    assert report.warnings == [
        (RESTAURANT.name, "seules des périodes d'ouverture passées sont connues, horaires non repris")
    ]


def day(name: str, opens: str | None, closes: str | None, start: str = "", end: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {"schema:dayOfWeek": [{"@id": f"schema:{name}"}]}
    if opens:
        item["schema:opens"] = opens
    if closes:
        item["schema:closes"] = closes
    if start:
        item["schema:validFrom"] = start
    if end:
        item["schema:validThrough"] = end
    return item


def test_it_groups_days_with_the_same_hours_and_dates_the_periods() -> None:
    specs = [
        day(name, "09:00:00", "12:00:00", "2024-01-01T00:00:00", "2024-12-31T23:59:59")
        for name in ("Monday", "Tuesday", "Wednesday", "Friday")
    ] + [
        day("Saturday", "08:00:00", "00:00:00"),
        day("Wednesday", "14:00:00", "18:00:00", "2024-07-01", "2024-08-31"),
    ]

    hours, warning = opening_hours_from(specs, date(2024, 3, 1))

    assert hours == (
        "Sa 08:00-24:00; 2024 Jan 01-2024 Dec 31 Mo-We,Fr 09:00-12:00; "
        "2024 Jul 01-2024 Aug 31 We 14:00-18:00"
    )
    assert warning is None


def test_it_says_when_periods_have_no_hours() -> None:
    hours, warning = opening_hours_from([day("Monday", None, None)], date(2024, 3, 1))

    assert (hours, warning) == ("", "horaires sans heures d'ouverture, non repris")


def test_it_reads_literals_in_french_then_english_then_any_language() -> None:
    assert literal({"en": ["Castle"], "fr": ["Château"]}) == "Château"
    assert literal({"de": ["Burg"], "en": ["Castle"]}) == "Castle"
    assert literal({"de": ["Burg"]}) == "Burg"
    assert literal([None, 3, {"@value": " Tour "}]) == "Tour"
    assert literal(12) == ""


def test_it_rejects_events_and_unknown_types_with_a_reason() -> None:
    from clocher.directory.importers import RecordRejected

    with pytest.raises(RecordRejected, match="événement : voir l'agenda"):
        parse_object({"@id": "x", "@type": ["schema:Event"], "rdfs:label": {"fr": ["Fête"]}})
    with pytest.raises(RecordRejected, match="aucune catégorie de l'annuaire pour les types Spaceport"):
        parse_object({"@id": "x", "@type": "Spaceport", "rdfs:label": "Base"})


BROKEN: list[tuple[str, bytes, str]] = [
    ("empty.json", b"", "JSON illisible"),
    ("list.json", b"[]", "un objet JSON est attendu, pas list"),
    ("null.json", b"null", "un objet JSON est attendu, pas NoneType"),
    ("latin1.json", '{"@id": "é"}'.encode("latin-1"), "JSON illisible"),
    ("nested.json", b"[" * 100_000 + b"]" * 100_000, "JSON illisible"),
    ("no-id.json", b'{"@type": ["Restaurant"], "rdfs:label": "Chez Paul"}', "pas d'identifiant"),
    ("id-number.json", b'{"@id": 5, "@type": ["Restaurant"]}', "pas d'identifiant"),
    ("no-name.json", b'{"@id": "x", "@type": ["Restaurant"], "rdfs:label": [1, 2]}', "pas de nom"),
    (
        "no-place.json",
        b'{"@id": "x", "@type": "Restaurant", "rdfs:label": "Chez Paul", "isLocatedAt": "ici"}',
        "commune inconnue (INSEE ?)",
    ),
]


@pytest.mark.parametrize(("name", "content", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_it_rejects_a_broken_file_with_its_reason(
    communes: dict[str, Territory], tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    report = import_datatourisme([path])

    assert len(report.rejected) == 1
    assert report.rejected[0][0] == name
    assert reason in report.rejected[0][1]


@needs_shared_data
def test_it_rejects_a_truncated_object(communes: dict[str, Territory], tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_bytes(RESTAURANT.read_bytes()[:5000])

    report = import_datatourisme([path])

    assert report.rejected[0][0] == "cut.json"
    assert report.rejected[0][1].startswith("JSON illisible")


@needs_shared_data
def test_a_bad_phone_number_is_dropped_with_a_warning_not_the_place(
    communes: dict[str, Territory], tmp_path: Path
) -> None:
    obj = restaurant()
    obj["hasContact"][0]["schema:telephone"] = ["+33 1"]

    report = import_datatourisme([write(tmp_path, "a.json", obj)])

    assert report.created == 1
    assert Place.objects.get().phone == ""
    assert any(message.startswith("phone ignoré") for _where, message in report.warnings)


def _mutations(value: Any, rng: random.Random) -> Any:
    """The same object with about one value in ten replaced by a value of another shape."""
    odd: list[Any] = [None, "", "x" * 300, 0, -1.5, True, [], {}, [None], {"fr": None}, "12:99:00", "NaN"]
    if isinstance(value, dict):
        return {k: (rng.choice(odd) if rng.random() < 0.1 else _mutations(v, rng)) for k, v in value.items()}
    if isinstance(value, list):
        return [rng.choice(odd) if rng.random() < 0.1 else _mutations(v, rng) for v in value]
    return value


@needs_shared_data
def test_objects_of_any_shape_import_or_are_rejected_never_a_crash(communes: dict[str, Territory]) -> None:
    originals = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(OBJECTS.glob("*.json"))]
    rng = random.Random(4)
    report = ImportReport()
    for round_ in range(40):
        for index, obj in enumerate(originals):
            mutated = _mutations(copy.deepcopy(obj), rng)
            mutated["@id"] = f"fuzz-{round_}-{index}"
            import_place(report, f"{round_}/{index}", mutated, territory=None)

    total = report.created + report.updated + report.unchanged + len(report.rejected)
    assert total == 40 * len(originals)
    assert report.created > 0
    assert all(reason for _where, reason in report.rejected)


def test_an_object_nested_as_deep_as_json_allows_is_rejected_not_a_crash(communes: dict[str, Territory]) -> None:
    deep: Any = "Chez Paul"
    for _level in range(5000):
        deep = [deep]
    report = ImportReport()

    import_place(report, "deep", {"@id": "x", "@type": ["Restaurant"], "rdfs:label": deep}, territory=None)

    assert report.rejected == [("deep", "objet trop imbriqué")]
