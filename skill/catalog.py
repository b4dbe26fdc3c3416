"""The merchant's catalog: reorderable items and the services that manage them."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Integer, String, bindparam, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from skill import money
from skill.db import Base, UTCDateTime, read_once, utcnow
from skill.errors import InvalidInput, NotFound
from skill.speech import plural


class Restriction(str, enum.Enum):
    """What a voice purchase of an item needs beyond the confirmation every order gets."""

    NONE = "none"
    PIN = "pin"
    APPROVAL = "approval"
    BLOCKED = "blocked"


class CatalogItem(Base):
    """One item a merchant sells and shoppers may order by voice."""

    __tablename__ = "catalog_items"
    __table_args__ = (CheckConstraint("stock IS NULL OR stock >= 0",
                                      name="ck_catalog_items_stock_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[str] = mapped_column(String(100), index=True)
    reorderable: Mapped[bool] = mapped_column(Boolean, default=True)
    max_quantity: Mapped[int] = mapped_column(Integer)
    restriction: Mapped[str] = mapped_column(String(16), default=Restriction.NONE.value)
    stock: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Units on hand; None when the merchant does not track stock (never runs out)."""
    unit: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """What one is called when counted ("pack": "one pack of paper towels"); None: the
    name is counted ("two dollhouses")."""
    unit_plural: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The plural of ``unit`` ("packs"); set whenever ``unit`` is."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def spoken_names(self) -> list[str]:
        """The display name followed by every synonym: what a shopper may say."""
        return [self.name, *self.synonyms]


@dataclass
class ItemSpec:
    """A validated item definition, as a merchant supplies it in a file or a form."""

    sku: str
    name: str
    synonyms: list[str]
    price_minor: int
    currency: str
    category: str
    reorderable: bool
    max_quantity: int
    restriction: Restriction
    stock: int | None = None
    stock_given: bool = True
    """False when the record had no stock field: an update then keeps the stored stock."""
    unit: str | None = None
    """What one is called when counted ("pack"), or None."""
    unit_plural: str | None = None
    """The plural of ``unit`` ("packs"); None exactly when ``unit`` is."""
    unit_given: bool = True
    """False when the record had no unit field: an update then keeps the stored units."""

    def as_record(self) -> dict:
        """The spec as the plain values of the import/export format."""
        return {
            "sku": self.sku,
            "name": self.name,
            "synonyms": "|".join(self.synonyms),
            "price": money.format_amount(self.price_minor, self.currency),
            "currency": self.currency,
            "category": self.category,
            "reorderable": "true" if self.reorderable else "false",
            "max_quantity": str(self.max_quantity),
            "restriction": self.restriction.value,
            "stock": "" if self.stock is None else str(self.stock),
            "unit": self.unit or "",
            "unit_plural": self.unit_plural or "",
        }


REQUIRED_FIELDS = (
    "sku", "name", "synonyms", "price", "currency",
    "category", "reorderable", "max_quantity", "restriction",
)
OPTIONAL_FIELDS = ("stock", "unit", "unit_plural")
"""May be left out (an update then keeps the stored value) or empty: stock not tracked, no
unit; ``unit_plural`` left empty is the regular plural of ``unit``."""
FIELDS = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)
"""Every field of the import/export format."""
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_UNIT = re.compile(r"^[a-z]+(?:[ -][a-z]+){0,2}$")
_UNIT_LENGTH = 32
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


def parse_item(record: dict, *, currency: str | None = None) -> ItemSpec:
    """Validate one import-format record (strings, or JSON values) into an ItemSpec.

    With ``currency`` (the store's), an item priced in another currency is refused. Raises
    InvalidInput reporting every problem of the record: its message is them all, ``problems``
    lists them one by one and ``fields`` maps every bad field to its message (for a form to
    show each next to its field).
    """
    spec, messages, fields = _parse(record, currency)
    _raise_problems(messages, fields)
    assert spec is not None
    return spec


