import re

import pytest

from skill.catalog import (
    Restriction,
    add_item,
    create_item,
    find_item,
    get_item,
    list_items,
    parse_item,
    remove_item,
    spec_of,
    spoken_key,
    update_item,
)
from skill.errors import InvalidInput, NotFound

pytestmark = pytest.mark.both_databases

GOOD = {"sku": "TEA-1", "name": "green tea", "synonyms": "tea| Green  Tea |matcha",
        "price": "4.50", "currency": "usd", "category": "Grocery", "reorderable": "yes",
        "max_quantity": "5", "restriction": "PIN"}


def test_parse_item_normalizes_fields():
    spec = parse_item(GOOD)
    assert spec.price_minor == 450
    assert spec.currency == "USD"
    assert spec.category == "grocery"
    assert spec.synonyms == ["tea", "Green Tea", "matcha"]
    assert spec.reorderable is True
    assert spec.restriction is Restriction.PIN


@pytest.mark.parametrize("field,value,message", [
    ("price", "abc", "price"),
    ("price", "4.505", "decimals"),
    ("price", "0", "more than zero"),
    ("price", "-1", "price"),
    ("currency", "dollars", "currency"),
    ("max_quantity", "0", "at least 1"),
    ("max_quantity", "two", "whole number"),
    ("reorderable", "maybe", "true or false"),
    ("restriction", "kids", "restriction"),
    ("sku", "bad sku!", "sku"),
    ("name", "  ", "name is empty"),
])
def test_parse_item_rejects_bad_fields(field, value, message):
    with pytest.raises(InvalidInput, match=message):
        parse_item({**GOOD, field: value})


def test_parse_item_rejects_missing_and_unknown_fields():
    with pytest.raises(InvalidInput, match="missing field"):
        parse_item({k: v for k, v in GOOD.items() if k != "price"})
    with pytest.raises(InvalidInput, match="unknown field"):
        parse_item({**GOOD, "colour": "green"})


def test_add_update_remove(empty_runtime):
    with empty_runtime.transaction() as s:
        add_item(s, parse_item(GOOD))
    with empty_runtime.transaction() as s:
        item = update_item(s, "TEA-1", {"price": "5.00", "restriction": "none"})
        assert item.price_minor == 500 and item.restriction == "none"
        assert item.synonyms == ["tea", "Green Tea", "matcha"]
    with pytest.raises(InvalidInput, match="already exists"), empty_runtime.transaction() as s:
        add_item(s, parse_item(GOOD))
    with empty_runtime.transaction() as s:
        remove_item(s, "TEA-1")
        assert list_items(s) == []
    with pytest.raises(NotFound), empty_runtime.transaction() as s:
        get_item(s, "TEA-1")


def test_failed_update_changes_nothing(empty_runtime):
    with empty_runtime.transaction() as s:
        add_item(s, parse_item(GOOD))
    with pytest.raises(InvalidInput), empty_runtime.transaction() as s:
        update_item(s, "TEA-1", {"price": "free"})
    with empty_runtime.transaction() as s:
        assert get_item(s, "TEA-1").price_minor == 450


def test_reorderable_listing_hides_blocked_items(runtime):
    with runtime.transaction() as s:
        skus = {i.sku for i in list_items(s, reorderable_only=True)}
    assert "WN-RED" not in skus and "GC-50" not in skus and "CF-PODS-24" in skus


# --- spoken units --------------------------------------------------------------------------

def test_units_are_parsed_and_the_plural_defaults():
    spec = parse_item({**GOOD, "unit": " Box ", "unit_plural": ""})
    assert (spec.unit, spec.unit_plural, spec.unit_given) == ("box", "boxes", True)
    spec = parse_item({**GOOD, "unit": "bottle"})
    assert (spec.unit, spec.unit_plural) == ("bottle", "bottles")
    spec = parse_item({**GOOD, "unit": "loaf", "unit_plural": "loafs"})
    assert spec.unit_plural == "loafs"  # the merchant's own plural wins
    spec = parse_item({**GOOD, "unit": "", "unit_plural": ""})
    assert (spec.unit, spec.unit_plural, spec.unit_given) == (None, None, True)
    spec = parse_item({**GOOD, "unit": None})  # JSON null
    assert (spec.unit, spec.unit_plural) == (None, None)
    assert parse_item(GOOD).unit_given is False  # a record without units keeps stored ones


@pytest.mark.parametrize("record,message", [
    ({"unit": "6 pack"}, "unit '6 pack' must be a short word or two"),
    ({"unit": "pack!"}, "unit 'pack!' must be"),
    ({"unit": "a" * 33}, "must be a short word"),
    ({"unit": 3}, "unit must be text"),
    ({"unit": "", "unit_plural": "packs"}, "unit_plural 'packs' needs a unit"),
    ({"unit_plural": "packs"}, "unit_plural needs unit in the same record"),
    ({"unit": "pack", "unit_plural": "Packs?"}, "unit_plural 'Packs?' must be"),
])
def test_bad_units_are_refused(record, message):
    with pytest.raises(InvalidInput, match=re.escape(message)) as failure:
        parse_item({**GOOD, **record})
    assert set(failure.value.fields) <= {"unit", "unit_plural"}


