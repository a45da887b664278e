"""A resident of Auch reports a broken street light from their phone with a photo carrying GPS EXIF:
the stored photo has no metadata left, and the report's public page shows it without their details."""

import io
import re

import pytest
from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from clocher.notifications.models import Notification, Topic
from clocher.notifications.tasks import fan_out_task
from clocher.reports.models import (
    EventKind,
    Report,
    ReportMedia,
    ReportStatus,
)
from clocher.reports.tests.geo import inside
from clocher.territories.models import Collectivity, Role
from conftest import PASSWORD, grant, make_user

from .conftest import check, sign_in, visit

pytestmark = pytest.mark.usefixtures("no_tiles")

GPS_IFD = 0x8825


def _jpeg_with_gps():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (43.0, 38.0, 47.0), 3: "E", 4: (0.0, 35.0, 8.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (240, 200, 0)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _tap(page, locator):
    with page.expect_navigation():
        locator.click()
    check(page)


def test_a_report_from_auch_goes_from_the_residents_photo_to_the_agents_after_photo(
    page, gers_portal, auch, lighting, resident, tmp_path
):
    """The issue's "done when": the whole path, every page through axe-core."""
    if not Collectivity.objects.filter(territory=auch).exists():
        Collectivity.objects.create(territory=auch, portal=gers_portal)
    agent = make_user("agathe@example.org", display_name="Agathe")
    grant(agent, auch, Role.AGENT)
    lat, lon = inside(auch.code)
    sign_in(page, resident.email, PASSWORD)
    check(page)

    visit(page, f"/communes/{auch.code}/signalements/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Signalements à Auch")
    page.get_by_role("link", name="Signaler un problème").click()
    page.wait_for_url(re.compile(r"/signalements/nouveau/$"))
    check(page)

    page.get_by_label("Latitude").fill(f"{lat:.6f}")
    page.get_by_label("Longitude").fill(f"{lon:.6f}")
    page.get_by_label(re.compile("^Adresse")).fill("Rue de la République")
    with page.expect_navigation():
        page.get_by_role("button", name="Continuer").click()
    check(page)
    expect(page.get_by_text("Étape 2 sur 2")).to_be_visible()

    page.get_by_label("Catégorie à vérifier").select_option(label="Éclairage public")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Voir les signalements proches")).click()
    check(page)
    expect(page.get_by_role("status").filter(has_text="Aucun signalement ouvert")).to_be_visible()

    form = page.locator("form[enctype='multipart/form-data']")
    expect(form.get_by_label("Catégorie")).to_have_value(str(lighting.pk))
    page.get_by_label("Description").fill("Le lampadaire devant la boulangerie ne s'allume plus.")
    page.get_by_label(re.compile("^Photos")).set_input_files(
        [{"name": "lampadaire.jpg", "mimeType": "image/jpeg", "buffer": _jpeg_with_gps()}]
    )
    page.get_by_label(re.compile("^Votre nom")).fill("Rosalie Discrète")
    page.get_by_label(re.compile("^J'accepte")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer le signalement").click()
    check(page)

    report = Report.objects.get()
    assert report.reporter == resident
    page.wait_for_url(re.compile(rf"/signalements/{report.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Éclairage public")
    expect(page.locator("main")).to_contain_text("Auch")
    expect(page.locator("main")).to_contain_text("Le lampadaire devant la boulangerie")
    expect(page.locator("main")).not_to_contain_text("Rosalie")
    expect(page.get_by_role("link", name="Voir le lieu sur OpenStreetMap")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Rue de la République")

    stored = ReportMedia.objects.get(report=report)
    with stored.file.open("rb") as handle:
        image = Image.open(handle)
        image.load()
        assert not image.getexif()
        assert "exif" not in image.info

    # The report reaches Auch's agents: one acknowledges it, then resolves it with an "after" photo.
    _tap(page, page.locator(".site-header").get_by_role("button", name="Se déconnecter"))
    sign_in(page, agent.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/signalements/")
    _tap(page, page.get_by_role("link", name=re.compile(f"N° {report.pk}")))
    expect(page.locator("dd").filter(has_text=resident.email)).to_be_visible()  # agents see who reported
    page.get_by_label("Nouvel état").select_option("acknowledged")
    _tap(page, page.get_by_role("button", name="Enregistrer l'état"))
    after = tmp_path / "apres.png"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 120, 30)).save(buffer, "PNG")
    after.write_bytes(buffer.getvalue())
    page.get_by_label("Information publique").fill("Lampe remplacée ce matin.")
    page.get_by_label(re.compile("Photo « après »")).set_input_files(str(after))
    _tap(page, page.get_by_role("button", name="Publier"))
    page.get_by_label("Nouvel état").select_option("resolved")
    _tap(page, page.get_by_role("button", name="Enregistrer l'état"))
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED

    # The resident is told of each step through their notifications (acknowledged, the public
    # update, resolved), not by a direct e-mail besides (docs/notifications-triggers.md)...
    told = Notification.objects.filter(recipient=resident, topic=Topic.MY_REPORTS)
    assert told.count() == 3
    assert told.filter(body="Lampe remplacée ce matin.").exists()
    assert not [m for m in mail.outbox if m.to == [resident.email]]
    # ... and once the worker has run the fan-out, the resident's three e-mails arrive (immediate
    # e-mail is the default for their own reports).
    for notification in told:
        fan_out_task.call(notification.pk)
    to_resident = [m for m in mail.outbox if m.to == [resident.email]]
    assert len(to_resident) == 3
    assert any("Lampe remplacée ce matin." in m.body for m in to_resident)

    # The public page shows the timeline and the "after" photo, never the reporter's name.
    _tap(page, page.locator(".site-header").get_by_role("button", name="Se déconnecter"))
    visit(page, f"/signalements/{report.pk}/")
    main = page.locator("main")
    expect(main).to_contain_text("Pris en compte")
    expect(main).to_contain_text("Lampe remplacée ce matin.")
    expect(main).to_contain_text("Résolu")
    expect(main).not_to_contain_text("Rosalie")
    assert ReportMedia.objects.filter(report=report, event__kind=EventKind.PUBLIC_UPDATE).count() == 1
    expect(main.locator("img").last).to_be_visible()
