"""The voicecart command line, run as a real subprocess where exit codes and streams matter."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from skill.accounts import find_account
from skill.cli import cli
from skill.runtime import Runtime

HEADER = "sku,name,synonyms,price,currency,category,reorderable,max_quantity,restriction\n"


@pytest.fixture
def run(db_url):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, ["--db", db_url, *args], input=input, catch_exceptions=False)

    assert invoke("init").exit_code == 0
    return invoke


def test_voicecart_entry_point_runs(db_url):
    result = subprocess.run([sys.executable, "-c", "from skill.cli import main; main()",
                             "--db", db_url, "init"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "demo catalog" in result.stdout


def test_catalog_list_and_json(run):
    text = run("catalog", "list").output
    assert "CF-PODS-24" in text and "15.49" in text
    items = json.loads(run("catalog", "list", "--json").output)
    pods = next(i for i in items if i["sku"] == "CF-PODS-24")
    assert pods["price"] == "15.49" and pods["synonyms"][0] == "coffee capsules"


def test_import_reports_every_bad_row_and_changes_nothing(run, tmp_path):
    before = run("catalog", "export").output
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "A-1,ok item,,1.00,USD,misc,true,3,none\n"
                    + "A-2,bad price,,x,USD,misc,true,3,none\n"
                    + "A-3,bad restriction,,1.00,USD,misc,true,3,kids\n")
    result = run("catalog", "import", str(path))
    assert result.exit_code == 1
    assert "nothing changed" in result.output
    assert "line 3:" in result.output and "line 4:" in result.output
    assert "Traceback" not in result.output
    assert run("catalog", "export").output == before


def test_import_missing_file_is_one_line(run, tmp_path):
    result = run("catalog", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: cannot read")
    assert len(result.output.strip().splitlines()) == 1


def test_add_update_remove(run):
    result = run("catalog", "add", "TEA-1", "--name", "green tea", "--price", "4.50",
                 "--category", "grocery", "--synonyms", "tea|matcha", "--restriction", "pin")
    assert result.exit_code == 0, result.output
    assert run("catalog", "add", "TEA-1", "--name", "x", "--price", "1",
               "--category", "c").exit_code == 1
    result = run("catalog", "update", "TEA-1", "--price", "nope")
    assert result.exit_code == 1 and result.output.startswith("error: price")
    assert run("catalog", "update", "TEA-1", "--price", "5.25", "--max-quantity", "2",
               "--not-reorderable").exit_code == 0
    tea = next(i for i in json.loads(run("catalog", "list", "--json").output)
               if i["sku"] == "TEA-1")
    assert (tea["price"], tea["max_quantity"], tea["reorderable"], tea["restriction"]) == (
        "5.25", 2, False, "pin")
    assert run("catalog", "remove", "TEA-1").exit_code == 0
    result = run("catalog", "remove", "TEA-1")
    assert result.exit_code == 1 and "no catalog item" in result.output


def test_orders_list_json_shape_and_advance(run):
    orders = json.loads(run("orders", "list", "--json").output)
    assert orders and {"id", "account", "status", "lines", "total"} <= set(orders[0])
    assert orders[0]["account"] == "demo"
    assert orders[0]["lines"][0]["quantity"] >= 1
    result = run("orders", "advance", str(orders[0]["id"]), "shipped")
    assert result.exit_code == 1 and "can move to none" in result.output
    result = run("orders", "advance", "9999", "shipped")
    assert result.exit_code == 1 and result.output.strip() == "error: no order 9999"
    assert run("orders", "advance", "1", "flying").exit_code == 2


def test_set_pin_reads_stdin_and_never_stores_it(run, db_url):
    result = run("account", "set-pin", "amzn1.ask.account.ABC", input="4321\n")
    assert result.exit_code == 0 and "4321" not in result.output
    runtime = Runtime.open(db_url)
    with runtime.transaction() as s:
        account = find_account(s, "amzn1.ask.account.ABC")
        assert account.has_pin and "4321" not in account.pin_hash
    result = run("account", "set-pin", "amzn1.ask.account.ABC", input="12\n")
    assert result.exit_code == 1 and "four digits" in result.output
    assert run("account", "set-pin", "x", "1234").exit_code == 2  # no PIN as an argument


def test_set_limits(run):
    result = run("account", "set-limits", "kid", "--per-order", "25", "--per-day", "40.50",
                 "--approval")
    assert result.exit_code == 0
    assert "per order 25.00 USD, per day 40.50 USD, approval required" in result.output
    result = run("account", "set-limits", "kid", "--per-order", "none", "--no-approval")
    assert "per order none, per day 40.50 USD, approval not required" in result.output
    assert run("account", "set-limits", "kid", "--per-day", "lots").exit_code == 2


def test_unreachable_database_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path}/missing/dir/x.db",
                                      "catalog", "list"])
    assert result.exit_code == 1
    assert result.output.startswith("error: database:")
    assert len(result.output.strip().splitlines()) == 1


def test_units_from_the_command_line(run, tmp_path):
    result = run("catalog", "add", "TEA-1", "--name", "green tea", "--price", "4.50",
                 "--category", "grocery", "--unit", "tin")
    assert result.exit_code == 0, result.output
    items = {i["sku"]: i for i in json.loads(run("catalog", "list", "--json").output)}
    assert (items["TEA-1"]["unit"], items["TEA-1"]["unit_plural"]) == ("tin", "tins")
    assert (items["DH-WOOD"]["unit"], items["DH-WOOD"]["unit_plural"]) == (None, None)
    assert items["PT-6ROLL"]["unit"] == "pack" and items["PT-6ROLL"]["stock"] is None
    assert "by the tin" in run("catalog", "list").output
    assert run("catalog", "update", "TEA-1", "--unit", "box").exit_code == 0
    assert run("catalog", "update", "DH-WOOD", "--unit", "kit", "--unit-plural",
               "kits").exit_code == 0
    assert run("catalog", "update", "PT-6ROLL", "--unit", "").exit_code == 0
    items = {i["sku"]: i for i in json.loads(run("catalog", "list", "--json").output)}
    assert (items["TEA-1"]["unit"], items["TEA-1"]["unit_plural"]) == ("box", "boxes")
    assert (items["DH-WOOD"]["unit"], items["DH-WOOD"]["unit_plural"]) == ("kit", "kits")
    assert (items["PT-6ROLL"]["unit"], items["PT-6ROLL"]["unit_plural"]) == (None, None)
    result = run("catalog", "update", "TEA-1", "--unit", "6 pack")
    assert result.exit_code == 1 and "unit '6 pack' must be a short word" in result.output


def test_add_and_update_give_the_imports_errors(run, tmp_path):
    result = run("catalog", "add", "TEA-1", "--name", "Coffee Pods", "--price", "x",
                 "--category", "grocery", "--currency", "EUR")
    assert result.exit_code == 1
    for words in ("price", "currency EUR is not the store's currency (USD)",
                  "name 'Coffee Pods' is also a name or synonym of CF-PODS-24 in the catalog"):
        assert words in result.output
    result = run("catalog", "update", "DS-LEMON", "--synonyms", "dish soap|kitty litter")
    assert result.exit_code == 1
    assert "synonym 'kitty litter' is also a name or synonym of CL-LITTER" in result.output
    path = tmp_path / "items.csv"
    path.write_text(HEADER + "TEA-1,green tea,litter,4.50,EUR,grocery,true,5,none\n")
    result = run("catalog", "import", str(path))
    assert result.exit_code == 1 and "(2 problem(s))" in result.output
    assert "line 2: currency EUR is not the store's currency (USD)" in result.output
    assert ("line 2: synonym 'litter' is also a name or synonym of CL-LITTER in the catalog"
            in result.output)
