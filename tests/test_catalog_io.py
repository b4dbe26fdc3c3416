import csv
import io
import json

import pytest

from skill.catalog import get_item, list_items
from skill.catalog_io import export_catalog, import_catalog, parse_catalog_file
from skill.errors import ImportFailed

pytestmark = pytest.mark.both_databases

HEADER = "sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction\n"


def catalog_state(runtime):
    with runtime.transaction() as s:
        return export_catalog(s, "csv")


def test_csv_import_adds_and_updates(runtime, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(HEADER
                    + "TEA-1,green tea,tea|matcha,4.50,USD,grocery,true,5,none\n"
                    + "CF-PODS-24,coffee pods,pods,16.00,USD,grocery,true,6,none\n")
    with runtime.transaction() as s:
        assert import_catalog(s, path) == (1, 1)
    with runtime.transaction() as s:
        prices = {i.sku: i.price_minor for i in list_items(s)}
    assert prices["TEA-1"] == 450 and prices["CF-PODS-24"] == 1600


def test_bad_rows_are_all_reported_and_nothing_changes(runtime, tmp_path):
    before = catalog_state(runtime)
    path = tmp_path / "items.csv"
    path.write_text(HEADER
                    + "TEA-1,green tea,tea,4.50,USD,grocery,true,5,none\n"
                    + "TEA-2,black tea,,four,USD,grocery,true,5,none\n"
                    + "\n"
                    + "TEA-3,white tea,,4.00,USD,grocery,true,5,forbidden\n"
                    + "TEA-1,green tea again,,4.50,USD,grocery,true,5,none\n"
                    + "TEA-4,too few fields\n")
    with pytest.raises(ImportFailed) as failure, runtime.transaction() as s:
        import_catalog(s, path)
    lines = [line for line, _ in failure.value.problems]
    assert lines == [3, 5, 6, 7]
    reasons = dict(failure.value.problems)
    assert "price" in reasons[3]
    assert "restriction" in reasons[5]
    assert "line 2" in reasons[6]
    assert "fields" in reasons[7]
    assert catalog_state(runtime) == before


def test_wrong_header_is_rejected(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("sku,name,price\nA,b,1.00\n")
    with pytest.raises(ImportFailed, match="header"):
        parse_catalog_file(path)


def test_binary_and_empty_files_are_rejected(tmp_path):
    binary = tmp_path / "items.csv"
    binary.write_bytes(HEADER.encode() + b"\xff\xfe\x00junk\n")
    with pytest.raises(ImportFailed, match="UTF-8"):
        parse_catalog_file(binary)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImportFailed, match="empty"):
        parse_catalog_file(empty)
    only_header = tmp_path / "header.csv"
    only_header.write_text(HEADER)
    with pytest.raises(ImportFailed, match="no items"):
        parse_catalog_file(only_header)


def test_json_import_and_errors(runtime, tmp_path):
    good = {"sku": "TEA-1", "name": "green tea", "synonyms": ["tea"], "price": 4.5,
            "currency": "USD", "category": "grocery", "reorderable": True, "max_quantity": 5,
            "restriction": "none"}
    path = tmp_path / "items.json"
    path.write_text(json.dumps([good, {**good, "sku": "TEA-2", "name": "black tea",
                                       "synonyms": [], "max_quantity": 0}, "oops"]))
    before = catalog_state(runtime)
    with pytest.raises(ImportFailed) as failure, runtime.transaction() as s:
        import_catalog(s, path)
    assert [line for line, _ in failure.value.problems] == [2, 3]
    assert catalog_state(runtime) == before

    path.write_text("[{")
    with pytest.raises(ImportFailed, match="invalid JSON"):
        parse_catalog_file(path)

    path.write_text(json.dumps([good]))
    with runtime.transaction() as s:
        assert import_catalog(s, path) == (1, 0)


def test_failure_during_write_rolls_back(runtime, tmp_path, monkeypatch):
    """A database failure half way through the writes leaves the catalog as it was."""
    import skill.catalog as catalog

    before = catalog_state(runtime)
    path = tmp_path / "items.csv"
    path.write_text(HEADER + "".join(
        f"NEW-{n},item {n},,1.00,USD,misc,true,5,none\n" for n in range(10)))
    calls = {"n": 0}
    original = catalog._apply

    def failing_apply(item, spec):
        calls["n"] += 1
        if calls["n"] == 6:
            raise RuntimeError("connection dropped")
        original(item, spec)

    monkeypatch.setattr(catalog, "_apply", failing_apply)
    with pytest.raises(RuntimeError), runtime.transaction() as s:
        import_catalog(s, path)
    assert catalog_state(runtime) == before


@pytest.mark.parametrize("fmt,suffix", [("csv", ".csv"), ("json", ".json")])
def test_export_round_trips(runtime, empty_runtime, tmp_path, fmt, suffix):
    exported = catalog_state(runtime) if fmt == "csv" else None
    with runtime.transaction() as s:
        text = export_catalog(s, fmt)
    path = tmp_path / f"export{suffix}"
    path.write_text(text)
    other = type(runtime).open(f"sqlite:///{tmp_path / 'other.db'}", runtime.store)
    with other.transaction() as s:
        import_catalog(s, path)
    assert catalog_state(other) == (exported or catalog_state(runtime))


# --- spoken units --------------------------------------------------------------------------

def test_units_are_imported_defaulted_and_exported(runtime, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(HEADER.strip() + ",unit,unit_plural\n"
                    + "TEA-1,green tea,matcha,4.50,USD,grocery,true,5,none,tin,\n"
                    + "TEA-2,black tea,,4.00,USD,grocery,true,5,none,box,boxen\n"
                    + "TEA-3,white tea,,4.00,USD,grocery,true,5,none,,\n")
    with runtime.transaction() as s:
        assert import_catalog(s, path, currency="USD") == (3, 0)
    with runtime.transaction() as s:
        units = {i.sku: (i.unit, i.unit_plural) for i in list_items(s)}
        exported = {row["sku"]: row for row in csv.DictReader(io.StringIO(export_catalog(s)))}
        as_json = {r["sku"]: r for r in json.loads(export_catalog(s, "json"))}
    assert units["TEA-1"] == ("tin", "tins")
    assert units["TEA-2"] == ("box", "boxen")
    assert units["TEA-3"] == (None, None)
    assert units["PT-6ROLL"] == ("pack", "packs") and units["DH-WOOD"] == (None, None)
    assert (exported["TEA-1"]["unit"], exported["TEA-1"]["unit_plural"]) == ("tin", "tins")
    assert (exported["TEA-3"]["unit"], exported["TEA-3"]["unit_plural"]) == ("", "")
    assert (as_json["CF-PODS-24"]["unit"], as_json["CF-PODS-24"]["unit_plural"]) == (
        "box", "boxes")
    assert as_json["TEA-3"]["unit"] is None and as_json["TEA-3"]["unit_plural"] is None


def test_a_file_without_unit_columns_keeps_the_stored_units(runtime, tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(HEADER + "PT-6ROLL,paper towels,kitchen roll,13.49,USD,household,true,4,"
                             "none\n")
    with runtime.transaction() as s:
        assert import_catalog(s, path) == (0, 1)
    with runtime.transaction() as s:
        item = get_item(s, "PT-6ROLL")
        assert (item.price_minor, item.unit, item.unit_plural) == (1349, "pack", "packs")
    only_plural = tmp_path / "plural.csv"
    only_plural.write_text(HEADER.strip() + ",unit_plural\n"
                           + "PT-6ROLL,paper towels,,13.49,USD,household,true,4,none,packs\n")
    with pytest.raises(ImportFailed, match="unit_plural column needs a unit column"):
        parse_catalog_file(only_plural)


def test_json_units_and_bad_units(runtime, tmp_path):
    good = {"sku": "TEA-1", "name": "green tea", "synonyms": [], "price": "4.50",
            "currency": "USD", "category": "grocery", "reorderable": True, "max_quantity": 5,
            "restriction": "none", "unit": "tin", "unit_plural": None}
    path = tmp_path / "items.json"
    path.write_text(json.dumps([good, {**good, "sku": "TEA-2", "name": "black tea",
                                       "unit": "Six Pack!"},
                                {**good, "sku": "TEA-3", "name": "white tea", "unit": None,
                                 "unit_plural": "tins"}]))
    with pytest.raises(ImportFailed) as failure:
        parse_catalog_file(path)
    assert failure.value.problems == [
        (2, "unit 'Six Pack!' must be a short word or two in letters, like pack"),
        (3, "unit_plural 'tins' needs a unit")]
    path.write_text(json.dumps([good]))
    with runtime.transaction() as s:
        import_catalog(s, path)
        assert get_item(s, "TEA-1").unit_plural == "tins"


# --- what the conversation relies on --------------------------------------------------------

def test_two_items_with_one_spoken_name_in_a_file_are_refused(runtime, tmp_path):
    before = catalog_state(runtime)
    path = tmp_path / "items.csv"
    path.write_text(HEADER
                    + "HW-TAPE,duct tape,tape|gaffer tape,4.99,USD,supplies,true,6,none\n"
                    + "HW-MASK,masking tape,Tape!|painters tape,3.49,USD,supplies,true,6,none\n"
                    + "HW-GAFF,Gaffer-Tape,,5.49,USD,supplies,true,6,none\n")
    with pytest.raises(ImportFailed) as failure, runtime.transaction() as s:
        import_catalog(s, path)
    assert failure.value.problems == [
        (2, "synonym 'tape' is also a name or synonym of HW-MASK (line 3)"),
        (2, "synonym 'gaffer tape' is also a name or synonym of HW-GAFF (line 4)"),
        (3, "synonym 'Tape!' is also a name or synonym of HW-TAPE (line 2)"),
        (4, "name 'Gaffer-Tape' is also a name or synonym of HW-TAPE (line 2)")]
    assert catalog_state(runtime) == before


def test_a_spoken_name_of_a_stored_item_is_refused_unless_the_file_replaces_it(runtime,
                                                                              tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(HEADER + "TEA-1,green tea,K-Cups|tea,4.50,USD,grocery,true,5,none\n")
    with pytest.raises(ImportFailed) as failure, runtime.transaction() as s:
        import_catalog(s, path)
    assert failure.value.problems == [
        (2, "synonym 'K-Cups' is also a name or synonym of CF-PODS-24 in the catalog")]
    # The same file with coffee pods giving up "k cups": the stored names it had do not count.
    path.write_text(HEADER + "TEA-1,green tea,K-Cups|tea,4.50,USD,grocery,true,5,none\n"
                    + "CF-PODS-24,coffee pods,coffee capsules,15.49,USD,grocery,true,6,none\n")
    with runtime.transaction() as s:
        assert import_catalog(s, path) == (1, 1)
    with runtime.transaction() as s:
        assert get_item(s, "CF-PODS-24").synonyms == ["coffee capsules"]


def test_a_price_in_another_currency_than_the_stores_is_refused(runtime, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(HEADER + "TEA-1,green tea,,4.50,EUR,grocery,true,5,none\n"
                    + "TEA-2,black tea,,4.50,usd,grocery,true,5,none\n")
    with pytest.raises(ImportFailed) as failure, runtime.transaction() as s:
        import_catalog(s, path, currency="USD")
    assert failure.value.problems == [
        (2, "currency EUR is not the store's currency (USD)")]


def test_every_problem_of_a_line_is_reported(runtime, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(HEADER.strip() + ",unit\n"
                    + "bad sku!,dish soap,,free,GBP,household,maybe,0,kids,6 pack\n"
                    + "OK-1,fine thing,,1.00,USD,misc,true,5,none,\n")
    with pytest.raises(ImportFailed) as failure, runtime.transaction() as s:
        import_catalog(s, path, currency="USD")
    problems = [problem for line, problem in failure.value.problems if line == 2]
    assert len(problems) == 8, problems
    for words in ("sku 'bad sku!'", "currency GBP is not the store's", "price",
                  "reorderable must be true or false", "max_quantity must be at least 1",
                  "restriction 'kids'", "unit '6 pack'",
                  "name 'dish soap' is also a name or synonym of DS-LEMON in the catalog"):
        assert any(words in problem for problem in problems), words
    assert {line for line, _ in failure.value.problems} == {2}
