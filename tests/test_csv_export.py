"""CSV exports a spreadsheet cannot run (catalog export in the module, the command line, the
console's download link and the API): cells that would start a formula get a ' in front, and
an import takes it off again."""

import csv
import io
import re

import pytest

from skill.catalog import create_item, get_item
from skill.catalog_io import export_catalog, import_catalog
from skill.cli import cli

pytest_plugins = ["tests.console_fixtures"]
pytestmark = pytest.mark.both_databases

FORMULAS = {"name": "=HYPERLINK(\"http://evil.example\",\"click\")",
            "synonyms": "+1 pack|@home|-cheap", "category": "-sale"}


def add_formula_item(runtime):
    with runtime.transaction() as s:
        create_item(s, {"sku": "EVIL-1", "price": "1.00", "currency": "USD",
                        "reorderable": "true", "max_quantity": "3", "restriction": "none",
                        **FORMULAS}, "USD")


def evil_row(text: str) -> dict:
    return next(row for row in csv.DictReader(io.StringIO(text)) if row["sku"] == "EVIL-1")


def test_csv_exports_neutralize_formulas_everywhere(console_app, console, api_token, runtime,
                                                    db_url, tmp_path):
    from click.testing import CliRunner

    add_formula_item(runtime)
    with runtime.transaction() as s:
        exports = {"module": export_catalog(s, "csv")}
    exports["cli"] = CliRunner().invoke(cli, ["--db", db_url, "catalog", "export"]).output
    page = console.get("/admin/catalog").text
    link = re.search(r'href="([^"]*export[^"]*csv[^"]*)"', page)
    assert link, "the console offers the catalog export"
    download = console.get(link.group(1))
    assert download.status_code == 200 and "attachment" in download.headers[
        "Content-Disposition"]
    exports["console"] = download.text
    api = console_app.test_client().get("/api/v1/export/catalog?format=csv",
                                        headers={"Authorization": f"Bearer {api_token}"})
    assert api.status_code == 200 and api.mimetype == "text/csv"
    exports["api"] = api.text
    as_json = console_app.test_client().get("/api/v1/export/catalog?format=json", headers={
        "Authorization": f"Bearer {api_token}"})
    assert next(i for i in as_json.get_json() if i["sku"] == "EVIL-1")["name"] == FORMULAS["name"]
    assert console_app.test_client().get("/api/v1/export/catalog?format=xml", headers={
        "Authorization": f"Bearer {api_token}"}).status_code == 400
    for where, text in exports.items():
        row = evil_row(text)
        assert row["name"] == "'" + FORMULAS["name"], where
        assert row["synonyms"] == "'" + FORMULAS["synonyms"], where
        assert row["category"] == "'" + FORMULAS["category"], where
        assert not any(cell[:1] in "=+-@" for cell in row.values() if cell), where
    (tmp_path / "again.csv").write_text(exports["module"])
    with runtime.transaction() as s:
        import_catalog(s, tmp_path / "again.csv")  # re-imports unchanged
        item = get_item(s, "EVIL-1")
        assert (item.name, item.synonyms, item.category) == (
            FORMULAS["name"], ["+1 pack", "@home", "-cheap"], FORMULAS["category"])
