"""The Progressive Web App: an installable manifest, a service worker, and a page when offline."""

import re

from playwright.sync_api import expect

from .conftest import visit

WAIT_FOR_ACTIVE_WORKER = """async () => {
    const registration = await navigator.serviceWorker.ready;
    const worker = registration.active;
    if (worker.state !== "activated") {
        await new Promise((resolve) => worker.addEventListener("statechange", () => {
            if (worker.state === "activated") resolve();
        }));
    }
    return {state: worker.state, url: worker.scriptURL, scope: registration.scope};
}"""


def test_the_home_page_links_a_manifest_that_parses(page):
    visit(page, "/")
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    assert href
    response = page.request.get(href)
    assert response.ok
    manifest = response.json()
    assert manifest["name"] == "Le Gers dans ma poche"
    assert manifest["start_url"]
    assert manifest["display"] in {"standalone", "minimal-ui", "fullscreen"}
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}


def test_the_service_worker_shows_the_offline_page_for_a_page_never_seen(page, context):
    visit(page, "/")
    worker = page.evaluate(WAIT_FOR_ACTIVE_WORKER)
    assert worker["state"] == "activated"
    assert worker["url"].endswith("/sw.js")
    offline_page = page.request.get("/hors-ligne/")
    assert offline_page.ok
    # The worker takes over pages loaded after it activated.
    visit(page, "/")

    context.set_offline(True)
    visit(page, "/communes/32233/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _first_heading(offline_page.text())
    )
    expect(page.locator("main")).not_to_contain_text("Marciac")


def _first_heading(html: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.DOTALL)
    assert found, "the offline page has no <h1>"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()
