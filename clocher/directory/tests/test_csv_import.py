"""Importing places from the documented CSV: separators, byte-order mark, idempotence, rejections."""

from __future__ import annotations

from pathlib import Path

import pytest

from clocher.directory.importers import ImportFailed
from clocher.directory.importers.csv_places import import_places_csv
from clocher.directory.models import Place
from clocher.territories.content import Status
from clocher.territories.models import Territory

HEADER = "id_externe;nom;categories;adresse;code_postal;commune_insee;latitude;longitude;telephone;email;site;horaires;description"
ROWS = [
    "r1;Le Papillon;restaurant|cafe-bar;1 place de la Libération;32000;32013;43,6465;0,5855;05 62 61 21 00;"
    "contact@papillon.example;https://papillon.example;Mo-Sa 12:00-14:00;Cuisine **gasconne**",
    "m1;Marché d'Auch;market;Place de la Cathédrale;32000;32013;;;;;;Sa 07:30-13:00;",
]


def write(tmp_path: Path, lines: list[str], *, bom: bool = False, separator: str = ";") -> Path:
    text = "\n".join(line.replace(";", separator) for line in lines) + "\n"
    path = tmp_path / "lieux.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_it_imports_places_from_a_semicolon_file_with_a_byte_order_mark(
    auch: Territory, grand_auch: Territory, tmp_path: Path
) -> None:
    report = import_places_csv(write(tmp_path, [HEADER, *ROWS], bom=True), territory_code="200066926")

    assert (report.created, report.rejected) == (2, [])
    place = Place.objects.get(external_id="r1")
    assert place.name == "Le Papillon"
    assert (place.commune, place.territory, place.source) == (auch, grand_auch, "csv:200066926")
    assert (place.lat, place.lon) == (43.6465, 0.5855)
    assert place.phone == "+33562612100"
    assert place.opening_hours == "Mo-Sa 12:00-14:00"
    assert "<strong>gasconne</strong>" in place.description_html
    assert place.status == Status.PUBLISHED
    assert sorted(place.category_links.values_list("category", flat=True)) == ["cafe-bar", "restaurant"]


def test_it_reads_commas_and_a_second_run_changes_nothing(auch: Territory, tmp_path: Path) -> None:
    # A comma file cannot hold the decimal commas of the semicolon one.
    rows = [r.replace("43,6465", "43.6465").replace("0,5855", "0.5855") for r in ROWS]
    path = write(tmp_path, [HEADER, *rows], separator=",")
    import_places_csv(path, territory_code="32013")

    report = import_places_csv(path, territory_code="32013")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert Place.objects.count() == 2


def test_it_updates_a_changed_row_in_place(auch: Territory, tmp_path: Path) -> None:
    import_places_csv(write(tmp_path, [HEADER, *ROWS]), territory_code="32013", source="cd32")

    report = import_places_csv(
        write(tmp_path, [HEADER, ROWS[0].replace("Le Papillon", "Au Papillon"), ROWS[1]]),
        territory_code="32013", source="cd32",
    )

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Place.objects.get(external_id="r1", source="cd32").name == "Au Papillon"


def test_it_rejects_each_bad_row_with_its_line_and_reason(auch: Territory, marciac: Territory, tmp_path: Path) -> None:
    lines = [
        HEADER,
        ";Sans identifiant;restaurant;;;32013;;;;;;;",
        "x1;;restaurant;;;32013;;;;;;;",
        "x2;Ovni;spaceport;;;32013;;;;;;;",
        "x3;Ailleurs;restaurant;;;99999;;;;;;;",
        "x4;À Marciac;restaurant;;;32233;;;;;;;",
        "x5;Mal horaire;restaurant;;;32013;;;;;;lundi matin;",
        "x5;Doublon;restaurant;;;32013;;;;;;;",
    ]

    report = import_places_csv(write(tmp_path, lines), territory_code="32013")

    assert report.created == 1
    assert report.rejected == [
        ("ligne 2", "id_externe manquant"),
        ("ligne 3", "name : Le nom du lieu est obligatoire."),
        ("ligne 4", "categories : Catégorie inconnue : spaceport."),
        ("ligne 5", "commune_insee « 99999 » inconnue"),
        ("ligne 6", "commune : Marciac n'est pas sur le territoire de Auch."),
        ("ligne 8", "id_externe « x5 » en double dans le fichier"),
    ]
    assert report.warnings[0][0] == "ligne 7"
    assert report.warnings[0][1].startswith("opening_hours ignoré")


def test_it_refuses_a_file_that_is_not_utf8_or_lacks_the_required_columns(auch: Territory, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id_externe;nom\n1;Café\n".encode("latin-1"))
    with pytest.raises(ImportFailed, match="pas en UTF-8 \\(ligne 2\\)"):
        import_places_csv(path, territory_code="32013")
    with pytest.raises(ImportFailed, match="Colonnes obligatoires absentes : id_externe"):
        import_places_csv(write(tmp_path, ["nom;categories", "Café;cafe-bar"]), territory_code="32013")
    path.write_bytes(b"")
    with pytest.raises(ImportFailed, match="vide"):
        import_places_csv(path, territory_code="32013")


def test_it_warns_of_unknown_columns_and_short_rows(auch: Territory, tmp_path: Path) -> None:
    report = import_places_csv(
        write(tmp_path, ["id_externe;nom;commune_insee;couleur", "a;Bar;32013", "b;Pub;32013;bleu;en trop"]),
        territory_code="32013",
    )

    assert report.created == 2
    assert report.warnings == [
        ("en-tête", "colonnes ignorées : couleur"),
        ("ligne 3", "plus de valeurs que de colonnes ; les dernières sont ignorées"),
    ]
