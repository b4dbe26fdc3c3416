import random

import pytest

from skill.catalog import add_item, parse_item
from skill.item_index import score_aliases
from skill.resolution import MATCH_THRESHOLD, ItemIndex, normalize

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


SPEECH = [
    ("SR-FLAKES", "corn flakes cereal", []),
    ("FL-PLAIN", "plain flour", []),
    ("CR-WHIP", "whipped cream", []),
    ("PT-MASH", "mashed potatoes", []),
    ("YG-GREEK", "greek yogurt", []),
    ("PR-ASIAN", "asian pears", []),
    ("SH-2IN1", "shampoo", []),
    ("MK-OAT", "oat milk", ["oatmilk"]),
    ("TB-SONIC-3", "sonicare toothbrush heads", []),
    ("SP-KITCHEN", "kitchen sponges", []),
]


@pytest.fixture(scope="module")
def speech_index():
    return ItemIndex([(sku, name, [name, *syn]) for sku, name, syn in SPEECH])


@pytest.mark.parametrize("heard,sku", [
    ("corn flakes serial", "SR-FLAKES"),      # sound-alike
    ("plain flower", "FL-PLAIN"),
    ("greek yoghurt", "YG-GREEK"),
    ("asian pairs", "PR-ASIAN"),
    ("whip cream", "CR-WHIP"),                # dropped ending
    ("mash potato", "PT-MASH"),
    ("kitchen sponge", "SP-KITCHEN"),
    ("sham poo", "SH-2IN1"),                  # a word split in two
    ("sonic care tooth brush heads", "TB-SONIC-3"),
    ("kitchensponges", "SP-KITCHEN"),         # words run together
    ("oat milk", "MK-OAT"),
])
def test_speech_recognition_errors_resolve(speech_index, heard, sku):
    result = speech_index.resolve(heard)
    assert result.status == "match", result
    assert result.best.sku == sku


@pytest.mark.parametrize("heard", ["ham", "four", "pears and apples", "cream"])
def test_sound_alikes_do_not_stretch_to_other_words(speech_index, heard):
    assert speech_index.resolve(heard).status != "match"


def _synthetic(n: int, seed: int) -> list[tuple[str, str, list[str]]]:
    """Items named by two to four of 300 made-up words, each with one made-up synonym."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "tur", "ben", "sa", "vo", "rit", "gal", "pe", "don", "shu"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 3))) for _ in range(300)})
    return [(f"S{i}", " ".join(rng.sample(words, rng.randint(2, 4))),
             [" ".join(rng.sample(words, 2))]) for i in range(n)]


def _trusted(result):
    """What a shopper hears of a resolution: the verdict and the candidates worth offering."""
    return result.status, [c for c in result.candidates if c.score >= MATCH_THRESHOLD]


def test_items_added_and_removed_one_by_one_answer_as_a_fresh_index():
    items = _synthetic(300, 1)
    renamed = [(sku, name, aliases) for (sku, _, _), (_, name, aliases) in zip(
        items[:40], _synthetic(340, 5)[300:], strict=True)]
    grown = ItemIndex([(sku, name, [name, *aliases]) for sku, name, aliases in items[:150]])
    for sku, name, aliases in items[150:] + renamed:  # renamed: old names must be forgotten
        grown.add(sku, name, [name, *aliases])
    for sku, _, _ in items[40:60]:
        grown.remove(sku)
    fresh = ItemIndex([(sku, name, [name, *aliases]) for sku, name, aliases in
                       renamed + items[60:]])
    assert len(grown) == len(fresh) == 280
    for _, name, aliases in items[:100] + renamed:
        for heard in (name, name[:-1], aliases[0], " ".join(name.split()[:2])):
            assert _trusted(grown.resolve(heard)) == _trusted(fresh.resolve(heard)), heard
    assert grown.resolve(items[45][1]).best.sku != items[45][0]


def test_the_shortlist_finds_what_scoring_every_alias_finds():
    """The index must not lose the best item: against scoring all aliases of 2,000 items."""
    items = _synthetic(2000, 3)
    index = ItemIndex([(sku, name, [name, *aliases]) for sku, name, aliases in items])
    aliases = [(sku, normalize(a)) for sku, name, syn in items for a in [name, *syn]]
    rng = random.Random(4)
    for _ in range(60):
        sku, name, _ = items[rng.randrange(len(items))]
        chars = list(name)
        at = rng.randrange(1, len(chars) - 1)
        del chars[at]
        heard = normalize("".join(chars))
        scores = score_aliases(heard, [a for _, a in aliases])
        best = float(scores.max())
        found = index.resolve(heard)
        assert found.best is not None and found.best.score == pytest.approx(best, abs=0.06), heard
        assert {s for (s, _), score in zip(aliases, scores, strict=True) if score >= best - 1e-3} \
            & {c.sku for c in found.candidates}, heard
