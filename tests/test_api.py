"""The JSON API: every endpoint, bad input (4xx with reasons), no token (401), and the
OpenAPI document kept in step with the code (routes and response shapes)."""

import re
import shutil

import pytest
from jsonschema import Draft202012Validator

from skill.accounts import get_or_create_account, set_pin
from skill.admins import create_admin, create_token
from skill.catalog import get_item
from skill.interaction_model import model_path
from skill.orders import OrderStatus, list_orders, place_order, quote
from skill.web import AppConfig, create_app
from skill.web.api import openapi_spec

pytestmark = pytest.mark.both_databases

SPEC = openapi_spec()


@pytest.fixture
def app(runtime, tmp_path, monkeypatch):
    """The web app, with model rebuilds writing to a copy of the interaction model."""
    shutil.copy(model_path("en-US"), tmp_path / "en-US.json")
    monkeypatch.setenv("VOICECART_MODEL_DIR", str(tmp_path))
    return create_app(runtime, AppConfig(verify=False, secret_key="test"))


@pytest.fixture
def token(runtime):
    with runtime.transaction() as s:
        create_admin(s, "merchant", "correct horse battery")
        return create_token(s, "merchant", "tests")


def _operation(path: str, method: str) -> tuple[str, dict]:
    for template, operations in SPEC["paths"].items():
        pattern = "^/api/v1" + re.sub(r"\{\w+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def check_against_spec(method: str, path: str, response) -> None:
    """The response's status is documented for the operation and its body fits the schema."""
    _, operation = _operation(path.split("?")[0], method)
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method} {path} answered {response.status_code}, not documented"
    if "$ref" in documented:
        documented = SPEC["components"]["responses"][documented["$ref"].split("/")[-1]]
    content = documented.get("content", {}).get("application/json")
    if content is None:
        assert not response.data, "an undocumented body"
        return
    schema = {**content["schema"], "components": SPEC["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(response.get_json()),
                    key=lambda e: e.path)
    assert not errors, f"{method} {path}: {errors[0].message} at {list(errors[0].path)}"


@pytest.fixture
def call(app, token):
    client = app.test_client()

    def _call(method: str, path: str, *, json=None, data=None, content_type=None,
              auth: str | None = "token"):
        headers = {}
        if auth == "token":
            headers["Authorization"] = f"Bearer {token}"
        elif auth:
            headers["Authorization"] = auth
        response = client.open(f"/api/v1{path}", method=method, json=json, data=data,
                               content_type=content_type, headers=headers)
        check_against_spec(method, f"/api/v1{path}", response)
        return response

    return _call


def pending_order(runtime, user="amzn1.ask.account.KID") -> int:
    with runtime.transaction() as s:
        order, _ = place_order(s, get_or_create_account(s, user), quote(
            runtime.store, [(get_item(s, "CF-PODS-24"), 1)]), idempotency_key=f"k-{user}",
            status=OrderStatus.AWAITING_APPROVAL)
        return order.id


# --- the document and the code agree ---------------------------------------------------------

def test_every_route_is_documented_and_every_documented_route_exists(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)[len("/api/v1"):]
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, ops in SPEC["paths"].items() for method in ops}
    assert routes == documented
    Draft202012Validator.check_schema({"components": SPEC["components"]})


def test_the_document_is_served_without_a_token(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"].startswith("3.1")


# --- no token, bad token ------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    (method.upper(), re.sub(r"\{\w+\}", "1", path))
    for path, ops in SPEC["paths"].items() for method in ops if path != "/openapi.json"])
def test_every_endpoint_needs_a_valid_token(call, method, path):
    for auth in (None, "Bearer vc_not-a-real-token", "Basic bWVyY2hhbnQ6eA=="):
        response = call(method, path, auth=auth, json={})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "token" in response.get_json()["error"]


# --- catalog ------------------------------------------------------------------------------

