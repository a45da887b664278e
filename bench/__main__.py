"""`make bench`: measure Clocher against its speed and size targets, on a database of its own.

    python -m bench            (DATABASE_URL chooses PostgreSQL; SQLite in var/bench.sqlite3 otherwise)
    python -m bench reports    only the steps named (BENCH_STEPS="reports" make bench does the same)

Steps, in order: territories, lookups, rps, directory, agenda, reports. A step needs what the ones
before it made (the geography, then the Gers boundaries), except reports, which sets up its own.

Prints one table and writes bench-results.json. A measurement that fails is recorded with its error
and the others still run; the exit status is non-zero when any failed. A missed target is reported,
not an error: the figures are for people to read and compare, unit tests assert behaviour only.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
RESULTS = ROOT / "bench-results.json"
LOOKUPS = 10_000
WRK_SECONDS = 5
WRK_LOAD = ["--threads", "2", "--connections", "16"]
GUNICORN_WORKERS = 2
# What a phone sends: whitenoise answers with its pre-compressed files, Django gzips pages.
ACCEPT_ENCODING = "gzip, br"


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    target: str
    met: bool | None
    error: str = ""


class Bench:
    """Runs the measurements in order against one fresh database and keeps every figure."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.env = dict(os.environ)
        self.env.pop("DEBUG", None)
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "STATIC_MANIFEST": "1",
                "STATIC_ROOT": str(VAR / "bench-static"),
                "MEDIA_ROOT": str(VAR / "bench-media"),
                "SECRET_KEY": "bench-only-" + "x" * 50,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": "ERROR",
            }
        )
        self.static_collected = False

    # Recording -----------------------------------------------------------------------------

    def record(
        self, name: str, value: float, unit: str, target: str, met: bool | None
    ) -> None:
        self.figures.append(Figure(name, value, unit, target, met))

    @contextmanager
    def measuring(self, *names_and_units: tuple[str, str, str]) -> Iterator[None]:
        """Runs one measurement; on failure, each figure it would have given records the error."""
        try:
            yield
        except Exception as error:  # one failed measurement must not stop the others
            message = f"{type(error).__name__}: {error}".strip()
            traceback.print_exc(file=sys.stderr)
            recorded = {figure.name for figure in self.figures}
            for name, unit, target in names_and_units:
                if name not in recorded:
                    self.figures.append(Figure(name, None, unit, target, None, message[:300]))

    # Helpers -------------------------------------------------------------------------------

    def clocher(self, *args: str, timeout: float = 600) -> float:
        """Runs a `clocher` command as an operator would; returns its wall-clock seconds."""
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "clocher.manage", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"clocher {' '.join(args)}: {(done.stderr or done.stdout).strip()[-500:]}")
        return seconds

    # The database --------------------------------------------------------------------------

    def fresh_database(self) -> str:
        url = os.environ.get("DATABASE_URL", "")
        if not url:
            path = Path(os.environ.get("SQLITE_PATH", str(VAR / "bench.sqlite3")))
            path.parent.mkdir(parents=True, exist_ok=True)
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
            self.env.pop("DATABASE_URL", None)
            self.env["SQLITE_PATH"] = str(path)
            return f"SQLite {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
        # Never the operator's own database: one beside it, named *_bench, dropped and made anew.
        parts = urlsplit(url)
        name = parts.path.lstrip("/") + "_bench"
        import psycopg

        admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        self.env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))
        return f"PostgreSQL {parts.hostname}/{name}"

    # a. The official geography -------------------------------------------------------------

    def territories_import(self) -> None:
        first, second = "import territories, first run", "import territories, second run"
        with self.measuring((first, "s", "< 60"), (second, "s", "< 10")):
            self.clocher("migrate", "--noinput", "-v", "0")
            seconds = self.clocher("import", "territories", "--no-progress")
            self.record(first, seconds, "s", "< 60", seconds < 60)
            seconds = self.clocher("import", "territories", "--no-progress")
            self.record(second, seconds, "s", "< 10", seconds < 10)

    # b. Which commune is at a point --------------------------------------------------------

    def point_lookups(self) -> None:
        build, lookups = "commune_at: index build", f"commune_at: {LOOKUPS:,} lookups in the Gers"
        with self.measuring((build, "s", "-"), (lookups, "s", "< 1")):
            # This process reads the bench database, configured as the commands were.
            os.environ.update(self.env)
            if "DATABASE_URL" not in self.env:
                os.environ.pop("DATABASE_URL", None)
            import django

            django.setup()
            from clocher.territories import lookup
            from clocher.territories.geography import shared_data_dir

            folder = shared_data_dir() / "france-geojson"
            self.clocher("import", "boundaries", "--no-progress", str(folder / "communes-32-gers.geojson"))
            west, south, east, north = _bbox(folder / "departement-32-gers.geojson")

            generator = random.Random(32)
            points = [
                (generator.uniform(south, north), generator.uniform(west, east)) for _ in range(LOOKUPS)
            ]
            started = time.perf_counter()
            lookup.commune_at(*points[0])
            self.record(build, time.perf_counter() - started, "s", "-", None)
            started = time.perf_counter()
            found = sum(1 for lat, lon in points if lookup.commune_at(lat, lon) is not None)
            seconds = time.perf_counter() - started
            if found < LOOKUPS // 2:
                raise RuntimeError(f"only {found} of {LOOKUPS} points fell in a commune")
            self.record(lookups, seconds, "s", "< 1", seconds < 1)
            print(f"  {found} of {LOOKUPS} points fell in a Gers commune (the rest: the bbox corners)")

    # c. Requests per second ----------------------------------------------------------------

    def requests_per_second(self) -> None:
        # The anonymous home page is kept 15 s per commune; a visitor who chose a commune also
        # costs the look-up of that commune on each request, so both are measured.
        pages = {
            "floor /healthz": ("/healthz", ""),
            "home /": ("/", ""),
            "home / with Marciac chosen": ("/", "Cookie: commune=32233"),
            "search /api/v1/territories?q=auch": ("/api/v1/territories?q=auch", ""),
        }
        names = [(f"rps {label}", "req/s", "-") for label in pages]
        ratio = ("home / floor", "ratio", "≥ 0.50")
        ratio_chosen = ("home with a commune / floor", "ratio", "≥ 0.50")
        weight = ("home page transfer", "KB", "≤ 60")
        count = ("home page requests", "requests", "-")
        with self.measuring(*names, ratio, ratio_chosen, weight, count):
            self.clocher("collectstatic", "--noinput", "-v", "0")
            self.static_collected = True
            self.clocher("demo")
            with self.gunicorn() as base:
                with self.measuring(*names, ratio, ratio_chosen):
                    wrk = shutil.which("wrk")
                    if wrk is None:
                        raise RuntimeError("wrk is missing: `make bench` installs it with apt")
                    rates: dict[str, float] = {}
                    for label, (path, header) in pages.items():
                        _expect_ok(base + path)
                        _wrk(wrk, base + path, seconds=1)  # every worker has loaded its code
                        rates[label] = _wrk(wrk, base + path, seconds=WRK_SECONDS, header=header)
                        self.record(f"rps {label}", rates[label], "req/s", "-", None)
                    share = rates["home /"] / rates["floor /healthz"]
                    self.record(ratio[0], share, "ratio", "≥ 0.50", share >= 0.5)
                    chosen = rates["home / with Marciac chosen"] / rates["floor /healthz"]
                    self.record(ratio_chosen[0], chosen, "ratio", "≥ 0.50", chosen >= 0.5)
                with self.measuring(weight, count):
                    total, requests = _home_page_weight(base)
                    self.record(weight[0], total / 1024, "KB", "≤ 60", total <= 60 * 1024)
                    self.record(count[0], requests, "requests", "-", None)

    @contextmanager
    def gunicorn(self) -> Iterator[str]:
        """The production WSGI server on a free loopback port, configured as production would be."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", str(GUNICORN_WORKERS),
                "--worker-class", "sync", "--log-level", "warning",
            ],
            cwd=ROOT, env=self.env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    _expect_ok(base + "/healthz")
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("gunicorn did not start") from None
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()

    # d. The directory: 100,000 places, near me, the map's markers --------------------------

    def directory_places(self) -> None:
        from bench import directory

        with self.measuring(("directory", "-", "-")):
            directory.run(self, _bbox)

    # e. The agenda: 50,000 events, 500,000 occurrences, this weekend near me, the home feed ---

    def agenda_events(self) -> None:
        from bench import agenda

        with self.measuring(("agenda", "-", "-")):
            agenda.run(self)

    # f. Reports: the agents' queue over 100,000 reports, a report with three phone photos -------

    def reports(self) -> None:
        from bench import reports

        with self.measuring(("reports", "-", "-")):
            reports.run(self)

    # g. Participatory budgets: every shared .pb file counted by each rule, pabutools beside ---

    def pb_tally(self) -> None:
        from bench import pb_tally

        pb_tally.run(self)

    # h. Participatory budget vote: 200 concurrent voters cast 10,000 ballots (PostgreSQL) -----

    def budget_vote(self) -> None:
        from bench import budget_vote

        budget_vote.run(self)

    # i. Notifications: one alert pushed to 100,000 subscriptions, decrypted by a local push service

    def notifications(self) -> None:
        from bench import notifications

        notifications.run(self)

    # Report --------------------------------------------------------------------------------

    def report(self, database: str) -> int:
        print(f"\nClocher bench on {database}\n")
        width = max(len(figure.name) for figure in self.figures)
        print(f"{'measure':<{width}}  {'value':>10}  {'unit':<8}  {'target':<7}  result")
        for figure in self.figures:
            value = "-" if figure.value is None else f"{figure.value:,.3f}".rstrip("0").rstrip(".")
            verdict = (
                f"ERROR {figure.error}" if figure.error
                else "-" if figure.met is None else "met" if figure.met else "MISSED"
            )
            print(f"{figure.name:<{width}}  {value:>10}  {figure.unit:<8}  {figure.target:<7}  {verdict}")
        RESULTS.write_text(
            json.dumps(
                {"database": database, "figures": [asdict(figure) for figure in self.figures]},
                ensure_ascii=False, indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"\nWritten to {RESULTS.name}.")
        return 1 if any(figure.error for figure in self.figures) else 0


def _bbox(path: Path) -> tuple[float, float, float, float]:
    """West, south, east, north of a GeoJSON file's features."""
    import shapely
    from shapely.geometry import shape

    data = json.loads(path.read_text(encoding="utf-8"))
    bounds = shapely.total_bounds([shape(feature["geometry"]) for feature in data.get("features", [data])])
    return float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3])


