"""Catalog files: CSV and JSON import (all-or-nothing) and export.

CSV header: ``sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction``
and optionally ``stock``, ``unit``, ``unit_plural``; synonyms separated by ``|``. JSON: a list
of objects with the same keys. Importing adds new skus and updates existing ones; it never
deletes.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy.orm import Session

from skill.catalog import (
    FIELDS,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    ItemSpec,
    list_items,
    parse_item,
    spec_of,
    upsert_items,
)
from skill.errors import ImportFailed, InvalidInput


def parse_catalog_file(path: Path) -> list[ItemSpec]:
    """Read and validate a whole CSV or JSON catalog file; ImportFailed lists every bad row."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    return parse_catalog_bytes(raw, "json" if path.suffix.lower() == ".json" else "csv")


def parse_catalog_bytes(raw: bytes, fmt: str) -> list[ItemSpec]:
    """Validate an uploaded catalog (``fmt`` is ``csv`` or ``json``); ImportFailed lists
    every bad row."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed([(text_line(raw, exc.start), "not UTF-8 text")]) from None
    return parse_json(text) if fmt == "json" else parse_csv(text)


def text_line(raw: bytes, offset: int) -> int:
    """The 1-based line number of a byte offset."""
    return raw[:offset].count(b"\n") + 1


def parse_csv(text: str) -> list[ItemSpec]:
    """Validate CSV text; line numbers in errors are the file's own (header is line 1)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed([(1, "the file is empty")]) from None
    except csv.Error as exc:
        raise ImportFailed([(1, f"unreadable CSV: {exc}")]) from None
    header = [h.strip().lower() for h in header]
    if (len(set(header)) != len(header) or not set(REQUIRED_FIELDS) <= set(header)
            or not set(header) <= set(FIELDS)):
        raise ImportFailed([(1, "header must be " + ",".join(REQUIRED_FIELDS)
                             + " (and optionally " + ", ".join(OPTIONAL_FIELDS) + ")")])
    if "unit_plural" in header and "unit" not in header:
        raise ImportFailed([(1, "a unit_plural column needs a unit column")])

    rows: list[tuple[int, dict]] = []
    problems: list[tuple[int, str]] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.append((line, f"expected {len(header)} fields, found {len(values)}"))
                continue
            rows.append((line, dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        problems.append((reader.line_num, f"unreadable CSV: {exc}"))
    return _validate(rows, problems)


def parse_json(text: str) -> list[ItemSpec]:
    """Validate JSON text: a list of objects; errors name the object's position (1-based)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed([(exc.lineno, f"invalid JSON: {exc.msg}")]) from None
    if not isinstance(data, list):
        raise ImportFailed([(1, "JSON catalog must be a list of objects")])
    rows: list[tuple[int, dict]] = []
    problems: list[tuple[int, str]] = []
    for number, entry in enumerate(data, start=1):
        if isinstance(entry, dict):
            rows.append((number, entry))
        else:
            problems.append((number, "entry is not an object"))
    return _validate(rows, problems)


def _validate(rows: list[tuple[int, dict]], problems: list[tuple[int, str]]) -> list[ItemSpec]:
    specs: list[ItemSpec] = []
    first_line_of: dict[str, int] = {}
    for line, record in rows:
        try:
            spec = parse_item(record)
        except InvalidInput as exc:
            problems.append((line, str(exc)))
            continue
        if spec.sku in first_line_of:
            problems.append((line, f"sku {spec.sku!r} already appears on line "
                                   f"{first_line_of[spec.sku]}"))
            continue
        first_line_of[spec.sku] = line
        specs.append(spec)
    if problems:
        raise ImportFailed(sorted(problems))
    if not specs:
        raise ImportFailed([(1, "the file has no items")])
    return specs


def import_catalog(session: Session, path: Path) -> tuple[int, int]:
    """Validate the whole file, then write it in the caller's transaction: ``(added, updated)``."""
    return upsert_items(session, parse_catalog_file(path))


def json_record(spec: ItemSpec) -> dict:
    """An item as an object of a JSON catalog: the import format with JSON types."""
    record: dict = spec.as_record()
    record["synonyms"] = list(spec.synonyms)
    record["reorderable"] = spec.reorderable
    record["max_quantity"] = spec.max_quantity
    record["stock"] = spec.stock
    record["unit"] = spec.unit
    record["unit_plural"] = spec.unit_plural
    return record


def export_catalog(session: Session, fmt: str = "csv") -> str:
    """The whole catalog in the import format, so an export re-imports unchanged."""
    specs = [spec_of(item) for item in list_items(session)]
    if fmt == "json":
        return json.dumps([json_record(spec) for spec in specs], indent=2,
                          ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(spec.as_record() for spec in specs)
    return out.getvalue()
