"""Bodies larger than MAX_REQUEST_BYTES are refused with a page that says why, before any parsing."""

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile


def test_a_body_over_the_limit_is_a_413_that_says_why_and_stores_nothing(gers_client, settings, auch):
    settings.MAX_REQUEST_BYTES = 64 * 1024
    photo = SimpleUploadedFile("enorme.jpg", b"\xff" * (100 * 1024), content_type="image/jpeg")
    response = gers_client.post("/signalements/nouveau/", {"lat": "43.6", "lon": "0.58", "photos": photo})
    assert response.status_code == 413
    page = response.content.decode()
    assert "Envoi trop lourd" in page and "dépassent 64,0\xa0Kio" in page
    # The foundation does not import the reports app (import-linter): it is looked up by name.
    assert not apps.get_model("reports", "Report").objects.exists()


def test_the_limit_is_given_in_megabytes(gers_client, settings, auch):
    settings.MAX_REQUEST_BYTES = 1024 * 1024
    response = gers_client.post("/signalements/nouveau/", {"x": "y" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "dépassent 1,0\xa0Mio" in response.content.decode()


def test_a_body_under_the_limit_goes_through(gers_client, settings, auch):
    settings.MAX_REQUEST_BYTES = 1024 * 1024
    response = gers_client.post("/signalements/nouveau/", {"lat": "abc", "lon": "0.58"})
    assert response.status_code == 200  # the form's own error, not the size


def test_a_malformed_content_length_is_a_400(gers_client):
    response = gers_client.post("/signalements/nouveau/", {"lat": "1"}, CONTENT_LENGTH="beaucoup")
    assert response.status_code == 400
    assert "Content-Length" in response.content.decode()