def _expect_ok(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


def _wrk(wrk: str, url: str, *, seconds: int, header: str = "") -> float:
    extra = ["-H", header] if header else []
    done = subprocess.run(
        [wrk, *WRK_LOAD, "--duration", f"{seconds}s", "-H", f"Accept-Encoding: {ACCEPT_ENCODING}", *extra, url],
        capture_output=True, text=True, timeout=seconds + 30, check=True,
    )
    if "Non-2xx or 3xx responses" in done.stdout or "Socket errors" in done.stdout:
        raise RuntimeError(f"wrk {url}: {done.stdout.strip()}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None:
        raise RuntimeError(f"wrk {url}: no rate in {done.stdout!r}")
    return float(found.group(1))


def _home_page_weight(base: str) -> tuple[int, int]:
    """Bytes on the wire (headers and compressed bodies) for a first visit to the home page.

    Chromium loads the page as a phone would; what it only fetches on demand (the manifest, icons
    for the home screen) is fetched here with the same headers and counted too. Map tiles come from
    another origin and are left out.
    """
    from playwright.sync_api import sync_playwright

    from tests.browser.chromium import PHONE, launch_chromium

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(extra_http_headers={"Accept-Encoding": ACCEPT_ENCODING}, **PHONE)
            page = context.new_page()
            finished: list[Any] = []
            page.on("requestfinished", lambda request: finished.append(request))
            response = page.goto(base + "/", wait_until="networkidle")
            if response is None or response.status != 200:
                raise RuntimeError(f"the home page answered {response and response.status}")
            linked = page.eval_on_selector_all(
                'link[rel="manifest"], link[rel~="icon"], link[rel="apple-touch-icon"]',
                "links => links.map((link) => link.href)",
            )
            same_origin = [r for r in finished if r.url.startswith(base)]
            transfers: dict[str, int] = {}
            for request in same_origin:
                sizes = request.sizes()
                transfers[request.url] = sizes["responseHeadersSize"] + sizes["responseBodySize"]
            for url in dict.fromkeys(linked):
                if url.startswith(base) and url not in transfers:
                    transfers[url] = _bytes_on_the_wire(url)
            for url, size in transfers.items():
                print(f"  {size:>7,} B  {url.removeprefix(base)}")
            return sum(transfers.values()), len(transfers)
        finally:
            browser.close()


def _bytes_on_the_wire(url: str) -> int:
    """Status line, headers and the still-compressed body of one GET, as a browser would ask."""
    import http.client

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                           headers={"Accept-Encoding": ACCEPT_ENCODING})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        headers = sum(len(f"{key}: {value}\r\n") for key, value in response.getheaders())
        return len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + headers + 2 + len(body)
    finally:
        connection.close()


def main() -> int:
    sys.path.insert(0, str(ROOT))
    bench = Bench()
    steps: dict[str, Callable[[], None]] = {
        "territories": bench.territories_import, "lookups": bench.point_lookups,
        "rps": bench.requests_per_second, "directory": bench.directory_places, "agenda": bench.agenda_events,
        "reports": bench.reports, "pb": bench.pb_tally,
        "budget-vote": bench.budget_vote, "notifications": bench.notifications,
    }
    chosen = sys.argv[1:] or os.environ.get("BENCH_STEPS", "").replace(",", " ").split() or list(steps)
    unknown = [name for name in chosen if name not in steps]
    if unknown:
        print(f"Unknown step {', '.join(unknown)}: choose among {', '.join(steps)}.", file=sys.stderr)
        return 2
    database = bench.fresh_database()
    print(f"Clocher bench: {database}")
    for step in (steps[name] for name in steps if name in chosen):
        print(f"- {step.__name__.replace('_', ' ')}")
        step()
    return bench.report(database)


if __name__ == "__main__":
    sys.exit(main())
