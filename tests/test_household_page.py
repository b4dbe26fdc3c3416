"""The owner's page (/account/): settings, PIN (never shown), category rules, approvals,
orders, the shared cart, voices, members, addresses; bad input answers 4xx and changes
nothing; another household's orders are out of reach."""

import pytest
from sqlalchemy import select

from skill.accounts import pin_matches
from skill.cart import read_cart
from skill.orders import list_orders
from skill.shoppers import Household
from skill.voices import VoiceProfile
from skill.web import AppConfig, create_app
from tests.household_helpers import PASSWORD, LinkedDialog, account_user_id, csrf_of, make_household


@pytest.fixture
def app(runtime):
    return create_app(runtime, AppConfig(verify=False, secret_key="page-tests"))


def signed_in(app, email="parent@example.com"):
    browser = app.test_client()
    page = browser.get("/account/login")
    response = browser.post("/account/login", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "email": email,
        "password": PASSWORD})
    assert response.status_code == 302
    return browser


def post(browser, path: str, follow_redirects: bool = False, **form):
    page = browser.get("/account/").get_data(as_text=True)
    return browser.post(path, data={"csrf_token": csrf_of(page), **form},
                        follow_redirects=follow_redirects)


def household(runtime, household_id):
    with runtime.transaction() as s:
        found = s.get(Household, household_id)
        s.refresh(found.account)
        _ = found.members, found.addresses  # loaded before the session closes
        s.expunge_all()
        return found


def test_pages_need_a_signed_in_owner_and_a_csrf_token(app, runtime):
    make_household(runtime)
    anonymous = app.test_client()
    response = anonymous.get("/account/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    wrong = anonymous.post("/account/login", data={"email": "parent@example.com",
                                                   "password": PASSWORD})
    assert wrong.status_code == 400  # no CSRF token
    browser = signed_in(app)
    assert browser.post("/account/settings", data={"purchasing_off": "on"}).status_code == 400


def test_settings_pin_and_category_rules(app, runtime):
    household_id = make_household(runtime)
    browser = signed_in(app)
    post(browser, "/account/pin", pin="4321", pin_again="4321")
    page = browser.get("/account/").get_data(as_text=True)
    assert "4321" not in page and 'id="pin-state">set<' in page
    assert "differ" in post(browser, "/account/pin", pin="1111", pin_again="2222",
                            follow_redirects=True).get_data(as_text=True)
    post(browser, "/account/settings", per_order="25.00", per_day="", pin_required="on",
         require_recognized_voice="on")
    post(browser, "/account/categories", category="Toys", level="approval")
    found = household(runtime, household_id)
    account = found.account
    assert pin_matches(account.pin_hash, "4321") and account.pin_required
    assert account.per_order_limit_minor == 2500 and account.per_day_limit_minor is None
    assert account.restricted_categories == {"toys": "approval"}
    assert found.require_recognized_voice and not found.purchasing_off
    bad = post(browser, "/account/settings", per_order="lots", follow_redirects=True)
    assert bad.status_code == 200 and "per order limit" in bad.get_data(as_text=True)
    assert household(runtime, household_id).account.per_order_limit_minor == 2500
    post(browser, "/account/pin", remove="1")
    assert household(runtime, household_id).account.pin_hash is None


def test_the_cart_is_the_speakers_cart(app, runtime, send):
    household_id = make_household(runtime)
    voice = LinkedDialog(send, user_id=account_user_id(runtime, household_id))
    voice.intent("AddToCartIntent", Item="oat milk", Quantity="2")
    browser = signed_in(app)
    page = browser.get("/account/").get_data(as_text=True)
    assert "oat milk" in page.lower()
    with runtime.transaction() as s:
        account = s.get(Household, household_id).account
        [line] = read_cart(s, account)
        sku = line.sku
    post(browser, "/account/cart", sku=sku, quantity="3", action="set")
    post(browser, "/account/cart", sku="PT-6ROLL", quantity="1", action="add")
    refused = post(browser, "/account/cart", sku=sku, quantity="many", action="set",
                   follow_redirects=True)
    assert "quantity must be" in refused.get_data(as_text=True)
    voice.intent("ReadCartIntent")
    assert "three" in voice.speech.lower() and "paper towels" in voice.speech.lower()


def test_approve_reject_cancel_and_another_households_order(app, runtime, send):
    household_id = make_household(runtime)
    make_household(runtime, "other@example.com", child=None)
    with runtime.transaction() as s:
        s.get(Household, household_id).account.approval_required = True
    voice = LinkedDialog(send, user_id=account_user_id(runtime, household_id))
    for item in ("paper towels", "dish soap"):
        voice.intent("BuyIntent", Item=item)
        voice.intent("AMAZON.YesIntent")
    with runtime.transaction() as s:
        first, second = sorted(o.id for o in list_orders(s)
                               if o.account.user_id == voice.user_id)
    stranger = signed_in(app, "other@example.com")
    assert post(stranger, f"/account/orders/{first}/approve",
                follow_redirects=True).get_data(as_text=True).count("no order") == 1
    owner = signed_in(app)
    assert "Approve request" in owner.get("/account/").get_data(as_text=True)
    post(owner, f"/account/orders/{first}/approve")
    post(owner, f"/account/orders/{second}/reject")
    post(owner, f"/account/orders/{first}/cancel")
    with runtime.transaction() as s:
        statuses = {o.id: o.status for o in list_orders(s)}
    assert statuses[first] == "cancelled" and statuses[second] == "rejected"


