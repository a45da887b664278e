"""A report written without network waits on the phone and leaves, once, when the network is back."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from clocher.reports.models import Report, ReportMedia
from clocher.reports.tests.geo import inside

from .conftest import check, visit

pytestmark = pytest.mark.usefixtures("no_tiles")


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 90, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _count(page):
    return page.evaluate("ClocherOutbox.all().then(function (items) { return items.length; })")


def test_a_report_sent_without_network_waits_then_arrives_once(page, context, auch, lighting):
    lat, lon = inside(auch.code)
    visit(page, f"/signalements/nouveau/?lat={lat:.6f}&lon={lon:.6f}&category={lighting.pk}")
    expect(page.get_by_text("Étape 2 sur 2")).to_be_visible()
    page.get_by_label("Description").fill("Lampadaire éteint près du lavoir")
    page.get_by_label(re.compile("^Photos")).set_input_files(
        [{"name": "lavoir.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )

    context.set_offline(True)
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("status").filter(has_text="Pas de réseau")).to_be_visible()
    expect(page.locator("[data-outbox]")).to_contain_text("En attente du réseau")
    expect(page.locator("[data-outbox]")).to_contain_text("Lampadaire éteint près du lavoir")
    check(page)
    assert _count(page) == 1
    assert not Report.objects.exists()
    # A copy of what waits, to play an answer lost on the way back: the same key sent again.
    page.evaluate("ClocherOutbox.all().then(function (items) { window.keptCopy = items[0]; })")

    context.set_offline(False)
    # The page sends it as soon as the network is back ("online"), the service worker may too.
    sent = page.locator("[data-outbox]").get_by_role("link", name="Voir le signalement")
    expect(sent).to_be_visible()
    check(page)
    report = Report.objects.get()
    assert report.description == "Lampadaire éteint près du lavoir"
    assert report.commune_id == auch.pk
    assert ReportMedia.objects.filter(report=report).count() == 1
    expect(sent).to_have_attribute("href", re.compile(rf"/signalements/{report.pk}/"))

    # The same report sent again (the answer was lost): still one report, and the copy says "sent".
    state = page.evaluate(
        "ClocherOutbox.send(window.keptCopy).then(function (item) { return item.state; })"
    )
    assert state == "sent"
    assert Report.objects.count() == 1
    page.evaluate("ClocherOutbox.remove(window.keptCopy.key)")

    # Said once: the next page no longer lists it, and nothing is left on the phone.
    with page.expect_navigation():
        sent.click()
    check(page)
    expect(page.locator("[data-outbox]")).to_be_hidden()
    assert _count(page) == 0


def test_a_report_refused_when_it_finally_leaves_says_why(page, context, auch, lighting):
    lat, lon = inside(auch.code)
    visit(page, f"/signalements/nouveau/?lat={lat:.6f}&lon={lon:.6f}&category={lighting.pk}")
    page.get_by_label("Description").fill("Banc cassé")
    context.set_offline(True)
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("status").filter(has_text="Pas de réseau")).to_be_visible()
    check(page)
    # Meanwhile the collectivity closed the category: the server refuses it with a form error.
    lighting.is_active = False
    lighting.save()

    context.set_offline(False)
    outbox = page.locator("[data-outbox]")
    expect(outbox).to_contain_text("a été refusé")
    expect(outbox.locator(".errorlist")).not_to_be_empty()
    check(page)
    assert not Report.objects.exists()
    outbox.get_by_role("button", name="Retirer de cet appareil").click()
    expect(outbox).to_be_hidden()
    assert _count(page) == 0


def test_a_form_error_online_shows_the_servers_page_in_place(page, auch, lighting):
    lat, lon = inside(auch.code)
    visit(page, f"/signalements/nouveau/?lat={lat:.6f}&lon={lon:.6f}&category={lighting.pk}")
    page.get_by_label(re.compile("^Votre e-mail")).fill("habitant@example.org")
    page.get_by_role("button", name="Envoyer le signalement").click()
    # Contact details without consent: the form comes back with its error, nothing is kept.
    expect(page.locator("main .errorlist").first).to_be_visible()
    check(page)
    assert not Report.objects.exists()
    assert _count(page) == 0


def test_a_kept_report_too_heavy_for_the_server_is_refused_with_the_reason(page, context, auch, lighting, settings):
    lat, lon = inside(auch.code)
    visit(page, f"/signalements/nouveau/?lat={lat:.6f}&lon={lon:.6f}&category={lighting.pk}")
    page.get_by_label("Description").fill("Nid-de-poule")
    page.get_by_label(re.compile("^Photos")).set_input_files(
        [{"name": "trou.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    context.set_offline(True)
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("status").filter(has_text="Pas de réseau")).to_be_visible()
    check(page)
    settings.MAX_REQUEST_BYTES = 2048  # a proxy with a smaller limit than the phone expected

    context.set_offline(False)
    outbox = page.locator("[data-outbox]")
    expect(outbox).to_contain_text("a été refusé")
    expect(outbox.locator(".errorlist")).to_contain_text("dépassent")
    check(page)
    assert not Report.objects.exists()
