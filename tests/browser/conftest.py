"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Every page a test loads is screenshotted and checked with axe-core (WCAG 2.0 A and AA, WCAG 2.1 AA),
and the page must have obeyed the Content-Security-Policy: the policy stays on, and axe-core is
evaluated through the DevTools protocol, which the page's policy does not govern. A page a test let
load without a check is checked at the end of the test, and a page that loaded and was left before
any check fails the test, so no page escapes axe-core.

Use `visit(page, "/path/")` to go somewhere, and `check(page)` after an interaction that changed the
page (a submitted form, a click on a link, content loaded by htmx).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from clocher.territories.models import Portal, PortalHost

from .chromium import CHROMIUM, PHONE, launch_chromium

AXE_SOURCE_PATH = Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-screenshots"

_AXE_RUN = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
    return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(" ")),
    }));
}"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@dataclass
class _Watch:
    """What one test's page did: loads not yet checked, CSP refusals, crashes and server errors."""

    test_name: str
    shots: int = 0
    unchecked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    csp_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def on_load(self, url: str) -> None:
        # A second load before any check means a page came and went unchecked.
        self.skipped.extend(self.unchecked)
        self.unchecked = [url]


_WATCHES: dict[int, _Watch] = {}


def _watch(page: Any) -> _Watch:
    try:
        return _WATCHES[id(page)]
    except KeyError:
        raise AssertionError("Use the `page` fixture of tests/browser/conftest.py.") from None


@pytest.fixture
def browser_portal(gers_portal: Portal) -> Portal:
    """The Gers portal of conftest.py, answering on the live server's host names."""
    for hostname in ("localhost", "127.0.0.1"):
        PortalHost.objects.create(portal=gers_portal, hostname=hostname)
    return gers_portal


@pytest.fixture
def no_tiles(settings: Any, tmp_path: Path) -> None:
    """Uploads in a temporary folder, and map tiles that answer 404, as when the tile server cannot
    be reached: the pages must stay usable."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MAP_TILE_URL = "/tuiles-absentes/{z}/{x}/{y}.png"


@pytest.fixture
def lighting(auch: Any, marciac: Any) -> Any:
    """Auch and Marciac with their real boundaries, and Auch's "Éclairage public" report category."""
    from clocher.reports.models import Competence, ReportCategory
    from clocher.reports.tests.geo import with_boundaries

    with_boundaries(auch, marciac)
    return ReportCategory.objects.create(
        territory=auch, code="eclairage-public", name="Éclairage public", competence=Competence.COMMUNE
    )


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Debian's Chromium, never a downloaded one; one per test so no event loop outlives it."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make chromium` installs Debian's Chromium."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread while the test queries
    # the database; Django would take that for async code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()
        # While Playwright runs, the test's code runs in a copy of the context variables, where
        # Django keeps its connections: close the ones opened there, or PostgreSQL would refuse
        # to drop the test database at the end ("being accessed by other users").
        connections.close_all()


@pytest.fixture
def context(browser: Any, live_server: Any, browser_portal: Portal) -> Iterator[Any]:
    """A French phone visiting the Gers portal on the live server; the CSP stays enforced."""
    opened = browser.new_context(
        base_url=live_server.url, service_workers="allow", **PHONE
    )
    opened.set_default_timeout(15_000)
    yield opened
    opened.close()


@pytest.fixture
def page(context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page whose every load is screenshotted and checked by axe-core, and that must obey the CSP."""
    opened = context.new_page()
    watch = _Watch(test_name=re.sub(r"[^\w.-]+", "-", request.node.name).strip("-"))
    _WATCHES[id(opened)] = watch
    for old in SCREENSHOTS.glob(f"{watch.test_name}-*.png"):
        old.unlink()

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            watch.csp_errors.append(message.text)

    def on_response(response: Any) -> None:
        if response.status >= 500:
            watch.server_errors.append(f"{response.status} {response.url}")

    def on_frame_navigated(frame: Any) -> None:
        if frame == opened.main_frame:
            watch.on_load(frame.url)

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    opened.on("response", on_response)
    opened.on("framenavigated", on_frame_navigated)
    yield opened
    try:
        failed = request.node.stash.get(_FAILED, False)
        if not failed and watch.unchecked and not opened.is_closed():
            check(opened)
        if not failed and watch.skipped:
            pytest.fail(
                "Pages loaded and left without an axe-core check (call check(page) after the "
                "interaction that loaded them):\n" + "\n".join(watch.skipped)
            )
    finally:
        del _WATCHES[id(opened)]
        opened.close()


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        # The test already failed: its teardown should not bury the reason under a second one.
        item.stash[_FAILED] = True
    return report


def visit(page: Any, path: str) -> Any:
    """Go to `path` on the live server, wait for the page to load, then check it."""
    response = page.goto(path, wait_until="load")
    check(page)
    return response


def check(page: Any) -> None:
    """Screenshot the current page and fail on axe-core violations, CSP refusals or crashes."""
    watch = _watch(page)
    page.wait_for_load_state("load")
    watch.shots += 1
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{watch.test_name}-{watch.shots}.png"), full_page=True)
    url = page.url
    problems: list[str] = []
    if watch.csp_errors:
        problems.append("Content-Security-Policy refusals:\n  " + "\n  ".join(watch.csp_errors))
    if watch.page_errors:
        problems.append("JavaScript errors:\n  " + "\n  ".join(watch.page_errors))
    if watch.server_errors:
        problems.append("Server errors:\n  " + "\n  ".join(watch.server_errors))
    # Through the DevTools protocol, not a <script> element, so the page's CSP stays as it is.
    page.evaluate(AXE_SOURCE_PATH.read_text(encoding="utf-8"))
    violations = page.evaluate(_AXE_RUN, AXE_TAGS)
    if violations:
        problems.append(
            "axe-core violations:\n"
            + "\n".join(
                f"  {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["targets"])
                for v in violations
            )
        )
    watch.unchecked = []
    watch.csp_errors.clear()
    watch.page_errors.clear()
    watch.server_errors.clear()
    if problems:
        pytest.fail(f"{url} (screenshot {watch.test_name}-{watch.shots}.png)\n" + "\n".join(problems))


def sign_in(page: Any, email: str, password: str) -> None:
    """Sign in through the real /comptes/login/ form, as a person would, checking the form page.

    Leaves the page on wherever allauth sends the person next (the account page, or the page that
    asks for the second factor), unchecked: the caller checks it.
    """
    visit(page, "/comptes/login/")
    page.get_by_label(re.compile(r"^(Courriel|(Adresse )?e-mail)", re.IGNORECASE)).fill(email)
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill(password)
    with page.expect_navigation():
        page.locator("main form").get_by_role(
            "button", name=re.compile("connexion|connecter", re.IGNORECASE)
        ).click()
