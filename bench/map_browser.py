"""The full map in a real browser: about 5,000 places clustered on a phone-sized Chromium.

The marker data's build time and size are measured in-process (bench/directory.py); this is what a
resident feels: the page served by gunicorn, Leaflet and the cluster plugin from npm, our map.js,
in Debian's Chromium at a phone's viewport, without a GPU. The markers endpoint is answered with
the ~5,000 places of the in-process measurement, so the figure does not depend on the map's first
view. Map tiles are refused (no network in the bench): the map must stay usable without them.

- "shown after": from the start of navigation until the status line says how many places are on
  the map, i.e. every marker clustered (target < 2,000 ms);
- "longest task while loading": the longest main-thread task before that (target < 300 ms: the
  cluster plugin adds markers in chunks so the page keeps answering);
- "pan, p95 frame": the 95th percentile time between frames while a finger drags the map around
  and zooms out and in (target < 50 ms, i.e. at least 20 frames per second).
"""

from __future__ import annotations

import os
import re
import statistics
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.__main__ import Bench

# Installed before any page script: records long tasks and, on demand, frame times.
INIT_SCRIPT = """
window.__longTasks = [];
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (entry) { window.__longTasks.push([entry.startTime, entry.duration]); });
  }).observe({ type: "longtask", buffered: true });
} catch (error) {}
window.__frames = null;
window.__recordFrames = function () {
  window.__frames = [];
  var tick = function (now) {
    if (window.__frames === null) { return; }
    window.__frames.push(now);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};
window.__stopFrames = function () { var frames = window.__frames || []; window.__frames = null; return frames; };
"""


def measure(bench: Bench, markers_body: bytes, expected: int) -> dict[str, float]:
    """Loads the map with these markers and drags it; returns the three figures in ms."""
    from playwright.sync_api import sync_playwright

    from tests.browser.chromium import PHONE, launch_chromium

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with bench.gunicorn() as base, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            # The page's own CSP stays strict for its scripts; the bench's probe needs to run too.
            context = browser.new_context(bypass_csp=True, **PHONE)
            context.add_init_script(INIT_SCRIPT)
            # Auch chosen: the map opens on the town at street level, where markers are densest.
            context.add_cookies([{"name": "commune", "value": "32013", "url": base}])
            page = context.new_page()
            page.route(
                re.compile(r".*/api/v1/places/markers.*"),
                lambda route: route.fulfill(status=200, content_type="application/json", body=markers_body),
            )
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
            page.goto(base + "/lieux/carte/", wait_until="domcontentloaded")
            page.wait_for_function(
                "() => { var s = document.querySelector('[data-map-status]');"
                " return s && /\\d/.test(s.textContent) && /carte/.test(s.textContent); }",
                timeout=120_000,
            )
            shown = float(page.evaluate("performance.now()"))
            status = str(page.text_content("[data-map-status]") or "")
            count = int(re.sub(r"\D", "", status) or 0)
            if count != expected:
                raise RuntimeError(f"the map shows {count} places, {expected} expected ({status!r})")
            tasks = page.evaluate("window.__longTasks")
            longest = max((duration for start, duration in tasks if start <= shown), default=0.0)

            box = page.locator("[data-full-map]").bounding_box()
            if box is None:
                raise RuntimeError("the map is not displayed")
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.evaluate("window.__recordFrames()")
            for dx, dy in ((-150, -200), (150, 200), (120, -160)):
                page.mouse.move(x, y)
                page.mouse.down()
                page.mouse.move(x + dx, y + dy, steps=30)
                page.mouse.up()
                page.wait_for_timeout(300)
            for button in (".leaflet-control-zoom-out", ".leaflet-control-zoom-in"):
                page.click(button)
                page.wait_for_timeout(600)
            frames: list[float] = page.evaluate("window.__stopFrames()")
        finally:
            browser.close()
    gaps = sorted(b - a for a, b in zip(frames, frames[1:], strict=False))
    if len(gaps) < 20:
        raise RuntimeError(f"only {len(gaps)} frames recorded while panning")
    p95 = gaps[int(len(gaps) * 0.95) - 1]
    return {"shown": shown, "longest": float(longest), "pan_p95": p95, "pan_median": statistics.median(gaps)}


def run(bench: Bench, markers_body: bytes, expected: int) -> None:
    """Records the figures; called by bench/directory.py once the places exist."""
    shown = (f"map, {expected:,} markers in Chromium, shown after", "ms", "< 2000")
    longest = ("map, longest task while loading", "ms", "< 300")
    pan = ("map, pan and zoom, p95 frame", "ms", "< 50")
    with bench.measuring(shown, longest, pan):
        figures: dict[str, Any] = measure(bench, markers_body, expected)
        bench.record(shown[0], figures["shown"], "ms", shown[2], figures["shown"] < 2000)
        bench.record(longest[0], figures["longest"], "ms", longest[2], figures["longest"] < 300)
        bench.record(pan[0], figures["pan_p95"], "ms", pan[2], figures["pan_p95"] < 50)
        print(f"  map: median frame while panning {figures['pan_median']:.1f} ms")
