"""The reports' bench: 100,000 generated reports across the Gers, the agents' queue, and a resident
filing a report with three phone photos through gunicorn.

Runs in the bench process, on the bench database. It sets up what it needs when it runs alone
(`python -m bench reports`): the geography, the Gers boundaries and the demo portal (`clocher demo`),
the static files gunicorn serves, and the starting catalogue of report categories for the Gers, its
intercommunalités and all its communes (`clocher report_categories`), as a département that opened
reports to every commune would have.

- The queue: 100,000 reports spread over the Gers communes' real boundaries, more where more people
  live. A quarter are about the département's roads and bridges, a fifth about the
  intercommunalités' waste and water, the rest about the communes' own matters, and each is handled
  by the collectivity routing would choose, so the département's queue holds about 25,000 and
  Auch's about 6,000. They span three years, more of them recent; the older a report, the likelier
  it is closed, as in a real queue. A few thousand carry a full history (events).
  /gestion/<territory>/signalements/ is rendered in-process by Django's test Client for a
  signed-in agent of the département and one of Auch, with the default filters and a few
  combinations: p95 of the wall-clock time per page (target < 50 ms), p95 of the process's CPU
  time, and the SQL queries one page runs.
- Filing a report: gunicorn with production settings; the form is fetched first (its CSRF token and
  cookie), then a multipart POST to /signalements/nouveau/ with three ~4 MB, 4000 x 3000 JPEGs
  carrying EXIF GPS, as a phone sends them; timed from sending the request until the redirect to
  the report's page is read, p50 and p95 (target < 1.5 s). Each submission comes from its own
  loopback address (127.0.0.x), as different phones would: the per-address limit (10 an hour) stays
  as it is in production and is never reached. The time the photos alone take to clean is measured
  in-process as well, to say where the time goes.
"""

from __future__ import annotations

import datetime
import http.client
import io
import math
import os
import random
import re
import shutil
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from bench.__main__ import Bench

REPORTS = 100_000
WITH_HISTORY = 5_000
BATCH = 5_000
YEARS = 3
# Where reports go, by the level that handles their category (routing decides from the category).
COMPETENCE_SHARES = {"commune": 0.55, "epci": 0.20, "departement": 0.25}
QUEUE_RUNS = 100
QUEUE_PAGE = 30  # backoffice.reports.QUEUE_PAGE_SIZE
SUBMISSIONS = 20
PHOTOS = 3
PHOTO_SIZE = (4000, 3000)
PHOTO_BYTES = 4 * 1024 * 1024
AGENT_DOMAIN = "bench.example"

DESCRIPTIONS = {
    "eclairage-public": ["Lampadaire éteint depuis plusieurs soirs.", "Le lampadaire clignote toute la nuit.",
                         "Éclairage allumé en plein jour devant l'école."],
    "voirie-communale": ["Nid-de-poule profond à l'entrée de la rue.", "Trottoir soulevé par les racines.",
                         "Bouche d'égout descellée, dangereuse pour les vélos."],
    "proprete": ["Dépôt sauvage d'encombrants au bord du chemin.", "Verre cassé sur l'aire de jeux.",
                 "Sacs d'ordures déposés au pied du conteneur."],
    "espaces-verts": ["Branche cassée au-dessus du banc.", "Haie qui déborde sur le trottoir.",
                      "Arbre penché après l'orage."],
    "mobilier-urbain": ["Banc cassé sur la place.", "Panneau de rue tordu.", "Jeu pour enfants abîmé."],
    "tags": ["Tag sur le mur de la salle des fêtes.", "Affichage sauvage sur l'abribus."],
    "collecte-dechets": ["Bac jaune non collecté cette semaine.", "Conteneur à verre plein.",
                         "Point d'apport volontaire débordant."],
    "eau-assainissement": ["Fuite d'eau sur la chaussée.", "Odeurs d'égout près du pont.",
                           "Regard bouché après la pluie."],
    "route-departementale": ["Chaussée déformée dans le virage.", "Panneau de direction couché.",
                             "Fossé bouché, l'eau déborde sur la route.", "Nids-de-poule en série."],
    "ouvrage-art": ["Parapet du pont fissuré.", "Mur de soutènement qui se décolle."],
}
STREETS = ["rue de la République", "avenue de la Gare", "route de Pessan", "chemin du Moulin", "place de l'Église",
           "rue Victor-Hugo", "impasse des Tilleuls", "rue du Château", "allée des Platanes", "route d'Auch"]

