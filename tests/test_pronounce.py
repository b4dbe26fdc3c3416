"""Pronunciations from espeak-ng for words the recognizer's dictionary lacks."""

import json
import random
import subprocess
from pathlib import Path

import pytest

from voice_local.pronounce import phonemize, pronunciations, spelled, to_arpabet

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Each test with an empty pronunciation cache of its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_ipa_becomes_arpabet_longest_symbol_first():
    assert to_arpabet("s_ˈɑː_n_ɪ_k_ˌɛɹ") == "S AA N IH K EH R"
    assert to_arpabet("t_ʃˈɑːk") == "T SH AA K"  # a tie espeak split: two phones
    assert to_arpabet("tʃ_ˈɑː_k") == "CH AA K"
    assert to_arpabet("f_ˈɛ_d_ɚ_ɹ_əl") == "F EH D ER AH L"  # r-coloured schwa + r: one ER
    assert to_arpabet("ʘ") is None  # a click has no English phone


def test_catalog_words_get_plausible_pronunciations():
    found = pronunciations(["sonicare", "oatmilk", "aa", "choc"])
    assert found["sonicare"][0] == "S AA N IH K EH R"
    assert found["oatmilk"][0] == "OW T M IH L K"
    assert found["choc"][0] == "CH AA K"
    assert "EY EY" in found["aa"]  # "AA batteries" are said letter by letter too
    assert spelled("aa") == "EY EY" and spelled("a1") is None


def test_espeak_agrees_with_the_cmu_dictionary_on_common_words():
    """The table is checked against the recognizer's own dictionary: common words (the
    garbage path's list), phonemized by espeak-ng and converted, mostly come out as the
    dictionary spells them, and the rest differ by a phone or two."""
    from pocketsphinx import get_model_path

    entries: dict[str, set[str]] = {}
    for line in open(get_model_path("en-us/cmudict-en-us.dict"), encoding="utf-8"):
        word, *phones = line.split()
        entries.setdefault(word.split("(")[0], set()).add(" ".join(phones))
    common = json.loads((ROOT / "voice_local/data/garbage.json").read_text("utf-8"))["words"]
    sample = random.Random(7).sample([w for w in common if w in entries], 300)
    ipa = phonemize(sample)
    assert len(ipa) == len(sample)
    errors = [min(_distance(to_arpabet(ipa[w]).split(), r.split()) for r in entries[w])
              for w in sample]
    exact = errors.count(0)
    phones = sum(len(next(iter(entries[w])).split()) for w in sample)
    print(f"exact {exact}/{len(sample)}, phone error rate {sum(errors) / phones:.3f}")
    assert exact >= 0.8 * len(sample)  # measured: 93%
    assert sum(errors) / phones < 0.06  # measured: 1.9%


def _distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (x != y))
    return row[-1]


def test_words_espeak_cannot_say_are_left_out(monkeypatch):
    assert pronunciations(["hello", "x_y", ""]).keys() == {"hello"}

    def missing(*args, **kwargs):
        raise FileNotFoundError("espeak-ng")

    monkeypatch.setattr(subprocess, "run", missing)
    assert pronunciations(["goodbye"]) == {}


def test_espeak_is_asked_once_per_word(monkeypatch, tmp_path):
    first = pronunciations(["sonicare", "oatmilk"])
    calls: list[list[str]] = []
    run = subprocess.run

    def counted(command, *args, **kwargs):
        calls.append(command)
        return run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counted)
    assert pronunciations(["sonicare", "oatmilk"]) == first  # from the cache
    assert not any("--ipa" in c for c in calls)
    assert pronunciations(["choc", "sonicare"])["choc"] == ["CH AA K"]
    assert sum("--ipa" in c for c in calls) == 1  # only the new word was phonemized
    cached = list((tmp_path / "cache" / "voicecart").glob("ipa-*.json"))
    (cached[0]).write_text("{not json")  # a damaged cache is rebuilt, not an error
    assert pronunciations(["sonicare"]) == {"sonicare": first["sonicare"]}