def test_catalog_crud(call, runtime):
    listed = call("GET", "/catalog").get_json()["items"]
    assert any(i["sku"] == "CF-PODS-24" for i in listed)
    assert [i["sku"] for i in call("GET", "/catalog?q=coffee").get_json()["items"]] == [
        "CF-PODS-24"]
    created = call("POST", "/catalog", json={"sku": "TEA-20", "name": "green tea",
                                             "price": "4.50", "category": "grocery",
                                             "synonyms": ["matcha"], "stock": 12})
    assert created.status_code == 201 and created.get_json()["stock"] == 12
    assert call("GET", "/catalog/TEA-20").get_json()["synonyms"] == ["matcha"]
    changed = call("PATCH", "/catalog/TEA-20", json={"price": "4.75", "stock": None})
    assert changed.get_json()["price"] == "4.75" and changed.get_json()["stock"] is None
    assert call("DELETE", "/catalog/TEA-20").status_code == 204
    assert call("GET", "/catalog/TEA-20").status_code == 404


def test_catalog_bad_input_says_why(call):
    missing = call("POST", "/catalog", json={"sku": "X1", "name": "x"})
    assert missing.status_code == 422 and set(missing.get_json()["fields"]) == {"price",
                                                                                  "category"}
    bad = call("POST", "/catalog", json={"sku": "X 1", "name": "x", "price": "-2",
                                         "category": "c", "max_quantity": 0})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"sku", "price", "max_quantity"}
    assert call("POST", "/catalog", json={"sku": "CF-PODS-24", "name": "again", "price": "1",
                                          "category": "c"}).status_code == 409
    assert call("POST", "/catalog", data="{not json", content_type="application/json"
                ).status_code == 400
    assert call("POST", "/catalog", json=["a list"]).status_code == 400
    assert call("PATCH", "/catalog/NOPE", json={"price": "1"}).status_code == 404
    assert call("PATCH", "/catalog/CF-PODS-24", json={"restriction": "maybe"}
                ).get_json()["fields"] == {"restriction": "restriction 'maybe' is not one of "
                                           "none, pin, approval, blocked"}
    assert call("DELETE", "/catalog/NOPE").status_code == 404


def test_units_through_the_api(call):
    created = call("POST", "/catalog", json={"sku": "TEA-20", "name": "green tea",
                                             "price": "4.50", "category": "grocery",
                                             "unit": "tin"}).get_json()
    assert (created["unit"], created["unit_plural"]) == ("tin", "tins")
    pods = call("GET", "/catalog/CF-PODS-24").get_json()
    assert (pods["unit"], pods["unit_plural"]) == ("box", "boxes")
    assert call("GET", "/catalog/DH-WOOD").get_json()["unit"] is None
    changed = call("PATCH", "/catalog/TEA-20", json={"unit": "box"}).get_json()
    assert (changed["unit"], changed["unit_plural"]) == ("box", "boxes")
    changed = call("PATCH", "/catalog/TEA-20", json={"unit": None}).get_json()
    assert (changed["unit"], changed["unit_plural"]) == (None, None)
    bad = call("PATCH", "/catalog/TEA-20", json={"unit_plural": "tins"})
    assert bad.status_code == 422 and bad.get_json()["fields"] == {
        "unit_plural": "unit_plural 'tins' needs a unit"}
    order = call("GET", "/orders").get_json()["orders"][0]
    assert {"unit", "unit_plural"} <= set(order["lines"][0])


def test_add_and_update_refuse_what_an_import_refuses(call):
    bad = call("POST", "/catalog", json={"sku": "TEA-20", "name": "green tea", "price": "x",
                                         "category": "grocery", "currency": "EUR",
                                         "synonyms": ["K-Cups", "tea"]})
    assert bad.status_code == 422
    fields = bad.get_json()["fields"]
    assert set(fields) == {"price", "currency", "synonyms"}
    assert fields["currency"] == "currency EUR is not the store's currency (USD)"
    assert fields["synonyms"] == ("synonym 'K-Cups' is also a name or synonym of CF-PODS-24 "
                                  "in the catalog")
    assert call("GET", "/catalog/TEA-20").status_code == 404
    clash = call("PATCH", "/catalog/DS-LEMON", json={"name": "Shampoo"})
    assert clash.status_code == 422 and clash.get_json()["fields"] == {
        "name": "name 'Shampoo' is also a name or synonym of SH-2IN1 in the catalog"}
    assert call("PATCH", "/catalog/DS-LEMON", json={"currency": "GBP"}).get_json()[
        "fields"] == {"currency": "currency GBP is not the store's currency (USD)"}


