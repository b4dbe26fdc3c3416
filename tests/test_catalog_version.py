"""The resolver's index follows catalog writes made by other processes (workers, the CLI)
through the catalog version, item by item, and never keeps what a transaction rolled back."""

import pytest

from skill.catalog import add_item, parse_item, remove_item, update_item
from skill.catalog_version import current_version
from skill.orders import take_stock
from skill.resolution import ItemIndex
from skill.runtime import Runtime

pytestmark = pytest.mark.both_databases


def _tea(sku: str = "TEA-1", name: str = "green tea") -> dict:
    return {"sku": sku, "name": name, "synonyms": "matcha", "price": "4.50", "currency": "USD",
            "category": "grocery", "reorderable": "true", "max_quantity": "5",
            "restriction": "none"}


def _best(runtime: Runtime, text: str) -> str | None:
    with runtime.transaction() as session:
        result = runtime.resolver.resolve(session, text)
        return result.best.sku if result.status == "match" else None


@pytest.fixture
def other(runtime, db_url):
    """A second process's runtime on the same database (another gunicorn worker)."""
    second = Runtime.open(db_url, migrate=False)
    yield second
    second.engine.dispose()


def test_another_workers_catalog_writes_reach_the_index_item_by_item(runtime, other,
                                                                       monkeypatch):
    assert _best(runtime, "coffee pods") == "CF-PODS-24"
    built = []
    monkeypatch.setattr(ItemIndex, "__init__", lambda self, *a, **k: built.append(1))
    with other.transaction() as session:
        add_item(session, parse_item(_tea()))
        update_item(session, "CF-PODS-24", {"name": "espresso capsules", "synonyms": ""})
        remove_item(session, "DH-WOOD")
    assert _best(runtime, "green tee") == "TEA-1"
    assert _best(runtime, "espresso capsules") == "CF-PODS-24"
    assert _best(runtime, "coffee pods") is None  # the old name is gone
    assert _best(runtime, "dollhouse") is None
    assert built == []  # re-indexed item by item, not rebuilt


def test_selling_stock_does_not_move_the_version(runtime):
    from skill.orders import quote

    with runtime.transaction() as session:
        before = current_version(session)
        from skill.catalog import get_item

        take_stock(session, quote(runtime.store, [(get_item(session, "CF-PODS-24"), 1)]))
        assert current_version(session) == before


def test_a_rolled_back_change_leaves_the_index(runtime, other):
    assert _best(runtime, "green tea") is None
    with pytest.raises(RuntimeError), runtime.transaction() as session:
        add_item(session, parse_item(_tea()))
        assert runtime.resolver.resolve(session, "green tea").best.sku == "TEA-1"
        raise RuntimeError("rolled back")
    assert _best(runtime, "green tea") is None
    with other.transaction() as session:  # and a later committed change still arrives
        add_item(session, parse_item(_tea("TEA-2", "black tea")))
    assert _best(runtime, "black tea") == "TEA-2"
    assert _best(runtime, "green tea") is None
