"""Fan-out of one alert to 100,000 push subscriptions, against the local push service.

The step makes its own commune and bulk-creates browsers without an account that follow its alerts
(each with its own endpoint at the local push receiver, all encrypted to one key pair the receiver
holds). Then, as the worker would, it plans the alert's deliveries and sends them
(`tasks.fan_out_task`): every push is encrypted (aes128gcm) and VAPID-signed for real. The receiver,
in a process of its own, does what a push service does while the fan-out is timed (checks the VAPID
signature, stores the message, answers 201) and decrypts every one afterwards, as the phones would,
before the figures are read: the decryptions do not share the two cores with the measured worker. It runs twice, at 10,000 then at 100,000
subscriptions, and reports each round's time and the worker's peak memory (resident set, sampled):
flat means the peak does not grow with the count. Target: 100,000 in under 2 minutes.

    python -m bench notifications      (SQLite, or PostgreSQL with DATABASE_URL)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.__main__ import Bench

ROUNDS = (10_000, 100_000)
TARGET_SECONDS = 120
BULK = 5_000
ROOT = Path(__file__).resolve().parent.parent


def run(bench: Bench) -> None:
    total = (f"notifications: one alert pushed to {ROUNDS[-1]:,} subscriptions", "s", f"< {TARGET_SECONDS}")
    rate = ("notifications: pushes per second", "pushes/s", "-")
    small_memory = (f"notifications: worker peak memory at {ROUNDS[0]:,}", "MB", "-")
    large_memory = (f"notifications: worker peak memory at {ROUNDS[-1]:,}", "MB", "flat")
    decrypted = ("notifications: pushes the receiver decrypted", "pushes", f"= {sum(ROUNDS):,}")
    with bench.measuring(total, rate, small_memory, large_memory, decrypted):
        _setup(bench)
        receiver, info = _start_receiver()
        try:
            os.environ["REQUESTS_CA_BUNDLE"] = info["ca"]
            commune = _commune()
            made = 0
            peaks: list[float] = []
            seconds = 0.0
            for index, count in enumerate(ROUNDS):
                _subscriptions(commune, info, start=made, count=count - made)
                made = count
                seconds, peak, result = _fan_out(commune, index)
                peaks.append(peak)
                print(f"  {count:,} subscriptions: {seconds:.1f} s, peak {peak:.0f} MB, {result}")
            stats = _stats(info["url"])
            bench.record(total[0], seconds, "s", total[2], seconds < TARGET_SECONDS)
            bench.record(rate[0], ROUNDS[-1] / seconds, "pushes/s", "-", None)
            bench.record(small_memory[0], peaks[0], "MB", "-", None)
            # Flat: ten times the pushes may not cost more than a quarter more memory.
            bench.record(large_memory[0], peaks[-1], "MB", "flat", peaks[-1] <= peaks[0] * 1.25)
            counts = stats["counts"]
            good = counts.get("decrypted", 0)
            wrong = counts.get("undecryptable", 0) + counts.get("bad vapid", 0) + counts.get("unknown", 0)
            titles = {json.loads(payload)["title"] for payload in stats["payloads"]}
            print(f"  receiver: {counts}; titles {sorted(titles)}")
            bench.record(decrypted[0], good, "pushes", decrypted[2],
                         good == sum(ROUNDS) and not wrong and titles == {_title(i) for i in range(len(ROUNDS))})
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)


def _setup(bench: Bench) -> None:
    import django

    bench.clocher("migrate", "--noinput", "-v", "0")
    os.environ.update(bench.env)
    django.setup()


def _start_receiver() -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "clocher.notifications.tests.push_receiver"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise RuntimeError("the local push receiver did not start")
    return process, json.loads(line)


def _stats(url: str) -> Any:
    import ssl

    context = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
    with urllib.request.urlopen(f"{url}/stats", context=context, timeout=900) as response:  # noqa: S310 (our receiver)
        return json.loads(response.read())


def _commune() -> Any:
    from clocher.territories.models import Territory, TerritoryKind

    commune, _created = Territory.objects.get_or_create(
        kind=TerritoryKind.COMMUNE, code="99999", defaults={"name": "Banc-d'Essai-sur-Push"},
    )
    return commune


def _subscriptions(commune: Any, info: dict[str, str], *, start: int, count: int) -> None:
    from clocher.notifications.models import PushSubscription

    for first in range(start, start + count, BULK):
        PushSubscription.objects.bulk_create([
            PushSubscription(commune=commune, endpoint=f"{info['url']}/shared/{number}",
                             p256dh=info["p256dh"], auth=info["auth"])
            for number in range(first, min(first + BULK, start + count))
        ])


def _title(index: int) -> str:
    return f"Alerte d'essai n° {index + 1}"


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def _fan_out(commune: Any, index: int) -> tuple[float, float, dict[str, Any]]:
    """Announces one alert and runs its fan-out task in this process; returns the seconds, the
    peak resident memory meanwhile (MB) and the task's counts."""
    from clocher.notifications import tasks
    from clocher.notifications.models import Notification, Topic

    notification = Notification.objects.create(
        key=f"bench.alert:{index}:{time.time_ns()}", topic=Topic.ALERTS, territory=commune,
        title=_title(index), body="Vigilance orange orages : évitez les déplacements jusqu'à 22 h.",
        url="/alertes/1/", urgent=True,
    )
    peak = _rss_mb()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.1):
            peak = max(peak, _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    result = tasks.fan_out_task.call(notification.pk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return seconds, max(peak, _rss_mb()), result
