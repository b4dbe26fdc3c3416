"""The console without a browser: nothing reachable signed out, CSRF on every form, account
settings, the purchase log, the admin command line."""

import io
import re
import shutil

import pytest
from click.testing import CliRunner

from skill.accounts import get_account, get_or_create_account
from skill.admins import admin_for_token, authenticate, create_admin
from skill.audit import record_attempt
from skill.catalog import find_item, get_item
from skill.cli import cli
from skill.interaction_model import model_path
from skill.web import AppConfig, create_app

pytestmark = pytest.mark.both_databases
PASSWORD = "correct horse battery"


@pytest.fixture
def app(runtime, tmp_path, monkeypatch):
    shutil.copy(model_path("en-US"), tmp_path / "en-US.json")
    monkeypatch.setenv("VOICECART_MODEL_DIR", str(tmp_path))
    with runtime.transaction() as s:
        create_admin(s, "merchant", PASSWORD)
    return create_app(runtime, AppConfig(verify=False, secret_key="test"))


def csrf(client, path: str = "/admin/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


@pytest.fixture
def client(app):
    client = app.test_client()
    response = client.post("/admin/login", data={"username": "merchant", "password": PASSWORD,
                                                 "csrf_token": csrf(client)})
    assert response.status_code == 302
    return client


def console_routes(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and rule.endpoint != "console.login":
            path = re.sub(r"<(?:\w+:)?(\w+)>", "1", rule.rule)
            found += [(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}]
    return found


def test_nothing_is_reachable_signed_out(app):
    client = app.test_client()
    routes = console_routes(app)
    assert len(routes) > 15
    for method, path in routes:
        response = client.open(path, method=method, data={"csrf_token": csrf(client)})
        if path == "/admin/logout":
            continue  # signing out needs no session
        assert response.status_code == 302, (method, path)
        assert "/admin/login" in response.headers["Location"]


def test_forms_need_the_csrf_token(client):
    response = client.post("/admin/catalog/new", data={"sku": "X1", "name": "x"})
    assert response.status_code == 400 and b"CSRF" in response.data
    response = client.post("/admin/login", data={"username": "merchant", "password": PASSWORD})
    assert response.status_code == 400


def test_wrong_password_and_login_redirects_stay_on_site(app):
    client = app.test_client()
    token = csrf(client)
    wrong = client.post("/admin/login", data={"username": "merchant", "password": "nope",
                                              "csrf_token": token})
    assert wrong.status_code == 401 and b"Wrong username or password" in wrong.data
    sneaky = client.post("/admin/login?next=https://evil.example/admin", data={
        "username": "merchant", "password": PASSWORD, "csrf_token": token})
    assert sneaky.headers["Location"].endswith("/admin/catalog")


def test_the_alexa_endpoint_and_api_need_no_csrf_token(app):
    client = app.test_client()
    assert client.post("/alexa", json={}).status_code == 400  # a request error, not CSRF
    assert client.post("/api/v1/catalog", json={}).status_code == 401


def test_account_settings_from_the_console(client, runtime):
    with runtime.transaction() as s:
        get_or_create_account(s, "family")
    page = client.get("/admin/accounts/family")
    assert page.status_code == 200 and b"not set" in page.data
    token = csrf(client, "/admin/accounts/family")
    bad = client.post("/admin/accounts/family", data={
        "csrf_token": token, "per_order": "lots", "new_pin": "12"})
    assert bad.status_code == 422 and b"a PIN is four digits" in bad.data
    bad_email = client.post("/admin/accounts/family", data={"csrf_token": token,
                                                             "email": "family at home"})
    assert bad_email.status_code == 422 and b"not an e-mail address" in bad_email.data
    saved = client.post("/admin/accounts/family", data={
        "csrf_token": token, "new_pin": "2468", "pin_required": "on", "per_order": "40",
        "approval_required": "on", "new_category": "toys", "new_level": "blocked",
        "email": "family@example.com"},
        follow_redirects=True)
    assert saved.status_code == 200 and b"Saved the purchase settings" in saved.data
    assert b"2468" not in saved.data
    with runtime.transaction() as s:
        account = get_account(s, "family")
        assert account.has_pin and account.pin_required and account.approval_required
        assert account.per_order_limit_minor == 4000
        assert account.restricted_categories == {"toys": "blocked"}
        assert account.email == "family@example.com"
    client.post("/admin/accounts/family", data={"csrf_token": token, "remove_pin": "on"})
    with runtime.transaction() as s:
        assert not get_account(s, "family").has_pin
    assert client.get("/admin/accounts/nobody").status_code == 404


def test_purchase_log_filters(client, runtime):
    with runtime.transaction() as s:
        for user, outcome in (("kid", "pin_failed"), ("kid", "placed"), ("mum", "placed")):
            record_attempt(s, user_id=user, channel="alexa", items=[{"sku": "A", "name":
                           "apples", "quantity": 1}], total_minor=100, currency="USD",
                           outcome=outcome, reason="test")
    page = client.get("/admin/audit?outcome=placed&account=kid").text
    rows = re.findall(r"<tr><td>[^<]+ UTC</td><td>(\w+)</td>", page)
    assert rows == ["kid"] and "pin failed" not in page.split("<tbody>")[1]


def test_rebuild_the_model_and_pages_render(client, tmp_path):
    token = csrf(client, "/admin/catalog")
    rebuilt = client.post("/admin/model/rebuild", data={"csrf_token": token},
                          follow_redirects=True)
    assert b"Rebuilt the interaction model" in rebuilt.data
    for path in ("/admin/orders", "/admin/orders?status=delivered", "/admin/approvals",
                 "/admin/accounts", "/admin/audit", "/admin/catalog?q=coffee"):
        assert client.get(path).status_code == 200, path
    missing = client.get("/admin/orders/999999")
    assert missing.status_code == 404 and b"Not found" in missing.data


def test_admin_command_line(db_url, runtime):
    runner = CliRunner()
    short = runner.invoke(cli, ["--db", db_url, "admin", "create", "owner"], input="short\n")
    assert short.exit_code != 0 and "at least 10" in short.output
    made = runner.invoke(cli, ["--db", db_url, "admin", "create", "owner"], input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    token = runner.invoke(cli, ["--db", db_url, "admin", "token", "create", "owner", "--name",
                                "sync"]).output.strip()
    assert token.startswith("vc_")
    with runtime.transaction() as s:
        assert authenticate(s, "owner", PASSWORD) is not None
        assert admin_for_token(s, token).username == "owner"
    revoked = runner.invoke(cli, ["--db", db_url, "admin", "token", "revoke", "owner", "sync"])
    assert revoked.exit_code == 0
    with runtime.transaction() as s:
        assert admin_for_token(s, token) is None


def test_edit_remove_and_import_items(client, runtime, tmp_path):
    token = csrf(client, "/admin/catalog/CF-PODS-24/edit")
    form = client.get("/admin/catalog/CF-PODS-24/edit").text
    assert 'value="coffee pods"' in form
    record = {"csrf_token": token, "sku": "CF-PODS-24", "name": "coffee pods",
              "synonyms": "k cups", "price": "bad", "currency": "USD", "category": "grocery",
              "max_quantity": "6", "restriction": "pin", "stock": "", "reorderable": "on"}
    refused = client.post("/admin/catalog/CF-PODS-24/edit", data=record)
    assert refused.status_code == 422 and b"price" in refused.data
    saved = client.post("/admin/catalog/CF-PODS-24/edit", data={**record, "price": "19.99"},
                        follow_redirects=True)
    assert b"Saved CF-PODS-24" in saved.data
    with runtime.transaction() as s:
        item = get_item(s, "CF-PODS-24")
        assert (item.price_minor, item.restriction, item.synonyms) == (1999, "pin", ["k cups"])
    client.post("/admin/catalog/GC-50/delete", data={"csrf_token": token})
    assert client.get("/admin/catalog/GC-50/edit").status_code == 404
    header = "sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction"
    upload = (f"{header},stock\nNEW-1,new thing,,2.00,USD,misc,true,5,none,9\n").encode()
    imported = client.post("/admin/catalog/import", data={
        "csrf_token": token, "file": (io.BytesIO(upload), "more.csv")},
        content_type="multipart/form-data", follow_redirects=True)
    assert b"1 added, 0 updated" in imported.data
    with runtime.transaction() as s:
        assert get_item(s, "NEW-1").stock == 9


ITEM_FORM = {"sku": "TEA-1", "name": "green tea", "synonyms": "tea", "price": "4.50",
             "currency": "USD", "category": "grocery", "max_quantity": "5",
             "restriction": "none", "stock": "", "reorderable": "on", "unit": "tin",
             "unit_plural": ""}


def test_units_in_the_item_form(client, runtime):
    token = csrf(client, "/admin/catalog/new")
    form = client.get("/admin/catalog/new").text
    assert 'name="unit"' in form and 'name="unit_plural"' in form
    record = {"csrf_token": token, **ITEM_FORM}
    added = client.post("/admin/catalog/new", data=record, follow_redirects=True)
    assert b"Added TEA-1 (green tea)" in added.data
    assert "<td>tin / tins</td>" in added.text
    with runtime.transaction() as s:
        assert (get_item(s, "TEA-1").unit, get_item(s, "TEA-1").unit_plural) == ("tin", "tins")
    edit = client.get("/admin/catalog/TEA-1/edit").text
    assert 'name="unit" type="text" value="tin"' in edit
    # Changing the unit leaves the plural field as it was: the new unit's plural is taken.
    client.post("/admin/catalog/TEA-1/edit", data={**record, "unit": "box",
                                                   "unit_plural": "tins"})
    with runtime.transaction() as s:
        assert (get_item(s, "TEA-1").unit, get_item(s, "TEA-1").unit_plural) == ("box", "boxes")
    refused = client.post("/admin/catalog/TEA-1/edit", data={**record, "unit": "6 pack"})
    assert refused.status_code == 422
    assert 'id="unit-error">unit &#39;6 pack&#39; must be a short word' in refused.text


def test_the_item_form_and_import_refuse_what_an_import_refuses(client, runtime):
    token = csrf(client, "/admin/catalog/new")
    record = {"csrf_token": token, **ITEM_FORM, "name": "Coffee-Pods", "currency": "EUR"}
    refused = client.post("/admin/catalog/new", data=record)
    assert refused.status_code == 422
    page = refused.text  # every problem, each next to its field
    assert re.search(r'id="name-error">name &#39;Coffee-Pods&#39; is also a name or synonym '
                     r"of CF-PODS-24 in the catalog<", page)
    assert re.search(r'id="currency-error">currency EUR is not the store&#39;s currency', page)
    with runtime.transaction() as s:
        assert find_item(s, "TEA-1") is None
    client.post("/admin/catalog/new", data={**record, "name": "green tea", "currency": "USD"})
    clash = client.post("/admin/catalog/TEA-1/edit", data={
        **record, "name": "green tea", "currency": "USD", "synonyms": "kitty litter"})
    assert clash.status_code == 422
    assert re.search(r'id="synonyms-error">synonym &#39;kitty litter&#39; is also a name or '
                     r"synonym of CL-LITTER in the catalog<", clash.text)
    upload = (b"sku,name,synonyms,price,currency,category,reorderable,max_quantity,"
              b"restriction\nNEW-1,new thing,green tea,2.00,EUR,misc,true,5,none\n")
    rejected = client.post("/admin/catalog/import", data={
        "csrf_token": token, "file": (io.BytesIO(upload), "more.csv")},
        content_type="multipart/form-data")
    assert rejected.status_code == 422
    assert "currency EUR is not the store&#39;s currency" in rejected.text
    assert "also a name or synonym of TEA-1 in the catalog" in rejected.text


def test_five_wrong_passwords_lock_sign_in_for_a_while(app, runtime):
    from datetime import timedelta

    from skill.admins import get_admin, set_password
    from skill.db import utcnow

    client = app.test_client()
    token = csrf(client)
    for _ in range(5):
        wrong = client.post("/admin/login", data={"username": "merchant", "password": "guess",
                                                  "csrf_token": token})
        assert b"Wrong username or password" in wrong.data
    right = client.post("/admin/login", data={"username": "merchant", "password": PASSWORD,
                                              "csrf_token": token})
    assert right.status_code == 401 and b"Wrong username or password" in right.data  # as for
    # an unknown username: the lockout does not tell that "merchant" exists
    with runtime.transaction() as s:
        locked = get_admin(s, "merchant").locked_until
        assert utcnow() + timedelta(minutes=14) < locked <= utcnow() + timedelta(minutes=15)
        set_password(s, "merchant", "a brand new password")  # the way out
    unlocked = client.post("/admin/login", data={"username": "merchant", "password":
                                                 "a brand new password", "csrf_token": token})
    assert unlocked.status_code == 302