def test_import_reports_every_problem_of_every_line(call):
    header = "sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction"
    rejected = call("POST", "/catalog/import", content_type="text/csv", data=(
        f"{header}\nNEW-1,new thing,litter,x,EUR,misc,true,5,none\n"
        f"NEW-2,New Thing,,2.00,USD,misc,true,5,none\n"))
    assert rejected.status_code == 422
    assert rejected.get_json()["problems"] == [
        {"line": 2, "problem": "price: not a price: 'x'"},
        {"line": 2, "problem": "currency EUR is not the store's currency (USD)"},
        {"line": 2, "problem": "name 'new thing' is also a name or synonym of NEW-2 (line 3)"},
        {"line": 2, "problem": "synonym 'litter' is also a name or synonym of CL-LITTER in "
                               "the catalog"},
        {"line": 3, "problem": "name 'New Thing' is also a name or synonym of NEW-1 (line 2)"}]
    assert call("GET", "/catalog/NEW-1").status_code == 404


def test_import_is_all_or_nothing(call, runtime):
    header = "sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction"
    good_and_bad = (f"{header}\nNEW-1,new thing,,2.00,USD,misc,true,5,none\n"
                    f"CF-PODS-24,coffee pods,,oops,USD,grocery,true,5,none\n")
    rejected = call("POST", "/catalog/import", data=good_and_bad, content_type="text/csv")
    assert rejected.status_code == 422
    assert rejected.get_json()["problems"][0]["line"] == 3
    assert call("GET", "/catalog/NEW-1").status_code == 404
    accepted = call("POST", "/catalog/import", json=[{
        "sku": "NEW-1", "name": "new thing", "synonyms": [], "price": "2.00", "currency": "USD",
        "category": "misc", "reorderable": True, "max_quantity": 5, "restriction": "none"}])
    assert accepted.get_json() == {"added": 1, "updated": 0}
    assert call("POST", "/catalog/import", data="x", content_type="application/xml"
                ).status_code == 415


def test_model_rebuild(call, tmp_path):
    result = call("POST", "/model/rebuild").get_json()
    assert result["file"] == "en-US.json" and result["items"] > 10
    assert "CF-PODS-24" in (tmp_path / "en-US.json").read_text()


# --- orders and approvals ----------------------------------------------------------------

def test_orders_and_advancing_them(call, runtime):
    orders = call("GET", "/orders").get_json()["orders"]
    assert orders
    placed = call("GET", "/orders?status=delivered").get_json()["orders"]
    assert all(o["status"] == "delivered" for o in placed)
    assert call("GET", "/orders?status=lost").status_code == 422
    assert call("GET", "/orders?account=nobody").status_code == 404
    order_id = pending_order(runtime)
    assert call("POST", f"/orders/{order_id}/advance", json={"status": "shipped"}
                ).status_code == 409  # awaiting approval cannot ship
    assert call("POST", f"/approvals/{order_id}/approve").get_json()["status"] == "placed"
    shipped = call("POST", f"/orders/{order_id}/advance",
                   json={"status": "shipped", "note": "UPS 1Z", "expected_delivery":
                         "2030-01-02"}).get_json()
    assert shipped["status"] == "shipped" and shipped["expected_delivery"] == "2030-01-02"
    assert shipped["history"][-1]["note"] == "UPS 1Z"
    assert call("GET", f"/orders/{order_id}").get_json()["status"] == "shipped"
    assert call("POST", f"/orders/{order_id}/advance", json={"status": "delivered",
                                                             "expected_delivery": "soon"}
                ).status_code == 422
    assert call("GET", "/orders/999999").status_code == 404
    assert call("POST", "/orders/999999/advance", json={"status": "shipped"}
                ).status_code == 404