def test_voices_members_and_addresses(app, runtime, send):
    household_id = make_household(runtime, child=None)
    LinkedDialog(send, user_id=account_user_id(runtime, household_id),
                 person="amzn1.ask.person.NEW").launch()
    browser = signed_in(app)
    assert "Unknown voice" in browser.get("/account/").get_data(as_text=True)
    post(browser, "/account/members", name="Emma", role="child")
    assert post(browser, "/account/members", name="", role="child").status_code == 302
    found = household(runtime, household_id)
    emma = next(m for m in found.members if m.name == "Emma")
    with runtime.transaction() as s:
        voice_id = s.scalars(select(VoiceProfile.id)).one()
    post(browser, f"/account/voices/{voice_id}", member_id=str(emma.id))
    assert "Emma (child)" in browser.get("/account/").get_data(as_text=True)
    post(browser, "/account/addresses", street="7 Oak Lane", city="Shelbyville",
         postal_code="54321", make_default="on")
    addresses = household(runtime, household_id).addresses
    assert [(a.street, a.is_default) for a in addresses] == [("12 Main Street", False),
                                                             ("7 Oak Lane", True)]
    bad = post(browser, "/account/addresses", street="", city="x", postal_code="!",
               follow_redirects=True)
    assert "incomplete" in bad.get_data(as_text=True)
    assert len(household(runtime, household_id).addresses) == 2


def test_nothing_of_a_household_is_reachable_signed_out_and_odd_input_is_no_500(app, runtime):
    import re

    make_household(runtime)
    anonymous = app.test_client()
    page = anonymous.get("/account/login").get_data(as_text=True)
    routes = [(m, re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>",
                         lambda g: "approve" if g.group(1) == "action" else "1", r.rule))
              for r in app.url_map.iter_rules()
              if r.endpoint.startswith("household.") or r.endpoint == "account.decide"
              for m in r.methods - {"HEAD", "OPTIONS"}]
    assert len(routes) >= 11
    for method, path in routes:
        response = anonymous.open(path, method=method, data={"csrf_token": csrf_of(page)})
        assert response.status_code == 302, (method, path)
        assert "/account/login" in response.headers["Location"]
    browser = signed_in(app)
    for path, form in [("/account/cart", {"sku": "NOPE", "quantity": "1"}),
                       ("/account/cart", {"sku": "PT-6ROLL", "quantity": "-3"}),
                       ("/account/voices/999", {"member_id": "1"}),
                       ("/account/members", {"remove": "x1"}),
                       ("/account/addresses", {"default": "999"}),
                       ("/account/categories", {"category": "toys", "level": "sometimes"}),
                       ("/account/settings", {"per_day": "-5"}),
                       ("/account/pin", {"pin": "12a4", "pin_again": "12a4"}),
                       ("/account/orders/99999/approve", {}),
                       ("/account/links/nobody/revoke", {})]:
        response = post(browser, path, **form)
        assert response.status_code in (302, 400, 404), (path, response.status_code)
    assert browser.get("/account/decide/not-a-token").status_code == 404


def test_forgot_password_reset_by_link_and_sign_out(app, runtime):
    import re

    from sqlalchemy import select

    from skill.notify import OutboxMessage

    make_household(runtime)
    browser = app.test_client()
    answers = []
    for email in ("parent@example.com", "nobody@example.com"):
        page = browser.get("/account/forgot").get_data(as_text=True)
        answers.append(browser.post("/account/forgot", data={
            "csrf_token": csrf_of(page), "email": email}).get_data(as_text=True))
    assert answers[0] == answers[1] and "on its way" in answers[0]  # no probing addresses
    with runtime.transaction() as s:
        [mail] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "password_reset"))
        link = re.search(r"(/account/reset/\S+)", mail.body).group(1)
    page = browser.get(link).get_data(as_text=True)
    differ = browser.post(link, data={"csrf_token": csrf_of(page), "password": "a new one 12345",
                                      "password_again": "another one 123"})
    assert differ.status_code == 400
    done = browser.post(link, data={"csrf_token": csrf_of(page), "password": "a new one 12345",
                                    "password_again": "a new one 12345"})
    assert done.status_code == 302 and browser.get("/account/").status_code == 200
    page = browser.get(link).get_data(as_text=True)  # a new session: a new CSRF token
    again = browser.post(link, data={"csrf_token": csrf_of(page), "password": "third one 12345",
                                     "password_again": "third one 12345"})
    assert again.status_code == 400 and "not valid any more" in again.get_data(as_text=True)
    page = browser.get("/account/").get_data(as_text=True)
    browser.post("/account/logout", data={"csrf_token": csrf_of(page)})
    assert browser.get("/account/").status_code == 302
    wrong = browser.post("/account/login", data={
        "csrf_token": csrf_of(browser.get("/account/login").get_data(as_text=True)),
        "email": "parent@example.com", "password": PASSWORD})
    assert wrong.status_code == 401  # the old password no longer works
