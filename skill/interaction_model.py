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
from dataclasses import dataclass
from pathlib import Path

from ask_sdk_model.dialog import DynamicEntitiesDirective
from ask_sdk_model.er.dynamic import Entity, EntityListItem, EntityValueAndSynonyms, UpdateBehavior
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from skill.catalog import CatalogItem
from skill.errors import VoiceCartError
from skill.orders import OrderLine
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
"""A model file larger than this is refused before the console would (Alexa's limit on an
interaction model is 1.5 MB; measured on the file as written, indented)."""
MAX_SLOT_VALUES = 50_000
"""Alexa's limit on custom slot values, totalled across every custom slot type of a skill;
synonyms are counted too, to be safe."""
MAX_DYNAMIC_VALUES = 100
"""Alexa's limit on the values of a ``Dialog.UpdateDynamicEntities`` directive (synonyms
counted too, to be safe)."""
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


def slot_value(sku: str, name: str, synonyms: list[str]) -> dict:
    """One item as a slot type value (static or dynamic): id = sku, the display name and
    synonyms as Alexa accepts them."""
    value = slot_value_text(name)
    cleaned: list[str] = []
    for synonym in synonyms:
        text = slot_value_text(synonym)
        if text and text.lower() != value.lower() and text not in cleaned:
            cleaned.append(text)
    return {"id": sku, "name": {"value": value, "synonyms": cleaned}}


def item_type_values(session: Session) -> list[dict]:
    """The ``CATALOG_ITEM`` values, the items shoppers buy most first (by how many order
    lines name them; then by category and name, the order they are written in)."""
    bought = select(OrderLine.item_id, func.count().label("lines")) \
        .group_by(OrderLine.item_id).subquery()
    rows = session.execute(
        select(CatalogItem.sku, CatalogItem.name, CatalogItem.synonyms)
        .outerjoin(bought, bought.c.item_id == CatalogItem.id)
        .order_by(func.coalesce(bought.c.lines, 0).desc(), CatalogItem.category,
                  CatalogItem.name)).all()
    return [slot_value(sku, name, synonyms or []) for sku, name, synonyms in rows]


def _catalog_order(session: Session) -> dict[str, int]:
    """sku -> position in the catalog's own order (category, then name)."""
    return {sku: n for n, sku in enumerate(session.scalars(
        select(CatalogItem.sku).order_by(CatalogItem.category, CatalogItem.name)))}


def _slot_values(value: dict) -> int:
    """How many slot values Alexa counts for one value: itself and each synonym."""
    return 1 + len(value["name"]["synonyms"])