def test_units_are_stored_updated_and_cleared(empty_runtime):
    with empty_runtime.transaction() as s:
        item = add_item(s, parse_item({**GOOD, "unit": "pack"}))
        assert (item.unit, item.unit_plural) == ("pack", "packs")
    with empty_runtime.transaction() as s:
        item = update_item(s, "TEA-1", {"price": "5.00"})  # other fields keep the units
        assert (item.unit, item.unit_plural) == ("pack", "packs")
        item = update_item(s, "TEA-1", {"unit": "box"})  # a new unit brings its own plural
        assert (item.unit, item.unit_plural) == ("box", "boxes")
        # The console's form sends every field: the old plural beside a new unit is stale.
        item = update_item(s, "TEA-1", {**spec_of(item).as_record(), "unit": "tin"})
        assert (item.unit, item.unit_plural) == ("tin", "tins")
        item = update_item(s, "TEA-1", {"unit": "loaf", "unit_plural": "loafs"})
        assert (item.unit, item.unit_plural) == ("loaf", "loafs")
        item = update_item(s, "TEA-1", {"unit": None})
        assert (item.unit, item.unit_plural) == (None, None)
        assert spec_of(item).as_record()["unit"] == ""


# --- every problem at once; the store's currency; spoken names --------------------------------

def test_every_problem_of_a_record_is_reported():
    record = {k: v for k, v in GOOD.items() if k != "category"}
    with pytest.raises(InvalidInput) as failure:
        parse_item({**record, "price": "free", "max_quantity": "0", "restriction": "kids",
                    "colour": "green", "unit": "6 pack"})
    problems = failure.value.problems
    assert len(problems) == 6, problems
    assert problems[0] == "missing field(s): category"
    assert problems[1] == "unknown field(s): colour"
    assert set(failure.value.fields) == {"category", "colour", "price", "max_quantity",
                                         "restriction", "unit"}
    assert str(failure.value) == "; ".join(problems)


def test_an_item_priced_in_another_currency_than_the_stores_is_refused():
    assert parse_item({**GOOD, "currency": "usd"}, currency="USD").currency == "USD"
    with pytest.raises(InvalidInput) as failure:
        parse_item({**GOOD, "currency": "EUR", "price": "x"}, currency="USD")
    assert failure.value.fields["currency"] == "currency EUR is not the store's currency (USD)"
    assert "price" in failure.value.fields
    assert parse_item({**GOOD, "currency": "EUR"}).currency == "EUR"  # no store: not checked


def test_spoken_key_ignores_case_punctuation_and_spacing():
    assert spoken_key("Oral-B  Heads!") == spoken_key("oral b heads") == "oral b heads"
    assert spoken_key("Kid's Pods") == spoken_key("kids pods")
    assert spoken_key("k cups") != spoken_key("kcups")


def test_a_new_item_may_not_take_another_items_spoken_name(runtime):
    with pytest.raises(InvalidInput) as failure, runtime.transaction() as s:
        create_item(s, {"sku": "TEA-1", "name": "Coffee-Pods", "synonyms": "tea|K Cups",
                        "price": "4.50", "category": "grocery", "currency": "EUR"}, "USD")
    fields = failure.value.fields
    assert fields["name"] == ("name 'Coffee-Pods' is also a name or synonym of CF-PODS-24 in "
                              "the catalog")
    assert fields["synonyms"] == ("synonym 'K Cups' is also a name or synonym of CF-PODS-24 in "
                                  "the catalog")
    assert "currency EUR" in fields["currency"]
    with runtime.transaction() as s:
        assert find_item(s, "TEA-1") is None
        with pytest.raises(InvalidInput, match="'coffee pods' is also a name or synonym of "
                                               "CF-PODS-24"):
            add_item(s, parse_item({**GOOD, "synonyms": "coffee pods"}))
        item = create_item(s, {"sku": "TEA-1", "name": "green tea", "price": "4.50",
                               "category": "grocery", "unit": "tin"}, "USD")
        assert (item.currency, item.unit_plural, item.max_quantity) == ("USD", "tins", 5)


def test_an_update_may_not_take_another_items_spoken_name(runtime):
    with runtime.transaction() as s:
        # Its own names are no clash, under a new sku too.
        update_item(s, "CF-PODS-24", {"sku": "CF-PODS-30", "synonyms": "pods|Coffee Pods"},
                    currency="USD")
    with pytest.raises(InvalidInput) as failure, runtime.transaction() as s:
        update_item(s, "CF-PODS-30", {"synonyms": "pods|kitty litter", "price": "x",
                                      "currency": "GBP"}, currency="USD")
    assert "kitty litter' is also a name or synonym of CL-LITTER" in failure.value.fields[
        "synonyms"]
    assert set(failure.value.fields) == {"synonyms", "price", "currency"}
    with runtime.transaction() as s:
        assert get_item(s, "CF-PODS-30").synonyms == ["pods", "Coffee Pods"]
