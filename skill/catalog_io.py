"""Catalog files: CSV and JSON import (all-or-nothing) and export.

CSV header: ``sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction``
and optionally ``stock``, ``unit``, ``unit_plural``; synonyms separated by ``|``. JSON: a list
of objects with the same keys. Importing adds new skus and updates existing ones; it never
deletes. An import refuses, line by line and every problem of a line: bad fields, a sku twice,
a price in a currency other than the store's, and a name or synonym that another item is
known by (another line's, or a stored item's that the file does not replace).

Stock: a new item gets the file's stock (an empty cell or no column: not tracked). An item
already in the catalog keeps its stock, so that re-importing an earlier export never gives
back the units sold since; with ``set_stock`` (``catalog import --set-stock``, the console's
box, the API's ``?set_stock=true``) a non-empty cell sets it (``none``: no longer tracked),
while an empty cell still leaves it alone.

CSV exports are safe to open in a spreadsheet: a cell that would start a formula (``=``,
``+``, ``-``, ``@``, tab, carriage return) is written with a ``'`` in front, and a CSV import
takes that ``'`` off again.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from skill import safejson
from skill.catalog import (
    FIELDS,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    ItemSpec,
    SpokenNames,
    catalog_spoken_names,
    list_items,
    parse_item,
    record_names,
    spec_of,
    upsert_items,
)
from skill.errors import ImportFailed, InvalidInput
from skill.safejson import JsonRejected

Rows = list[tuple[int, dict]]
"""``(line, record)``: each record of a file with its line (its position in a JSON list)."""
Problems = list[tuple[int, str]]
"""``(line, problem)``."""
Progress = Callable[[str, int, int], None]
"""``(phase, done, total)``, called now and then by a long import: ``checking`` rows, then
``writing`` items."""
PROGRESS_EVERY = 500
"""Rows between two progress calls."""
WRITE_CHUNK = 1000
"""Items written per statement batch (also keeps an ``IN (...)`` list within every
database's limit on parameters, however large the file)."""


def parse_catalog_file(path: Path, *, currency: str | None = None) -> list[ItemSpec]:
    """Read and validate a whole CSV or JSON catalog file on its own (fields, skus, and with
    ``currency`` the store's currency); ImportFailed lists every problem of every bad line."""
    rows, problems = _read_file(path)
    return _validate(rows, problems, currency=currency)


def parse_catalog_bytes(raw: bytes, fmt: str, *, currency: str | None = None) -> list[ItemSpec]:
    """Validate an uploaded catalog (``fmt`` is ``csv`` or ``json``) on its own, as
    ``parse_catalog_file`` does."""
    rows, problems = read_catalog(raw, fmt)
    return _validate(rows, problems, currency=currency)


def import_catalog(session: Session, path: Path, *, currency: str | None = None,
                   set_stock: bool = False) -> tuple[int, int]:
    """Validate the whole file against the catalog, then write it in the caller's
    transaction: ``(added, updated)``. ``currency`` is the store's. Stock: see the module's
    description (``set_stock`` sets existing items' stock from non-empty cells)."""
    return _import(session, *_read_file(path), currency, set_stock)


def import_catalog_bytes(session: Session, raw: bytes, fmt: str, *,
                         currency: str | None = None, set_stock: bool = False) -> tuple[int, int]:
    """``import_catalog`` for an upload (``fmt`` is ``csv`` or ``json``)."""
    return _import(session, *read_catalog(raw, fmt), currency, set_stock)


def _import(session: Session, rows: Rows, problems: Problems, currency: str | None,
            set_stock: bool) -> tuple[int, int]:
    known = catalog_spoken_names(session, excluding=replaced_skus(rows))
    return write_import(session, check_import(rows, problems, known, currency=currency),
                        set_stock=set_stock)


def replaced_skus(rows: Rows) -> set[str]:
    """The skus a file's rows give: their stored items' names may be taken over."""
    return {str(record.get("sku", "")).strip() for _, record in rows}


def check_import(rows: Rows, problems: Problems, known: SpokenNames, *,
                 currency: str | None = None, progress: Progress | None = None
                 ) -> list[ItemSpec]:
    """Validate a file's rows against ``known`` (the stored items' spoken names, but for
    ``replaced_skus``) without writing: the specs to write, or ImportFailed with every
    problem. Needs no transaction, so a long check holds no lock."""
    specs = _validate(rows, problems, currency=currency, known=known, progress=progress)
    stocked = {str(record.get("sku", "")).strip() for _, record in rows
               if _has_value(record.get("stock"))}
    for spec in specs:  # an empty stock cell never changes stock; a new item's is untracked
        spec.stock_given = spec.sku in stocked
    return specs


def write_import(session: Session, specs: list[ItemSpec], *, set_stock: bool = False,
                 progress: Progress | None = None) -> tuple[int, int]:
    """Write checked specs in the caller's transaction, a chunk at a time: ``(added,
    updated)``; ``progress`` hears after each chunk."""
    added = updated = 0
    for start in range(0, len(specs), WRITE_CHUNK):
        chunk = specs[start:start + WRITE_CHUNK]
        chunk_added, chunk_updated = upsert_items(session, chunk, set_stock=set_stock)
        added, updated = added + chunk_added, updated + chunk_updated
        if progress:
            progress("writing", start + len(chunk), len(specs))
    return added, updated


def _has_value(cell: object) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _read_file(path: Path) -> tuple[Rows, Problems]:
    return read_catalog(*load_file(path))


def load_file(path: Path) -> tuple[bytes, str]:
    """A catalog file's bytes and its format (``json`` by its suffix, else ``csv``)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    return raw, "json" if path.suffix.lower() == ".json" else "csv"


def read_catalog(raw: bytes, fmt: str) -> tuple[Rows, Problems]:
    """The records of an upload (``fmt`` is ``csv`` or ``json``) and the lines that are not
    records at all; ImportFailed when the file as a whole is unreadable."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed([(text_line(raw, exc.start), "not UTF-8 text")]) from None
    return _json_rows(text) if fmt == "json" else _csv_rows(text)


def text_line(raw: bytes, offset: int) -> int:
    """The 1-based line number of a byte offset."""
    return raw[:offset].count(b"\n") + 1


def parse_csv(text: str, *, currency: str | None = None) -> list[ItemSpec]:
    """Validate CSV text on its own; line numbers in errors are the file's own (header is
    line 1)."""
    return _validate(*_csv_rows(text), currency=currency)


def _csv_rows(text: str) -> tuple[Rows, Problems]:
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

    rows: Rows = []
    problems: Problems = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.append((line, f"expected {len(header)} fields, found {len(values)}"))
                continue
            rows.append((line, dict(zip(header, map(_unguard, values), strict=True))))
    except csv.Error as exc:
        problems.append((reader.line_num, f"unreadable CSV: {exc}"))
    return rows, problems


def parse_json(text: str, *, currency: str | None = None) -> list[ItemSpec]:
    """Validate JSON text on its own: a list of objects; errors name the object's position
    (1-based)."""
    return _validate(*_json_rows(text), currency=currency)


def _json_rows(text: str) -> tuple[Rows, Problems]:
    try:
        safejson.check_depth(text)
        data = json.loads(text)
    except JsonRejected as exc:
        raise ImportFailed([(1, f"invalid JSON: {exc}")]) from None
    except json.JSONDecodeError as exc:
        raise ImportFailed([(exc.lineno, f"invalid JSON: {exc.msg}")]) from None
    if not isinstance(data, list):
        raise ImportFailed([(1, "JSON catalog must be a list of objects")])
    rows: Rows = []
    problems: Problems = []
    for number, entry in enumerate(data, start=1):
        if isinstance(entry, dict):
            rows.append((number, entry))
        else:
            problems.append((number, "entry is not an object"))
    return rows, problems


def _validate(rows: Rows, problems: Problems, *, currency: str | None = None,
              known: SpokenNames | None = None, progress: Progress | None = None
              ) -> list[ItemSpec]:
    """The rows' specs, or ImportFailed with every problem of every line. With ``known``
    (the spoken names of the stored items the file does not replace), a name or synonym
    said for two items, in the file or in the file and the catalog, is refused."""
    problems = list(problems)
    if known is not None:
        for line, record in rows:
            known.add(str(record.get("sku", "")).strip(), _names(record), line)
    specs: list[ItemSpec] = []
    first_line_of: dict[str, int] = {}
    for index, (line, record) in enumerate(rows):
        if progress and index % PROGRESS_EVERY == 0:
            progress("checking", index, len(rows))
        sku = str(record.get("sku", "")).strip()
        try:
            spec = parse_item(record, currency=currency)
        except InvalidInput as exc:
            spec = None
            problems += [(line, problem) for problem in exc.problems]
        if sku in first_line_of:
            problems.append((line, f"sku {sku!r} already appears on line {first_line_of[sku]}"))
        else:
            first_line_of[sku] = line
        if known is not None:
            problems += [(line, message)
                         for _, message in known.clashes(sku, record_names(record))]
        if spec is not None:
            specs.append(spec)
    if problems:
        raise ImportFailed(sorted(problems, key=lambda problem: problem[0]))
    if not specs:
        raise ImportFailed([(1, "the file has no items")])
    return specs


def _names(record: dict) -> list[str]:
    return [name for _, name in record_names(record)]


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
    writer.writerows({key: _guard(value) for key, value in spec.as_record().items()}
                     for spec in specs)
    return out.getvalue()


_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
"""A cell a spreadsheet would run as a formula (after any quotes ``_guard`` added)."""


def _guard(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with ``=``, ``+``, ``-``, ``@``,
    a tab or a carriage return (after any ``'``) gets a ``'`` in front, which an import takes
    off again (``_unguard``), so an export still re-imports unchanged."""
    return "'" + cell if _FORMULA.match(cell) else cell


def _unguard(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell[1:]) else cell
