"""Pronunciations for words a recognizer's dictionary lacks ("sonicare", "oatmilk", brand
names), from espeak-ng's phonemizer, in the recognizer's phone set.

espeak-ng spells a word in IPA (``espeak-ng -q --ipa --sep=_``); a table
(``data/ipa_arpabet.json``) turns the IPA into the CMU/ARPAbet phones of PocketSphinx's en-US
model, longest symbol first. Short words may be initialisms ("aa" batteries are "A A"), so
words of up to three letters also get their letters' names as a second pronunciation.
espeak-ng's answers are cached per voice and espeak-ng version in the user cache directory, so
the recognizer starts without running espeak-ng again for a catalog it has seen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

import platformdirs

INITIALISM_LETTERS = 3
"""Words this short are also said letter by letter."""


@lru_cache(maxsize=1)
def _table() -> dict:
    return json.loads(resources.files("voice_local").joinpath("data/ipa_arpabet.json")
                      .read_text("utf-8"))


def phonemize(words: list[str], voice: str = "en-us") -> dict[str, str]:
    """Each word's IPA as espeak-ng says it (phonemes separated by ``_``); words espeak-ng
    cannot say, or all of them when espeak-ng is missing, are left out."""
    words = [w for w in dict.fromkeys(words) if re.fullmatch(r"[a-z][a-z']*", w)]
    if not words or shutil.which("espeak-ng") is None:
        return {}
    path = _cache_path(voice)
    known = _read_cache(path) if path else {}
    missing = [w for w in words if w not in known]
    if missing:
        said = _espeak(missing, voice)
        known.update(said)
        if said and path:
            _write_cache(path, known)
    return {w: known[w] for w in words if w in known}


def _espeak(words: list[str], voice: str) -> dict[str, str]:
    try:
        result = subprocess.run(["espeak-ng", "-q", "-v", voice, "--ipa", "--sep=_"],
                                input="\n".join(words) + "\n", capture_output=True,
                                text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return {}
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if len(lines) != len(words):  # a word became two clauses: too unsure to pair them
        return {}
    return dict(zip(words, lines, strict=True))


def _cache_path(voice: str) -> Path | None:
    """The cache file of ``voice`` for the installed espeak-ng (None: no version known)."""
    try:
        version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    key = re.sub(r"[^\w.]+", "-", f"{voice} {version.split('Data')[0].strip()}")[:80]
    return Path(platformdirs.user_cache_dir("voicecart")) / f"ipa-{key}.json"


def _read_cache(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(data, dict) else {}


def _write_cache(path: Path, known: dict[str, str]) -> None:
    """Written whole under a temporary name, then moved into place (never half a file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".part", delete=False,
                                         encoding="utf-8") as file:
            json.dump(known, file, ensure_ascii=False, sort_keys=True)
        os.replace(file.name, path)
    except OSError:
        pass  # a read-only cache only costs the next start a run of espeak-ng


def to_arpabet(ipa: str) -> str | None:
    """IPA (as ``phonemize`` gives it) as space-separated ARPAbet phones; None when a
    symbol has no equivalent."""
    table = _table()
    phones_of = table["phones"]
    longest = max(len(symbol) for symbol in phones_of)
    phones: list[str] = []
    for chunk in re.split(r"[_\s]+", ipa):
        for mark in table["ignore"]:
            chunk = chunk.replace(mark, "")
        position = 0
        while position < len(chunk):
            for size in range(min(longest, len(chunk) - position), 0, -1):
                phone = phones_of.get(chunk[position:position + size])
                if phone is not None:
                    phones.extend(phone.split())
                    position += size
                    break
            else:
                return None
    text = f" {' '.join(phones)} "
    for old, new in table["rewrite"]:
        text = text.replace(f" {old} ", f" {new} ")
    return text.strip() or None


def spelled(word: str) -> str | None:
    """The word said letter by letter ("aa" -> "EY EY")."""
    letters = _table()["letters"]
    if not word.isalpha() or not all(c in letters for c in word):
        return None
    return " ".join(letters[c] for c in word)


def pronunciations(words: list[str], voice: str = "en-us") -> dict[str, list[str]]:
    """ARPAbet pronunciations of each word that espeak-ng can say (best first); words with
    none are left out."""
    found: dict[str, list[str]] = {}
    for word, ipa in phonemize(words, voice).items():
        options = [to_arpabet(ipa)]
        if len(word) <= INITIALISM_LETTERS:
            options.append(spelled(word))
        kept = list(dict.fromkeys(p for p in options if p))
        if kept:
            found[word] = kept
    return found