# The queue pages measured: (label, agent's territory, filters as the form sends them).
SCENARIOS: list[tuple[str, str, dict[str, str]]] = [
    ("département, all", "departement", {}),
    ("département, open, route départementale", "departement", {"etat": "open", "categorie": "route-departementale"}),
    ("département, new, older than 7 days", "departement", {"etat": "new", "anciennete": "7"}),
    ("département, open, in Auch", "departement", {"etat": "open", "commune": "auch"}),
    ("Auch, all", "auch", {}),
    ("Auch, open, éclairage public", "auch", {"etat": "open", "categorie": "eclairage-public"}),
    ("Auch, closed, older than 30 days", "auch", {"etat": "closed", "anciennete": "30"}),
]


def run(bench: Bench) -> None:
    """Sets up, generates the reports and records the figures; each measurement fails on its own."""
    generate = (f"reports: generate {REPORTS:,} reports", "s", "-")
    queue = [(f"agents' queue, {label}, p95", "ms", "< 50") for label, _who, _filters in SCENARIOS]
    # The process's own CPU time per page (SQLite runs in it, PostgreSQL does not): what the
    # wall-clock time would be on a machine not shared with other work.
    cpu = [(f"agents' queue, {label}, p95 CPU time", "ms", "-") for label, _who, _filters in SCENARIOS]
    queries = [(f"agents' queue, {label}, SQL queries", "queries", "-") for label, _who, _filters in SCENARIOS]
    filing = ("report with three 4 MB photos, p95", "s", "< 1.5")
    filing_median = ("report with three 4 MB photos, median", "s", "-")
    cleaning = ("three 4 MB photos cleaned in-process, median", "s", "-")
    with bench.measuring(generate, *queue, *cpu, *queries, filing, filing_median, cleaning):
        _prepare(bench)
        from bench.directory import _portal

        portal = _portal()
        started = time.perf_counter()
        count, by_level = generate_reports(bench, portal)
        bench.record(generate[0], time.perf_counter() - started, "s", "-", None)
        print(f"  {count:,} reports: " + ", ".join(f"{level} {n:,}" for level, n in by_level.items()))
        for (label, who, filters), p95_figure, cpu_figure, queries_figure in zip(
            SCENARIOS, queue, cpu, queries, strict=True
        ):
            with bench.measuring(p95_figure, cpu_figure, queries_figure):
                page = measure_queue(portal, who, filters)
                bench.record(p95_figure[0], page.p95, "ms", "< 50", page.p95 < 50)
                bench.record(cpu_figure[0], page.cpu_p95, "ms", "-", None)
                bench.record(queries_figure[0], page.queries, "queries", "-", None)
                print(f"  agents' queue, {label}: {page.matching:,} reports match, median {page.median:.1f} ms")
        with bench.measuring(filing, filing_median, cleaning):
            photos = phone_photos()
            print("  photos: " + ", ".join(f"{len(photo) / 2**20:.2f} MB" for photo in photos))
            seconds = clean_in_process(photos)
            bench.record(cleaning[0], seconds, "s", "-", None)
            p95, median = measure_filing(bench, portal, photos)
            bench.record(filing[0], p95, "s", "< 1.5", p95 < 1.5)
            bench.record(filing_median[0], median, "s", "-", None)


