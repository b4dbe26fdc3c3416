"""Words that sound like the words shoppers use: "what's in my card", "clear car", "cancel my
odor" are a recognizer's (or a phone keyboard's) version of cart and order.

Pronunciations come from the CMU pronouncing dictionary that PocketSphinx carries; two words
sound alike when their phonemes differ by one (two for longer words). The matcher tries these
readings only when the words as heard make no sense (see ``IntentMatcher.match``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein


@lru_cache(maxsize=1)
def pronunciations() -> dict[str, str]:
    """Word -> its first pronunciation, one character a phoneme (for fast edit distances)."""
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    phonemes: dict[str, str] = {}
    found: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                word, _, spoken = line.strip().partition(" ")
                if "(" in word or not spoken:
                    continue  # only a word's first pronunciation
                found[word] = "".join(phonemes.setdefault(p, chr(0x100 + len(phonemes)))
                                      for p in spoken.split())
    except OSError:
        return {}
    return found


class SoundAlikes:
    """Finds, for a word, the words of a vocabulary that sound like it."""

    def __init__(self, vocabulary: set[str]) -> None:
        spoken = pronunciations()
        self._vocabulary = {w: spoken[w] for w in vocabulary if w in spoken}
        self._choices = list(self._vocabulary)
        self._sounds = [self._vocabulary[w] for w in self._choices]

    def of(self, word: str, limit: int = 3) -> list[str]:
        """Vocabulary words that sound like ``word``, closest first (not ``word`` itself)."""
        sound = pronunciations().get(word)
        if sound is None or word in self._vocabulary:
            return []
        found = process.extract(sound, self._sounds, scorer=Levenshtein.distance,
                                score_cutoff=2, limit=limit * 3)
        return [self._choices[index] for _, distance, index in found
                if distance <= (1 if max(len(sound), len(self._sounds[index])) < 4 else 2)
                and abs(len(self._sounds[index]) - len(sound)) <= 1][:limit]
