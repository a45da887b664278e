"""The directory's bench: 100,000 generated places across the Gers, "near me" and the map's markers.

Runs in the bench process, on the bench database, after the geography is imported (the generated
places need the communes' boundaries to find their commune, as a real import does). Measured
in-process, through the same selectors and functions the API answers with:

- "near, 2 km, 20 results": places_near over the portal's visible places from random points of the
  Gers, p95 of the wall-clock time per call (target < 15 ms);
- the marker data of a box holding about 5,000 places: time to build the JSON (target < 100 ms) and
  its gzip size, what a phone downloads (target < 300 KB).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.__main__ import Bench

PLACES = 100_000
NEAR_CALLS = 500
NEAR_RADIUS_M = 2000
NEAR_LIMIT = 20
MARKERS_TARGET_COUNT = 5000
BATCH = 2000
SOURCE = "bench"

# (category, weight, opening hours choices): roughly what a rural département holds.
KINDS: list[tuple[str, int, list[str]]] = [
    ("restaurant", 14, ["Tu-Sa 12:00-14:00,19:00-22:00", "Mo-Su 12:00-14:30,19:00-22:30; PH off",
                        "We-Su 12:00-14:00"]),
    ("cafe-bar", 8, ["Mo-Sa 07:00-20:00", "Tu-Su 08:00-23:00"]),
    ("gite", 14, [""]),
    ("chambre-hotes", 6, [""]),
    ("hotel", 3, ["24/7"]),
    ("camping", 2, ["Apr-Oct 08:00-20:00"]),
    ("heritage", 10, ["", "Jul-Aug 10:00-18:00"]),
    ("museum", 2, ["Tu-Su 10:00-12:00,14:00-18:00; PH off"]),
    ("cinema", 1, ["We-Su 14:00-23:00"]),
    ("leisure-sport", 6, ["Mo-Su 09:00-19:00", ""]),
    ("nature", 4, [""]),
    ("producer", 10, ["Fr 16:00-19:00; Sa 09:00-12:00", "Mo-Sa 09:00-12:00,14:00-18:00"]),
    ("market", 3, ["Sa 07:30-13:00", "We 08:00-12:30", "Th[1] 08:00-12:00", "Su 08:00-13:00"]),
    ("shop", 8, ["Mo-Sa 09:00-12:00,14:00-19:00", "Tu-Sa 09:00-19:00"]),
    ("wine", 3, ["Mo-Sa 10:00-12:30,14:30-19:00"]),
    ("mairie", 3, ["Mo-Fr 09:00-12:00,14:00-17:00; PH off", "Tu,Th 14:00-18:00; PH off"]),
    ("public-service", 1, ["Mo-Fr 08:30-12:00,13:30-17:00; PH off"]),
    ("health", 4, ["Mo-Fr 08:30-19:00; Sa 08:30-12:00"]),
    ("tourist-office", 1, ["Mo-Sa 09:30-12:30,14:00-18:00"]),
]


def run(bench: Bench, bbox_of: Callable[[Path], tuple[float, float, float, float]]) -> None:
    """Generates the places and records the figures; each measurement fails on its own.

    `bbox_of` gives west, south, east, north of a GeoJSON file (the bench's own helper).
    """
    near = (f"near, {NEAR_RADIUS_M // 1000} km, {NEAR_LIMIT} results, p95", "ms", "< 15")
    near_median = (f"near, {NEAR_RADIUS_M // 1000} km, {NEAR_LIMIT} results, median", "ms", "-")
    generate = (f"directory: generate {PLACES:,} places", "s", "-")
    markers_time = (f"markers for ~{MARKERS_TARGET_COUNT:,} places, build", "ms", "< 100")
    markers_size = (f"markers for ~{MARKERS_TARGET_COUNT:,} places, gzip", "KB", "< 300")
    with bench.measuring(generate, near, near_median, markers_time, markers_size):
        import django

        os.environ.update(bench.env)
        if "DATABASE_URL" not in bench.env:
            os.environ.pop("DATABASE_URL", None)
        django.setup()
        from clocher.territories.geography import shared_data_dir

        gers_bbox = bbox_of(shared_data_dir() / "france-geojson" / "departement-32-gers.geojson")
        portal = _portal()
        started = time.perf_counter()
        count = _generate(portal, gers_bbox)
        bench.record(generate[0], time.perf_counter() - started, "s", "-", None)
        print(f"  {count:,} places generated in Gers communes")
        with bench.measuring(near, near_median):
            p95, median = _near(portal, gers_bbox)
            bench.record(near[0], p95, "ms", "< 15", p95 < 15)
            bench.record(near_median[0], median, "ms", "-", None)
        body = b""
        found = 0
        with bench.measuring(markers_time, markers_size):
            seconds, size, found, body = _markers(portal)
            bench.record(markers_time[0], seconds * 1000, "ms", "< 100", seconds < 0.1)
            bench.record(markers_size[0], size / 1024, "KB", "< 300", size < 300 * 1024)
            print(f"  markers: {found:,} places in the box")
        if body:
            from bench import map_browser

            map_browser.run(bench, body, found)


def _portal() -> Any:
    from clocher.territories.models import Portal, Territory, TerritoryKind

    gers = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="32")
    portal = Portal.objects.filter(root=gers).first()
    if portal is None:  # `clocher demo` makes it; without the demo, a portal of our own
        portal = Portal.objects.create(root=gers, name="Bench", short_name="Bench")
    return portal


def _communes_at(points: list[tuple[float, float]]) -> list[int | None]:
    """The commune of each (lat, lon), all at once: a vectorised STRtree query over the Gers
    communes' boundaries (commune_at answers one point at a time; here 100,000 need one each)."""
    import numpy as np
    import shapely
    from shapely.geometry import shape

    from clocher.territories.models import Territory, TerritoryKind

    communes = list(
        Territory.objects.filter(
            kind=TerritoryKind.COMMUNE, is_active=True, boundary__isnull=False, departement__code="32"
        ).values_list("pk", "boundary")
    )
    tree = shapely.STRtree([shape(boundary) for _pk, boundary in communes])
    geometries = shapely.points([(lon, lat) for lat, lon in points])
    point_index, commune_index = tree.query(geometries, predicate="intersects")
    found: list[int | None] = [None] * len(points)
    for point, commune in zip(np.asarray(point_index).tolist(), np.asarray(commune_index).tolist(), strict=True):
        if found[point] is None:
            found[point] = communes[commune][0]
    return found


def _generate(portal: Any, bbox: tuple[float, float, float, float]) -> int:
    from django.db import connection, transaction
    from django.utils import timezone

    from clocher.directory.models import Place, PlaceCategory
    from clocher.territories.content import Status

    west, south, east, north = bbox
    generator = random.Random(4)
    kinds = [kind for kind in KINDS for _ in range(kind[1])]
    already = Place.objects.filter(source=SOURCE).count()
    if already:  # a database kept from an earlier run (the bench makes a fresh one each time)
        return already
    # The Gers fills about two thirds of its box: draw enough points, keep those in a commune.
    started = time.perf_counter()
    points = [(generator.uniform(south, north), generator.uniform(west, east)) for _ in range(PLACES * 2)]
    located = [(point, commune) for point, commune in zip(points, _communes_at(points), strict=True) if commune]
    if len(located) < PLACES:
        raise RuntimeError(f"only {len(located)} generated points fell in a Gers commune")
    # What differs from place to place; every other column takes the value of one template place,
    # prepared for the database once. bulk_create would prepare 40 columns of 100,000 objects
    # (half a minute); plain INSERTs of ready rows take a few seconds on either database.
    varying = ["name", "commune", "lat", "lon", "opening_hours", "external_id", "wheelchair"]  # row order
    template = Place(
        territory_id=portal.root_id, status=Status.PUBLISHED, published_at=timezone.now(), source=SOURCE,
    )
    fields = [field for field in Place._meta.concrete_fields if not field.primary_key]
    constants = {
        field.name: field.get_db_prep_save(field.pre_save(template, add=True), connection)
        for field in fields if field.name not in varying
    }
    rows: list[list[Any]] = []
    categories: dict[str, str] = {}
    for number, ((lat, lon), commune_id) in enumerate(located[:PLACES]):
        slug, _weight, hours = generator.choice(kinds)
        external_id = str(number)
        categories[external_id] = slug
        rows.append([
            f"{slug.replace('-', ' ').capitalize()} {number}", commune_id, lat, lon, generator.choice(hours),
            external_id, generator.choice(["", "", "yes", "limited", "no"]),
        ])
    prepared = time.perf_counter()
    quote = connection.ops.quote_name
    place_table = quote(Place._meta.db_table)
    by_name = {field.name: field for field in fields}
    varying_columns = [quote(str(by_name[name].column)) for name in varying]
    constant_columns = [quote(str(field.column)) for field in fields if field.name not in varying]
    with transaction.atomic(), connection.cursor() as cursor:
        # The first place whole; then each batch copies its constant columns from it, so only the
        # seven varying values per place travel (bound parameters cost on PostgreSQL).
        first_row = dict(zip(varying, rows[0], strict=True))
        template_values = [first_row.get(field.name, constants.get(field.name)) for field in fields]
        cursor.execute(
            f"INSERT INTO {place_table} ({', '.join([*(quote(str(f.column)) for f in fields)])})"
            f" VALUES ({', '.join(['%s'] * len(fields))})",
            template_values,
        )
        template_pk = Place.objects.get(source=SOURCE, external_id=rows[0][5]).pk
        row_marks = "(" + ", ".join(["%s"] * len(varying)) + ")"
        copied = ", ".join(f"t.{column}" for column in constant_columns)
        picked = ", ".join(f"v.column{index + 1}" for index in range(len(varying)))
        for first in range(1, len(rows), BATCH):
            batch = rows[first:first + BATCH]
            cursor.execute(
                f"INSERT INTO {place_table} ({', '.join([*varying_columns, *constant_columns])})"
                f" SELECT {picked}, {copied} FROM (VALUES {', '.join([row_marks] * len(batch))}) AS v"
                f" CROSS JOIN {place_table} AS t WHERE t.{quote('id')} = %s",
                [*(value for row in batch for value in row), template_pk],
            )
        ids = dict(Place.objects.filter(source=SOURCE).values_list("external_id", "pk"))
        links = [(ids[external_id], slug) for external_id, slug in categories.items()]
        category_table = quote(PlaceCategory._meta.db_table)
        for first in range(0, len(links), BATCH):
            batch_links = links[first:first + BATCH]
            cursor.execute(
                f"INSERT INTO {category_table} ({quote('place_id')}, {quote('category')}) "
                f"VALUES {', '.join(['(%s, %s)'] * len(batch_links))}",
                [value for link in batch_links for value in link],
            )
    inserted = time.perf_counter()
    _analyze()
    print(
        f"  generated: {prepared - started:.1f} s to locate and prepare, {inserted - prepared:.1f} s to insert,"
        f" {time.perf_counter() - inserted:.1f} s to analyse"
    )
    return len(rows)


def _analyze() -> None:
    # Fresh statistics, as a production database keeps them, so the planner picks the indexes; on
    # PostgreSQL a VACUUM also marks the pages all-visible, as autovacuum would, for index-only scans.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _near(portal: Any, bbox: tuple[float, float, float, float]) -> tuple[float, float]:
    from clocher.directory.selectors import places_near, visible_places
    from clocher.territories import lookup

    west, south, east, north = bbox
    generator = random.Random(20)
    points: list[tuple[float, float]] = []
    while len(points) < NEAR_CALLS:
        lat, lon = generator.uniform(south, north), generator.uniform(west, east)
        if lookup.commune_id_at(lat, lon) is not None:
            points.append((lat, lon))
    places_near(visible_places(portal), *points[0], NEAR_RADIUS_M, NEAR_LIMIT)  # warm the connection
    timings = []
    found = 0
    for lat, lon in points:
        started = time.perf_counter()
        nearest = places_near(visible_places(portal), lat, lon, NEAR_RADIUS_M, NEAR_LIMIT)
        # What the API does with each result: categories and commune, already fetched.
        for place, _distance in nearest:
            place.category_links.all()
            _ = place.commune
        timings.append((time.perf_counter() - started) * 1000)
        found += len(nearest)
    timings.sort()
    print(f"  near: {found / NEAR_CALLS:.1f} places found per call on average")
    return timings[int(len(timings) * 0.95) - 1], statistics.median(timings)


def _markers(portal: Any) -> tuple[float, int, int, bytes]:
    from django.test import RequestFactory

    from clocher.api.places import markers_json
    from clocher.directory.selectors import places_in_bbox, visible_places

    # A square around Auch grown until it holds about MARKERS_TARGET_COUNT places: a zoomed-out map.
    lat, lon = 43.6465, 0.5855
    low, high = 0.01, 1.0
    for _ in range(12):
        half = (low + high) / 2
        count = places_in_bbox(visible_places(portal), lon - half, lat - half, lon + half, lat + half).count()
        if count < MARKERS_TARGET_COUNT:
            low = half
        else:
            high = half
    half = high
    bbox = f"{lon - half},{lat - half},{lon + half},{lat + half}"
    request = RequestFactory().get("/api/v1/places/markers", {"bbox": bbox})
    request.portal = portal  # type: ignore[attr-defined]  # what the portal middleware sets
    markers_json(request, bbox=bbox)  # warm
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        body = markers_json(request, bbox=bbox)
        timings.append(time.perf_counter() - started)
    found = len(json.loads(body))
    return statistics.median(timings), len(gzip.compress(body, compresslevel=6)), found, body
