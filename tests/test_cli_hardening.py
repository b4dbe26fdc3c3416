"""The command line refuses or warns instead of doing something surprising: an expected
delivery date in the past, showing an account that does not exist, a category rule for a
category the catalog does not have; and ``catalog list --json`` gives numbers as numbers."""

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from skill.accounts import find_account, get_or_create_account
from skill.catalog import get_item, update_item
from skill.cli import cli
from skill.orders import get_order, place_order, quote

pytest_plugins = ["tests.console_fixtures"]
pytestmark = pytest.mark.both_databases


@pytest.fixture
def run(db_url, runtime):
    def invoke(*args, input=None):
        return CliRunner().invoke(cli, ["--db", db_url, *args], input=input,
                                  catch_exceptions=False)

    return invoke


@pytest.fixture
def order_id(runtime) -> int:
    with runtime.transaction() as s:
        order, _ = place_order(s, get_or_create_account(s, "shopper"), quote(
            runtime.store, [(get_item(s, "CF-PODS-24"), 1)]), idempotency_key="cli-hardening")
        return order.id


def test_advancing_an_order_refuses_an_expected_delivery_in_the_past(run, runtime, order_id):
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    result = run("orders", "advance", str(order_id), "shipped", "--expected-delivery",
                 yesterday)
    assert result.exit_code == 1 and "in the past" in result.output
    with runtime.transaction() as s:
        order = get_order(s, order_id)
        assert order.status == "placed" and order.expected_delivery.isoformat() != yesterday
    later = (date.today() + timedelta(days=3)).isoformat()
    result = run("orders", "advance", str(order_id), "shipped", "--expected-delivery", later)
    assert result.exit_code == 0, result.output
    with runtime.transaction() as s:
        assert get_order(s, order_id).expected_delivery.isoformat() == later


def test_the_api_refuses_it_too(console_app, api_token, order_id):
    response = console_app.test_client().post(
        f"/api/v1/orders/{order_id}/advance", headers={"Authorization": f"Bearer {api_token}"},
        json={"status": "shipped", "expected_delivery": "2001-01-01"})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"expected_delivery": "in the past"}


def test_showing_an_unknown_account_says_so_and_creates_nothing(run, runtime):
    result = run("account", "show", "nobody-like-this")
    assert result.exit_code == 1 and "no account" in result.output
    result = run("orders", "list", "--account", "nobody-like-this")
    assert result.exit_code == 0 and "no orders" in result.output
    with runtime.transaction() as s:
        assert find_account(s, "nobody-like-this") is None
    shown = run("account", "show", "demo")
    assert shown.exit_code == 0 and shown.output.startswith("demo: PIN")


def test_a_rule_for_a_category_the_catalog_lacks_warns(run, runtime):
    result = run("account", "restrict", "demo", "toyz", "approval")
    assert result.exit_code == 0
    assert "warning: the catalog has no category 'toyz'" in result.stderr
    with runtime.transaction() as s:
        assert find_account(s, "demo").restricted_categories == {"toyz": "approval"}
    result = run("account", "restrict", "demo", "Grocery", "pin")
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_catalog_list_json_gives_numbers_as_numbers(run, runtime):
    with runtime.transaction() as s:
        update_item(s, "CF-PODS-24", {"stock": "5"})
    result = run("catalog", "list", "--json")
    items = {item["sku"]: item for item in json.loads(result.output)}
    pods = items["CF-PODS-24"]
    assert type(pods["max_quantity"]) is int and type(pods["stock"]) is int
    assert pods["stock"] == 5 and items["PT-6ROLL"]["stock"] is None
    assert type(pods["reorderable"]) is bool and isinstance(pods["synonyms"], list)
    assert pods["price"] == "15.49"  # money stays an exact decimal string, as in the API