def _parse(record: dict, currency: str | None) -> tuple[ItemSpec | None, list[str],
                                                         dict[str, str]]:
    """The record's spec, or None with every problem: messages, and field -> message."""
    messages: list[str] = []
    fields: dict[str, str] = {}
    missing = [f for f in REQUIRED_FIELDS if f not in record]
    if missing:
        messages.append(f"missing field(s): {', '.join(missing)}")
        fields.update(dict.fromkeys(missing, "required"))
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        messages.append(f"unknown field(s): {', '.join(unknown)}")
        fields.update(dict.fromkeys(unknown, "unknown field"))
    values: dict[str, object] = {}
    for field, parse in _FIELD_PARSERS:
        if field not in record:
            continue
        try:
            values[field] = parse(record[field], values)
        except InvalidInput as exc:
            _note(messages, fields, field, str(exc))
    if currency is not None and values.get("currency") not in (None, currency):
        _note(messages, fields, "currency", f"currency {values['currency']} is not the "
                                            f"store's currency ({currency})")
    unit_problem = _unit_pair(values, "unit" in record, "unit_plural" in record)
    if unit_problem and "unit" not in fields and "unit_plural" not in fields:
        _note(messages, fields, "unit_plural", unit_problem)
    if messages:
        return None, messages, fields
    return ItemSpec(values["sku"], values["name"], values["synonyms"], values["price"],
                    values["currency"], values["category"], values["reorderable"],
                    values["max_quantity"], values["restriction"], values.get("stock"),
                    "stock" in record, values.get("unit"), values.get("unit_plural"),
                    "unit" in record), [], {}


def _note(messages: list[str], fields: dict[str, str], field: str, message: str) -> None:
    messages.append(message)
    fields[field] = f"{fields[field]}; {message}" if field in fields else message


def _unit_pair(values: dict, unit_given: bool, plural_given: bool) -> str | None:
    """Fill in the regular plural of a unit given alone; a problem with the pair, or None."""
    unit, unit_plural = values.get("unit"), values.get("unit_plural")
    if plural_given and not unit_given:
        return "unit_plural needs unit in the same record"
    if unit_plural and not unit:
        return f"unit_plural {unit_plural!r} needs a unit"
    if unit and not unit_plural:
        values["unit_plural"] = plural(unit)
    return None


def _sku(value: object, _: dict) -> str:
    sku = _text(value, "sku")
    if not _SKU.match(sku):
        raise InvalidInput(f"sku {sku!r} must be letters, digits, '.', '_' or '-' (64 at most)")
    return sku


def _name(value: object, _: dict) -> str:
    name = _text(value, "name")
    if len(name) > 200:
        raise InvalidInput("name is longer than 200 characters")
    return name


def _currency(value: object, _: dict) -> str:
    currency = _text(value, "currency").upper()
    if not money.valid_currency(currency):
        raise InvalidInput(f"currency {currency!r} is not a three-letter ISO code")
    return currency


def _price(value: object, values: dict) -> int:
    try:
        price_minor = money.parse_amount(str(value), str(values.get("currency", "USD")))
    except ValueError as exc:
        raise InvalidInput(f"price: {exc}") from None
    if price_minor <= 0:
        raise InvalidInput("price must be more than zero")
    return price_minor


def _restriction(value: object, _: dict) -> Restriction:
    try:
        return Restriction(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Restriction)
        raise InvalidInput(f"restriction {value!r} is not one of {allowed}") from None


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is empty")
    return value.strip()


def _synonyms(value: object) -> list[str]:
    if isinstance(value, list):
        parts = value
    elif isinstance(value, str):
        parts = value.split("|")
    else:
        raise InvalidInput("synonyms must be text separated by '|' or a list")
    cleaned: list[str] = []
    for part in parts:
        if not isinstance(part, str):
            raise InvalidInput("synonyms must be text")
        part = " ".join(part.split())
        if part and part.lower() not in (s.lower() for s in cleaned):
            cleaned.append(part)
    return cleaned


