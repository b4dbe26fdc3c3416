"""Speech to text, offline, restricted to the skill's grammar.

Vosk is the recognizer: its model comes from ``--model PATH``, ``VOSK_MODEL_PATH`` or Vosk's
own cache (``vosk.Model(lang=...)``, which downloads on a machine with internet). Where no
Vosk model can be had, PocketSphinx, whose wheel carries an en-US model, hears the same
grammar as JSGF, so the loop works on a fresh offline machine.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from voice_local import word_graph
from voice_local.audio import RATE
from voice_local.grammar import EXPECTING, FILLER, Grammar
from voice_local.pronounce import pronunciations


class RecognizerError(Exception):
    """A speech model that cannot be loaded, said in one line."""


class Recognizer(Protocol):
    """Turns one utterance (16 kHz mono int16 PCM) into words."""

    name: str
    unknown_words: set[str]
    """Grammar words the model cannot hear (reported once when the recognizer opens)."""

    def transcribe(self, audio: bytes, expecting: str | None = None) -> str:
        """The words heard, lowercase ("" for nothing); ``expecting="pin"`` while the skill
        waits for a PIN narrows the grammar to it."""


class VoskRecognizer:
    """Vosk (Kaldi) with its grammar restricted to the skill's phrases."""

    def __init__(self, model_dir: str | None, grammar: Grammar, lang: str = "en-us") -> None:
        import vosk

        vosk.SetLogLevel(-1)
        self.model = _load_vosk_model(vosk, model_dir, lang)
        self.name = f"Vosk ({model_dir or lang})"
        known = {w for w in grammar.words() if self.model.vosk_model_find_word(w) != -1}
        self.unknown_words = grammar.words() - known
        usable = grammar.without(self.unknown_words)
        # [unk] lets noise and off-grammar speech be heard as such, where the model has it.
        unk = ["[unk]"] if self.model.vosk_model_find_word("[unk]") != -1 else []
        self.grammar_json = json.dumps(usable.phrases() + unk, ensure_ascii=False)
        self._pin_json = json.dumps(usable.for_pin().phrases() + unk, ensure_ascii=False)
        self._vosk = vosk

    def transcribe(self, audio: bytes, expecting: str | None = None) -> str:
        """The words heard; ``[unk]`` (speech outside the grammar) is left out."""
        grammar = self._pin_json if expecting == "pin" else self.grammar_json
        recognizer = self._vosk.KaldiRecognizer(self.model, RATE, grammar)
        recognizer.AcceptWaveform(audio)
        text = json.loads(recognizer.FinalResult()).get("text", "")
        return " ".join(w for w in text.split() if w != "[unk]")


def _load_vosk_model(vosk: object, model_dir: str | None, lang: str) -> object:
    class Model(vosk.Model):  # type: ignore[name-defined, misc]
        def __del__(self) -> None:  # vosk's own fails noisily when loading failed
            if hasattr(self, "_handle"):
                super().__del__()

    if model_dir is not None:
        if not Path(model_dir, "am").is_dir() and not Path(model_dir, "final.mdl").exists():
            raise RecognizerError(f"{model_dir} is not a Vosk model folder (no am/)")
        try:
            return Model(model_path=str(model_dir))
        except Exception as error:
            raise RecognizerError(f"The Vosk model in {model_dir} failed to load: "
                                  f"{error}") from None
    try:
        return Model(lang=lang)
    except (Exception, SystemExit) as error:  # vosk exits when the language is unknown
        raise RecognizerError(f"No Vosk model for {lang} in Vosk's cache and none could be "
                              f"downloaded ({type(error).__name__})") from None


