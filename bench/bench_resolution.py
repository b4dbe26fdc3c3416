"""Item resolution on a 50,000-item catalog: VoiceCart's resolver against plain difflib.

Both answer the same queries (misheard names) over the same aliases in the same run; the
ratio is what to compare across machines. Run: ``python bench/bench_resolution.py``.
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import time

from skill.resolution import ItemIndex, normalize

ADJECTIVES = ["organic", "large", "small", "family", "travel", "extra", "gentle", "fresh",
              "classic", "premium", "sensitive", "whole", "bulk", "mini", "deluxe", "value"]
NOUNS = ["toothbrush heads", "coffee pods", "paper towels", "dish soap", "cat litter",
         "dog food", "trash bags", "oat milk", "shampoo", "batteries", "cookies", "tea",
         "laundry detergent", "toilet paper", "hand soap", "sponges", "razor blades",
         "vitamins", "cereal", "rice", "pasta", "olive oil", "peanut butter", "diapers"]
BRANDS = ["acme", "northwind", "contoso", "globex", "initech", "umbrella", "hooli", "vandelay",
          "stark", "wayne", "tyrell", "cyberdyne", "soylent", "wonka", "gringotts", "oceanic"]


def make_catalog(size: int, rng: random.Random) -> list[tuple[str, str, list[str]]]:
    items = []
    for n in range(size):
        noun = rng.choice(NOUNS)
        name = f"{rng.choice(BRANDS)} {rng.choice(ADJECTIVES)} {noun} {n}"
        synonyms = [f"{rng.choice(BRANDS)} {noun} {n}", f"{noun} number {n}"]
        items.append((f"SKU-{n}", name, [name, *synonyms]))
    return items


def mishear(text: str, rng: random.Random) -> str:
    """Drop, double or swap a letter, or split a word: typical recognizer slips."""
    chars = list(text)
    for _ in range(2):
        i = rng.randrange(1, len(chars) - 1)
        op = rng.choice(["drop", "double", "swap", "space"])
        if op == "drop":
            del chars[i]
        elif op == "double":
            chars.insert(i, chars[i])
        elif op == "swap":
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars.insert(i, " ")
    return "".join(chars)


def timed(fn, queries):
    times, answers = [], []
    for q in queries:
        start = time.perf_counter()
        answers.append(fn(q))
        times.append(time.perf_counter() - start)
    return times, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--baseline-queries", type=int, default=8,
                        help="difflib is slow: it answers the first N queries only")
    args = parser.parse_args()
    rng = random.Random(7)
    catalog = make_catalog(args.items, rng)
    targets = [rng.randrange(args.items) for _ in range(args.queries)]
    queries = [mishear(catalog[t][1], rng) for t in targets]

    start = time.perf_counter()
    index = ItemIndex(catalog)
    build = time.perf_counter() - start

    vc_times, vc_answers = timed(lambda q: index.resolve(q), queries)
    vc_correct = sum(a.best is not None and a.best.sku == catalog[t][0]
                     for a, t in zip(vc_answers, targets, strict=True))

    aliases = [normalize(a) for _, _, names in catalog for a in names]
    owner = [sku for sku, _, names in catalog for _ in names]
    alias_owner = dict(zip(aliases, owner, strict=True))
    base_queries = queries[:args.baseline_queries]
    base_times, base_answers = timed(
        lambda q: difflib.get_close_matches(normalize(q), aliases, n=5, cutoff=0.6), base_queries)
    base_correct = sum(bool(a) and alias_owner[a[0]] == catalog[t][0]
                       for a, t in zip(base_answers, targets[:len(base_answers)], strict=True))

    vc_median = statistics.median(vc_times) * 1000
    base_median = statistics.median(base_times) * 1000
    print(f"catalog: {args.items} items, {len(aliases)} aliases; index built in {build:.2f} s")
    print(f"voicecart  median {vc_median:8.1f} ms  p95 "
          f"{sorted(vc_times)[int(0.95 * (len(vc_times) - 1))] * 1000:8.1f} ms  "
          f"correct {vc_correct}/{len(queries)}")
    print(f"difflib    median {base_median:8.1f} ms  "
          f"correct {base_correct}/{len(base_queries)}")
    print(f"speed-up: {base_median / vc_median:.0f}x faster than difflib (median per query)")


if __name__ == "__main__":
    main()
