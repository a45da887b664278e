"""An agent handles a report from a phone: acknowledges it, then publishes an "after" photo and
resolves it; the reporter is told by e-mail. Every page goes through axe-core."""

import io
import re

from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from clocher.reports.models import EventKind, Report, ReportCategory, ReportStatus
from clocher.territories.models import Collectivity, Role
from conftest import PASSWORD, grant, make_user

from .conftest import check, sign_in, visit


def _tap(page, locator):
    with page.expect_navigation():
        locator.click()
    check(page)


def test_an_agent_acknowledges_then_resolves_a_report_with_an_after_photo(page, gers_portal, auch, tmp_path):
    if not Collectivity.objects.filter(territory=auch).exists():
        Collectivity.objects.create(territory=auch, portal=gers_portal)
    agent = make_user("agathe@example.org", display_name="Agathe")
    grant(agent, auch, Role.AGENT)
    category = ReportCategory.objects.create(territory=auch, code="eclairage", name="Éclairage public")
    report = Report.objects.create(territory=auch, commune=auch, category=category, lat=43.6465, lon=0.5855,
                                   description="Lampadaire éteint rue Dessoles", reporter_name="Jean",
                                   reporter_email="jean@example.org")
    report.events.create(kind=EventKind.CREATED, status=ReportStatus.NEW)
    photo = tmp_path / "apres.png"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 120, 30)).save(buffer, "PNG")
    photo.write_bytes(buffer.getvalue())

    sign_in(page, agent.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/signalements/")
    _tap(page, page.get_by_role("link", name=re.compile(f"N° {report.pk}")))
    expect(page.get_by_text("jean@example.org")).to_be_visible()
    page.get_by_label("Nouvel état").select_option("acknowledged")
    _tap(page, page.get_by_role("button", name="Enregistrer l'état"))
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED
    page.get_by_label("Information publique").fill("Lampe remplacée ce matin.")
    page.get_by_label(re.compile("Photo « après »")).set_input_files(str(photo))
    _tap(page, page.get_by_role("button", name="Publier"))
    page.get_by_label("Nouvel état").select_option("resolved")
    _tap(page, page.get_by_role("button", name="Enregistrer l'état"))
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED
    assert report.media.filter(event__kind=EventKind.PUBLIC_UPDATE).count() == 1
    visit(page, f"/gestion/{auch.pk}/signalements/carte/")
    visit(page, f"/gestion/{auch.pk}/signalements/chiffres/")
    assert ["jean@example.org"] in [message.to for message in mail.outbox]
    assert len([m for m in mail.outbox if m.to == ["jean@example.org"]]) == 3
