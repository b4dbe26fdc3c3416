"""The Alexa interaction model: built from the templates and the catalog, loaded, checked.

``interaction_models/templates/<locale>.txt`` is where the phrasings are written (see
``skill.templates``); ``voicecart model build`` expands them into the flat samples Alexa wants
(a fair, bounded selection per intent: ``SAMPLES_PER_INTENT``) and fills the ``CATALOG_ITEM``
and ``CATALOG_CATEGORY`` slot types from the catalog, writing ``interaction_models/
<locale>.json``, which the Alexa developer console takes as it is. The invocation name comes
from the store's settings (``invocation_name``) and must match the seller.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from sqlalchemy.orm import Session

from skill.catalog import list_items
from skill.errors import VoiceCartError
from skill.store import StoreSettings, invocation_matches_seller, load_store_settings
from skill.templates import load_templates

ITEM_TYPE = "CATALOG_ITEM"
CATEGORY_TYPE = "CATALOG_CATEGORY"
MODEL_DIR_ENV = "VOICECART_MODEL_DIR"
SAMPLES_PER_INTENT = 150
"""Samples put in the Alexa model per intent: plenty for Alexa's NLU, few enough that the model
stays small (the local matcher trains on more)."""
MAX_SAMPLES = 4_000
"""VoiceCart's own ceiling on samples in one model, well inside what the console accepts."""
MAX_MODEL_BYTES = 1_500_000
"""A model file larger than this is refused before the console would."""
MAX_SAMPLE_CHARS = 200

_SAMPLE_WORD = re.compile(r"^(\{[A-Za-z][A-Za-z0-9_]*\}|[A-Za-z]+(?:'[A-Za-z]+)?|[A-Za-z]\.)$")
_SLOT_REF = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
_SLOT_VALUE_DROP = re.compile(r"[^\w\s'.&-]")