SPHINX_OPTIONS: dict = {"fsgusefiller": False, "bestpath": False}
"""No filler words between grammar words and no lattice rescoring: with either, short answers
("no", "yes") came out as fragments of other sentences (measured on espeak-ng speech)."""
GARBAGE = "~"
"""How the garbage path's words are spelled in the dictionary: heard, they reject the turn."""
GARBAGE_WORDS = 150
"""How many common words the garbage path has (measured on tests/data/dev.tsv: 300 rejected
a little more and cost a third more time; a loop of the 39 phones instead of words was
cheaper but let through four times as many false accepts at the same accuracy)."""
SILENCE = 0.005


class SphinxRecognizer:
    """PocketSphinx's bundled en-US model with the grammar as word graphs (``word_graph``),
    one per kind of open question, each with a garbage path for speech outside the domain.

    A result that would be a yes, a PIN or a purchase is heard twice: again with the garbage
    path ``Weights.verify`` times likelier, and kept only if it comes out the same (a
    sentence the grammar was forced onto gives way to the garbage path first).
    """

    name = "PocketSphinx (en-US)"

    def __init__(self, grammar: Grammar, weights: dict | None = None, *,
                 garbage_words: int = GARBAGE_WORDS, options: dict | None = None) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=RATE, lm=None, loglevel="FATAL",
                               **{**SPHINX_OPTIONS, **(options or {})})
        self.unknown_words = self._learn({w for w in grammar.words()
                                          if self.decoder.lookup_word(w) is None})
        usable = grammar.without(self.unknown_words)
        self._garbage = [GARBAGE + w for w in usable.garbage[:garbage_words]
                         if self.decoder.lookup_word(w) is not None]
        # Every spelling a search may use is in the dictionary before the first search:
        # a dictionary change later re-initializes the searches, which changed results.
        self._alias(self._garbage + [word_graph.RISKY_TAG + w for w in usable.words()])
        self.fillers = set(usable.rules.get(FILLER, ()))
        self._grammar, self._weights = usable, weights or {}
        self._searches: set[str] = set()
        self._search(None)

    def _weights_of(self, kind: str | None, strict: bool) -> word_graph.Weights:
        weights = (self._weights.get(kind) or self._weights.get("*")
                   or word_graph.DEFAULT_WEIGHTS.get(kind, word_graph.Weights()))
        return replace(weights, garbage=weights.garbage * weights.verify) if strict else weights

    def _search(self, kind: str | None, strict: bool = False) -> str:
        """The search for ``kind`` of open question (``strict``: the garbage path likelier),
        built when first needed (each takes a few tenths of a second)."""
        name = (kind or "any") + ("!strict" if strict else "")
        if name not in self._searches:
            graph = word_graph.build(self._grammar, kind, self._weights_of(kind, strict),
                                     self._garbage)
            self.decoder.add_fsg(name, self._fsg(name, graph))
            self._searches.add(name)
        return name

    def _alias(self, words: list[str]) -> None:
        """Dictionary entries for tagged words (``g.the``, ``+yes``): the word's own
        pronunciations under the tagged spelling."""
        entries = []
        for word in words:
            base = word.removeprefix(GARBAGE).removeprefix(word_graph.RISKY_TAG)
            if self.decoder.lookup_word(word) is not None:
                continue
            number, phones = 1, self.decoder.lookup_word(base)
            while phones is not None:
                entries.append((word if number == 1 else f"{word}({number})", phones))
                number += 1
                phones = self.decoder.lookup_word(f"{base}({number})")
        for index, (name, phones) in enumerate(entries):
            self.decoder.add_word(name, phones, index == len(entries) - 1)

    def _fsg(self, name: str, graph: word_graph.WordGraph) -> object:
        from pocketsphinx import FsgModel

        logmath = self.decoder.get_logmath()
        weight = float(self.decoder.config["lw"])
        fsg = FsgModel(name, logmath, weight, graph.states)
        fsg.set_start_state(graph.start)
        fsg.set_final_state(graph.final)
        ids: dict[str, int] = {}
        for source, target, probability, word in graph.closed():
            log = int(logmath.log(probability) * weight)
            if word is None:
                fsg.null_trans_add(source, target, log)
            else:
                if word not in ids:
                    ids[word] = fsg.word_add(word)
                fsg.trans_add(source, target, log, ids[word])
        # Silence after the last word only: allowed before speech too, it swallowed the
        # "ch" of "check out" (measured).
        fsg.add_silence("<sil>", graph.final, SILENCE)
        return fsg

    def _learn(self, words: set[str]) -> set[str]:
        """Adds espeak-ng's pronunciations of ``words``; returns those it has none for."""
        learned = pronunciations(sorted(words))
        entries = [(word if number == 1 else f"{word}({number})", phones)
                   for word, options in learned.items()
                   for number, phones in enumerate(options, 1)]
        for index, (name, phones) in enumerate(entries):
            self.decoder.add_word(name, phones, index == len(entries) - 1)
        return words - set(learned)

    def transcribe(self, audio: bytes, expecting: str | None = None) -> str:
        """The best grammar sentence for the audio ("" when none fits, or when a yes, a
        PIN or a purchase does not hold up when heard again)."""
        kind = expecting if expecting in EXPECTING else None
        words = self._decode(audio, self._search(kind))
        risky = any(w.startswith(word_graph.RISKY_TAG) for w in words) or (
            kind == "pin" and any(w in _DIGITS for w in words))
        if risky and self._weights_of(kind, False).verify and _bare(
                self._decode(audio, self._search(kind, True))) != _bare(words):
            return ""
        return checked(" ".join(w.removeprefix(word_graph.RISKY_TAG) for w in words),
                       expecting, self.fillers)

    def _decode(self, audio: bytes, search: str) -> list[str]:
        self.decoder.activate_search(search)
        self.decoder.start_utt()
        self.decoder.process_raw(audio, full_utt=True)
        self.decoder.end_utt()
        hypothesis = self.decoder.hyp()
        return hypothesis.hypstr.split() if hypothesis else []


