"""The real boundaries of Gers communes (france-geojson, in ../shared/data) for report tests."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from shapely.geometry import shape

from clocher.territories.geography import shared_data_dir
from clocher.territories.models import Territory


@cache
def gers_features() -> dict[str, dict[str, Any]]:
    path = shared_data_dir() / "france-geojson" / "communes-32-gers.geojson"
    with path.open(encoding="utf-8") as handle:
        return {f["properties"]["code"]: f for f in json.load(handle)["features"]}


def inside(code: str) -> tuple[float, float]:
    """A point (lat, lon) surely inside the commune of this INSEE code."""
    point = shape(gers_features()[code]["geometry"]).representative_point()
    return (point.y, point.x)


def with_boundaries(*communes: Territory) -> list[Territory]:
    """The communes with their real boundaries saved: the commune lookup finds them."""
    for commune in communes:
        commune.boundary = gers_features()[commune.code]["geometry"]
        commune.save()
    return list(communes)
