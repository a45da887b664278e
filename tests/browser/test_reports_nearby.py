"""Choosing a category in the report form shows the open reports of that category within 50 m."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from clocher.reports.models import Competence, ReportCategory
from clocher.reports.services import submit_report
from clocher.reports.tests.geo import inside, with_boundaries

from .conftest import check, visit

pytestmark = pytest.mark.usefixtures("no_tiles")


def test_choosing_a_category_shows_the_reports_already_open_nearby(page, gers_portal, auch, marciac):
    with_boundaries(auch, marciac)
    lighting = ReportCategory.objects.create(
        territory=auch, code="eclairage-public", name="Éclairage public", competence=Competence.COMMUNE
    )
    benches = ReportCategory.objects.create(
        territory=auch, code="mobilier", name="Mobilier urbain", competence=Competence.COMMUNE
    )
    lat, lon = inside(auch.code)
    submit_report(portal=gers_portal, category=lighting, lat=lat + 20 / 111_195, lon=lon,
                  description="Réverbère qui clignote")

    visit(page, f"/signalements/nouveau/?lat={lat:.6f}&lon={lon:.6f}")
    form = page.locator("form[data-report-form]")
    status = form.locator("[data-nearby-status]")

    form.get_by_label("Catégorie").select_option(label="Éclairage public")
    expect(status).to_contain_text("Déjà signalé tout près")
    expect(page.locator("[data-nearby]")).to_contain_text("Réverbère qui clignote")
    expect(page.get_by_role("button", name="Je signale la même chose")).to_be_visible()
    check(page)

    form.get_by_label("Catégorie").select_option(label="Mobilier urbain")
    expect(status).to_have_text("Aucun signalement ouvert de cette catégorie à moins de 50 mètres.")
    expect(page.locator("[data-nearby]")).not_to_contain_text("Réverbère")
    assert page.locator("#id_pick").input_value() == str(benches.pk)
    check(page)
