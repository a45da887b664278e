"""Which commune is at this point: the one function reports, places and "find my commune" call.

The boundaries of active communes are held in memory, in a shapely STRtree over prepared
geometries, built lazily on the first lookup of a process (see docs/decisions/0002). A lookup is
then a few microseconds and no database query, which is what a map of reports or an import of
thousands of places needs.

The index follows the database: at most every `TERRITORY_LOOKUP_MAX_AGE` seconds (5 by default)
a lookup reads a cheap stamp (latest `updated_at` of all territories, number of communes with a
boundary) and rebuilds the index when it moved. The importers also call `invalidate()` so the
process that imported sees the new boundaries at once; other processes follow within the max age.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Max, Q
from django.db.models.base import ModelState
from shapely.geometry import shape

from .models import Territory, TerritoryKind

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE = 5.0


@dataclass(frozen=True)
class _Index:
    stamp: tuple[Any, ...]
    tree: shapely.STRtree
    geometries: Any  # numpy array of prepared shapely geometries, in code order
    territories: list[Territory]


_lock = threading.Lock()
_query_lock = threading.Lock()
_index: _Index | None = None
_checked_at = 0.0


def invalidate() -> None:
    """Forget the index: the next lookup of this process rebuilds it from the database."""
    global _index, _checked_at
    with _lock:
        _index = None
        _checked_at = 0.0


def _stamp() -> tuple[Any, ...]:
    # Any territory counts, not only communes with a boundary: a lookup returns the commune with its
    # EPCI and département, which must not be stale either.
    found = Territory.objects.aggregate(
        last=Max("updated_at"),
        total=Count("pk"),
        bounded=Count(
            "pk",
            filter=Q(kind=TerritoryKind.COMMUNE, is_active=True, boundary__isnull=False),
        ),
    )
    return (found["last"], found["total"], found["bounded"])


def _build(stamp: tuple[Any, ...]) -> _Index:
    started = time.monotonic()
    rows = (
        Territory.objects.filter(kind=TerritoryKind.COMMUNE, is_active=True, boundary__isnull=False)
        .select_related("epci", "departement", "region")
        # The parents' own boundaries would be parsed once per commune: a département's is large.
        .defer("epci__boundary", "departement__boundary", "region__boundary")
        .order_by("code")
    )
    territories: list[Territory] = []
    geometries = []
    for row in rows.iterator(chunk_size=1000):
        try:
            geom = shape(row.boundary)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError, shapely.errors.ShapelyError):
            logger.warning("Unreadable boundary for commune %s: left out of the lookup.", row.code)
            continue
        if geom.is_empty:
            continue
        # The geometry is not needed once indexed; dropping it keeps the index small.
        row.boundary = None
        territories.append(row)
        geometries.append(geom)
    array = np.array(geometries, dtype=object)
    shapely.prepare(array)
    logger.info(
        "Commune lookup index: %d boundaries in %.2f s.", len(territories), time.monotonic() - started
    )
    return _Index(stamp=stamp, tree=shapely.STRtree(array), geometries=array, territories=territories)


def _current() -> _Index:
    global _index, _checked_at
    max_age = float(getattr(settings, "TERRITORY_LOOKUP_MAX_AGE", DEFAULT_MAX_AGE))
    now = time.monotonic()
    index = _index
    if index is not None and now - _checked_at < max_age:
        return index
    with _lock:
        if _index is not None and time.monotonic() - _checked_at < max_age:
            return _index
        stamp = _stamp()
        if _index is None or _index.stamp != stamp:
            _index = _build(stamp)
        _checked_at = time.monotonic()
        return _index


def _clone(territory: Territory, *, with_parents: bool = True) -> Territory:
    """A copy for the caller, so that changing it cannot change the index.

    Built by hand rather than with copy.copy, which goes through pickling support and costs four
    times as much; a lookup over a map of thousands of reports does this once per point.
    """
    found = Territory.__new__(Territory)
    found.__dict__.update(territory.__dict__)
    state = ModelState()
    state.db = territory._state.db
    state.adding = territory._state.adding
    if with_parents:
        state.fields_cache = {
            name: _clone(parent, with_parents=False) if parent is not None else None
            for name, parent in territory._state.fields_cache.items()
        }
    found._state = state
    return found


def commune_id_at(lat: float, lon: float) -> int | None:
    """The primary key of the active commune whose boundary contains the point, or None.

    A point on the edge shared by two communes belongs to the one with the smaller INSEE code, so
    the answer never depends on the order boundaries were loaded in. Coordinates are WGS 84
    degrees; a point outside every loaded boundary, or not a real coordinate, gives None.
    """
    found = _find(lat, lon)
    return found.pk if found is not None else None


def _find(lat: float, lon: float) -> Territory | None:
    """The indexed instance (not a copy) of the commune at the point."""
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    index = _current()
    if not index.territories:
        return None
    point = shapely.Point(lon, lat)
    # GEOS prepares geometries lazily and not thread-safely (libgeos/geos#825), and shapely releases
    # the GIL while it runs: threads of one web process take turns, for a few microseconds each.
    with _query_lock:
        candidates = index.tree.query(point)
        if len(candidates) == 0:
            return None
        candidates = np.sort(candidates)
        # intersects, not contains: a point exactly on a boundary still belongs to a commune.
        inside = shapely.intersects(index.geometries[candidates], point)
    hits = candidates[inside]
    if len(hits) == 0:
        return None
    return index.territories[int(hits[0])]


def commune_at(lat: float, lon: float) -> Territory | None:
    """The active commune whose boundary contains the point, with its EPCI, département and région.

    No database query once the index is built (see commune_id_at for edges and bad input). The
    instance returned is a copy, loaded up to `TERRITORY_LOOKUP_MAX_AGE` seconds ago: refetch it
    before writing to it.
    """
    found = _find(lat, lon)
    return _clone(found) if found is not None else None
