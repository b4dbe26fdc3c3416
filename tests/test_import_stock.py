"""Importing a catalog never undoes sales: items already in the catalog keep their stock unless
the import is told to set it (``--set-stock``, the console's box, ``?set_stock=true``), and
then only from non-empty stock cells. New items take the file's stock."""

import io

import pytest
from click.testing import CliRunner

from skill.accounts import get_or_create_account
from skill.catalog import get_item, update_item
from skill.catalog_io import export_catalog, import_catalog, import_catalog_bytes
from skill.cli import cli
from skill.orders import place_order, quote
from tests.console_helpers import csrf

pytest_plugins = ["tests.console_fixtures"]
pytestmark = pytest.mark.both_databases
SKU = "CF-PODS-24"
HEADER = "sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction,stock"


def stock_of(runtime, sku: str = SKU):
    with runtime.transaction() as s:
        return get_item(s, sku).stock


def sell(runtime, quantity: int) -> None:
    with runtime.transaction() as s:
        place_order(s, get_or_create_account(s, "shopper"), quote(
            runtime.store, [(get_item(s, SKU), quantity)]), idempotency_key=f"sale-{quantity}")


@pytest.fixture
def exported(runtime):
    """The catalog exported with 12 pods on hand, then 2 sold: 10 left."""
    with runtime.transaction() as s:
        update_item(s, SKU, {"stock": "12"})
        files = {fmt: export_catalog(s, fmt) for fmt in ("csv", "json")}
    sell(runtime, 2)
    assert stock_of(runtime) == 10
    return files


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_reimporting_an_earlier_export_does_not_undo_sales(runtime, exported, tmp_path, fmt):
    path = tmp_path / f"catalog.{fmt}"
    path.write_text(exported[fmt])
    with runtime.transaction() as s:
        added, updated = import_catalog(s, path, currency="USD")
    assert added == 0 and updated > 0
    assert stock_of(runtime) == 10


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_set_stock_sets_it_from_the_files_non_empty_cells(runtime, exported, fmt):
    with runtime.transaction() as s:
        import_catalog_bytes(s, exported[fmt].encode(), fmt, currency="USD", set_stock=True)
    assert stock_of(runtime) == 12
    assert stock_of(runtime, "PT-6ROLL") is None  # its cell is empty: still not tracked


def test_an_empty_cell_never_changes_stock_and_none_stops_tracking(runtime):
    with runtime.transaction() as s:
        update_item(s, SKU, {"stock": "7"})
        update_item(s, "PT-6ROLL", {"stock": "4"})
        rows = [line for line in export_catalog(s).splitlines()
                if line.startswith((SKU + ",", "PT-6ROLL,"))]
    header = export_catalog_header(runtime)
    cells = {row.split(",")[0]: row.split(",") for row in rows}
    stock_at = header.index("stock")
    cells[SKU][stock_at] = ""
    cells["PT-6ROLL"][stock_at] = "none"
    text = ",".join(header) + "\n" + "\n".join(",".join(c) for c in cells.values()) + "\n"
    with runtime.transaction() as s:
        import_catalog_bytes(s, text.encode(), "csv", set_stock=True)
    assert stock_of(runtime) == 7 and stock_of(runtime, "PT-6ROLL") is None


def export_catalog_header(runtime) -> list[str]:
    with runtime.transaction() as s:
        return export_catalog(s).splitlines()[0].split(",")


def test_new_items_take_the_files_stock(runtime):
    text = (f"{HEADER}\nNEW-1,new thing,,2.00,USD,misc,true,5,none,9\n"
            "NEW-2,other thing,,2.00,USD,misc,true,5,none,\n")
    with runtime.transaction() as s:
        assert import_catalog_bytes(s, text.encode(), "csv") == (2, 0)
    assert stock_of(runtime, "NEW-1") == 9 and stock_of(runtime, "NEW-2") is None


def test_the_command_line_keeps_stock_unless_told(runtime, exported, db_url, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(exported["csv"])
    kept = CliRunner().invoke(cli, ["--db", db_url, "catalog", "import", str(path)])
    assert kept.exit_code == 0 and "--set-stock" in kept.output
    assert stock_of(runtime) == 10
    told = CliRunner().invoke(cli, ["--db", db_url, "catalog", "import", "--set-stock",
                                    str(path)])
    assert told.exit_code == 0, told.output
    assert stock_of(runtime) == 12


def test_the_console_and_the_api_keep_stock_unless_told(runtime, exported, console_app,
                                                       console, api_token):
    api = console_app.test_client()
    auth = {"Authorization": f"Bearer {api_token}"}
    assert api.post("/api/v1/catalog/import", data=exported["json"], headers=auth,
                    content_type="application/json").status_code == 200
    assert stock_of(runtime) == 10
    assert api.post("/api/v1/catalog/import?set_stock=maybe", data=exported["json"],
                    headers=auth, content_type="application/json").status_code == 400
    assert api.post("/api/v1/catalog/import?set_stock=true", data=exported["json"],
                    headers=auth, content_type="application/json").status_code == 200
    assert stock_of(runtime) == 12

    sell(runtime, 3)
    assert 'name="set_stock"' in console.get("/admin/catalog").text
    token = csrf(console, "/admin/catalog")

    def upload(**extra):
        return console.post("/admin/catalog/import", data={
            "csrf_token": token, "file": (io.BytesIO(exported["csv"].encode()), "c.csv"),
            **extra}, content_type="multipart/form-data")

    assert upload().status_code == 302
    assert stock_of(runtime) == 9
    assert upload(set_stock="on").status_code == 302
    assert stock_of(runtime) == 12
