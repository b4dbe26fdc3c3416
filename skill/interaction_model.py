"""The Alexa interaction model: loading, filling the item slot type from the catalog, checking.

``interaction_models/<locale>.json`` is the one source of the sample utterances: the Alexa
developer console takes it as it is, and the offline voice loop matches against it. Only the
``CATALOG_ITEM`` slot type is generated (``voicecart model build``), from the catalog's names
and synonyms, so a merchant's new item becomes speakable after a rebuild.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from sqlalchemy.orm import Session

from skill.catalog import list_items
from skill.errors import VoiceCartError

ITEM_TYPE = "CATALOG_ITEM"
MODEL_DIR_ENV = "VOICECART_MODEL_DIR"

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


def rebuild(model: dict, session: Session) -> dict:
    """``model`` with its item slot type regenerated from the catalog."""
    types = language_model(model).setdefault("types", [])
    item_type = next((t for t in types if t["name"] == ITEM_TYPE), None)
    if item_type is None:
        item_type = {"name": ITEM_TYPE, "values": []}
        types.append(item_type)
    item_type["values"] = item_type_values(session)
    return model


def rebuild_file(session: Session, locale: str = "en-US", output: Path | None = None
                 ) -> tuple[Path, int]:
    """Regenerate the locale's model file from the catalog (checked before it is written):
    ``(where it was written, how many items it names)``. The CLI, the console and the API
    all rebuild through here."""
    data = rebuild(load_model(locale), session)
    problems = check_model(data)
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


def check_model(model: dict) -> list[str]:
    """Problems the Alexa developer console would reject; empty when the model is fine."""
    problems: list[str] = []
    lm = language_model(model)
    invocation = lm.get("invocationName", "")
    if not re.fullmatch(r"[a-z][a-z' .]*[a-z]", invocation) or len(invocation.split()) < 2:
        problems.append(f"invocation name {invocation!r} must be two or more lowercase words")
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
    return problems