def test_approvals(call, runtime):
    first, second = pending_order(runtime, "a"), pending_order(runtime, "b")
    waiting = {o["id"] for o in call("GET", "/approvals").get_json()["orders"]}
    assert {first, second} <= waiting
    rejected = call("POST", f"/approvals/{second}/reject", json={"note": "too many sweets"})
    assert rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["history"][-1]["note"] == "too many sweets"
    assert call("POST", f"/approvals/{second}/approve").status_code == 409
    assert call("POST", f"/approvals/{first}/approve").get_json()["status"] == "placed"
    assert call("POST", "/approvals/999999/reject").status_code == 404


# --- accounts and the audit log ----------------------------------------------------------

def test_accounts_and_pins(call, runtime):
    with runtime.transaction() as s:
        get_or_create_account(s, "family")
    assert any(a["user_id"] == "family" for a in call("GET", "/accounts").get_json()[
        "accounts"])
    assert call("PATCH", "/accounts/family", json={"pin_required": True}).status_code == 422
    assert call("PUT", "/accounts/family/pin", json={"pin": "12345"}).status_code == 422
    assert call("PUT", "/accounts/family/pin", json={"pin": 1234}).status_code == 422
    assert call("PUT", "/accounts/family/pin", json={"pin": "2468"}).status_code == 204
    account = call("PATCH", "/accounts/family", json={
        "per_order_limit": "50", "per_day_limit": 120, "approval_required": True,
        "pin_required": True, "restricted_categories": {"toys": "approval"},
        "email": "family@example.com"}).get_json()
    assert account == {"user_id": "family", "pin_set": True, "pin_required": True,
                       "approval_required": True, "per_order_limit": "50.00",
                       "per_day_limit": "120.00", "restricted_categories": {"toys": "approval"},
                       "email": "family@example.com", "voice_locked_until": None}
    assert "2468" not in str(call("GET", "/accounts/family").get_json())
    cleared = call("PATCH", "/accounts/family", json={"per_order_limit": None}).get_json()
    assert cleared["per_order_limit"] is None and cleared["per_day_limit"] == "120.00"
    for bad in ({"email": "not-an-address"}, {"email": 5}, {"per_day_limit": "lots"},
                {"approval_required": "yes"}, {"colour": "red"},
                {"restricted_categories": ["toys"]},
                {"restricted_categories": {"toys": "sometimes"}}):
        assert call("PATCH", "/accounts/family", json=bad).status_code == 422, bad
    assert call("DELETE", "/accounts/family/pin").status_code == 204
    assert call("GET", "/accounts/family").get_json()["pin_set"] is False
    assert call("GET", "/accounts/nobody").status_code == 404
    assert call("PUT", "/accounts/nobody/pin", json={"pin": "1234"}).status_code == 404


def test_audit_log_with_filters(call, runtime, dialog):
    with runtime.transaction() as s:
        set_pin(s, dialog.user_id, "1234")
    dialog.intent("AddToCartIntent", Item="cookies")
    dialog.intent("CheckoutIntent")
    dialog.intent("AMAZON.YesIntent")
    dialog.intent("ProvidePinIntent", Pin="9999")
    attempts = call("GET", f"/audit?account={dialog.user_id}").get_json()["attempts"]
    assert [a["outcome"] for a in attempts] == ["pin_failed"]
    assert call("GET", "/audit?outcome=pin_failed&limit=1").get_json()["attempts"]
    assert call("GET", "/audit?limit=many").status_code == 400
    with runtime.transaction() as s:
        assert list_orders(s, account=get_or_create_account(s, dialog.user_id)) == []
