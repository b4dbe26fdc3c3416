"""Speech to text, offline, restricted to the skill's grammar.

Vosk is the recognizer: its model comes from ``--model PATH``, ``VOSK_MODEL_PATH`` or Vosk's
own cache (``vosk.Model(lang=...)``, which downloads on a machine with internet). Where no
Vosk model can be had, PocketSphinx, whose wheel carries an en-US model, hears the same
grammar as weighted word graphs, so the loop works on a fresh offline machine; given the typed
matcher, it also hears what the grammar cannot through a trigram model of the templates.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from pocketsphinx import get_model_path

from voice_local import language_model, word_graph
from voice_local.answers import assent_words, judge
from voice_local.audio import RATE
from voice_local.grammar import FILLER, RISKY, Grammar, garbage_words
from voice_local.pronounce import pronunciations
from voice_local.text import word_lists

_AROUND_REQUESTS = frozenset(w for phrase in (*word_lists()["politeness"],
                                              *word_lists()["hesitations"])
                              for w in phrase.split()) | {"i'd", "i'll", "i'm", "we'd"}
"""Words around any request: the open search hearing one of them confirms nothing."""


Understand = Callable[[str, "str | None"], str]
"""The intent the typed matcher finds in a text, with what the skill waits for."""
FALLBACK = "AMAZON.FallbackIntent"


class RecognizerError(Exception):
    """A speech model that cannot be loaded, said in one line."""


class Recognizer(Protocol):
    """Turns one utterance (16 kHz mono int16 PCM) into words."""

    name: str
    unknown_words: set[str]
    """Grammar words the model cannot hear (reported once when the recognizer opens)."""

    def transcribe(self, audio: bytes, expecting: str | None = None) -> str:
        """The words heard, lowercase ("" for nothing); ``expecting`` ("pin", "yesno"),
        what the skill waits for, narrows the grammar to it."""


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
        self._answers_json = json.dumps(usable.for_answers().phrases() + unk,
                                        ensure_ascii=False)
        self.fillers = frozenset(usable.rules.get(FILLER, ()))
        self._vosk = vosk

    def transcribe(self, audio: bytes, expecting: str | None = None) -> str:
        """The words heard, made safe to act on (``checked``): "" when any of them was
        ``[unk]`` (speech outside the grammar)."""
        grammar = {"pin": self._pin_json, "yesno": self._answers_json}.get(
            expecting or "", self.grammar_json)
        recognizer = self._vosk.KaldiRecognizer(self.model, RATE, grammar)
        recognizer.AcceptWaveform(audio)
        text = json.loads(recognizer.FinalResult()).get("text", "")
        return checked(text, expecting, self.fillers)


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
GARBAGE_WORDS = 150
"""How many common words the garbage path has (``data/garbage.json``, likeliest first)."""
SILENCE = 0.005
"""Probability of silence after the last word (PocketSphinx's own silence arcs)."""
WEIGHTS = {"voicecart": word_graph.Weights(verify=100.0),
           "yesno": word_graph.Weights(verify=10_000.0)}
"""Each search's weights (measured on tests/data/dev*.tsv): a yes is heard again far more
strictly than a request (a request is restated and confirmed; a yes places the order, and a
stricter check of requests lost "check out"). The PIN search has no garbage path: with one,
however unlikely, espeak-ng's British "one two three four" was heard as nothing; there
``checked`` and the skill's own PIN check stand guard."""
SEARCHES = ("pin", "yesno")
"""Open questions with a grammar of their own; every other turn hears the whole grammar."""


class SphinxRecognizer:
    """PocketSphinx's bundled en-US model with the grammar as weighted word graphs
    (``word_graph``), one per kind of turn, each with a garbage path for speech outside the
    domain; words the dictionary lacks get espeak-ng's pronunciations (``pronounce``)."""

    name = "PocketSphinx (en-US)"

    def __init__(self, grammar: Grammar,
                 weights_of: dict[str, word_graph.Weights] | None = None,
                 understand: Understand | None = None) -> None:
        """``understand`` (the typed matcher): with it, a turn that answers no yes/no
        question and no PIN prompt is heard by the trigram model of the skill's phrasings
        (``language_model``) and checked against the grammar (``_heard_freely``)."""
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=RATE, lm=None, loglevel="FATAL", **SPHINX_OPTIONS)
        self.understand = understand
        text = language_model.sentences(grammar) if understand is not None else []
        spoken_words = grammar.words() | {w for s in text for w in s.split()}
        unknown = self._learn({w for w in spoken_words if self.decoder.lookup_word(w) is None})
        self.unknown_words = unknown & grammar.words()
        usable = grammar.without(self.unknown_words)
        self.fillers = frozenset(usable.rules.get(FILLER, ()))
        garbage = [w for w in garbage_words()[:GARBAGE_WORDS]
                   if self.decoder.lookup_word(w) is not None]
        # Every spelling is in the dictionary before the first search is added: a change of
        # the dictionary re-initializes the searches.
        self._add_words(self._aliases([word_graph.GARBAGE_TAG + w for w in garbage]
                                      + [word_graph.RISKY_TAG + w for w in usable.words()]))
        model = Path(get_model_path()) / "en-us" / "en-us.lm.bin"
        if model.exists():  # the open search that checks a risky result (``_heard_openly``)
            self.decoder.add_lm_file("open", str(model))
        self.has_open_search = model.exists()
        if text:
            self._add_requests_model([s for s in text if not set(s.split()) & unknown])
        for name, part, words in (("voicecart", usable.for_requests(), garbage),
                                  ("pin", usable.for_pin(), []),
                                  ("yesno", usable.for_answers(), garbage)):
            weights = (weights_of or WEIGHTS).get(name, word_graph.Weights())
            strict = replace(weights, garbage=weights.garbage * weights.verify,
                             trailing=weights.garbage * weights.verify)
            tagged = [word_graph.GARBAGE_TAG + w for w in words]
            self.decoder.add_fsg(name, self._fsg(name, word_graph.build(part, tagged, weights)))
            if tagged:  # the search that hears a result again
                self.decoder.add_fsg(name + "!", self._fsg(
                    name + "!", word_graph.build(part, tagged, strict)))

    def _add_requests_model(self, text: list[str]) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "requests.arpa")
            language_model.write_arpa(text, path)
            self.decoder.add_lm_file("requests", str(path))

    def _learn(self, words: set[str]) -> set[str]:
        """Adds espeak-ng's pronunciations of ``words``; returns those it has none for."""
        learned = pronunciations(sorted(words))
        self._add_words([(word if number == 1 else f"{word}({number})", phones)
                         for word, options in learned.items()
                         for number, phones in enumerate(options, 1)])
        return words - set(learned)

    def _aliases(self, tagged: list[str]) -> list[tuple[str, str]]:
        """Dictionary entries for tagged spellings: every pronunciation of the bare word."""
        entries = []
        for word in tagged:
            bare, number = word[1:], 1
            phones = self.decoder.lookup_word(bare)
            while phones is not None:
                entries.append((word if number == 1 else f"{word}({number})", phones))
                number += 1
                phones = self.decoder.lookup_word(f"{bare}({number})")
        return entries

    def _add_words(self, entries: list[tuple[str, str]]) -> None:
        for index, (word, phones) in enumerate(entries):
            self.decoder.add_word(word, phones, index == len(entries) - 1)

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
        # "ch" of "check out"; between all words, "one two three four" became "one three
        # four oh" (measured).
        fsg.add_silence("<sil>", graph.final, SILENCE)
        return fsg

    def transcribe(self, audio: bytes, expecting: str | None = None) -> str:
        """The words heard, made safe to act on: by the trigram model where it is used
        (``_heard_freely``), else by the grammar (``_heard_by_grammar``)."""
        search = expecting if expecting in SEARCHES else "voicecart"
        if self.understand is not None and search == "voicecart":
            return self._heard_freely(audio, expecting)
        return self._heard_by_grammar(audio, expecting, search)

    def _heard_freely(self, audio: bytes, expecting: str | None) -> str:
        """The grammar's sentence when it hears one (``_heard_by_grammar``); when it hears
        none, what the trigram model hears, if the typed matcher understands it. A yes, a PIN
        or a purchase from the trigram model must be what the grammar hears too, before its
        own checks: off-domain speech becomes a different word salad in each ("who is
        radiohead" was "we would like to have", a checkout, to the trigram model alone).
        Grammar first, because the trigram model mangles short commands the grammar hears
        well ("reorder coffee pods" came out "order the lot"); measured on tests/data/dev*.tsv,
        the trigram model first lost them."""
        assert self.understand is not None
        heard, first = self._heard_by_grammar(audio, expecting, "voicecart", with_first=True)
        if heard:
            return heard
        said = self._decode(audio, "requests")
        meant = self.understand(said, expecting) if said else FALLBACK
        if meant == FALLBACK:
            return ""
        if meant in RISKY:
            bare = first.replace(word_graph.RISKY_TAG, "")
            return said if bare and self.understand(bare, expecting) == meant else ""
        return said

    def _heard_by_grammar(self, audio: bytes, expecting: str | None, search: str,
                          with_first: bool = False) -> Any:
        """The grammar sentence heard, made safe to act on (``checked``): "" when none fits,
        the speech took the garbage path, or it is not heard the same again with the garbage
        path ``Weights.verify`` times likelier (a sentence the grammar was forced onto gives
        way to the garbage path first). ``with_first``: also what was heard before that
        check, as (sentence, first hearing)."""
        first = checked(self._decode(audio, search), expecting, self.fillers)
        heard = first
        # A PIN is not heard again: the skill checks it, and counts wrong ones.
        if word_graph.RISKY_TAG in heard and expecting != "pin" and (checked(
                self._decode(audio, search + "!"), expecting, self.fillers) != heard
                or not self._heard_openly(audio, heard)):
            heard = ""
        heard = heard.replace(word_graph.RISKY_TAG, "")
        return (heard, first) if with_first else heard

    def _heard_openly(self, audio: bytes, heard: str) -> bool:
        """Whether the open-vocabulary search (no grammar) hears what makes ``heard`` risky
        too: an assent word for a yes, a word of the request for the rest. A grammar forces
        "that's a negative" onto "definitely"; the open search does not."""
        if not self.has_open_search:
            return True
        said = set(self._decode(audio, "open").split())
        bare = heard.replace(word_graph.RISKY_TAG, "")
        # Only a yes: the open search is too weak to confirm requests or digits (it heard
        # "reorder coffee pods" as "order off the top", "one two three four" as "why
        # recall"), and those are restated or checked by the skill anyway.
        return judge(bare) != "yes" or bool(said & assent_words())

    def _decode(self, audio: bytes, search: str) -> str:
        # Each utterance from fresh feature state (cepstral mean): carried over, earlier
        # turns changed what a turn was heard as ("one two three four" after "yes" came out
        # as "what"; measured), and the same audio must be heard the same.
        self.decoder.reinit_feat()
        self.decoder.activate_search(search)
        self.decoder.start_utt()
        self.decoder.process_raw(audio, full_utt=True)
        self.decoder.end_utt()
        hypothesis = self.decoder.hyp()
        return hypothesis.hypstr if hypothesis else ""

    def _acoustic_score(self) -> float:
        """The last decoded result's acoustic log-likelihood per frame (no language score):
        how well its words explain the sound."""
        segments = self.decoder.seg() or []
        return sum(s.ascore for s in segments) / max(1, self.decoder.n_frames())


