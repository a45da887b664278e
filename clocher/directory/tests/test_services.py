"""Writes of places: validation, staff roles, the commune from the location, imports by provenance."""

from __future__ import annotations

import json

import pytest

from clocher.directory.models import Place
from clocher.directory.services import (
    PlaceRejected,
    archive_place,
    clean_place_data,
    create_place,
    publish_place,
    update_place,
    upsert_imported_place,
)
from clocher.territories.content import Status
from clocher.territories.geography import shared_data_dir
from clocher.territories.models import AuditEntry

CATHEDRAL_OF_AUCH = {"lat": 43.6465, "lon": 0.5855}


@pytest.fixture
def auch_bounded(auch):
    path = shared_data_dir() / "france-geojson" / "communes-32-gers.geojson"
    with path.open(encoding="utf-8") as handle:
        features = {f["properties"]["code"]: f for f in json.load(handle)["features"]}
    auch.boundary = features["32013"]["geometry"]
    auch.save()
    return auch


# --- clean_place_data ----------------------------------------------------------------------------


def test_it_formats_a_french_phone_number_as_e164():
    assert clean_place_data({"name": "Mairie", "phone": "05 62 61 21 00"})["phone"] == "+33562612100"


def test_it_refuses_a_phone_number_that_cannot_exist():
    with pytest.raises(PlaceRejected) as refused:
        clean_place_data({"name": "Mairie", "phone": "05 62"})
    assert refused.value.field == "phone"


def test_it_requires_a_name():
    with pytest.raises(PlaceRejected, match="nom du lieu est obligatoire") as refused:
        clean_place_data({"name": "   "})
    assert refused.value.field == "name"


def test_it_accepts_only_http_and_https_websites():
    assert clean_place_data({"name": "A", "website": "https://auch.fr"})["website"] == "https://auch.fr"
    for bad in ("javascript:alert(1)", "ftp://auch.fr", "auch"):
        with pytest.raises(PlaceRejected) as refused:
            clean_place_data({"name": "A", "website": bad})
        assert refused.value.field == "website"


def test_it_refuses_an_invalid_email():
    with pytest.raises(PlaceRejected) as refused:
        clean_place_data({"name": "A", "email": "pas une adresse"})
    assert refused.value.field == "email"


def test_it_refuses_unreadable_opening_hours():
    with pytest.raises(PlaceRejected, match="Horaires illisibles") as refused:
        clean_place_data({"name": "A", "opening_hours": "tous les jours"})
    assert refused.value.field == "opening_hours"


def test_it_refuses_coordinates_out_of_range_or_alone():
    with pytest.raises(PlaceRejected):
        clean_place_data({"name": "A", "lat": 91, "lon": 0.5})
    with pytest.raises(PlaceRejected):
        clean_place_data({"name": "A", "lat": 43.6})
    with pytest.raises(PlaceRejected):
        clean_place_data({"name": "A", "lat": "nan", "lon": 0.5})


def test_it_refuses_an_unknown_category_or_field():
    with pytest.raises(PlaceRejected, match="Catégorie inconnue"):
        clean_place_data({"name": "A", "categories": ["spaceport"]})
    with pytest.raises(PlaceRejected, match="Champs inconnus"):
        clean_place_data({"name": "A", "is_admin": True})


def test_it_renders_markdown_and_removes_scripts_from_the_description():
    cleaned = clean_place_data(
        {"name": "A", "description": "**Bon** [site](https://auch.fr) <script>alert(1)</script> [x](javascript:alert(1))"}
    )
    html = cleaned["description_html"]
    assert "<strong>Bon</strong>" in html
    assert 'href="https://auch.fr"' in html
    assert "<script>" not in html
    assert "href=\"javascript" not in html


# --- staff services ------------------------------------------------------------------------------


def test_an_editor_creates_a_draft_place_in_their_commune(bob, auch):
    place = create_place(bob, auch, {"name": "Le Café Gascon", "phone": "0562000000"}, ["restaurant"])
    assert place.status == Status.DRAFT
    assert place.commune == auch
    assert place.territory == auch
    assert place.phone == "+33562000000"
    assert list(place.category_links.values_list("category", flat=True)) == ["restaurant"]
    entry = AuditEntry.objects.get(territory=auch)
    assert entry.action == "directory.place.create"
    assert entry.actor == bob


def test_it_finds_the_commune_from_the_location(bob, auch_bounded):
    place = create_place(bob, auch_bounded, {"name": "Cathédrale", **CATHEDRAL_OF_AUCH}, ["heritage"])
    assert place.commune == auch_bounded


