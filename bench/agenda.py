"""The agenda's bench: 50,000 generated events across the Gers, about 500,000 occurrences, "this
weekend within 20 km" and the home feed.

Runs in the bench process, on the bench database, after the geography is imported (events stand
at their commune's centre, a little apart). Most events happen once; some weekly or monthly for a
year, which is what brings the occurrences to about ten per event. Measured in-process, through
the same functions the pages call:

- "this weekend within 20 km": clocher.agenda.selectors.occurrences_between for the coming
  weekend around 500 random points of the Gers, the first page (20 rows), p95 of the wall-clock
  time per call (target < 20 ms);
- the home feed: clocher.territories.home.feed_for for 500 random communes with every module's
  feed, as the home page builds it, p95 (target < 30 ms).
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.__main__ import Bench

EVENTS = 50_000
CALLS = 500
RADIUS_M = 20_000
PAGE = 20
BATCH = 5_000
SOURCE = "bench"
# Shares of weekly and monthly events (52 and 12 dates): with the single ones, ten dates per event.
WEEKLY_SHARE = 0.155
MONTHLY_SHARE = 0.10
CATEGORIES = ["concert", "spectacle", "exposition", "sport", "fete", "marche", "atelier", "association",
              "conference", "nature", "jeunesse", "seniors", "citoyennete", "gastronomie", "cinema"]


def run(bench: Bench) -> None:
    """Generates the events and records the figures; each measurement fails on its own."""
    generate = (f"agenda: generate {EVENTS:,} events", "s", "-")
    weekend = (f"this weekend within {RADIUS_M // 1000} km, p95", "ms", "< 20")
    weekend_median = (f"this weekend within {RADIUS_M // 1000} km, median", "ms", "-")
    # The process's own CPU time per call: what the wall-clock time is on a machine not shared
    # with other work (test runs, other benches), which inflates the wall-clock figures.
    weekend_cpu = (f"this weekend within {RADIUS_M // 1000} km, p95 CPU time", "ms", "-")
    feed = ("home feed (every module), p95", "ms", "< 30")
    feed_median = ("home feed (every module), median", "ms", "-")
    own = ("home feed, the agenda's part, p95", "ms", "-")
    feed_cpu = ("home feed (every module), p95 CPU time", "ms", "-")
    with bench.measuring(generate, weekend, weekend_median, weekend_cpu, feed, feed_median, feed_cpu, own):
        import django

        os.environ.update(bench.env)
        if "DATABASE_URL" not in bench.env:
            os.environ.pop("DATABASE_URL", None)
        django.setup()
        from bench.directory import _portal

        portal = _portal()
        started = time.perf_counter()
        events, occurrences = generate_events(portal)
        bench.record(generate[0], time.perf_counter() - started, "s", "-", None)
        print(f"  {events:,} events, {occurrences:,} occurrences")
        with bench.measuring(weekend, weekend_median, weekend_cpu):
            p95, median, cpu = measure_weekend(portal)
            bench.record(weekend[0], p95, "ms", "< 20", p95 < 20)
            bench.record(weekend_median[0], median, "ms", "-", None)
            bench.record(weekend_cpu[0], cpu, "ms", "-", None)
        with bench.measuring(feed, feed_median, feed_cpu):
            p95, median, cpu = measure_feed(portal)
            bench.record(feed[0], p95, "ms", "< 30", p95 < 30)
            bench.record(feed_median[0], median, "ms", "-", None)
            bench.record(feed_cpu[0], cpu, "ms", "-", None)
        with bench.measuring(own):
            # The feed is the sum of every module's part: the agenda's alone says whose it is.
            p95, _median, _cpu = measure_feed(portal, only_agenda=True)
            bench.record(own[0], p95, "ms", "-", None)


def _communes() -> list[tuple[int, float, float]]:
    from clocher.territories.models import Territory, TerritoryKind

    rows = Territory.objects.filter(
        kind=TerritoryKind.COMMUNE, is_active=True, departement__code="32", center_lat__isnull=False,
        center_lon__isnull=False,
    ).order_by("pk").values_list("pk", "center_lat", "center_lon")
    return [(pk, lat, lon) for pk, lat, lon in rows if lat is not None and lon is not None]


def generate_events(portal: Any) -> tuple[int, int]:
    """The events, their category and their occurrences, with bulk_create in batches."""
    from django.db import transaction
    from django.utils import timezone

    from bench.directory import _analyze
    from clocher.agenda.models import Event, EventCategory, Occurrence
    from clocher.territories.content import Status

    already = Event.objects.filter(source=SOURCE).count()
    if already:  # a database kept from an earlier run (the bench makes a fresh one each time)
        return already, Occurrence.objects.filter(event__source=SOURCE).count()
    communes = _communes()
    if not communes:
        raise RuntimeError("no Gers commune has a centre: import the boundaries first")
    generator = random.Random(5)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    events: list[Event] = []
    plans: list[tuple[int, int]] = []  # (dates, days between dates)
    for number in range(EVENTS):
        commune_id, lat, lon = generator.choice(communes)
        draw = generator.random()
        if draw < WEEKLY_SHARE:
            plan = (52, 7)
            start = now + datetime.timedelta(days=generator.randint(-60, 30))
        elif draw < WEEKLY_SHARE + MONTHLY_SHARE:
            plan = (12, 28)
            start = now + datetime.timedelta(days=generator.randint(-60, 30))
        else:
            plan = (1, 0)
            start = now + datetime.timedelta(days=generator.randint(-30, 335))
        start = start.replace(hour=generator.choice([9, 10, 14, 15, 18, 20, 21]))
        duration = datetime.timedelta(hours=generator.choice([1, 2, 2, 3, 4]))
        published = start - datetime.timedelta(days=generator.randint(5, 60))
        events.append(
            Event(
                territory_id=commune_id, commune_id=commune_id, title=f"Événement {number}",
                status=Status.PUBLISHED, published_at=min(published, now), starts_at=start,
                ends_at=start + duration,
                rrule="" if plan[0] == 1 else f"FREQ={'WEEKLY' if plan[1] == 7 else 'MONTHLY'};COUNT={plan[0]}",
                lat=lat + generator.uniform(-0.01, 0.01), lon=lon + generator.uniform(-0.01, 0.01),
                source=SOURCE, external_id=str(number),
            )
        )
        plans.append(plan)
    with transaction.atomic():
        for first in range(0, len(events), BATCH):
            Event.objects.bulk_create(events[first:first + BATCH])
        EventCategory.objects.bulk_create(
            [EventCategory(event_id=event.pk, category=generator.choice(CATEGORIES)) for event in events],
            batch_size=BATCH,
        )
        batch: list[Occurrence] = []
        count = 0
        for event, (dates, step) in zip(events, plans, strict=True):
            duration = (event.ends_at or event.starts_at) - event.starts_at
            for index in range(dates):
                moment = event.starts_at + datetime.timedelta(days=step * index)
                batch.append(
                    Occurrence(
                        event_id=event.pk, starts_at=moment, ends_at=moment + duration, lat=event.lat,
                        lon=event.lon, commune_id=event.commune_id,
                    )
                )
            if len(batch) >= BATCH:
                Occurrence.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        Occurrence.objects.bulk_create(batch)
        count += len(batch)
    inserted = time.perf_counter()
    _analyze()
    print(f"  generated: {inserted - started:.1f} s to insert, {time.perf_counter() - inserted:.1f} s to analyse")
    return len(events), count


def _points(count: int) -> list[tuple[float, float]]:
    """Random points of the Gers: in its communes' box, kept when a commune is there."""
    from clocher.territories import lookup

    communes = _communes()
    south, north = min(c[1] for c in communes), max(c[1] for c in communes)
    west, east = min(c[2] for c in communes), max(c[2] for c in communes)
    generator = random.Random(29)
    points: list[tuple[float, float]] = []
    tries = 0
    while len(points) < count:
        lat, lon = generator.uniform(south, north), generator.uniform(west, east)
        tries += 1
        if tries > count * 20 or lookup.commune_id_at(lat, lon) is not None:
            points.append((lat, lon))
    return points


