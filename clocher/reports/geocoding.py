"""An address typed by the resident, turned into a point by the Base Adresse Nationale (BAN).

The BAN's search API (https://adresse.data.gouv.fr/outils/api-doc/adresse) answers GeoJSON; we ask
for one result, near the resident's commune when we know it, and keep it only when the BAN is
confident enough. The service is public and free but outside our walls: GEOCODER_URL empty turns
this off (the form then asks for the map, the position or coordinates), a slow or broken answer is
treated as "not found", and answers are cached for a day so a retry does not ask twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 4
MIN_SCORE = 0.5
CACHE_SECONDS = 24 * 60 * 60
MAX_ANSWER_BYTES = 256 * 1024


@dataclass(frozen=True)
class Found:
    lat: float
    lon: float
    label: str


def enabled() -> bool:
    return bool(getattr(settings, "GEOCODER_URL", ""))


def geocode(address: str, near: tuple[float, float] | None = None) -> Found | None:
    """The point of `address` in France, or None when unknown, unsure, or the service is away."""
    address = " ".join(address.split())[:200]
    if not enabled() or len(address) < 3:
        return None
    params: dict[str, str] = {"q": address, "limit": "1", "autocomplete": "0"}
    if near is not None:
        params["lat"], params["lon"] = f"{near[0]:.5f}", f"{near[1]:.5f}"
    url = f"{settings.GEOCODER_URL}?{urllib.parse.urlencode(params)}"
    key = "clocher:geocode:" + hashlib.sha256(url.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return Found(*cached) if cached else None
    found = _ask(url)
    cache.set(key, (found.lat, found.lon, found.label) if found else (), CACHE_SECONDS)
    return found


def _ask(url: str) -> Found | None:
    # The address is the operator's setting (https by default), never the resident's input; no
    # file: or ftp: even so.
    if not url.startswith(("https://", "http://")):
        logger.warning("GEOCODER_URL is neither http nor https: address search is off.")
        return None
    request = urllib.request.Request(  # noqa: S310  # scheme checked above
        url, headers={"Accept": "application/json", "User-Agent": "Clocher"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read(MAX_ANSWER_BYTES + 1)
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections, bad settings
        logger.warning("Geocoder unreachable: %r", exc)
        return None
    if len(body) > MAX_ANSWER_BYTES:
        return None
    try:
        return _first(json.loads(body))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        logger.warning("Geocoder answer unreadable: %r", exc)
        return None


def _first(answer: Any) -> Found | None:
    features = answer.get("features") or []
    if not features:
        return None
    feature = features[0]
    properties = feature.get("properties") or {}
    if float(properties.get("score", 0)) < MIN_SCORE:
        return None
    lon, lat = (float(value) for value in feature["geometry"]["coordinates"][:2])
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Found(lat, lon, str(properties.get("label", ""))[:255])
