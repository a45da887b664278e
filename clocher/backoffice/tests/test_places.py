"""The staff pages of places: editors create, edit, publish and archive the places of their territory."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from clocher.directory.models import Place, PlacePhoto
from clocher.directory.services import create_place
from clocher.territories.content import Status
from clocher.territories.models import AuditEntry, Role
from conftest import GERS_HOST, grant, make_user


def client_for(user) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(user)
    return client


def url(name, territory, **extra):
    return reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk, **extra})


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def form_data(**overrides):
    data = {
        "name": "Le Café du Marché",
        "categories": ["cafe-bar", "restaurant"],
        "street": "3 place de la Libération",
        "postcode": "32000",
        "city": "Auch",
        "phone": "05 62 05 00 00",
        "opening_hours": "Mo-Sa 08:00-19:00",
        "description": "Un café **sur la place**.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def place(bob, auch, gers_portal):
    return create_place(bob, auch, {"name": "Musée des Jacobins", "phone": "05 62 05 74 79"}, ["museum"])


def test_an_editor_creates_a_place_from_the_form_and_it_shows_as_published(bob, auch, gers_portal):
    response = client_for(bob).post(url("place_create", auch), {**form_data(), "publish": "1"})
    assert response.status_code == 302
    place = Place.objects.get(name="Le Café du Marché")
    assert place.status == Status.PUBLISHED
    assert place.territory == auch and place.commune == auch
    assert place.phone == "+33562050000"
    assert sorted(place.category_links.values_list("category", flat=True)) == ["cafe-bar", "restaurant"]
    assert "<strong>sur la place</strong>" in place.description_html
    assert AuditEntry.objects.filter(territory=auch, action="directory.place.create").exists()
    listing = client_for(bob).get(url("places", auch)).content.decode()
    assert "Le Café du Marché" in listing and "Publié" in listing


def test_a_place_saved_as_a_draft_is_not_published(bob, auch, gers_portal):
    client_for(bob).post(url("place_create", auch), form_data())
    assert Place.objects.get(name="Le Café du Marché").status == Status.DRAFT


def test_an_editor_edits_a_place(bob, auch, place):
    response = client_for(bob).post(
        url("place_edit", auch, place_id=place.pk),
        form_data(name="Musée des Jacobins d'Auch", categories=["museum"], wheelchair="yes",
                  languages=["fr", "en"], tags="art précolombien, jardin"),
    )
    assert response.status_code == 302
    place.refresh_from_db()
    assert place.name == "Musée des Jacobins d'Auch"
    assert place.wheelchair == "yes"
    assert place.languages == ["fr", "en"]
    assert place.tags == ["art précolombien", "jardin"]
    assert AuditEntry.objects.filter(territory=auch, action="directory.place.update").exists()


def test_the_edit_page_shows_the_short_form_then_the_details(bob, auch, place):
    page = client_for(bob).get(url("place_edit", auch, place_id=place.pk)).content.decode()
    assert "Musée des Jacobins" in page
    assert page.index('name="opening_hours"') < page.index("<details") < page.index('name="wheelchair"')
    assert "We[1] 08:00-12:00" in page  # the plain-language examples of the hours


def test_an_editor_publishes_then_archives_a_place_which_is_kept(bob, auch, place):
    client = client_for(bob)
    assert client.post(url("place_publish", auch, place_id=place.pk)).status_code == 302
    place.refresh_from_db()
    assert place.status == Status.PUBLISHED
    assert client.get(url("place_archive", auch, place_id=place.pk)).status_code == 200
    assert client.post(url("place_archive", auch, place_id=place.pk)).status_code == 302
    place.refresh_from_db()
    assert place.status == Status.ARCHIVED
    assert AuditEntry.objects.filter(territory=auch, action="directory.place.archive").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12", "Ce numéro de téléphone n'existe pas"),
        ("opening_hours", "lundi matin", ""),
        ("categories", ["boulangerie-imaginaire"], "Sélectionnez un choix valide"),
    ],
)
def test_the_form_refuses_bad_input_with_an_error_on_the_field(bob, auch, gers_portal, field, value, message):
    response = client_for(bob).post(url("place_create", auch), form_data(**{field: value}))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert not Place.objects.exists()


def test_a_place_without_a_category_is_refused(bob, auch, gers_portal):
    response = client_for(bob).post(url("place_create", auch), form_data(categories=[]))
    assert "categories" in response.context["form"].errors


def test_a_location_outside_the_territory_is_refused(bob, auch, gers_portal):
    # Auch has no boundary in the tests: the point is in no known commune.
    response = client_for(bob).post(url("place_create", auch), form_data(lat="48.43", lon="0.09"))
    assert response.status_code == 200
    assert "lat" in response.context["form"].errors
    assert not Place.objects.exists()


def _jpeg_with_exif() -> bytes:
    picture = Image.new("RGB", (3000, 1500), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "Appareil espion"  # Make
    exif[0x8298] = "Secret"  # Copyright
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def test_a_photo_is_reencoded_without_exif_and_at_most_2048_pixels(bob, auch, place, media):
    upload = SimpleUploadedFile("photo.jpg", _jpeg_with_exif(), content_type="image/jpeg")
    assert b"Appareil espion" in upload.read()
    upload.seek(0)
    response = client_for(bob).post(
        url("place_photo_add", auch, place_id=place.pk), {"image": upload, "alt": "La façade du musée"}
    )
    assert response.status_code == 302
    photo = PlacePhoto.objects.get(place=place)
    assert photo.alt == "La façade du musée"
    stored = photo.image.read()
    assert b"Appareil espion" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert max(image.size) == 2048
        assert not image.getexif()


def test_a_photo_needs_its_text_alternative(bob, auch, place, media):
    upload = SimpleUploadedFile("photo.jpg", _jpeg_with_exif(), content_type="image/jpeg")
    response = client_for(bob).post(url("place_photo_add", auch, place_id=place.pk), {"image": upload, "alt": " "})
    assert response.status_code == 200
    assert "alt" in response.context["photo_form"].errors
    assert not PlacePhoto.objects.exists()


def test_a_place_has_at_most_five_photos_and_one_can_be_removed(bob, auch, place, media):
    client = client_for(bob)
    for number in range(6):
        upload = SimpleUploadedFile("photo.jpg", _jpeg_with_exif(), content_type="image/jpeg")
        client.post(url("place_photo_add", auch, place_id=place.pk), {"image": upload, "alt": f"Vue {number}"})
    assert PlacePhoto.objects.filter(place=place).count() == 5
    photo = PlacePhoto.objects.filter(place=place).first()
    assert photo is not None
    response = client.post(url("place_photo_remove", auch, place_id=place.pk, photo_id=photo.pk))
    assert response.status_code == 302
    assert PlacePhoto.objects.filter(place=place).count() == 4


def test_an_editor_reorders_the_photos_of_a_place(bob, auch, place, media):
    client = client_for(bob)
    for name in ("Façade", "Salle", "Jardin"):
        upload = SimpleUploadedFile("photo.jpg", _jpeg_with_exif(), content_type="image/jpeg")
        client.post(url("place_photo_add", auch, place_id=place.pk), {"image": upload, "alt": name})
    jardin = PlacePhoto.objects.get(place=place, alt="Jardin")
    move = url("place_photo_move", auch, place_id=place.pk, photo_id=jardin.pk, direction="avant")
    assert client.post(move).status_code == 302
    assert client.post(move).status_code == 302
    # Already first: one more step forward changes nothing.
    assert client.post(move).status_code == 302
    assert [p.alt for p in place.photos.all()] == ["Jardin", "Façade", "Salle"]
    facade = PlacePhoto.objects.get(place=place, alt="Façade")
    client.post(url("place_photo_move", auch, place_id=place.pk, photo_id=facade.pk, direction="apres"))
    assert [p.alt for p in place.photos.all()] == ["Jardin", "Salle", "Façade"]
    # Without JavaScript or from a link, a GET asks for confirmation and changes nothing.
    assert client.get(move).status_code == 200
    bad = url("place_photo_move", auch, place_id=place.pk, photo_id=facade.pk, direction="ailleurs")
    assert client.post(bad).status_code == 404
    assert AuditEntry.objects.filter(action="directory.photo.move").count() == 3


def test_a_place_of_another_territory_is_a_404_even_for_an_editor(bob, auch, marciac, gers_portal):
    marc = make_user("marc-editor@example.org")
    grant(marc, marciac, Role.EDITOR)
    elsewhere = create_place(marc, marciac, {"name": "Jazz in Marciac"}, ["culture"])
    # Auch in the URL, Marciac's place as the object: the place is looked up within Auch only.
    response = client_for(bob).get(url("place_edit", auch, place_id=elsewhere.pk))
    assert response.status_code == 404
    assert client_for(bob).post(url("place_archive", auch, place_id=elsewhere.pk)).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.DRAFT


@pytest.mark.parametrize("role", [Role.AGENT, Role.MODERATOR, Role.CONTROLLER])
def test_roles_other_than_editor_and_admin_do_not_manage_places(role, auch, place):
    user = make_user(f"{role}@example.org")
    grant(user, auch, role)
    client = client_for(user)
    assert client.get(url("places", auch)).status_code == 404
    assert client.post(url("place_archive", auch, place_id=place.pk)).status_code == 404
    place.refresh_from_db()
    assert place.status == Status.DRAFT


def test_the_overview_links_to_the_places(bob, auch, gers_portal):
    page = client_for(bob).get(url("territory", auch)).content.decode()
    assert url("places", auch) in page


def test_a_bad_phone_is_shown_with_a_missing_category_in_one_go(bob, auch, gers_portal):
    response = client_for(bob).post(url("place_create", auch), form_data(categories=[], phone="12"))
    errors = response.context["form"].errors
    assert "categories" in errors and "phone" in errors


def test_the_list_of_places_takes_the_same_queries_for_many_places(bob, auch, gers_portal, django_assert_max_num_queries):
    client = client_for(bob)
    create_place(bob, auch, {"name": "Premier"}, ["shop"])
    with django_assert_max_num_queries(30) as few:
        client.get(url("places", auch))
    for number in range(20):
        create_place(bob, auch, {"name": f"Lieu {number}"}, ["shop"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url("places", auch)).content.decode()
    assert "Lieu 19" in page


def test_a_departement_publishes_a_place_in_one_of_its_communes(dora, gers, auch, gers_portal):
    client = client_for(dora)
    response = client.post(url("place_create", gers), form_data())
    assert response.status_code == 200
    assert "commune" in response.context["form"].errors  # neither a commune nor a position
    response = client.post(url("place_create", gers), form_data(commune=auch.pk))
    assert response.status_code == 302
    place = Place.objects.get()
    assert place.territory == gers and place.commune == auch
    page = client.get(url("place_edit", gers, place_id=place.pk)).content.decode()
    assert f'<option value="{auch.pk}" selected>Auch</option>' in page


def test_a_commune_of_another_departement_cannot_be_chosen(dora, gers, alencon, gers_portal):
    response = client_for(dora).post(url("place_create", gers), form_data(commune=alencon.pk))
    assert "commune" in response.context["form"].errors
    assert not Place.objects.exists()
