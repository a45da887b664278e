"""Places keep the other languages a source gives, and readers in those languages see them."""

import json
from typing import Any

import pytest
from django.utils import translation

from clocher.directory.importers.datatourisme import parse_object
from clocher.directory.models import Place
from clocher.directory.services import PlaceRejected, clean_place_data
from clocher.territories.geography import shared_data_dir

OBJECTS = shared_data_dir() / "datatourisme-objects"


def _object(prefix: str) -> dict[str, Any]:
    path = next(OBJECTS.glob(f"{prefix}*.json"))
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_the_datatourisme_import_keeps_every_other_language():
    parsed = parse_object(_object("23-005424b9"))
    translations = parsed.data["translations"]
    assert set(translations) == {"de", "en", "es", "it", "nl"}
    assert translations["en"]["name"]
    assert translations["de"]["description"]
    # Italian has a description but no name: only what is given is kept.
    assert "name" not in translations["it"]


def test_an_object_in_french_only_has_no_name_translation():
    parsed = parse_object(_object("58-004729f1"))
    assert all("name" not in texts for texts in parsed.data["translations"].values())


def test_translations_are_cleaned_and_their_descriptions_sanitised():
    cleaned = clean_place_data(
        {"name": "Musée", "translations": {"en": {"name": " Museum ", "description": "<script>x</script> **Big**"}}},
    )
    english = cleaned["translations"]["en"]
    assert english["name"] == "Museum"
    assert "<script>" not in english["description_html"]
    assert "<strong>Big</strong>" in english["description_html"]


@pytest.mark.parametrize(
    "translations",
    [{"english": {"name": "x"}}, {"fr": {"name": "x"}}, {"en": "Museum"}, ["en"], {"en": {"name": "x" * 201}}],
)
def test_unreadable_translations_are_refused_with_a_reason(translations):
    with pytest.raises(PlaceRejected):
        clean_place_data({"name": "Musée", "translations": translations})


def test_a_reader_in_english_sees_the_english_name_and_description(gers_client, auch, bob):
    from clocher.directory.services import create_place, publish_place

    place = create_place(
        bob, auch,
        {"name": "Musée des Amériques", "description": "Une collection.", "commune": auch,
         "translations": {"en": {"name": "Museum of the Americas", "description": "A collection."}}},
        ["museum"],
    )
    publish_place(bob, place)
    french = gers_client.get(f"/lieux/{place.pk}/").content.decode()
    assert "Musée des Amériques" in french and "Museum of the Americas" not in french
    with translation.override("en"):
        place = Place.objects.get(pk=place.pk)
        assert place.display_name == "Museum of the Americas"
        assert "A collection." in place.display_description_html
    gers_client.cookies["django_language"] = "en"
    english = gers_client.get(f"/lieux/{place.pk}/").content.decode()
    assert "<h1>Museum of the Americas</h1>" in english
