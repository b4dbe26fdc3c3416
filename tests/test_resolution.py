import pytest

from skill.catalog import add_item, parse_item
from skill.resolution import ItemIndex, normalize

DEMO = [
    ("TB-ORALB-4", "Oral-B toothbrush heads", ["oral b heads", "toothbrush heads"]),
    ("TB-SONIC-3", "Sonicare toothbrush heads", ["sonicare heads", "toothbrush heads"]),
    ("CF-PODS-24", "coffee pods", ["coffee capsules", "k cups"]),
    ("PT-6ROLL", "paper towels", ["kitchen roll"]),
    ("TP-12ROLL", "toilet paper", ["toilet roll"]),
    ("DS-LEMON", "dish soap", ["washing up liquid"]),
    ("LD-PODS-42", "laundry detergent", ["laundry pods"]),
    ("BT-AA-20", "double A batteries", ["aa batteries", "batteries"]),
    ("SH-2IN1", "shampoo", []),
    ("CL-LITTER", "cat litter", ["kitty litter"]),
    ("DF-DRY-15", "dog food", ["kibble"]),
    ("CK-CHOC-4LB", "chocolate chip cookies", ["cookies"]),
    ("DH-WOOD", "dollhouse", ["doll house"]),
]


@pytest.fixture(scope="module")
def index():
    return ItemIndex([(sku, name, [name, *syn]) for sku, name, syn in DEMO])


@pytest.mark.parametrize("heard,sku", [
    ("coffee pots", "CF-PODS-24"),
    ("the coffee pods", "CF-PODS-24"),
    ("k cup", "CF-PODS-24"),
    ("paper towel", "PT-6ROLL"),
    ("toilet papers", "TP-12ROLL"),
    ("dish so", "DS-LEMON"),
    ("landry detergent", "LD-PODS-42"),
    ("double a batteries", "BT-AA-20"),
    ("sham poo", "SH-2IN1"),
    ("cat liter", "CL-LITTER"),
    ("dog foot", "DF-DRY-15"),
    ("doll house", "DH-WOOD"),
    ("some cookies", "CK-CHOC-4LB"),
    ("oral b heads", "TB-ORALB-4"),
    ("sonic care heads", "TB-SONIC-3"),
    ("Oral-B toothbrush heads", "TB-ORALB-4"),
])
def test_misrecognized_names_resolve(index, heard, sku):
    result = index.resolve(heard)
    assert result.status == "match", result
    assert result.best.sku == sku


def test_shared_synonym_is_ambiguous_not_guessed(index):
    for heard in ("toothbrush heads", "tooth brush hands"):
        result = index.resolve(heard)
        assert result.status == "ambiguous", result
        assert {c.sku for c in result.candidates[:2]} == {"TB-ORALB-4", "TB-SONIC-3"}


@pytest.mark.parametrize("heard", ["banana", "a new car", "", "   ", "the"])
def test_unknown_items_are_not_matched(index, heard):
    assert index.resolve(heard).status == "none"


def test_candidates_are_ranked_with_scores(index):
    result = index.resolve("coffee pots")
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)


def test_normalize():
    assert normalize("The Oral-B heads!") == "oral b heads"
    assert normalize("a") == "a"


def test_catalog_resolver_sees_new_items(runtime):
    with runtime.transaction() as s:
        assert runtime.resolver.resolve(s, "green tea").status == "none"
        add_item(s, parse_item({
            "sku": "TEA-1", "name": "green tea", "synonyms": "matcha", "price": "4.50",
            "currency": "USD", "category": "grocery", "reorderable": "true",
            "max_quantity": "5", "restriction": "none"}))
        assert runtime.resolver.resolve(s, "green tee").best.sku == "TEA-1"
        assert runtime.resolver.resolve(s, "match a").best.sku == "TEA-1"
