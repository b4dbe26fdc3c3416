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
from pathlib import Path
from typing import Protocol

from voice_local.audio import RATE
from voice_local.grammar import Grammar


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
        self._vosk = vosk

    def transcribe(self, audio: bytes, expecting: str | None = None) -> str:
        """The words heard; ``[unk]`` (speech outside the grammar) is left out."""
        grammar = {"pin": self._pin_json, "yesno": self._answers_json}.get(
            expecting or "", self.grammar_json)
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


class SphinxRecognizer:
    """PocketSphinx's bundled en-US model with the grammar as JSGF."""

    name = "PocketSphinx (en-US)"

    def __init__(self, grammar: Grammar) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=RATE, lm=None, loglevel="FATAL", **SPHINX_OPTIONS)
        self.unknown_words = {w for w in grammar.words()
                              if self.decoder.lookup_word(w) is None}
        usable = grammar.without(self.unknown_words)
        self.decoder.add_jsgf_string("voicecart", usable.jsgf())
        self.decoder.add_jsgf_string("pin", usable.for_pin().jsgf())
        self.decoder.add_jsgf_string("yesno", usable.for_answers().jsgf())

    def transcribe(self, audio: bytes, expecting: str | None = None) -> str:
        """The best grammar sentence for the audio ("" when none fits)."""
        self.decoder.activate_search(expecting if expecting in ("pin", "yesno") else "voicecart")
        self.decoder.start_utt()
        self.decoder.process_raw(audio, full_utt=True)
        self.decoder.end_utt()
        hypothesis = self.decoder.hyp()
        return hypothesis.hypstr.strip() if hypothesis else ""


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
