"""A trigram language model of the skill's phrasings, for turns that are no answer to a yes/no
question or a PIN prompt.

A grammar hears only its own sentences, and shoppers mostly say something else ("chuck some
bin bags in the trolley"): forced onto the nearest sentence, such a turn became a wrong request
or nothing. A trigram model trained on the expanded templates (``interaction_models/templates``,
the same phrasings the typed matcher learns), with the catalog's names, quantities and ordinals
in the slots, hears unseen combinations of seen pieces; what it hears goes to the typed matcher,
which understands a phrasing from its pieces. It is built when the recognizer opens (the
catalog may have changed), with the ARPA builder that ships with PocketSphinx.
"""

from __future__ import annotations

import json
import random
import re
from importlib import resources
from pathlib import Path

from skill.interaction_model import language_model, load_model
from skill.templates import load_templates
from voice_local.grammar import ITEM, QUANTITY, Grammar, spoken

PER_INTENT = 400
"""Sentences drawn from each intent's templates (measured on 200 rows of tests/data/dev*.tsv:
1,500 heard no better, 35.0% against 36.0%, and the model grew)."""
DISCOUNT = 0.5
"""Probability mass kept for unseen word sequences (the builder's back-off; measured on 200
dev rows, the trigram model alone: 0.3 36.0%, 0.5 36.0%, 0.7 34.5%)."""
ORDINALS = ("first", "second", "third", "fourth", "fifth", "last", "one", "two", "three")
"""What fills ``{Ordinal}`` ("the second one", "number two")."""
BUILTIN_REPEATS = 3
"""The built-in intents' few phrases ("help", "stop"), counted this often so that they weigh
against the thousands of request sentences."""
SEED = 1


def sentences(grammar: Grammar, locale: str = "en-US", per_intent: int = PER_INTENT
              ) -> list[str]:
    """The training text: each intent's templates expanded (up to ``per_intent`` sentences)
    with their slots filled at random from the grammar's catalog names and quantities, plus
    the built-in intents' phrases. PIN sentences are left out (a PIN is heard by its own
    grammar, only while one is asked)."""
    rng = random.Random(SEED)
    categories = [v["name"]["value"] for t in language_model(load_model(locale))["types"]
                  if t["name"] == "CATALOG_CATEGORY" for v in t["values"]]
    fillers = {"Item": list(grammar.rules.get(ITEM, ())),
               "Quantity": list(grammar.rules.get(QUANTITY, ())),
               "Ordinal": list(ORDINALS), "Category": categories}

    def fill(slot: re.Match) -> str:
        options = fillers.get(slot.group(1))
        return rng.choice(options) if options else ""

    text = []
    for templates in load_templates(locale).values():
        if "AMAZON.FOUR_DIGIT_NUMBER" in templates.slots.values():
            continue
        for sentence in templates.sentences(limit=per_intent, seed=SEED):
            text.append(spoken(re.sub(r"\{(\w+)\}", fill, sentence)))
    builtins = json.loads(resources.files("voice_local").joinpath(
        "data/builtins.json").read_text("utf-8"))
    for intent, phrases in builtins.items():
        if not intent.startswith("_"):
            text += [spoken(p) for p in phrases] * BUILTIN_REPEATS
    return [s for s in text if s]


def write_arpa(text: list[str], path: Path) -> None:
    """A back-off trigram model of ``text`` (one sentence per item) in ARPA format."""
    from pocketsphinx.lm import ArpaBoLM

    model = ArpaBoLM(text="\n".join(text), add_start=True, discount_mass=DISCOUNT)
    model.compute()
    model.write_file(str(path))
