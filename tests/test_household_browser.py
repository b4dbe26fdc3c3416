"""The household's pages in a real browser (Playwright driving Debian's headless Chromium)
against the served app: a shopper signs up while linking the skill, sets a PIN and a category
rule, names a child's voice, approves the child's request from the approval e-mail's link,
and sees the cart a voice dialog filled. Screenshots go to test-artifacts/screenshots/."""

import re
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from skill.linking import create_client
from skill.notify import OutboxMessage
from skill.orders import list_orders
from tests.household_helpers import PASSWORD, REDIRECT_URI, LinkedDialog, served
from tests.test_console_browser import SHOTS, browser  # noqa: F401  (the shared browser)

EMMA = "amzn1.ask.person.EMMA"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"household-{name}.png"), full_page=True)


def test_sign_up_link_set_rules_approve_from_e_mail_and_see_the_voice_cart(
        browser, runtime, monkeypatch):  # noqa: F811
    with runtime.transaction() as s:
        client = create_client(s, "VoiceCart skill", [REDIRECT_URI])
    with served(runtime, linking_required=True) as site:
        monkeypatch.setenv("VOICECART_PUBLIC_URL", site)
        context = browser.new_context(base_url=site)
        page = context.new_page()
        page.set_default_timeout(10_000)
        alexa_landing: list[str] = []

        def amazon(route):  # Alexa's redirect page: not reachable from here, so stood in for
            alexa_landing.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<p>Linked</p>")

        page.route(re.compile(r"^https://pitangui\.amazon\.com/.*"), amazon)
        try:
            # Linking starts in the Alexa app: it opens the authorization URL.
            page.goto(f"/oauth/authorize?client_id={client.client_id}&response_type=code"
                      f"&state=app-state&redirect_uri={REDIRECT_URI}")
            page.click("text=Create an account")
            page.fill("#name", "Sam")
            page.fill("#email", "sam@example.com")
            page.fill("#password", PASSWORD)
            page.fill("#password_again", PASSWORD)
            page.click("button:has-text('Sign up')")
            page.wait_for_selector("text=Link VoiceCart skill to your household?")
            shot(page, "consent")
            page.click("button:has-text('Link')")
            page.wait_for_selector("text=Linked")
            query = parse_qs(urlsplit(alexa_landing[0]).query)
            assert query["state"] == ["app-state"]
            tokens = requests.post(f"{site}/oauth/token", auth=(client.client_id,
                                                                client.client_secret),
                                   data={"grant_type": "authorization_code",
                                         "code": query["code"][0],
                                         "redirect_uri": REDIRECT_URI}, timeout=10).json()

            def alexa(body: dict) -> dict:
                return requests.post(f"{site}/alexa", json=body, timeout=10).json()

            page.goto("/account/")
            page.fill("#pin", "4321")
            page.fill("#pin_again", "4321")
            page.click("button:has-text('Set the PIN')")
            page.wait_for_selector("text=The voice PIN is set.")
            assert page.inner_text("#pin-state") == "set"
            assert "4321" not in page.content()
            page.fill("input[name=category]", "toys")
            page.select_option("select[name=level]", "approval")
            page.click("button:has-text('Save rule')")
            assert "toys: approval" in page.inner_text("#category-rules")
            page.fill("#members input[name=name]", "Emma")
            page.select_option("#members select[name=role]", "child")
            page.click("button:has-text('Add member')")
            page.wait_for_selector("text=Member added.")

            # Emma speaks: her voice is listed, her mother names it.
            LinkedDialog(alexa, access_token=tokens["access_token"], person=EMMA).launch()
            page.goto("/account/")
            assert "Unknown voice" in page.inner_text("#voices")
            page.select_option("#voices select", label="Emma (child)")
            page.click("#voices button:has-text('Save')")
            page.wait_for_selector("text=Voice saved.")

            emma = LinkedDialog(alexa, access_token=tokens["access_token"], person=EMMA)
            emma.intent("BuyIntent", Item="paper towels")
            emma.intent("AMAZON.YesIntent")
            emma.intent("AddToCartIntent", Item="oat milk", Quantity="2")
            with runtime.transaction() as s:
                mail = s.scalars(select(OutboxMessage).where(
                    OutboxMessage.kind == "approval_request")).one()
                approve = re.search(r"Approve: (\S+)", mail.body).group(1)
            assert approve.startswith(site)
            page.goto(approve)
            shot(page, "approve-link")
            page.click("button:has-text('Approve order')")
            page.wait_for_selector("text=Approved: it is on its way.")
            with runtime.transaction() as s:
                placed = [o for o in list_orders(s) if o.account.email == "sam@example.com"]
                assert [o.status for o in placed] == ["placed"]

            page.goto("/account/")
            cart = page.inner_text("#cart")
            assert "oat milk" in cart.lower()
            assert page.input_value("#cart input[name=quantity]") == "2"
            assert "placed" in page.inner_text("#orders")
            shot(page, "home")
        finally:
            context.close()