DIGITS = frozenset("zero oh one two three four five six seven eight nine".split())


def checked(text: str, expecting: str | None, fillers: frozenset[str]) -> str:
    """What a recognizer heard, made safe to act on: "" when it took the garbage path (or
    was Vosk's ``[unk]``); hesitation fillers dropped, but while a PIN is asked a hesitation
    with digits is no PIN ("uh, two five eight zero": said again), nor are digits that start
    with "oh" (the same "uh" heard as a digit: "oh two five nine"), and digits are exactly
    four or nothing."""
    words = text.split()
    if any(w.startswith(word_graph.GARBAGE_TAG) or w == "[unk]" for w in words):
        return ""
    bare = [w.lstrip(word_graph.RISKY_TAG) for w in words]
    digits = [w for w in bare if w in DIGITS]
    if expecting == "pin" and digits and (len(digits) != 4 or digits[0] == "oh"
                                          or any(w in fillers for w in bare)):
        return ""
    return " ".join(w for w in words if w.lstrip(word_graph.RISKY_TAG) not in fillers)


def open_recognizer(grammar: Grammar, model_dir: str | None = None,
                    notice: Callable[[str], None] = print,
                    understand: Understand | None = None) -> Recognizer:
    """Vosk when a model can be had, else PocketSphinx (``understand``: see
    ``SphinxRecognizer``); ``notice`` hears why, in one line.

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
            recognizer = SphinxRecognizer(grammar, understand=understand)
    if recognizer.unknown_words:
        notice(f"{recognizer.name} does not know these words, so they cannot be heard: "
               + ", ".join(sorted(recognizer.unknown_words)))
    return recognizer