def _prepare(bench: Bench) -> None:
    """The database and static files this step needs, whether or not the earlier steps ran."""
    import django

    bench.clocher("migrate", "--noinput", "-v", "0")
    os.environ.update(bench.env)
    if "DATABASE_URL" not in bench.env:
        os.environ.pop("DATABASE_URL", None)
    django.setup()
    from clocher.territories.models import PortalHost

    if not PortalHost.objects.filter(hostname="127.0.0.1").exists():
        bench.clocher("demo", timeout=900)  # the geography, the Gers boundaries, the portal
    if not bench.static_collected:
        bench.clocher("collectstatic", "--noinput", "-v", "0")
        bench.static_collected = True


# Generating -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commune:
    pk: int
    name: str
    code: str
    population: int
    epci_id: int | None
    geometry: Any


def _communes() -> list[Commune]:
    from shapely.geometry import shape

    from clocher.territories.models import Territory, TerritoryKind

    rows = Territory.objects.filter(
        kind=TerritoryKind.COMMUNE, is_active=True, departement__code="32", boundary__isnull=False,
    ).order_by("code").values_list("pk", "name", "code", "population", "epci_id", "boundary")
    return [
        Commune(pk, name, code, population or 100, epci_id, shape(boundary))
        for pk, name, code, population, epci_id, boundary in rows
    ]


def _points_in(geometry: Any, count: int, generator: random.Random) -> list[tuple[float, float]]:
    """`count` random (lat, lon) inside the geometry: drawn in its box, kept when inside."""
    import numpy as np
    import shapely

    shapely.prepare(geometry)
    west, south, east, north = geometry.bounds
    numbers = np.random.default_rng(generator.getrandbits(32))
    points: list[tuple[float, float]] = []
    while len(points) < count:
        lons = numbers.uniform(west, east, count * 2 + 8)
        lats = numbers.uniform(south, north, count * 2 + 8)
        inside = shapely.contains_xy(geometry, lons, lats)
        points.extend(zip(lats[inside].tolist(), lons[inside].tolist(), strict=True))
    return points[:count]


@contextmanager
def _dates_as_given(*models: Any) -> Iterator[None]:
    """Lets bulk_create keep the created_at and updated_at the generator chose: auto_now and
    auto_now_add would stamp all 100,000 reports with this instant, and the queue's age filter,
    its order and its statistics would measure nothing real. Only in this process, and put back."""
    fields = [
        field for model in models for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _install_categories(bench: Bench, communes: list[Commune]) -> None:
    from clocher.territories.models import Territory

    epcis = Territory.objects.filter(pk__in={c.epci_id for c in communes if c.epci_id}).values_list("code", flat=True)
    bench.clocher("report_categories", "32", *sorted(epcis), *(c.code for c in communes))


def _agents(portal: Any) -> dict[str, list[Any]]:
    """Agents of the département and of Auch (created once): the queue's assignees and viewers."""
    from django.contrib.auth import get_user_model

    from clocher.territories.models import Role, StaffRole, Territory, TerritoryKind

    user_model = get_user_model()
    places = {
        "departement": Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="32"),
        "auch": Territory.objects.get(kind=TerritoryKind.COMMUNE, code="32013"),
    }
    agents: dict[str, list[Any]] = {}
    for key, territory in places.items():
        agents[key] = []
        for number in range(1, 6 if key == "departement" else 4):
            email = f"agent{number}.{key}@{AGENT_DOMAIN}"
            user = user_model.objects.filter(email=email).first() or user_model.objects.create_user(
                email=email, password=None, display_name=f"Agent {number} ({territory.name})"
            )
            StaffRole.objects.get_or_create(user=user, territory=territory, role=Role.AGENT)
            agents[key].append(user)
    return agents


def _status_for(age_days: float, generator: random.Random) -> str:
    """A status as a queue holds them: recent reports mostly new, old ones mostly closed."""
    if age_days < 7:
        weights = [60, 25, 10, 4, 0.5, 0.5]
    elif age_days < 60:
        weights = [10, 20, 25, 35, 5, 5]
    else:
        weights = [2, 3, 5, 75, 8, 7]
    return generator.choices(["new", "acknowledged", "in_progress", "resolved", "rejected", "duplicate"],
                             weights)[0]


