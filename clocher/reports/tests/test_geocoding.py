"""An address alone places the report, through a BAN-shaped search API served here by a local server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from clocher.reports import geocoding
from clocher.reports.tests.geo import inside

NEW = "/signalements/nouveau/"


class _Ban(BaseHTTPRequestHandler):
    """Answers like api-adresse.data.gouv.fr/search/ for the addresses the test registers."""

    answers: dict[str, Any] = {}
    asked: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:  # noqa: N802
        query = parse_qs(urlsplit(self.path).query)
        type(self).asked.append(query)
        answer = type(self).answers.get(query.get("q", [""])[0], {"type": "FeatureCollection", "features": []})
        if answer == "broken":
            self.send_response(502)
            self.end_headers()
            return
        body = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


def _feature(lat: float, lon: float, label: str, score: float = 0.9) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"label": label, "score": score, "type": "housenumber"},
    }]}


@pytest.fixture
def ban(settings: Any) -> Iterator[type[_Ban]]:
    _Ban.answers, _Ban.asked = {}, []
    server = HTTPServer(("127.0.0.1", 0), _Ban)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GEOCODER_URL = f"http://127.0.0.1:{server.server_port}/search/"
    yield _Ban
    server.shutdown()
    server.server_close()


def test_an_address_is_found_once_then_read_from_the_cache(ban):
    ban.answers["12 rue Dessoles, Auch"] = _feature(43.6460, 0.5862, "12 Rue Dessoles 32000 Auch")
    found = geocoding.geocode("12   rue Dessoles, Auch", near=(43.64, 0.58))
    assert found == geocoding.Found(43.6460, 0.5862, "12 Rue Dessoles 32000 Auch")
    assert geocoding.geocode("12 rue Dessoles, Auch", near=(43.64, 0.58)) == found
    assert len(ban.asked) == 1
    assert ban.asked[0]["limit"] == ["1"] and ban.asked[0]["lat"] == ["43.64000"]


@pytest.mark.parametrize("answer", [
    _feature(43.6, 0.5, "Quelque part", score=0.2),  # the BAN is not sure
    {"type": "FeatureCollection", "features": []},
    "not json",
    {"features": [{"geometry": {"coordinates": ["x", 1]}, "properties": {"score": 1}}]},
    _feature(float("nan"), 0.5, "NaN"),
    "broken",  # a 502
])
def test_an_unsure_or_broken_answer_is_not_found(ban, answer):
    ban.answers["rue inconnue"] = answer
    assert geocoding.geocode("rue inconnue") is None


def test_an_unreachable_service_is_not_found(settings):
    settings.GEOCODER_URL = "http://127.0.0.1:9/search/"  # the discard port: nothing listens
    assert geocoding.geocode("12 rue Dessoles, Auch") is None


def test_a_geocoder_address_that_is_not_http_is_never_opened(settings, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps(_feature(43.6, 0.5, "Fichier local")))
    settings.GEOCODER_URL = secret.as_uri()
    assert geocoding.geocode("12 rue Dessoles, Auch") is None


def test_the_form_takes_an_address_alone_to_step_two(gers_client, ban, auch, lighting):
    lat, lon = inside(auch.code)
    ban.answers["12 rue Dessoles, Auch"] = _feature(lat, lon, "12 Rue Dessoles 32000 Auch")
    response = gers_client.get(NEW, {"lat": "", "lon": "", "address": "12 rue Dessoles, Auch"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Étape 2 sur 2" in body
    assert 'value="12 Rue Dessoles 32000 Auch"' in body
    assert f'name="lat" value="{lat}"' in body


def test_an_address_not_found_is_a_form_error(gers_client, ban, auch, lighting):
    response = gers_client.get(NEW, {"lat": "", "lon": "", "address": "nulle part"})
    assert "Étape 1 sur 2" in response.content.decode()
    assert "Cette adresse n’a pas été trouvée" in response.content.decode()


def test_an_address_outside_the_portal_is_refused_like_a_point(gers_client, ban, auch, lighting):
    ban.answers["Place de la Concorde, Paris"] = _feature(48.8656, 2.3212, "Place de la Concorde 75008 Paris")
    response = gers_client.get(NEW, {"lat": "", "lon": "", "address": "Place de la Concorde, Paris"})
    assert "Étape 1 sur 2" in response.content.decode()
    assert "Ce lieu est hors du territoire de ce portail." in response.content.decode()


def test_without_point_nor_address_the_form_says_what_to_do(gers_client, auch, lighting):
    response = gers_client.get(NEW, {"lat": "", "lon": "", "address": ""})
    assert "touchez la carte, utilisez votre position ou écrivez une adresse" in response.content.decode()


def test_without_a_geocoder_an_address_alone_asks_for_the_map(gers_client, auch, lighting):
    response = gers_client.get(NEW, {"lat": "", "lon": "", "address": "12 rue Dessoles, Auch"})
    assert "La recherche d’adresse n’est pas disponible" in response.content.decode()
