"""Large catalog files for import tests and benchmarks: a wholesaler's export, about 530
bytes a row (a long name, eight synonyms), every spoken name unique."""

from __future__ import annotations

HEADER = "sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction,stock\n"
_COLOURS = ["red", "blue", "green", "amber", "violet", "silver", "ivory", "copper"]


def _row(number: int, price: str | None = None) -> str:
    code = f"{number:06d}"
    name = f"warehouse assortment number {code} {_COLOURS[number % 8]} edition"
    synonyms = "|".join(f"{kind} {code} alternative catalogue description variant"
                        for kind in ("crate", "bundle", "carton", "parcel", "box set",
                                     "case lot", "pallet share", "trade pack"))
    price = price or f"{1 + number % 90}.{number % 100:02d}"
    return (f"BULK-{code},{name},{synonyms},{price},USD,"
            f"bulk {number % 40},true,{1 + number % 9},none,{number % 500}\n")


def large_catalog_csv(rows: int, *, bad_row: int | None = None) -> bytes:
    """``rows`` items as CSV; with ``bad_row`` (1-based) that item has a price of ``cheap``,
    which no import accepts (its line in the file is ``bad_row + 1``)."""
    return "".join([HEADER, *(_row(n, "cheap" if n == bad_row else None)
                              for n in range(1, rows + 1))]).encode()