def generate_reports(bench: Bench, portal: Any) -> tuple[int, dict[str, int]]:
    """The categories, two teams of agents, the reports and a few thousand histories; returns how
    many reports there are and how many each level handles."""
    from django.db.models import Count

    from clocher.reports.models import Report

    agents = _agents(portal)
    if not Report.objects.exists():  # a database kept from an earlier run has them (a fresh one not)
        _generate(bench, agents)
    by_level = dict(Report.objects.values_list("category__competence").annotate(n=Count("pk")).order_by())
    return sum(by_level.values()), by_level


def _generate(bench: Bench, agents: dict[str, list[Any]]) -> None:
    from django.db import transaction
    from django.utils import timezone

    from bench.directory import _analyze
    from clocher.reports.models import Report, ReportCategory, ReportEvent, ReportStatus
    from clocher.territories.models import Territory, TerritoryKind

    communes = _communes()
    if not communes:
        raise RuntimeError("no Gers commune has a boundary: `clocher demo` imports them")
    _install_categories(bench, communes)
    categories: dict[tuple[int, str], list[ReportCategory]] = {}
    for category in ReportCategory.objects.filter(is_active=True):
        categories.setdefault((category.territory_id, category.competence), []).append(category)
    gers = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="32")
    auch = next(c for c in communes if c.code == "32013")
    team = {gers.pk: agents["departement"], auch.pk: agents["auch"]}

    generator = random.Random(6)
    started = time.perf_counter()
    # Reports happen where people live: communes drawn by population, points inside their boundary.
    drawn = generator.choices(communes, weights=[c.population for c in communes], k=REPORTS)
    per_commune: dict[int, int] = {}
    for commune in drawn:
        per_commune[commune.pk] = per_commune.get(commune.pk, 0) + 1
    points = {c.pk: _points_in(c.geometry, per_commune[c.pk], generator) for c in communes if c.pk in per_commune}
    now = timezone.now()
    levels = list(COMPETENCE_SHARES)
    reports: list[Report] = []
    for commune in drawn:
        lat, lon = points[commune.pk].pop()
        level = generator.choices(levels, [COMPETENCE_SHARES[lv] for lv in levels])[0]
        handler = {"commune": commune.pk, "epci": commune.epci_id or commune.pk, "departement": gers.pk}[level]
        choices = categories.get((handler, level))
        if not choices:  # a commune outside any EPCI: its waste goes to the commune's catalogue
            level, handler = "commune", commune.pk
            choices = categories[(handler, level)]
        category = generator.choice(choices)
        # Three years of reports, more of them recent as residents take the habit.
        age = datetime.timedelta(days=YEARS * 365 * generator.random() ** 1.6, hours=generator.uniform(0, 14))
        created = now - age
        status = _status_for(age.total_seconds() / 86400, generator)
        acknowledged = resolved = None
        if status != ReportStatus.NEW:
            acknowledged = min(created + datetime.timedelta(hours=generator.uniform(2, 120)), now)
        if status in ("resolved", "rejected", "duplicate"):
            resolved = min(created + datetime.timedelta(days=generator.uniform(1, 60)), now)
        assignee = None
        if handler in team and status != ReportStatus.NEW and generator.random() < 0.6:
            assignee = generator.choice(team[handler])
        with_contact = generator.random() < 0.3
        reports.append(Report(
            territory_id=handler, commune_id=commune.pk, category=category,
            description=generator.choice(DESCRIPTIONS.get(category.code, ["Problème signalé."])),
            lat=lat, lon=lon,
            address=f"{generator.randint(1, 60)} {generator.choice(STREETS)}" if generator.random() < 0.4 else "",
            status=status, assignee=assignee,
            public_reason="Hors de notre compétence." if status == ReportStatus.REJECTED else "",
            reporter_name=f"Habitant {len(reports)}" if with_contact else "",
            reporter_email=f"habitant{len(reports)}@example.org" if with_contact else "",
            consent_at=created if with_contact else None,
            supporters=min(int(generator.expovariate(1.5)), 30),
            channel=generator.choices(["web", "app", "open311:bench"], [80, 15, 5])[0],
            created_at=created, updated_at=resolved or acknowledged or created,
            acknowledged_at=acknowledged, resolved_at=resolved,
        ))
    prepared = time.perf_counter()
    with transaction.atomic(), _dates_as_given(Report, ReportEvent):
        for first in range(0, len(reports), BATCH):
            Report.objects.bulk_create(reports[first:first + BATCH])
        events: list[ReportEvent] = []
        for report in generator.sample(reports, WITH_HISTORY):
            events.extend(_history(report, generator, team.get(report.territory_id, []), now))
        ReportEvent.objects.bulk_create(events, batch_size=BATCH)
    inserted = time.perf_counter()
    _analyze()
    print(
        f"  generated: {prepared - started:.1f} s to draw, {inserted - prepared:.1f} s to insert"
        f" ({len(events):,} events), {time.perf_counter() - inserted:.1f} s to analyse"
    )


