import io
import json

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from PIL import Image

from clocher.territories.pwa import contrast_ratio, darken_for_contrast, parse_colour, theme_colours


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def test_the_manifest_describes_the_portal_as_an_installable_app(gers_client):
    response = gers_client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "Le Gers dans ma poche"
    assert data["short_name"] == "Gers"
    assert data["start_url"] == "/"
    assert data["display"] == "standalone"
    assert data["theme_color"].startswith("#")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in data["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}


def test_each_portal_has_its_own_manifest(orne_client, gers_portal):
    assert json.loads(orne_client.get("/manifest.webmanifest").content)["short_name"] == "Orne"


def test_every_page_links_the_manifest_and_the_theme(gers_client):
    html = gers_client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'href="/theme.css?v=' in html


@pytest.mark.parametrize("url,size", [
    ("/icons/192.png", 192), ("/icons/512.png", 512), ("/icons/maskable-512.png", 512), ("/icons/180.png", 180),
])
def test_icons_are_pngs_of_the_size_asked(gers_client, url, size):
    response = gers_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "max-age" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (size, size)


def test_icons_are_in_the_portal_colour(gers_client, gers_portal):
    gers_portal.primary_color = "#006400"
    gers_portal.save()
    image = Image.open(io.BytesIO(gers_client.get("/icons/192.png").content)).convert("RGB")
    assert image.getpixel((2, 2)) == parse_colour(theme_colours(gers_portal)["primary"], "#000000")


def test_the_portal_logo_is_composited_onto_the_icon(gers_client, gers_portal, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    logo = io.BytesIO()
    Image.new("RGB", (100, 100), (255, 0, 0)).save(logo, format="PNG")
    gers_portal.logo.save("logo.png", ContentFile(logo.getvalue()))
    image = Image.open(io.BytesIO(gers_client.get("/icons/512.png").content)).convert("RGB")
    assert image.getpixel((256, 256)) == (255, 0, 0)


def test_an_unknown_icon_size_is_a_404(gers_client):
    assert gers_client.get("/icons/9999.png").status_code == 404


def test_the_service_worker_is_served_from_the_root_with_its_headers(gers_client):
    response = gers_client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert '"/hors-ligne/"' in body
    assert "/static/css/clocher.css" in body
    assert "MAX_PAGES" in body


def test_the_offline_page_explains_what_happened(gers_client):
    response = gers_client.get("/hors-ligne/")
    assert response.status_code == 200
    assert "hors ligne" in response.content.decode()


def test_the_theme_gives_the_portal_colours_as_css_variables(gers_client, gers_portal):
    gers_portal.primary_color = "#123456"
    gers_portal.save()
    response = gers_client.get("/theme.css")
    assert response["Content-Type"].startswith("text/css")
    assert "--primary:#123456;" in response.content.decode()


def test_a_pale_portal_colour_is_darkened_until_white_text_on_it_is_readable(gers_client, gers_portal):
    gers_portal.primary_color = "#ffd700"
    gers_portal.accent_color = "#87ceeb"
    gers_portal.save()
    colours = theme_colours(gers_portal)
    white = (255, 255, 255)
    assert contrast_ratio(parse_colour(colours["primary"], "#000000"), white) >= 4.5
    assert contrast_ratio(parse_colour(colours["accent"], "#000000"), white) >= 4.5
    tint = parse_colour(colours["tint"], "#000000")
    assert contrast_ratio(parse_colour(colours["primary"], "#000000"), tint) >= 4.5
    assert colours["primary"] in gers_client.get("/theme.css").content.decode()


def test_a_mistyped_colour_falls_back_instead_of_breaking(gers_client, gers_portal):
    gers_portal.primary_color = "bleu"
    gers_portal.save()
    assert gers_client.get("/theme.css").status_code == 200
    assert gers_client.get("/icons/192.png").status_code == 200


def test_darkening_keeps_a_colour_that_already_contrasts():
    assert darken_for_contrast((0, 0, 128)) == (0, 0, 128)
