"""Callbacks and insights in a real browser (Playwright and Debian's headless Chromium): the
merchant sees a shopper's callback request with its transcript and marks it handled; the
insights page shows its charts and applies a suggested synonym with one click."""

import pytest

from skill.catalog import get_item
from tests.test_console_browser import browser, page, shot, sign_in, site  # noqa: F401

pytestmark = pytest.mark.usefixtures("site")


@pytest.fixture
def shopper(dialog):
    """A shopper who could not find "dish liquid" and asked for a person."""
    dialog.launch()
    dialog.intent("AddToCartIntent", Item="dish liquid")
    dialog.intent("HandoffIntent")
    dialog.intent("AMAZON.YesIntent")
    assert "will call you back" in dialog.speech
    return dialog


def test_the_merchant_handles_a_callback_and_applies_an_insight(page, shopper, runtime):  # noqa: F811
    sign_in(page)
    page.click("nav >> text=Callbacks")
    request = page.locator(".support-request").first
    assert "asked for a person" in request.inner_text()
    assert "Item: dish liquid" in request.locator("table.transcript").inner_text()
    shot(page, "support-open")
    request.locator("input[name=note]").fill("Called back: dish soap is what they wanted")
    request.locator("button", has_text="Mark handled").click()
    assert "is handled" in page.locator(".flash").inner_text()
    assert page.locator(".support-request").count() == 0
    page.select_option("select[name=status]", "handled")
    page.click("button:has-text('Filter')")
    assert "dish soap is what they wanted" in page.locator(".support-request").inner_text()

    page.click("nav >> text=Insights")
    assert page.locator("figure.chart svg").count() == 2
    assert page.locator("figure.chart svg").first.is_visible()
    shot(page, "insights")
    page.click("button:has-text(\"Add 'dish liquid' as a synonym of dish soap\")")
    assert "rebuild the interaction model" in page.locator(".flash").inner_text()
    with runtime.transaction() as s:
        assert "dish liquid" in get_item(s, "DS-LEMON").synonyms
    page.click("#rebuild")
    assert "Rebuilt the interaction model" in page.locator(".flash").inner_text()
