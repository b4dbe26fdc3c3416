import copy
import json

from click.testing import CliRunner

from skill.cli import cli
from skill.interaction_model import (
    ITEM_TYPE,
    check_model,
    language_model,
    load_model,
    model_path,
    rebuild,
)

EXPECTED_INTENTS = {
    "ReorderIntent", "AddToCartIntent", "RemoveFromCartIntent", "ReadCartIntent",
    "ClearCartIntent", "CheckoutIntent", "OrderStatusIntent", "CancelOrderIntent",
    "ListReorderablesIntent", "ProvidePinIntent", "AMAZON.YesIntent", "AMAZON.NoIntent",
    "AMAZON.HelpIntent", "AMAZON.CancelIntent", "AMAZON.StopIntent", "AMAZON.FallbackIntent",
    "AMAZON.NavigateHomeIntent", "AMAZON.RepeatIntent", "BuyIntent", "ChangeQuantityIntent",
    "BrowseCatalogIntent", "PriceIntent", "AvailabilityIntent", "AMAZON.PreviousIntent",
    "AMAZON.MoreIntent", "SelectItemIntent",
}


def test_checked_in_model_is_valid_and_complete():
    model = load_model()
    assert check_model(model) == []
    lm = language_model(model)
    names = {i["name"] for i in lm["intents"]}
    assert EXPECTED_INTENTS <= names
    for intent in lm["intents"]:
        if not intent["name"].startswith("AMAZON."):
            assert len(intent["samples"]) >= 10, intent["name"]
    slots = {i["name"]: {s["name"] for s in i.get("slots", [])} for i in lm["intents"]}
    assert slots["ReorderIntent"] == {"Item", "Quantity"}
    assert slots["ProvidePinIntent"] == {"Pin"}
    assert slots["OrderStatusIntent"] == {"Item"}


def test_check_model_catches_what_alexa_rejects():
    model = load_model()
    broken = copy.deepcopy(model)
    intents = {i["name"]: i for i in language_model(broken)["intents"]}
    intents["ReorderIntent"]["samples"].append("reorder 2 {Item}")
    intents["AddToCartIntent"]["samples"].append(intents["ReorderIntent"]["samples"][0])
    intents["RemoveFromCartIntent"]["samples"].append("remove {Thing}")
    language_model(broken)["invocationName"] = "Cart"
    problems = " | ".join(check_model(broken))
    assert "'2'" in problems
    assert "in both ReorderIntent and AddToCartIntent" in problems
    assert "undefined slot Thing" in problems
    assert "invocation name" in problems


def test_build_makes_new_items_speakable(runtime, db_url, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db_url, "catalog", "add", "TEA-1", "--name",
                                 "green tea (loose)", "--price", "4.50", "--category", "grocery",
                                 "--synonyms", "matcha|sencha"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "en-US.json"
    result = runner.invoke(cli, ["--db", db_url, "model", "build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    built = json.loads(out.read_text())
    values = next(t for t in language_model(built)["types"] if t["name"] == ITEM_TYPE)["values"]
    tea = next(v for v in values if v["id"] == "TEA-1")
    assert tea["name"] == {"value": "green tea loose", "synonyms": ["matcha", "sencha"]}
    assert any(v["id"] == "TB-SONIC-3" for v in values)
    assert check_model(built) == []
    # Everything but the item type is the checked-in model, unchanged.
    original = load_model()
    for lm in (language_model(built), language_model(original)):
        lm["types"] = [t for t in lm["types"] if t["name"] != ITEM_TYPE]
    assert built == original


def test_checked_in_model_matches_the_demo_catalog(runtime):
    """The repository's model is the demo catalog's build: rebuild it after changing either."""
    with runtime.transaction() as s:
        rebuilt = rebuild(load_model(), s)
    assert rebuilt == json.loads(model_path().read_text())
