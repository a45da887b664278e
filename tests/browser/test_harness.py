"""The browser harness itself: it must pass a page that is right and fail one that is not."""

import pytest
from playwright.sync_api import expect

from .conftest import _watch, check, visit


def test_the_home_page_is_accessible_and_obeys_the_csp(page):
    response = visit(page, "/")
    assert response.status == 200
    assert page.evaluate("document.documentElement.lang") == "fr"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gers")


def test_it_fails_a_page_with_an_axe_violation(page):
    visit(page, "/")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<img src="/static/nowhere.png"><input type="text">')"""
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        check(page)
    assert "image-alt" in str(failure.value)
    assert "label" in str(failure.value)


def test_it_fails_a_page_that_breaks_the_content_security_policy(page):
    visit(page, "/")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<p style="color: red">Rouge</p>')"""
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        check(page)
    assert "Content-Security-Policy" in str(failure.value)


def test_it_notices_a_page_that_was_left_without_a_check(page):
    visit(page, "/")
    page.goto("/healthz")
    page.goto("/")
    watch = _watch(page)
    assert [url.rsplit("/", 1)[-1] for url in watch.skipped] == ["healthz"]
    # The teardown would fail this test for it: it has been seen, leave nothing more.
    watch.skipped.clear()