def _history(report: Any, generator: random.Random, agents: list[Any], now: datetime.datetime) -> list[Any]:
    """What handling a report writes: created, each status change, an internal note, a public update."""
    from clocher.reports.models import EventKind, ReportEvent

    actor = generator.choice(agents) if agents else None
    events = [ReportEvent(report_id=report.pk, kind=EventKind.CREATED, status="new", created_at=report.created_at)]
    if report.acknowledged_at:
        events.append(ReportEvent(report_id=report.pk, kind=EventKind.STATUS, status="acknowledged",
                                  actor=actor, created_at=report.acknowledged_at))
        if generator.random() < 0.3:
            events.append(ReportEvent(report_id=report.pk, kind=EventKind.NOTE, is_public=False,
                                      text="Vu avec l'équipe technique, intervention à programmer.",
                                      actor=actor, created_at=report.acknowledged_at))
    if report.status in ("in_progress", "resolved") and report.acknowledged_at:
        moment = min(report.acknowledged_at + datetime.timedelta(days=generator.uniform(0.5, 10)), now)
        events.append(ReportEvent(report_id=report.pk, kind=EventKind.STATUS, status="in_progress",
                                  actor=actor, created_at=moment))
        events.append(ReportEvent(report_id=report.pk, kind=EventKind.PUBLIC_UPDATE,
                                  text="L'intervention est prévue dans les prochains jours.",
                                  actor=actor, created_at=moment))
    if report.resolved_at:
        events.append(ReportEvent(report_id=report.pk, kind=EventKind.STATUS, status=report.status,
                                  text=report.public_reason, actor=actor, created_at=report.resolved_at))
    return events


# The queue ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuePage:
    p95: float
    median: float
    cpu_p95: float
    queries: int
    matching: int


