"""The statistical half of intent matching: a classifier trained on the expanded templates.

Training sentences are the templates' sentences in their *shape* (slot values replaced by
placeholders, see ``voice_local.slot_finder``), plus the same sentences with a product the
store does not sell in the item's place (so "add eggs to my list" is still an add), plus
sentences about other things entirely (``interaction_models/none/<locale>*.txt``), labelled
``NONE`` so that out-of-domain speech is rejected rather than forced onto an intent.

Features are word 1-2-grams and character 2-5-grams (robust to recognizer slips); the model
is a logistic regression, whose probabilities the matcher compares with a threshold. The
trained model depends only on the template files, so it is cached on disk by their hash.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import random
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import platformdirs
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from skill.templates import TEMPLATES_DIR, added_phrases_path, load_templates
from voice_local.slot_finder import PLACEHOLDERS, SlotFinder
from voice_local.text import normalize

log = logging.getLogger(__name__)

NONE = "NONE"
"""The label of sentences that are about something else."""
NOT_TRAINED = ("AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.FallbackIntent")
"""Yes and No are judged by rules (``voice_local.answers``); Fallback is what is left."""
SENTENCES_PER_TEMPLATE = 60
UNKNOWN_ITEM_SHARE = 0.35
"""Of the sentences with an item, how many name a product the store does not sell."""
_VERSION = 16
"""Bump when training changes, so cached models are retrained."""


@dataclass(frozen=True)
class Ranked:
    """An intent and the classifier's probability for it."""

    intent: str
    probability: float


class IntentClassifier:
    """Ranks intents for a sentence's shape."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.labels: list[str] = list(pipeline.classes_)

    def rank(self, shape: str, allowed: set[str] | None = None, limit: int = 3) -> list[Ranked]:
        """The most probable intents, best first (``NONE`` among them); with ``allowed``,
        only those, their probabilities given that the answer is one of them."""
        probabilities = self.pipeline.predict_proba([_without_articles(shape)])[0]
        if allowed is not None:
            keep = [label in allowed for label in self.labels]
            probabilities = probabilities * keep
            probabilities = probabilities / max(probabilities.sum(), 1e-12)
        order = probabilities.argsort()[::-1][:limit]
        return [Ranked(str(self.labels[i]), float(probabilities[i])) for i in order]


_ARTICLES = frozenset({"a", "an", "the"})


def _without_articles(shape: str) -> str:
    """The shape the classifier sees: "a" or "the" says nothing about the intent, yet the
    out-of-domain sentences would teach it that "how much is an ..." is not a price."""
    return " ".join(w for w in shape.split() if w not in _ARTICLES) or shape


def _data_lines(name: str) -> list[str]:
    text = resources.files("voice_local").joinpath(f"data/{name}").read_text("utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def _none_paths(locale: str) -> list[Path]:
    """The locale's out-of-domain sentences: ``none/<locale>.txt`` and ``<locale>.*.txt``."""
    folder = TEMPLATES_DIR.parent / "none"
    return sorted(folder.glob(f"{locale}.txt")) + sorted(folder.glob(f"{locale}.*.txt"))


def none_sentences(locale: str) -> list[str]:
    """The locale's sentences about other things, normalized."""
    return [normalize(ln) for path in _none_paths(locale) for ln in path.read_text("utf-8")
            .splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=4)
def context_words(locale: str = "en-US") -> frozenset[str]:
    """Words said at least twice in requests about other things and never in a template:
    kept in a sentence's shape, they tell "play some taylor swift" from "buy some tea"."""
    from voice_local.matcher import known_words

    counts = Counter(w for line in none_sentences(locale) for w in set(line.split()))
    return frozenset(w for w, n in counts.items() if n >= 2) - known_words(
        load_templates(locale))


@lru_cache(maxsize=4)
def command_words(locale: str = "en-US") -> frozenset[str]:
    """The words that start at least two requests about other things and no template
    sentence ("turn", "dim", "flip"): verbs, never part of a product's name."""
    from voice_local.matcher import known_words

    counts = Counter(line.split()[0] for line in none_sentences(locale) if line.split())
    return frozenset(w for w, n in counts.items() if n >= 2) - known_words(
        load_templates(locale))


def training_rows(locale: str = "en-US", seed: int = 0) -> list[tuple[str, str]]:
    """``(shape, label)`` pairs: the templates' sentences and the out-of-domain ones."""
    from voice_local.matcher import known_words  # the matcher builds on this module

    rng = random.Random(seed)
    unknown = _data_lines("unknown_items.txt")
    intents = load_templates(locale)
    shaper = SlotFinder(None, None, known_words(intents), context_words(locale),
                        command_words(locale))
    rows: list[tuple[str, str]] = []
    for intent in intents.values():
        if intent.name in NOT_TRAINED or not intent.templates:
            continue
        limit = SENTENCES_PER_TEMPLATE * len(intent.templates)
        for sentence in intent.sentences(limit, seed):
            shape = sentence
            for slot, placeholder in PLACEHOLDERS.items():
                value = placeholder
                if slot == "Item" and rng.random() < UNKNOWN_ITEM_SHARE:
                    value = rng.choice(unknown)
                shape = shape.replace(f"{{{slot}}}", value)
            rows.append((shaper.find(normalize(shape)).shape, intent.name))
    rows += [(shaper.find(line).shape, NONE) for line in none_sentences(locale)]
    return rows


def train(rows: list[tuple[str, str]]) -> IntentClassifier:
    """A classifier fitted on ``rows``."""
    features = FeatureUnion([
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                  token_pattern=r"[a-z0-9']+")),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                  min_df=2)),
    ])
    pipeline = Pipeline([("features", features),
                         ("model", LogisticRegression(C=20.0, max_iter=2000,
                                                      class_weight="balanced"))])
    texts, labels = zip(*rows, strict=True)
    pipeline.fit([_without_articles(t) for t in texts], list(labels))
    return IntentClassifier(pipeline)


def _fingerprint(locale: str) -> str:
    digest = hashlib.sha256(f"{_VERSION} {sklearn.__version__}".encode())
    added = added_phrases_path(locale)  # the merchant's own phrases retrain it too
    for path in (TEMPLATES_DIR / f"{locale}.txt", *_none_paths(locale),
                 *([added] if added.is_file() else [])):
        digest.update(path.read_bytes())
    for name in ("unknown_items.txt", "words.json", "answers.json", "verb_synonyms.json"):
        digest.update(resources.files("voice_local").joinpath(f"data/{name}").read_bytes())
    # The code that turns a sentence into its shape: a change there retrains, as a data
    # change does (a model trained on the old shapes would be kept otherwise).
    for module in ("classifier.py", "slot_finder.py", "text.py"):
        digest.update(resources.files("voice_local").joinpath(module).read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=4)
def _trained(locale: str, fingerprint: str) -> IntentClassifier:
    cache = Path(platformdirs.user_cache_dir("voicecart")) / f"intents-{locale}-{fingerprint}.pkl"
    try:
        # Our own cache directory, written only by this function.
        return pickle.loads(cache.read_bytes())  # noqa: S301
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    classifier = train(training_rows(locale))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".tmp")
        partial.write_bytes(pickle.dumps(classifier))
        partial.replace(cache)
    except OSError as error:  # a read-only home: train again next time
        log.warning("could not cache the intent classifier: %s", error)
    return classifier


def classifier_for(locale: str = "en-US") -> IntentClassifier:
    """The trained classifier for ``locale``'s templates (trained once, then cached)."""
    return _trained(locale, _fingerprint(locale))
