"""Item resolution on a 50,000-item catalog: VoiceCart's resolver against plain difflib.

Both answer the same queries over the same aliases in the same run: typing-style slips
(letters dropped, doubled, swapped, a space inserted) and speech-recognition-style errors (a
sound-alike spelling, a word split in two or two run together, a dropped ending). The ratio is
what to compare across machines. Run: ``python bench/bench_resolution.py`` (``--compare REV``
also runs the resolver of an earlier git revision on the same queries).
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import subprocess
import sys
import time
import types

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


SOUND_ALIKES = [("ph", "f"), ("f", "ph"), ("c", "k"), ("k", "c"), ("ee", "ea"), ("ea", "ee"),
                ("ai", "ay"), ("ou", "ow"), ("er", "ur"), ("y", "ie"), ("s", "z"),
                ("tion", "shun"), ("ck", "k"), ("oo", "u"), ("ll", "l"), ("tt", "t"),
                ("i", "y"), ("g", "gh")]


def speech_error(text: str, rng: random.Random) -> str:
    """One recognizer-style error on a word of the name (never on its number): a sound-alike
    spelling, a word split in two or two words run together, or a dropped ending."""
    words = text.split()
    spoken = [i for i, w in enumerate(words) if w.isalpha()]
    for _ in range(20):
        op = rng.choice(["sound", "split", "merge", "ending"])
        i = rng.choice(spoken)
        word = words[i]
        if op == "sound":
            rules = [(a, b) for a, b in SOUND_ALIKES if a in word[1:]]
            if rules:
                a, b = rng.choice(rules)
                at = word.index(a, 1)
                words[i] = word[:at] + b + word[at + len(a):]
                return " ".join(words)
        elif op == "split" and len(word) >= 5:
            at = rng.randrange(2, len(word) - 2)
            words[i] = f"{word[:at]} {word[at:]}"
            return " ".join(words)
        elif op == "merge" and i + 1 < len(words) and words[i + 1].isalpha():
            words[i:i + 2] = [word + words[i + 1]]
            return " ".join(words)
        elif op == "ending" and len(word) >= 5:
            for ending in ("ing", "ed", "es", "s"):
                if word.endswith(ending):
                    words[i] = word[:-len(ending)]
                    return " ".join(words)
            words[i] = word[:-1]
            return " ".join(words)
    return text


def old_resolver(revision: str):
    """``ItemIndex`` of skill/resolution.py as it was at ``revision`` (to compare answers)."""
    source = subprocess.run(["git", "show", f"{revision}:skill/resolution.py"], check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("old_resolution")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{revision}:skill/resolution.py", "exec"), module.__dict__)
    return module.ItemIndex


def timed(fn, queries):
    times, answers = [], []
    for q in queries:
        start = time.perf_counter()
        answers.append(fn(q))
        times.append(time.perf_counter() - start)
    return times, answers


def p95(times: list[float]) -> float:
    return sorted(times)[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--baseline-queries", type=int, default=8,
                        help="difflib is slow: it answers the first N queries only")
    parser.add_argument("--compare", metavar="REVISION",
                        help="also run skill/resolution.py as it was at this git revision")
    args = parser.parse_args()
    rng = random.Random(7)
    catalog = make_catalog(args.items, rng)
    targets = [rng.randrange(args.items) for _ in range(args.queries)]
    queries = [mishear(catalog[t][1], rng) for t in targets]
    speech_targets = [rng.randrange(args.items) for _ in range(args.queries)]
    speech_queries = [speech_error(speech_error(catalog[t][1], rng), rng)
                      for t in speech_targets]

    def correct(answers, wanted) -> int:
        return sum(a.best is not None and a.status == "match" and a.best.sku == catalog[t][0]
                   for a, t in zip(answers, wanted, strict=True))

    resolvers = [("voicecart", ItemIndex)]
    if args.compare:
        resolvers.append((f"at {args.compare}", old_resolver(args.compare)))
    medians = {}
    for label, index_class in resolvers:
        start = time.perf_counter()
        index = index_class(catalog)
        build = time.perf_counter() - start
        slip_times, slip_answers = timed(index.resolve, queries)
        speech_times, speech_answers = timed(index.resolve, speech_queries)
        every = slip_times + speech_times
        medians[label] = statistics.median(every)
        print(f"{label:<14} built in {build:.2f} s; median {medians[label] * 1000:6.2f} ms, "
              f"p95 {p95(every) * 1000:6.2f} ms; typing slips correct "
              f"{correct(slip_answers, targets)}/{len(queries)}, speech errors correct "
              f"{correct(speech_answers, speech_targets)}/{len(speech_queries)}")
        if label == "voicecart":
            misses = [(q, catalog[t][1]) for q, a, t in zip(
                speech_queries, speech_answers, speech_targets, strict=True)
                if a.best is None or a.status != "match" or a.best.sku != catalog[t][0]]
            for heard, wanted in misses[:5]:
                print(f"    missed: {heard!r} (meant {wanted!r})")


    aliases = [normalize(a) for _, _, names in catalog for a in names]
    owner = [sku for sku, _, names in catalog for _ in names]
    alias_owner = dict(zip(aliases, owner, strict=True))
    base_queries = queries[:args.baseline_queries]
    base_times, base_answers = timed(
        lambda q: difflib.get_close_matches(normalize(q), aliases, n=5, cutoff=0.6), base_queries)
    base_correct = sum(bool(a) and alias_owner[a[0]] == catalog[t][0]
                       for a, t in zip(base_answers, targets[:len(base_answers)], strict=True))
    base_median = statistics.median(base_times)
    print(f"catalog: {args.items} items, {len(aliases)} aliases")
    print(f"difflib        median {base_median * 1000:8.1f} ms; typing slips correct "
          f"{base_correct}/{len(base_queries)}")
    print(f"speed-up: {base_median / medians['voicecart']:.0f}x faster than difflib "
          "(median per query)")


if __name__ == "__main__":
    main()