def _flag(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(f"{field} must be true or false, not {value!r}")


def _positive_int(value: object, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field} must be a whole number, not {value!r}") from None
    if number < 1:
        raise InvalidInput(f"{field} must be at least 1")
    return number


def _unit(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text")
    unit = " ".join(value.split()).lower()
    if not unit:
        return None
    if len(unit) > _UNIT_LENGTH or not _UNIT.match(unit):
        raise InvalidInput(f"{field} {value!r} must be a short word or two in letters, like "
                           f"{'packs' if field == 'unit_plural' else 'pack'}")
    return unit


def _stock(value: object) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    if isinstance(value, bool):
        raise InvalidInput("stock must be a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"stock must be a whole number or empty, not {value!r}") from None
    if number < 0:
        raise InvalidInput("stock cannot be negative")
    return number


_FIELD_PARSERS = (
    ("sku", _sku),
    ("name", _name),
    ("synonyms", lambda v, _: _synonyms(v)),
    ("currency", _currency),  # before price: the currency decides the price's decimals
    ("price", _price),
    ("category", lambda v, _: _text(v, "category").lower()),
    ("reorderable", lambda v, _: _flag(v, "reorderable")),
    ("max_quantity", lambda v, _: _positive_int(v, "max_quantity")),
    ("restriction", _restriction),
    ("stock", lambda v, _: _stock(v)),
    ("unit", lambda v, _: _unit(v, "unit")),
    ("unit_plural", lambda v, _: _unit(v, "unit_plural")),
)
"""Each field's parser, in order; a parser may use the fields parsed before it."""


def spec_of(item: CatalogItem) -> ItemSpec:
    """The ItemSpec of a stored item (for export and for editing)."""
    return ItemSpec(item.sku, item.name, list(item.synonyms), item.price_minor, item.currency,
                    item.category, item.reorderable, item.max_quantity,
                    Restriction(item.restriction), item.stock, True, item.unit,
                    item.unit_plural)


def _apply(item: CatalogItem, spec: ItemSpec) -> None:
    item.sku = spec.sku
    item.name = spec.name
    item.synonyms = list(spec.synonyms)
    item.price_minor = spec.price_minor
    item.currency = spec.currency
    item.category = spec.category
    item.reorderable = spec.reorderable
    item.max_quantity = spec.max_quantity
    item.restriction = spec.restriction.value
    if spec.stock_given:
        item.stock = spec.stock
    if spec.unit_given:
        item.unit, item.unit_plural = spec.unit, spec.unit_plural
    item.updated_at = utcnow()


def spoken_key(text: str) -> str:
    """What two spoken names share when they sound the same: case, punctuation and spacing
    aside (``"Oral-B Heads"`` and ``"oral b heads"``, ``"kid's"`` and ``"kids"``)."""
    folded = "".join("" if ch in "'\u2019" else ch if ch.isalnum() else " "
                     for ch in text.casefold())
    return " ".join(folded.split())


class SpokenNames:
    """Which items each spoken name (a name or synonym, as ``spoken_key`` sees it) belongs
    to: two items known by the same words leave the shopper's words no single meaning."""

    def __init__(self) -> None:
        self._owners: dict[str, dict[str, int | None]] = {}

    def add(self, sku: str, names: Iterable[str], line: int | None = None) -> None:
        """``names`` are said for item ``sku``, from ``line`` of a file (None: the catalog)."""
        for name in names:
            key = spoken_key(name)
            if key:
                self._owners.setdefault(key, {}).setdefault(sku, line)

    def clashes(self, sku: str, names: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """``(field, message)`` for each of item ``sku``'s ``(field, name)`` pairs that another
        item is known by; the message names the other sku (and its line)."""
        found = []
        for field, name in names:
            for other, line in self._owners.get(spoken_key(name), {}).items():
                if other != sku:
                    where = " in the catalog" if line is None else f" (line {line})"
                    what = "name" if field == "name" else "synonym"
                    found.append((field, f"{what} {name!r} is also a name or synonym of "
                                         f"{other}{where}"))
        return found


def catalog_spoken_names(session: Session, *, excluding: Iterable[str] = ()) -> SpokenNames:
    """The stored items' spoken names, but for the items with the skus in ``excluding``
    (those being replaced)."""
    skip = set(excluding)
    names = SpokenNames()
    for sku, name, synonyms in session.execute(
            select(CatalogItem.sku, CatalogItem.name, CatalogItem.synonyms)):
        if sku not in skip:
            names.add(sku, [name, *(synonyms or [])])
    return names


def record_names(record: dict) -> list[tuple[str, str]]:
    """``(field, name)`` for the name and each synonym of an import-format record, as far as
    they are valid (the rest is reported by ``parse_item``)."""
    names: list[tuple[str, str]] = []
    for field, parse in (("name", lambda v: [_name(v, {})]), ("synonyms", _synonyms)):
        try:
            names += [(field, name) for name in parse(record.get(field, ""))]
        except InvalidInput:
            pass
    return names


def _spec_names(spec: ItemSpec) -> list[tuple[str, str]]:
    return [("name", spec.name), *(("synonyms", s) for s in spec.synonyms)]


def get_item(session: Session, sku: str) -> CatalogItem:
    """The item with ``sku``, or NotFound. Read once a transaction (``read_once``)."""
    item = find_item(session, sku)
    if item is None:
        raise NotFound(f"no catalog item with sku {sku!r}")
    return item


def find_item(session: Session, sku: str) -> CatalogItem | None:
    """The item with ``sku``, or None. Read once a transaction (``read_once``)."""
    return read_once(session, ("item", sku), lambda: session.scalar(_BY_SKU, {"sku": sku}))


_BY_SKU = select(CatalogItem).where(CatalogItem.sku == bindparam("sku"))
"""Built once (every item request runs it)."""


def list_items(session: Session, *, reorderable_only: bool = False) -> list[CatalogItem]:
    """Every item, ordered by category then name."""
    query = select(CatalogItem).order_by(CatalogItem.category, CatalogItem.name)
    if reorderable_only:
        query = query.where(CatalogItem.reorderable.is_(True),
                            CatalogItem.restriction != Restriction.BLOCKED.value)
    return list(session.scalars(query))


def search_items(session: Session, query: str = "") -> list[CatalogItem]:
    """Items whose sku, name, synonyms or category contain ``query`` (all when empty)."""
    needle = query.strip().lower()
    items = list_items(session)
    if not needle:
        return items
    return [i for i in items
            if needle in " ".join([i.sku, i.name, i.category, *i.synonyms]).lower()]


NEW_ITEM_DEFAULTS = {"synonyms": "", "reorderable": "true", "max_quantity": "5",
                     "restriction": "none", "stock": ""}
"""What a new item is unless the merchant says otherwise (CLI, console and API alike)."""


def new_item_record(given: dict, currency: str) -> dict:
    """An import-format record for a new item: ``given`` over the defaults, priced in the
    store's ``currency`` unless another is given; fields not given are empty (and named as
    such by ``parse_item``)."""
    return {**dict.fromkeys(FIELDS, ""), **NEW_ITEM_DEFAULTS, "currency": currency, **given}


def create_item(session: Session, given: dict, currency: str) -> CatalogItem:
    """Add a new item from the fields a merchant gave (command line, console, API alike):
    ``new_item_record`` fills in the rest. Every problem is reported at once (InvalidInput):
    bad fields, a currency other than the store's ``currency``, a name or synonym another
    item is already known by, a sku that is taken."""
    record = new_item_record(given, currency)
    spec, messages, fields = _parse(record, currency)
    _check_new(session, str(record.get("sku", "")).strip(), record_names(record), messages,
               fields)
    _raise_problems(messages, fields)
    assert spec is not None
    return _add(session, spec)


def add_item(session: Session, spec: ItemSpec) -> CatalogItem:
    """Add a new item; InvalidInput if the sku is taken or a name or synonym is another
    item's."""
    messages: list[str] = []
    fields: dict[str, str] = {}
    _check_new(session, spec.sku, _spec_names(spec), messages, fields)
    _raise_problems(messages, fields)
    return _add(session, spec)


def _check_new(session: Session, sku: str, names: list[tuple[str, str]], messages: list[str],
               fields: dict[str, str]) -> None:
    if find_item(session, sku) is not None:
        _note(messages, fields, "sku", f"sku {sku!r} already exists (use update)")
    for field, message in catalog_spoken_names(session).clashes(sku, names):
        _note(messages, fields, field, message)


def _raise_problems(messages: list[str], fields: dict[str, str]) -> None:
    if messages:
        raise InvalidInput("; ".join(messages), fields=fields, problems=messages)


def _add(session: Session, spec: ItemSpec) -> CatalogItem:
    item = CatalogItem()
    _apply(item, spec)
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, sku: str, changes: dict, *,
                currency: str | None = None) -> CatalogItem:
    """Change some fields of an item; ``changes`` uses the import format's keys.

    None (JSON null) empties a field: for stock that means "stop tracking", for unit "no
    unit"; a required field emptied is reported. A new unit without a new plural takes its
    regular plural. With ``currency`` (the store's), another currency is refused. Every
    problem is reported at once (InvalidInput), as for ``create_item``.
    """
    item = get_item(session, sku)
    record = spec_of(item).as_record()
    changes = {k: "" if v is None else v for k, v in changes.items()}
    if ("unit" in changes and _same_unit(changes["unit"]) != record["unit"]
            and changes.get("unit_plural", record["unit_plural"]) == record["unit_plural"]):
        changes["unit_plural"] = ""  # the old unit's plural does not fit the new unit
    record.update(changes)
    spec, messages, fields = _parse(record, currency)
    new_sku = str(record.get("sku", "")).strip()
    if new_sku != sku and find_item(session, new_sku) is not None:
        _note(messages, fields, "sku", f"sku {new_sku!r} already exists")
    others = catalog_spoken_names(session, excluding={sku})
    for field, message in others.clashes(new_sku, record_names(record)):
        _note(messages, fields, field, message)
    _raise_problems(messages, fields)
    assert spec is not None
    _apply(item, spec)
    session.flush()
    return item


def _same_unit(value: object) -> object:
    return " ".join(value.split()).lower() if isinstance(value, str) else value


def remove_item(session: Session, sku: str) -> None:
    """Remove an item from the catalog; past orders keep their own copy of its name and price."""
    item = get_item(session, sku)
    session.delete(item)
    session.flush()


def upsert_items(session: Session, specs: list[ItemSpec], *,
                 set_stock: bool = True) -> tuple[int, int]:
    """Add new skus and update existing ones; returns ``(added, updated)``. Without
    ``set_stock``, items already in the catalog keep their stock whatever the specs say (an
    import; see ``skill.catalog_io``)."""
    existing = {i.sku: i for i in session.scalars(
        select(CatalogItem).where(CatalogItem.sku.in_([s.sku for s in specs])))}
    added = updated = 0
    for spec in specs:
        item = existing.get(spec.sku)
        if item is None:
            item = CatalogItem()
            session.add(item)
            added += 1
        else:
            updated += 1
            if not set_stock:
                spec = replace(spec, stock_given=False)
        _apply(item, spec)
    session.flush()
    return added, updated


def catalog_categories(session: Session) -> list[str]:
    """The categories the catalog's items are in, sorted."""
    return sorted(session.scalars(select(CatalogItem.category).distinct()))


def catalog_fingerprint(session: Session) -> tuple:
    """A cheap value that changes whenever the catalog does (for caches such as resolution)."""
    row = session.execute(select(func.count(CatalogItem.id), func.max(CatalogItem.id),
                                 func.max(CatalogItem.updated_at))).one()
    return tuple(row)
