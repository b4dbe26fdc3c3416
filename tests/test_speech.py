"""Quantities said the way a person would: with the item's unit, or counting its name."""

from types import SimpleNamespace

import pytest

from skill.cart import CartEntry
from skill.orders import QuoteLine
from skill.speech import looks_plural, plural, say_item_quantity, say_quantity


@pytest.mark.parametrize(("quantity", "name", "unit", "unit_plural", "said"), [
    (1, "paper towels", "pack", "packs", "one pack of paper towels"),
    (2, "paper towels", "pack", "packs", "two packs of paper towels"),
    (2, "coffee pods", "box", "boxes", "two boxes of coffee pods"),
    (2, "coffee pods", "box", None, "two boxes of coffee pods"),  # the regular plural
    (3, "red wine", "bottle", None, "three bottles of red wine"),
    (2, "bread", "loaf", None, "two loaves of bread"),
    (12, "dog food", "bag", "bags", "12 bags of dog food"),
    (0, "paper towels", "pack", "packs", "zero packs of paper towels"),
    (2, "Oral-B toothbrush heads", "pack", "packs", "two packs of Oral-B toothbrush heads"),
    # No unit: a plural name alone for one, counted for more.
    (1, "coffee pods", None, None, "coffee pods"),
    (2, "coffee pods", None, None, "two coffee pods"),
    (1, "double A batteries", None, None, "double A batteries"),
    # No unit: a singular name counted, its last word made plural for more than one.
    (1, "dollhouse", None, None, "one dollhouse"),
    (2, "dollhouse", None, None, "two dollhouses"),
    (2, "building blocks set", None, None, "two building blocks sets"),
    (1, "dish soap", None, None, "one dish soap"),
    (2, "gift card", "", "", "two gift cards"),  # empty is no unit
])
def test_say_quantity(quantity, name, unit, unit_plural, said):
    assert say_quantity(quantity, name, unit, unit_plural) == said


def test_say_quantity_keeps_its_two_argument_form():
    assert say_quantity(2, "coffee pods") == "two coffee pods"
    assert say_quantity(1, "dollhouse") == "one dollhouse"


def test_say_item_quantity_takes_anything_with_a_name_and_units():
    towels = SimpleNamespace(name="paper towels", unit="pack", unit_plural="packs")
    assert say_item_quantity(1, towels) == "one pack of paper towels"
    entry = CartEntry("CF-PODS-24", "coffee pods", 2, 1549, "USD", "box", "boxes")
    assert say_item_quantity(entry.quantity, entry) == "two boxes of coffee pods"
    line = QuoteLine(1, "DH-WOOD", "dollhouse", "toys", "approval", 14999, 1)
    assert (line.unit, line.unit_plural) == (None, None)  # old callers: no unit
    assert say_item_quantity(line.quantity, line) == "one dollhouse"
    assert say_item_quantity(3, SimpleNamespace(name="gift card")) == "three gift cards"


@pytest.mark.parametrize(("singular", "plural_form"), [
    ("pack", "packs"), ("box", "boxes"), ("bottle", "bottles"), ("bag", "bags"),
    ("carton", "cartons"), ("pouch", "pouches"), ("brush", "brushes"), ("glass", "glasses"),
    ("battery", "batteries"), ("tray", "trays"), ("loaf", "loaves"), ("knife", "knives"),
    ("tomato", "tomatoes"), ("series", "series"), ("TV", "TVs"), ("six pack", "six packs"),
    ("coffee pods", "coffee pods"), ("Gift Card", "Gift Cards"),
])
def test_plural(singular, plural_form):
    assert plural(singular) == plural_form


@pytest.mark.parametrize(("name", "is_plural"), [
    ("coffee pods", True), ("paper towels", True), ("double A batteries", True),
    ("Oral-B toothbrush heads", True), ("work gloves", True), ("children", True),
    ("dish soap", False), ("dollhouse", False), ("glass", False), ("hummus", False),
    ("tennis", False), ("gas", False), ("lens", False), ("building blocks set", False),
    ("bus", False), ("news", False),
])
def test_looks_plural(name, is_plural):
    assert looks_plural(name) is is_plural
