"""The merchant console in a real browser: Playwright driving Debian's headless Chromium
against the app served on a loopback port. Screenshots go to test-artifacts/screenshots/."""

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from skill.accounts import get_or_create_account
from skill.admins import create_admin
from skill.catalog import get_item, list_items
from skill.catalog_io import export_catalog
from skill.interaction_model import model_path
from skill.orders import OrderStatus, get_order, place_order, quote
from skill.web import AppConfig, create_app

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: bash scripts/setup.sh installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def site(runtime, tmp_path, monkeypatch):
    """The app on a free loopback port; an admin ``merchant`` exists."""
    shutil.copy(model_path("en-US"), tmp_path / "en-US.json")
    monkeypatch.setenv("VOICECART_MODEL_DIR", str(tmp_path))
    with runtime.transaction() as s:
        create_admin(s, "merchant", PASSWORD)
    server = make_server("127.0.0.1", 0, create_app(runtime, AppConfig(
        verify=False, secret_key="browser-tests")), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page(browser, site, request):
    context = browser.new_context(base_url=site)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{request.node.name}-final.png"), full_page=True)
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page) -> None:
    page.goto("/admin/")
    page.fill("input[name=username]", "merchant")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/catalog")


def test_sign_in_is_required_and_checks_the_password(page):
    page.goto("/admin/orders")
    assert "/admin/login" in page.url
    page.fill("input[name=username]", "merchant")
    page.fill("input[name=password]", "wrong password!")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("Wrong username or password.")
    shot(page, "sign-in-refused")
    page.fill("input[name=username]", "merchant")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/orders")  # back where the admin was going
    assert page.locator("h1").inner_text() == "Orders"
    page.click("text=Sign out")
    page.goto("/admin/catalog")
    assert "/admin/login" in page.url


def test_add_an_item_and_see_a_validation_error(page, runtime):
    sign_in(page)
    page.click("text=Add item")
    page.fill("#sku", "TEA-20")
    page.fill("#name", "green tea")
    page.fill("#price", "four fifty")
    page.fill("#category", "grocery")
    page.fill("#max_quantity", "0")
    page.click("button:has-text('Add item')")
    assert "nothing was saved" in page.get_by_role("alert").inner_text()
    assert "price" in page.locator("#price-error").inner_text()
    assert "at least 1" in page.locator("#max_quantity-error").inner_text()
    assert page.locator("#price").get_attribute("aria-invalid") == "true"
    assert page.locator("#name").input_value() == "green tea"  # what was typed is kept
    shot(page, "item-validation-error")
    with runtime.transaction() as s:
        assert "TEA-20" not in {i.sku for i in list_items(s)}
    page.fill("#price", "4.50")
    page.fill("#max_quantity", "6")
    page.fill("#synonyms", "matcha|sencha")
    page.fill("#stock", "40")
    page.click("button:has-text('Add item')")
    page.wait_for_url("**/admin/catalog")
    assert "Added TEA-20" in page.get_by_role("status").inner_text()
    row = page.locator("#item-TEA-20")
    assert "green tea" in row.inner_text() and "4.50 USD" in row.inner_text()
    shot(page, "item-added")
    page.fill("input[name=q]", "matcha")
    page.click("button:has-text('Search')")
    assert page.locator("tbody tr").count() == 1
    with runtime.transaction() as s:
        item = get_item(s, "TEA-20")
        assert (item.price_minor, item.stock, item.synonyms) == (450, 40, ["matcha", "sencha"])


def test_import_with_one_bad_row_changes_nothing(page, runtime, tmp_path):
    with runtime.transaction() as s:
        before = export_catalog(s)
    header = "sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction"
    upload = tmp_path / "catalog.csv"
    upload.write_text(f"{header}\nNEW-1,new thing,,2.00,USD,misc,true,5,none\n"
                      f"CF-PODS-24,coffee pods,,1.00,USD,grocery,true,5,sometimes\n")
    sign_in(page)
    page.set_input_files("input[type=file]", str(upload))
    page.click("button:has-text('Import')")
    assert "nothing changed" in page.locator("h1").inner_text()
    problem_row = page.locator("tbody tr").first
    assert problem_row.locator("td").first.inner_text() == "3"
    assert "restriction" in problem_row.inner_text()
    shot(page, "import-rejected")
    with runtime.transaction() as s:
        assert export_catalog(s) == before


def test_approve_a_pending_order_then_advance_its_status(page, runtime):
    with runtime.transaction() as s:
        order, _ = place_order(s, get_or_create_account(s, "amzn1.ask.account.KID"), quote(
            runtime.store, [(get_item(s, "CF-PODS-24"), 2)]), idempotency_key="kid-1",
            status=OrderStatus.AWAITING_APPROVAL, note="voice order (approval required)")
        order_id = order.id
    sign_in(page)
    page.click("nav >> text=Approvals")
    row = page.locator(f"#approval-{order_id}")
    assert "amzn1.ask.account.KID" in row.inner_text()
    shot(page, "approval-queue")
    row.locator("button:has-text('Approve')").click()
    assert f"Order {order_id} approved and placed" in page.get_by_role("status").inner_text()
    assert page.locator(f"#approval-{order_id}").count() == 0
    page.goto(f"/admin/orders/{order_id}")
    assert page.locator("#order-status").inner_text() == "placed"
    page.select_option("select[name=status]", "shipped")
    page.fill("input[name=note]", "UPS 1Z999")
    page.click("button:has-text('Update status')")
    assert page.locator("#order-status").inner_text() == "shipped"
    assert "UPS 1Z999" in page.locator(".history").inner_text()
    shot(page, "order-shipped")
    with runtime.transaction() as s:
        assert get_order(s, order_id).status == "shipped"