def measure_queue(portal: Any, who: str, raw_filters: dict[str, str]) -> QueuePage:
    """The queue page over QUEUE_RUNS renderings (ms), its SQL queries, and how many reports the
    filters keep (checked against the page, so that the figure measures a real list)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from clocher.reports.models import ReportCategory
    from clocher.reports.selectors import agent_queue
    from clocher.territories.models import Territory, TerritoryKind

    agents = _agents(portal)
    territory = (
        Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="32") if who == "departement"
        else Territory.objects.get(kind=TerritoryKind.COMMUNE, code="32013")
    )
    filters = dict(raw_filters)
    if "categorie" in filters:
        filters["categorie"] = str(ReportCategory.objects.get(territory=territory, code=filters["categorie"]).pk)
    if filters.get("commune") == "auch":
        filters["commune"] = str(Territory.objects.get(kind=TerritoryKind.COMMUNE, code="32013").pk)
    expected = agent_queue(
        territory, status=filters.get("etat") or None,
        category=int(filters["categorie"]) if "categorie" in filters else None,
        commune=int(filters["commune"]) if "commune" in filters else None,
        older_than_days=int(filters["anciennete"]) if "anciennete" in filters else None,
    ).count()
    client = Client(HTTP_HOST="127.0.0.1")  # a host of the demo portal
    client.force_login(agents[who][0])
    url = reverse("backoffice:reports", kwargs={"territory_id": territory.pk})
    query = "?" + urlencode(filters) if filters else ""
    for _ in range(3):  # the session's first write, templates compiled, connection opened
        response = client.get(url + query)
        if response.status_code != 200:
            raise RuntimeError(f"{url}{query} answered {response.status_code}")
    shown = response.content.decode().count('class="bo-card bo-report"')
    if shown != min(expected, QUEUE_PAGE):
        raise RuntimeError(f"{url}{query} shows {shown} reports, {min(expected, QUEUE_PAGE)} expected")
    with CaptureQueriesContext(connection) as captured:
        client.get(url + query)
    # Read now: every request that follows empties the connection's log the slice reads from.
    queries = len(captured)
    timings: list[float] = []
    cpu: list[float] = []
    for _ in range(QUEUE_RUNS):
        began, began_cpu = time.perf_counter(), time.process_time()
        client.get(url + query)
        timings.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    timings.sort()
    cpu.sort()
    return QueuePage(_percentile(timings, 95), statistics.median(timings), _percentile(cpu, 95), queries, expected)


def _percentile(sorted_values: list[float], percent: int) -> float:
    """Nearest rank: the smallest value with at least `percent` % of the values at or below it."""
    return sorted_values[max(0, math.ceil(len(sorted_values) * percent / 100) - 1)]


# Filing a report ----------------------------------------------------------------------------------


def phone_photos() -> list[bytes]:
    """PHOTOS JPEGs as a phone takes them: 4000 x 3000, quality 85, ~4 MB, with EXIF (make, model,
    date, GPS position in Auch). Smooth gradients give them a scene and grain their weight; the
    grain's strength is tuned on the first so that they weigh about PHOTO_BYTES."""
    strength = 13.0
    photos: list[bytes] = []
    for attempt in range(4):
        first = _photo(0, strength)
        ratio = len(first) / PHOTO_BYTES
        if abs(ratio - 1) < 0.08:
            break
        strength *= ratio ** -1.4 if attempt < 3 else 1
    photos.append(first)
    photos.extend(_photo(number, strength) for number in range(1, PHOTOS))
    return photos


def _photo(seed: int, grain: float) -> bytes:
    import numpy as np
    from PIL import Image

    width, height = PHOTO_SIZE
    numbers = np.random.default_rng(seed)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    pixels = np.empty((height, width, 3), np.float32)
    pixels[..., 0] = 90 + 110 * y + 30 * np.sin(x * 9 + seed)
    pixels[..., 1] = 120 + 60 * x - 40 * y + 25 * np.cos(y * 13 + x * 5 + seed)
    pixels[..., 2] = 200 - 150 * y + 20 * np.sin((x + y) * 17)
    pixels += numbers.standard_normal((height, width, 1), dtype=np.float32) * grain
    pixels += numbers.standard_normal((height, width, 3), dtype=np.float32) * (grain / 2)
    picture = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    exif = Image.Exif()
    exif[0x010F] = "samsung"
    exif[0x0110] = "Galaxy A54 5G"
    exif[0x0112] = 1  # orientation: as taken
    exif[0x0132] = "2026:11:24 09:41:0" + str(seed % 10)
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (43.0, 38.0, 47.4 + seed)
    gps[3], gps[4] = "E", (0.0, 35.0, 7.8 + seed)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()