def _p95(timings: list[float], cpu: list[float]) -> tuple[float, float, float]:
    """p95 and median of the wall-clock times, and p95 of the CPU times, in milliseconds."""
    timings.sort()
    cpu.sort()
    index = int(len(timings) * 0.95) - 1
    return timings[index], statistics.median(timings), cpu[index]


def measure_weekend(portal: Any) -> tuple[float, float, float]:
    from django.utils import timezone

    from clocher.agenda.selectors import occurrences_between
    from clocher.agenda.views import period_bounds

    start, end = period_bounds("weekend", timezone.now())
    points = _points(CALLS)
    occurrences_between(portal, start, end, near=points[0], radius_m=RADIUS_M, limit=PAGE + 1)  # warm
    timings, cpu = [], []
    found = 0
    for point in points:
        began, began_cpu = time.perf_counter(), time.process_time()
        page = occurrences_between(portal, start, end, near=point, radius_m=RADIUS_M, limit=PAGE + 1)
        # What the page reads of each row: the event, its categories, its commune.
        for item in page:
            _ = (item.event.title, item.occurrence.commune, list(item.event.categories.all()))
        timings.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        found += len(page)
    print(f"  this weekend: {found / CALLS:.1f} rows on the first page on average")
    return _p95(timings, cpu)


def measure_feed(portal: Any, *, only_agenda: bool = False) -> tuple[float, float, float]:
    from clocher.core.modules import registry
    from clocher.territories.home import feed_for
    from clocher.territories.models import Territory, with_parents
    from clocher.territories.selectors import ancestors

    generator = random.Random(32)
    ids = [pk for pk, _lat, _lon in _communes()]
    communes = {t.pk: t for t in with_parents(Territory.objects.filter(pk__in=ids))}
    chosen = [communes[generator.choice(ids)] for _ in range(CALLS)]
    agenda = registry.get("agenda")
    modules = [agenda] if only_agenda and agenda is not None else None
    feed_for(portal, ancestors(chosen[0]), modules=modules)  # warm
    timings, cpu = [], []
    found = 0
    for commune in chosen:
        began, began_cpu = time.perf_counter(), time.process_time()
        items = feed_for(portal, ancestors(commune), modules=modules)
        timings.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        found += len(items)
    print(f"  home feed{' (agenda only)' if only_agenda else ''}: {found / CALLS:.1f} items on average")
    return _p95(timings, cpu)
