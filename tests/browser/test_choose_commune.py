"""A new visitor finds their commune by its postcode and makes it their home, in a phone's browser."""

import re

from playwright.sync_api import expect

from .conftest import check, visit


def test_a_new_visitor_chooses_marciac_by_its_postcode(page):
    visit(page, "/")
    page.get_by_role("link", name=re.compile("commune", re.IGNORECASE)).first.click()
    page.wait_for_url("**/ma-commune/")
    check(page)

    field = page.get_by_label("Commune ou code postal")
    assert field.get_attribute("name") == "q"
    field.fill("32230")
    field.press("Enter")
    result = (
        page.locator("li, article, tr, form")
        .filter(has_text="Marciac")
        .filter(has=page.get_by_role("button", name=re.compile("Choisir")))
        .last
    )
    expect(result).to_be_visible()
    check(page)

    result.get_by_role("button", name=re.compile("Choisir")).click()
    page.wait_for_url("**/communes/32233/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marciac")
    check(page)

    visit(page, "/")
    expect(page.locator("main")).to_contain_text("Marciac")