def clean_in_process(photos: list[bytes]) -> float:
    """Median seconds to clean the photos as the view does (media.clean_photo each), in this process."""
    from clocher.reports import media

    timings = []
    for _ in range(3):
        began = time.perf_counter()
        for photo in photos:
            media.clean_photo(io.BytesIO(photo))
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def measure_filing(bench: Bench, portal: Any, photos: list[bytes]) -> tuple[float, float]:
    """p95 and median seconds of the POST with the photos, through gunicorn, after warm-up ones."""
    from bench.__main__ import GUNICORN_WORKERS
    from clocher.reports.models import MediaKind, Report, ReportCategory
    from clocher.territories.models import Territory, TerritoryKind

    auch = next(c for c in _communes() if c.code == "32013")
    category = ReportCategory.objects.get(
        territory=Territory.objects.get(kind=TerritoryKind.COMMUNE, code="32013"), code="voirie-communale"
    )
    media_root = _media_root(bench)
    shutil.rmtree(media_root, ignore_errors=True)
    warm_up = GUNICORN_WORKERS * 2  # each worker has built its commune index and loaded its code
    points = _points_in(auch.geometry, warm_up + SUBMISSIONS, random.Random(13))
    timings: list[float] = []
    with bench.gunicorn() as base:
        port = int(base.rsplit(":", 1)[1])
        for number, (lat, lon) in enumerate(points):
            # A phone of its own: the per-address limit counts each separately.
            source = f"127.0.0.{10 + number}"
            seconds, pk = _file_one(port, source, lat, lon, category.pk, photos)
            stored = Report.objects.filter(pk=pk).first()
            if stored is None or stored.media.filter(kind=MediaKind.PHOTO).count() != PHOTOS:
                raise RuntimeError(f"report {pk} was not stored with its {PHOTOS} photos")
            if number >= warm_up:
                timings.append(seconds)
    print(f"  filing: first after warm-up {timings[0]:.2f} s, slowest {max(timings):.2f} s;"
          f" {sum(f.stat().st_size for f in media_root.rglob('*') if f.is_file()) / 2**20:.1f} MB stored")
    timings.sort()
    return _percentile(timings, 95), statistics.median(timings)


def _media_root(bench: Bench) -> Any:
    from pathlib import Path

    return Path(bench.env["MEDIA_ROOT"])


def _file_one(port: int, source: str, lat: float, lon: float, category: int,
              photos: list[bytes]) -> tuple[float, int]:
    """Fetches the form (its CSRF cookie and token), then posts the report; returns the POST's
    seconds, from the first byte sent to the redirect read, and the new report's number."""
    form_path = "/signalements/nouveau/?" + urlencode({"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "category": category})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        connection.request("GET", form_path, headers={"Accept-Language": "fr"})
        response = connection.getresponse()
        page = response.read().decode()
        if response.status != 200:
            raise RuntimeError(f"the report form answered {response.status}")
        cookie = next(
            (value.split(";", 1)[0] for key, value in response.getheaders()
             if key.lower() == "set-cookie" and value.startswith("csrftoken=")), None,
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if cookie is None or token is None:
            raise RuntimeError("the report form gave no CSRF cookie or token")
        fields = {
            "csrfmiddlewaretoken": token.group(1), "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
            "address": "12 rue de la République", "category": str(category),
            "description": "Nid-de-poule profond devant le numéro 12, dangereux pour les vélos.",
            "name": "", "email": "", "phone": "", "idempotency_key": uuid.uuid4().hex, "website": "",
        }
        body, content_type = _multipart(fields, photos)
        began = time.perf_counter()
        connection.request("POST", "/signalements/nouveau/", body=body, headers={
            "Content-Type": content_type, "Cookie": cookie, "Accept-Language": "fr",
            "Origin": f"http://127.0.0.1:{port}", "Referer": f"http://127.0.0.1:{port}{form_path}",
        })
        response = connection.getresponse()
        response.read()
        seconds = time.perf_counter() - began
    finally:
        connection.close()
    location = response.getheader("Location") or ""
    found = re.search(r"/signalements/(\d+)/\?merci=1$", location)
    if response.status != 302 or found is None:
        raise RuntimeError(f"the report was not accepted: {response.status} {location}")
    return seconds, int(found.group(1))


def _multipart(fields: dict[str, str], photos: list[bytes]) -> tuple[bytes, str]:
    boundary = "----ClocherBench" + uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for number, photo in enumerate(photos, start=1):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="IMG_20261124_0941{number:02d}.jpg"'
            f"\r\nContent-Type: image/jpeg\r\n\r\n".encode()
        )
        parts.append(photo)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