def _written_size(model: dict) -> int:
    """Bytes of the model as ``write_model`` writes it (the larger of its two forms)."""
    return len((json.dumps(model, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _fit_items(model: dict, values: list[dict]) -> int:
    """How many of ``values`` (best first) the item type can hold within Alexa's limits on
    slot values and model size, the rest of ``model`` as it is (the item type is left with
    the values that fit)."""
    item_type = next(t for t in language_model(model)["types"] if t["name"] == ITEM_TYPE)
    others = sum(_slot_values(v) for t in language_model(model)["types"]
                 if t["name"] != ITEM_TYPE for v in t.get("values", []))
    if not values:
        item_type["values"] = []
        return 0
    # The indented writer is slow on 50,000 values: add up each value's share of the file
    # instead (its indented text at the values' depth, and the separator), then check once.
    item_type["values"] = values[:1]
    first = json.dumps(model, indent=2, ensure_ascii=False)
    depth = next(len(line) - len(line.lstrip(" ")) for line in first.split("\n")
                 if line.strip() == f'"id": {json.dumps(values[0]["id"], ensure_ascii=False)},'
                 ) - 2
    size, counted, fits = len((first + "\n").encode("utf-8")), others, 0
    for n, value in enumerate(values):
        counted += _slot_values(value)
        if n:
            text = json.dumps(value, indent=2, ensure_ascii=False)
            size += len(text.encode("utf-8")) + depth * (text.count("\n") + 1) + len(",\n")
        if counted > MAX_SLOT_VALUES or size > MAX_MODEL_BYTES:
            break
        fits += 1
    item_type["values"] = values[:fits]
    while fits and _written_size(model) > MAX_MODEL_BYTES:  # never trust an estimate alone
        fits -= 1 + fits // 100
        item_type["values"] = values[:fits]
    return fits


def history_entities(items: list) -> DynamicEntitiesDirective | None:
    """A ``Dialog.UpdateDynamicEntities`` (REPLACE) directive making ``items`` (the shopper's
    history, most recent first) recognizable as ``CATALOG_ITEM`` values for the session:
    as many as fit Alexa's limit on dynamic values, synonyms included. None for no items."""
    entities: list[Entity] = []
    counted = 0
    for item in items:
        if counted >= MAX_DYNAMIC_VALUES:
            break
        value = slot_value(item.sku, item.name, list(item.synonyms or []))
        synonyms = value["name"]["synonyms"][:MAX_DYNAMIC_VALUES - counted - 1]
        counted += 1 + len(synonyms)
        entities.append(Entity(id=value["id"], name=EntityValueAndSynonyms(
            value=value["name"]["value"], synonyms=synonyms)))
    if not entities:
        return None
    return DynamicEntitiesDirective(update_behavior=UpdateBehavior.REPLACE,
                                    types=[EntityListItem(name=ITEM_TYPE, values=entities)])


def category_type_values(session: Session) -> list[dict]:
    """The ``CATALOG_CATEGORY`` values: the catalog's categories (id = the category)."""
    categories = sorted(c for c in session.scalars(select(CatalogItem.category).distinct())
                        if c)
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


@dataclass
class Built:
    """What ``build_file`` wrote."""

    path: Path
    """Where the model was written."""
    count: int
    """How many items the item slot type names."""
    left_out: list[str]
    """Names of the items that did not fit (the least bought), in order."""


def rebuild(model: dict, session: Session, locale: str = "en-US",
            store: StoreSettings | None = None) -> dict:
    """``model`` with the store's invocation name, its intents from the templates and its
    slot types from the catalog; the item type holds the most-bought items that fit Alexa's
    limits."""
    return _rebuild(model, session, locale, store)[0]


def _rebuild(model: dict, session: Session, locale: str,
             store: StoreSettings | None = None) -> tuple[dict, list[str]]:
    """``rebuild``, and the names of the items left out."""
    lm = language_model(model)
    lm["invocationName"] = (store or load_store_settings()).invocation
    lm["intents"] = template_intents(locale)
    types = lm.setdefault("types", [])
    for name in (ITEM_TYPE, CATEGORY_TYPE):
        if not any(t["name"] == name for t in types):
            types.append({"name": name, "values": []})
    next(t for t in types if t["name"] == CATEGORY_TYPE)["values"] = \
        category_type_values(session)
    values = item_type_values(session)
    fits = _fit_items(model, values)
    order = _catalog_order(session)  # written in catalog order: a stable file
    next(t for t in types if t["name"] == ITEM_TYPE)["values"] = sorted(
        values[:fits], key=lambda v: order[v["id"]])
    return model, [v["name"]["value"] for v in values[fits:]]


def build_file(session: Session, locale: str = "en-US", output: Path | None = None,
               store: StoreSettings | None = None) -> Built:
    """Regenerate the locale's model file from the catalog (checked before it is written),
    with the store's invocation name. A catalog too large for Alexa's limits keeps the items
    bought most; the shopper's own items reach Alexa at launch anyway (``history_entities``)."""
    store = store or load_store_settings()
    data, left_out = _rebuild(load_model(locale), session, locale, store)
    problems = check_model(data, store)
    if problems:
        raise VoiceCartError("model not written: " + "; ".join(problems))
    path = output or model_path(locale)
    write_model(data, path)
    count = len(next(t for t in language_model(data)["types"]
                     if t["name"] == ITEM_TYPE)["values"])
    return Built(path, count, left_out)


def rebuild_file(session: Session, locale: str = "en-US", output: Path | None = None,
                 store: StoreSettings | None = None) -> tuple[Path, int]:
    """``build_file``: ``(where it was written, how many items it names)``. The CLI, the
    console and the API all rebuild through here."""
    built = build_file(session, locale, output, store)
    return built.path, built.count


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
    size = _written_size(model)
    if size > MAX_MODEL_BYTES:
        problems.append(f"the model is {size} bytes: more than {MAX_MODEL_BYTES}")
    values = sum(_slot_values(v) for t in lm.get("types", []) for v in t.get("values", []))
    if values > MAX_SLOT_VALUES:
        problems.append(f"{values} slot values and synonyms: more than {MAX_SLOT_VALUES}")
    return problems
