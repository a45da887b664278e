"""`clocher import datatourisme` and `clocher import places-csv`: the report, and clear errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clocher.directory.models import Place
from clocher.territories.models import Territory


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_it_imports_datatourisme_objects_and_prints_the_report(auch: Territory, tmp_path: Path) -> None:
    obj = {
        "@id": "https://data.datatourisme.fr/32/test", "@type": ["Restaurant"],
        "rdfs:label": {"fr": ["Le Papillon"]},
        "isLocatedAt": [{"schema:address": [{"hasAddressCity": {"insee": "32013"}}]}],
    }
    (tmp_path / "a.json").write_text(json.dumps(obj), encoding="utf-8")
    (tmp_path / "b.json").write_text('{"@id": "e", "@type": "schema:Event"}', encoding="utf-8")

    output = run("datatourisme", str(tmp_path))

    assert "Créés : 1" in output
    assert "Rejetés : 1" in output
    assert "b.json : événement : voir l'agenda" in output
    assert Place.objects.get().territory.code == "32"
    assert "Inchangés : 1" in run("datatourisme", str(tmp_path))
    # Published by another territory from now on: the same place, updated.
    assert "Mis à jour : 1" in run("datatourisme", str(tmp_path), "--territory", "32013")
    assert Place.objects.get().territory == auch


def test_it_imports_a_csv_for_a_territory(auch: Territory, tmp_path: Path) -> None:
    path = tmp_path / "lieux.csv"
    path.write_text("id_externe,nom,categories,commune_insee\n1,Mairie d'Auch,mairie,32013\n", encoding="utf-8")

    output = run("places-csv", str(path), "--territory", "32013")

    assert "Créés : 1" in output
    assert Place.objects.get().source == "csv:32013"


def test_it_answers_an_unknown_territory_or_path_with_a_clear_error(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Aucun territoire de code « 00000 »"):
        run("places-csv", str(tmp_path / "x.csv"), "--territory", "00000")
    with pytest.raises(CommandError, match="Chemin introuvable"):
        run("datatourisme", str(tmp_path / "absent"))
