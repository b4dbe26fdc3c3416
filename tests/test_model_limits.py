"""A merchant-sized catalog (50,000 items) still builds a model Alexa accepts: the item slot
type keeps the items shoppers buy most, within Alexa's limits on slot values and model size,
says what it left out, and each shopper's own items reach Alexa at launch as dynamic
entities."""

import json

from click.testing import CliRunner
from sqlalchemy import insert, select

from skill.catalog import CatalogItem
from skill.cli import cli
from skill.db import utcnow
from skill.interaction_model import (
    ITEM_TYPE,
    MAX_DYNAMIC_VALUES,
    MAX_MODEL_BYTES,
    MAX_SLOT_VALUES,
    check_model,
    history_entities,
    language_model,
)
from skill.orders import OrderLine
from tests.alexa_requests import Dialog


def test_a_50000_item_catalog_builds_within_alexas_limits(runtime, db_url, tmp_path):
    now = utcnow()
    with runtime.transaction() as session:
        bought = set(session.scalars(select(CatalogItem.sku).join(
            OrderLine, OrderLine.item_id == CatalogItem.id)))
        session.connection().execute(insert(CatalogItem.__table__), [
            {"sku": f"BULK-{n}", "name": f"bulk item number {n}", "synonyms": [
                f"bulk thing {n}", f"item {n} in bulk"], "price_minor": 100, "currency": "USD",
             "category": "bulk", "reorderable": True, "max_quantity": 5, "restriction": "none",
             "updated_at": now} for n in range(50_000 - 18)])  # with the demo's 18: 50,000
    out = tmp_path / "model.json"
    result = CliRunner().invoke(cli, ["--db", db_url, "model", "build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "left out" in result.output and "dynamic entities" in result.output
    model = json.loads(out.read_text())
    assert check_model(model) == []
    assert len(out.read_bytes()) <= MAX_MODEL_BYTES
    types = language_model(model)["types"]
    values = sum(1 + len(v["name"]["synonyms"]) for t in types for v in t["values"])
    assert values <= MAX_SLOT_VALUES
    kept = {v["id"] for t in types if t["name"] == ITEM_TYPE for v in t["values"]}
    assert bought and bought <= kept  # what shoppers buy is never left out
    assert 1000 < len(kept) < 50_000
    left = int(result.output.split("left out ")[1].split()[0])
    assert left == 50_000 - len(kept)  # every item is either in the model or named as left out


def test_check_model_refuses_too_many_slot_values():
    model = {"interactionModel": {"languageModel": {
        "invocationName": "voice cart", "intents": [], "types": [{"name": ITEM_TYPE, "values": [
            {"id": f"S{n}", "name": {"value": f"item {n}", "synonyms": ["a", "b"]}}
            for n in range(MAX_SLOT_VALUES // 3 + 1)]}]}}}
    assert any("slot values" in p for p in check_model(model))


class _Item:
    def __init__(self, n: int) -> None:
        self.sku, self.name, self.synonyms = f"S{n}", f"item {n}", [f"thing {n}", f"stuff {n}"]


def test_history_entities_stay_within_the_dynamic_limit():
    directive = history_entities([_Item(n) for n in range(80)])
    entities = directive.types[0].values
    assert directive.update_behavior.value == "REPLACE"
    assert directive.types[0].name == ITEM_TYPE
    assert sum(1 + len(e.name.synonyms) for e in entities) <= MAX_DYNAMIC_VALUES
    assert [e.id for e in entities] == [f"S{n}" for n in range(len(entities))]  # most recent first
    assert history_entities([]) is None


def test_launch_sends_the_shoppers_history_as_dynamic_entities(dialog):
    demo = Dialog(dialog.send, user_id="demo")  # the demo account has ordered before
    demo.launch()
    directives = demo.last["response"].get("directives") or []
    update = [d for d in directives if d["type"] == "Dialog.UpdateDynamicEntities"]
    assert len(update) == 1 and update[0]["updateBehavior"] == "REPLACE"
    values = update[0]["types"][0]["values"]
    assert update[0]["types"][0]["name"] == ITEM_TYPE
    assert "CF-PODS-24" in {v["id"] for v in values}
    assert all(set(v["name"]) == {"value", "synonyms"} for v in values)
    stranger = Dialog(dialog.send, user_id="amzn1.ask.account.NEW")  # no history: nothing
    stranger.launch()
    assert not [d for d in stranger.last["response"].get("directives") or []
                if d["type"] == "Dialog.UpdateDynamicEntities"]
