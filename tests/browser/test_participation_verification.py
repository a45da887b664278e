"""Verifying residence in a phone's browser: Auch's editor prints a batch of codes, a resident of
Auch types one of them and is verified. Every page goes through axe-core."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from clocher.participation import codes
from clocher.participation.models import Level, ResidenceCodeBatch, Verification
from conftest import PASSWORD

from .conftest import check, sign_in, visit


@pytest.fixture
def printed(monkeypatch):
    """The codes the staff page draws, as the PDF shows them: the test reads them here because the
    database keeps only their digests."""
    drawn = []
    original = codes.new_code

    def recording():
        code = original()
        drawn.append(code)
        return code

    monkeypatch.setattr(codes, "new_code", recording)
    return drawn


def test_staff_print_codes_and_a_resident_verifies_with_one(page, context, bob, resident, auch, printed, tmp_path):
    sign_in(page, bob.email, PASSWORD)
    check(page)
    visit(page, f"/gestion/{auch.pk}/participation/codes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Codes de vérification du domicile")
    page.get_by_label(re.compile("^Nombre de codes")).fill("3")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Créer les codes et télécharger le PDF").click()
    download = download_info.value
    assert re.fullmatch(r"codes-32013-lot-\d+\.pdf", download.suggested_filename)
    saved = tmp_path / "codes.pdf"
    download.save_as(saved)
    assert Path(saved).read_bytes().startswith(b"%PDF-")
    batch = ResidenceCodeBatch.objects.get()
    assert batch.size == 3 and len(printed) == 3
    # The page lists the new batch once reloaded.
    visit(page, f"/gestion/{auch.pk}/participation/codes/")
    expect(page.get_by_text("0 codes utilisés sur 3")).to_be_visible()

    context.clear_cookies()
    sign_in(page, resident.email, PASSWORD)
    check(page)
    visit(page, "/participation/verifier/")
    expect(page.get_by_text("Votre commune est Auch.")).to_be_visible()
    field = page.get_by_label("Code reçu de votre mairie")
    # A mistyped code first: an error tied to the field, and a try counted.
    field.fill("ZZZZZ-ZZZZZ")
    with page.expect_navigation():
        page.get_by_role("button", name="Vérifier mon domicile").click()
    check(page)
    expect(page.get_by_text("Ce code n'est pas valable")).to_be_visible()
    expect(page.get_by_label("Code reçu de votre mairie")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Il vous reste 4 essais cette heure-ci.")).to_be_visible()

    code = printed[0]
    page.get_by_label("Code reçu de votre mairie").fill(f"{code[:5].lower()} {code[5:].lower()}")
    with page.expect_navigation():
        page.get_by_role("button", name="Vérifier mon domicile").click()
    check(page)
    expect(page.get_by_text("Merci : votre domicile à Auch est vérifié.")).to_be_visible()
    expect(page.get_by_text("Votre domicile à Auch est vérifié par un code.")).to_be_visible()
    expect(page.get_by_label("Code reçu de votre mairie")).to_have_count(0)
    assert Verification.objects.get(user=resident).level == Level.RESIDENCE_CODE
