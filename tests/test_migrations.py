"""Alembic migrations: they build exactly the models' schema, keep data, and adopt a
database made before migrations existed."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect, text

from skill import models  # noqa: F401
from skill.cli import cli
from skill.db import Base, downgrade, make_engine, schema_revision, upgrade
from skill.errors import VoiceCartError
from skill.runtime import Runtime

pytestmark = pytest.mark.both_databases


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    upgrade(engine)  # as every test database starts
    yield engine
    engine.dispose()


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_migrations_build_exactly_the_models_schema(engine):
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert differences(engine) == []
    current, head = schema_revision(engine)
    assert current == head


def test_upgrade_keeps_every_row(engine):
    downgrade(engine, "base")
    upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO catalog_items (sku, name, synonyms, price_minor, currency, category, "
            "reorderable, max_quantity, restriction, updated_at) VALUES ('A', 'apples', '[]', "
            "100, 'USD', 'food', true, 5, 'none', '2026-01-01T00:00:00+00:00')"))
        c.execute(text(
            "INSERT INTO accounts (user_id, pin_failures, approval_required, pin_required, "
            "restricted_categories, created_at) VALUES ('u', 0, false, false, '{}', "
            "'2026-01-01T00:00:00+00:00')"))
        c.execute(text("INSERT INTO carts (account_id, updated_at) VALUES "
                       "((SELECT id FROM accounts), '2026-01-01T00:00:00+00:00')"))
        c.execute(text("INSERT INTO cart_lines (cart_id, item_id, quantity) VALUES "
                       "((SELECT id FROM carts), (SELECT id FROM catalog_items), 2)"))
    upgrade(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT quantity FROM cart_lines")).scalars().all() == [2]
        assert c.execute(text("SELECT stock FROM catalog_items")).scalars().all() == [None]
    downgrade(engine, "0001")  # and back: copying tables on SQLite must not cascade either
    with engine.connect() as c:
        assert c.execute(text("SELECT quantity FROM cart_lines")).scalars().all() == [2]


def test_a_database_from_before_migrations_is_adopted(engine):
    downgrade(engine, "base")
    upgrade(engine, "0001")
    with engine.begin() as c:  # as create_all left it: tables, no version
        c.execute(text("DROP TABLE alembic_version"))
    upgrade(engine)
    assert differences(engine) == []


def test_workers_refuse_an_outdated_schema(engine, db_url):
    downgrade(engine, "0001")
    with pytest.raises(VoiceCartError, match="voicecart db upgrade"):
        Runtime.open(db_url, migrate=False)
    result = CliRunner().invoke(cli, ["--db", db_url, "db", "current"])
    assert "0001" in result.output and "run `voicecart db upgrade`" in result.output
    result = CliRunner().invoke(cli, ["--db", db_url, "db", "upgrade"])
    assert result.exit_code == 0 and f"0001 -> {schema_revision(engine)[1]}" in result.output
    Runtime.open(db_url, migrate=False).engine.dispose()


def test_spoken_units_migrate_down_and_up_keeping_every_row(engine, db_url):
    from skill.accounts import get_or_create_account
    from skill.cart import add_to_cart
    from skill.catalog import get_item

    runtime = Runtime.open(db_url)
    runtime.seed_demo()  # items with units, and orders whose lines kept them
    with runtime.transaction() as s:
        add_to_cart(s, get_or_create_account(s, "demo"), get_item(s, "PT-6ROLL"), 2)
    runtime.engine.dispose()
    rows = {
        "catalog_items": "SELECT sku, price_minor FROM catalog_items ORDER BY sku",
        "order_lines": "SELECT sku, item_id, quantity FROM order_lines ORDER BY id",
        "cart_lines": "SELECT item_id, quantity FROM cart_lines",
    }

    def snapshot() -> dict:
        with engine.connect() as c:
            return {table: c.execute(text(query)).all() for table, query in rows.items()}

    def units(table: str) -> list:
        with engine.connect() as c:
            return c.execute(text(f"SELECT sku, unit, unit_plural FROM {table} "
                                  "ORDER BY sku")).all()

    before = snapshot()
    assert ("PT-6ROLL", "pack", "packs") in units("catalog_items")
    assert ("PT-6ROLL", "pack", "packs") in units("order_lines")
    assert all(row[1] is not None for row in before["order_lines"])
    downgrade(engine, "0005")
    for table in ("catalog_items", "order_lines"):
        assert not {"unit", "unit_plural"} & {c["name"] for c in inspect(engine).get_columns(table)}
    assert snapshot() == before
    upgrade(engine)
    assert snapshot() == before
    assert {(unit, plural) for _, unit, plural in units("catalog_items")} == {(None, None)}
    assert differences(engine) == []