def _bare(words: list[str]) -> str:
    """Words without their tags or spaces: heard again the same words, whichever path they
    took, agree ("re order" is "reorder"; garbage words that are the same words corroborate
    them, as an open vocabulary would)."""
    return "".join(w.removeprefix(GARBAGE).removeprefix(word_graph.RISKY_TAG) for w in words)


def checked(text: str, expecting: str | None, fillers: set[str]) -> str:
    """What a recognizer heard, made safe to act on: "" when it took the garbage path (or
    Vosk's ``[unk]``); hesitation fillers dropped; while a PIN is asked, four digits or
    nothing."""
    words = text.split()
    if any(w.startswith(GARBAGE) or w == "[unk]" for w in words):
        return ""
    words = [w for w in words if w not in fillers]
    if expecting == "pin" and any(w in _DIGITS for w in words) and (
            sum(w in _DIGITS for w in words) != 4):
        return ""
    return " ".join(words)


_DIGITS = frozenset("zero oh one two three four five six seven eight nine".split())


def open_recognizer(grammar: Grammar, model_dir: str | None = None,
                    notice: Callable[[str], None] = print) -> Recognizer:
    """Vosk when a model can be had, else PocketSphinx; ``notice`` hears why, in one line.

    An explicitly given model (``model_dir`` or ``VOSK_MODEL_PATH``) that fails to load is an
    error rather than a silent fallback: the developer asked for it.
    """
    chosen = model_dir or os.environ.get("VOSK_MODEL_PATH") or None
    recognizer: Recognizer
    if chosen:
        recognizer = VoskRecognizer(chosen, grammar)
    else:
        try:
            recognizer = VoskRecognizer(None, grammar)
        except RecognizerError as error:
            notice(f"{error}; using PocketSphinx's en-US model instead.")
            recognizer = SphinxRecognizer(grammar)
    if recognizer.unknown_words:
        notice(f"{recognizer.name} does not know these words, so they cannot be heard: "
               + ", ".join(sorted(recognizer.unknown_words)))
    return recognizer