def test_an_admin_of_the_departement_places_a_point_in_the_commune_it_falls_in(dora, gers, auch_bounded):
    place = create_place(dora, gers, {"name": "Cathédrale", **CATHEDRAL_OF_AUCH}, [])
    assert place.commune == auch_bounded
    assert place.territory == gers


def test_it_refuses_a_point_in_no_known_commune(bob, auch_bounded):
    with pytest.raises(PlaceRejected, match="aucune commune"):
        create_place(bob, auch_bounded, {"name": "En mer", "lat": 45.0, "lon": -3.0}, [])
    assert not Place.objects.exists()


def test_it_refuses_a_commune_outside_the_publishing_territory(alice, auch, marciac):
    with pytest.raises(PlaceRejected, match="n'est pas sur le territoire") as refused:
        create_place(alice, auch, {"name": "Ailleurs", "commune": marciac}, [])
    assert refused.value.field == "commune"
    assert not Place.objects.exists()


def test_it_refuses_someone_without_a_role_on_the_territory(resident, charlie, auch):
    for actor in (resident, charlie):
        with pytest.raises(PlaceRejected, match="droits"):
            create_place(actor, auch, {"name": "Intrus"}, [])
    assert not Place.objects.exists()


def test_an_admin_updates_publishes_and_archives_a_place(alice, bob, auch):
    place = create_place(bob, auch, {"name": "Le Café"}, ["restaurant"])
    place = update_place(alice, place, {"name": "Le Café Gascon", "opening_hours": "Mo-Sa 08:00-20:00"},
                         ["restaurant", "cafe-bar"])
    assert place.name == "Le Café Gascon"
    assert set(place.category_links.values_list("category", flat=True)) == {"restaurant", "cafe-bar"}
    place = publish_place(alice, place)
    assert place.status == Status.PUBLISHED
    assert place.published_at is not None
    place = archive_place(bob, place)
    assert place.status == Status.ARCHIVED
    actions = list(AuditEntry.objects.filter(territory=auch).order_by("pk").values_list("action", flat=True))
    assert actions == [
        "directory.place.create", "directory.place.update", "directory.place.publish", "directory.place.archive",
    ]


def test_an_update_that_changes_nothing_writes_no_audit_entry(bob, auch):
    place = create_place(bob, auch, {"name": "Le Café"}, ["restaurant"])
    update_place(bob, place, {"name": "Le Café"}, ["restaurant"])
    assert AuditEntry.objects.filter(action="directory.place.update").count() == 0


def test_staff_of_another_commune_cannot_touch_the_place(bob, charlie, auch):
    place = create_place(bob, auch, {"name": "Le Café"}, [])
    with pytest.raises(PlaceRejected):
        update_place(charlie, place, {"name": "Piraté"})
    with pytest.raises(PlaceRejected):
        archive_place(charlie, place)
    place.refresh_from_db()
    assert place.name == "Le Café"
    assert place.status == Status.DRAFT


# --- imports -------------------------------------------------------------------------------------


def test_an_import_creates_then_leaves_unchanged_then_updates_in_place(gers, auch):
    data = {"name": "Musée des Amériques", "commune": auch, "phone": "05 62 05 74 79"}
    place, outcome = upsert_imported_place(
        territory=gers, source="datatourisme", external_id="X1", data=data, categories=["museum"]
    )
    assert outcome == "created"
    assert place.status == Status.PUBLISHED
    assert place.commune == auch
    again, outcome = upsert_imported_place(
        territory=gers, source="datatourisme", external_id="X1", data=data, categories=["museum"]
    )
    assert (again.pk, outcome) == (place.pk, "unchanged")
    changed, outcome = upsert_imported_place(
        territory=gers, source="datatourisme", external_id="X1",
        data={**data, "name": "Musée des Amériques - Auch"}, categories=["museum", "heritage"],
    )
    assert (changed.pk, outcome) == (place.pk, "updated")
    assert Place.objects.count() == 1
    assert Place.objects.get().name == "Musée des Amériques - Auch"


def test_an_import_rejects_a_place_outside_the_territory(gers, alencon):
    with pytest.raises(PlaceRejected):
        upsert_imported_place(
            territory=gers, source="datatourisme", external_id="X2",
            data={"name": "Ailleurs", "commune": alencon}, categories=[],
        )
    assert not Place.objects.exists()