def model_dir() -> Path:
    """Where the models live: ``VOICECART_MODEL_DIR`` or the repository's folder."""
    configured = os.environ.get(MODEL_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "interaction_models"


def model_path(locale: str = "en-US") -> Path:
    """The model file of ``locale``."""
    return model_dir() / f"{locale}.json"


def load_model(locale: str = "en-US", path: Path | None = None) -> dict:
    """The model of ``locale`` as JSON data."""
    return json.loads((path or model_path(locale)).read_text(encoding="utf-8"))


def language_model(model: dict) -> dict:
    """The ``languageModel`` section."""
    return model["interactionModel"]["languageModel"]


def slot_value_text(text: str) -> str:
    """A catalog name as an Alexa slot value: no characters the console rejects."""
    return " ".join(_SLOT_VALUE_DROP.sub(" ", text).split())


def item_type_values(session: Session) -> list[dict]:
    """The ``CATALOG_ITEM`` values: id = sku, name = display name, synonyms."""
    values = []
    for item in list_items(session):
        name = slot_value_text(item.name)
        synonyms = []
        for synonym in item.synonyms:
            cleaned = slot_value_text(synonym)
            if cleaned and cleaned.lower() != name.lower() and cleaned not in synonyms:
                synonyms.append(cleaned)
        values.append({"id": item.sku, "name": {"value": name, "synonyms": synonyms}})
    return values


def category_type_values(session: Session) -> list[dict]:
    """The ``CATALOG_CATEGORY`` values: the catalog's categories (id = the category)."""
    categories = sorted({item.category for item in list_items(session) if item.category})
    return [{"id": c, "name": {"value": slot_value_text(c), "synonyms": []}}
            for c in categories if slot_value_text(c)]


def template_intents(locale: str = "en-US") -> list[dict]:
    """The ``intents`` section from the locale's templates: slots and a bounded selection
    of samples (a sentence two intents share is kept for the first only)."""
    seen: set[str] = set()
    intents = []
    for intent in load_templates(locale).values():
        samples = []
        for sentence in intent.sentences(SAMPLES_PER_INTENT):
            key = sentence.lower()
            if key not in seen and len(sentence) <= MAX_SAMPLE_CHARS:
                seen.add(key)
                samples.append(sentence)
        entry: dict = {"name": intent.name, "samples": samples}
        if intent.slots:
            entry["slots"] = [{"name": n, "type": t} for n, t in intent.slots.items()]
        intents.append(entry)
    return intents


def rebuild(model: dict, session: Session, locale: str = "en-US",
            store: StoreSettings | None = None) -> dict:
    """``model`` with the store's invocation name, its intents from the templates and its
    slot types from the catalog."""
    lm = language_model(model)
    lm["invocationName"] = (store or load_store_settings()).invocation
    lm["intents"] = template_intents(locale)
    types = lm.setdefault("types", [])
    for name, values in ((ITEM_TYPE, item_type_values(session)),
                         (CATEGORY_TYPE, category_type_values(session))):
        slot_type = next((t for t in types if t["name"] == name), None)
        if slot_type is None:
            slot_type = {"name": name, "values": []}
            types.append(slot_type)
        slot_type["values"] = values
    return model


def rebuild_file(session: Session, locale: str = "en-US", output: Path | None = None,
                 store: StoreSettings | None = None) -> tuple[Path, int]:
    """Regenerate the locale's model file from the catalog (checked before it is written):
    ``(where it was written, how many items it names)``. The CLI, the console and the API
    all rebuild through here."""
    store = store or load_store_settings()
    data = rebuild(load_model(locale), session, locale, store)
    problems = check_model(data, store)
    if problems:
        raise VoiceCartError("model not written: " + "; ".join(problems))
    path = output or model_path(locale)
    write_model(data, path)
    count = len(next(t for t in language_model(data)["types"]
                     if t["name"] == ITEM_TYPE)["values"])
    return path, count


def write_model(model: dict, path: Path) -> None:
    """Write the model as stable, readable JSON (atomically, so a crash leaves the old one)."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def check_model(model: dict, store: StoreSettings | None = None) -> list[str]:
    """Problems the Alexa developer console (or certification) would reject; empty when the
    model is fine. The invocation name must be the store's (``store``, else the configured
    store's) and match its seller."""
    problems: list[str] = []
    lm = language_model(model)
    invocation = lm.get("invocationName", "")
    if not re.fullmatch(r"[a-z][a-z' .]*[a-z]", invocation) or len(invocation.split()) < 2:
        problems.append(f"invocation name {invocation!r} must be two or more lowercase words")
    store = store or load_store_settings()
    if invocation != store.invocation:
        problems.append(f"invocation name {invocation!r} is not the store's "
                        f"{store.invocation!r}: run voicecart model build")
    if not invocation_matches_seller(store.invocation, store.seller):
        problems.append(f"the store's invocation name {store.invocation!r} does not match its "
                        f"seller {store.seller!r} (Amazon's rule for skills that sell)")
    types = {t["name"] for t in lm.get("types", [])}
    owner: dict[str, str] = {}
    for intent in lm.get("intents", []):
        name = intent["name"]
        slots = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for slot_type in slots.values():
            if not slot_type.startswith("AMAZON.") and slot_type not in types:
                problems.append(f"{name}: slot type {slot_type} is not defined")
        for sample in intent.get("samples", []):
            for word in sample.split():
                if not _SAMPLE_WORD.match(word):
                    problems.append(f"{name}: sample {sample!r} has {word!r} (no digits or "
                                    "punctuation allowed)")
                    break
            for ref in _SLOT_REF.findall(sample):
                if ref not in slots:
                    problems.append(f"{name}: sample {sample!r} uses undefined slot {ref}")
            key = " ".join(sample.lower().split())
            if key in owner and owner[key] != name:
                problems.append(f"sample {sample!r} is in both {owner[key]} and {name}")
            owner.setdefault(key, name)
    for slot_type in lm.get("types", []):
        ids = [v.get("id") for v in slot_type.get("values", [])]
        if len(ids) != len(set(ids)):
            problems.append(f"slot type {slot_type['name']} has duplicate ids")
    total = sum(len(i.get("samples", [])) for i in lm.get("intents", []))
    if total > MAX_SAMPLES:
        problems.append(f"{total} samples: more than {MAX_SAMPLES}")
    too_long = [s for i in lm.get("intents", []) for s in i.get("samples", [])
                if len(s) > MAX_SAMPLE_CHARS]
    if too_long:
        problems.append(f"{len(too_long)} samples longer than {MAX_SAMPLE_CHARS} characters")
    size = len(json.dumps(model, ensure_ascii=False).encode("utf-8"))
    if size > MAX_MODEL_BYTES:
        problems.append(f"the model is {size} bytes: more than {MAX_MODEL_BYTES}")
    return problems
