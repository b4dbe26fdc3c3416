"""What a turn costs the database: round trips of a reorder turn and of the "yes" that places
the order (as ``bench/turn_sql.py`` counts them), and the mechanisms that keep them few
without weakening anything: reads kept for the transaction until something is written,
savepoints sent to PostgreSQL only when something inside them writes, a turn's dialog events
written together, and the pool's ping only for a connection that sat idle."""

import json
import time
from dataclasses import replace

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from bench.turn_sql import USER, Recorder, body, intent
from skill import db
from skill.accounts import get_or_create_account
from skill.cart import read_cart
from skill.insights import DialogEvent
from skill.shoppers import Household, household_of
from skill.web import AppConfig, create_app
from tests.test_skill_dialogs import give_history

pytestmark = pytest.mark.both_databases

SLOTS = {"Item": {"name": "Item", "value": "coffee pods", "confirmationStatus": "NONE"}}


def _dialog(runtime):
    """A client of the real endpoint and a function running reorder + yes once (no
    repeat-order question, as in the load benchmark: every yes places an order)."""
    runtime.store = replace(runtime.store, repeat_order_days=0)
    give_history(runtime, "CF-PODS-24", 2, 30, user_id=USER)
    client = create_app(runtime, AppConfig(verify=False, linking_required=False)).test_client()

    def run(number: int) -> tuple[dict, dict]:
        session = f"bench.session.{USER}.{number}"
        first = client.post("/alexa", data=body(session, True, {}, intent(
            "ReorderIntent", SLOTS, f"r{number}")), content_type="application/json").get_json()
        second = client.post("/alexa", data=body(session, False, first["sessionAttributes"],
                                                 intent("AMAZON.YesIntent", {}, f"r{number}.y")),
                             content_type="application/json").get_json()
        return first, second

    return run


def test_a_reorder_and_its_yes_cost_few_round_trips(runtime):
    run = _dialog(runtime)
    run(0)  # caches warm (resolver index, catalog version), as under load
    recorder = Recorder(runtime)
    recorder.on = True
    first, second = run(1)
    statements = recorder.take()
    assert "Should I order" in first["response"]["outputSpeech"]["ssml"]
    assert "Order placed" in json.dumps(second["response"]["card"])
    reorder = statements[:statements.index("COMMIT") + 1]
    yes = statements[len(reorder):]
    # Before: 25 and 27 on PostgreSQL, 24 and 27 on SQLite (a ping, the household read four
    # times, the item and the last quantity twice, a savepoint and its release around every
    # part of the turn).
    limits = {"postgresql": (10, 13), "sqlite": (16, 20)}[runtime.engine.dialect.name]
    # SQLite's safety level per transaction (skill.db.light_transaction) is counted apart: a
    # turn runs at NORMAL, and one that placed an order syncs the WAL at FULL before the
    # answer (in-process statements, not round trips to a server).
    pragmas = [s for s in statements if s.startswith("PRAGMA")]
    assert len([s for s in reorder if not s.startswith("PRAGMA")]) <= limits[0], reorder
    assert len([s for s in yes if not s.startswith("PRAGMA")]) <= limits[1] + (
        3 if pragmas else 0), yes  # + the sync's own BEGIN IMMEDIATE, BEGIN and COMMIT
    if runtime.engine.dialect.name == "sqlite":
        assert "PRAGMA synchronous=FULL" in yes and "PRAGMA synchronous=FULL" not in reorder
        assert len(pragmas) <= 5, pragmas
    else:
        assert not pragmas
    assert sum("households" in s for s in statements) == 2  # with the account, once a turn
    assert not [s for s in yes if s.startswith("UPDATE catalog_items")]  # no stock count


def test_a_turns_dialog_events_are_written_together_at_its_end(runtime):
    run = _dialog(runtime)
    recorder = Recorder(runtime)
    recorder.on = True
    run(0)
    inserts = [s for s in recorder.take() if s.startswith("INSERT INTO dialog_events")]
    # The reorder's restatement and turn events in one INSERT (PostgreSQL; SQLite sends a row
    # at a time), the yes's turn event in another.
    assert len(inserts) == (2 if runtime.engine.dialect.name == "postgresql" else 3), inserts
    with runtime.transaction() as s:
        kinds = list(s.scalars(select(DialogEvent.kind).order_by(DialogEvent.id)))
    assert kinds == ["restatement", "turn", "turn"]


def test_events_that_cannot_be_written_leave_the_turn_standing(runtime):
    def refuse(*_args: object) -> None:
        raise RuntimeError("the events' INSERT fails")

    client = create_app(runtime, AppConfig(verify=False, linking_required=False)).test_client()
    event.listen(DialogEvent, "before_insert", refuse)
    try:
        answer = client.post("/alexa", data=body("s1", True, {}, intent(
            "AddToCartIntent", SLOTS, "add.1")), content_type="application/json").get_json()
    finally:
        event.remove(DialogEvent, "before_insert", refuse)
    assert "Added" in answer["response"]["outputSpeech"]["ssml"]
    with runtime.transaction() as s:
        account = get_or_create_account(s, USER)
        assert [line.sku for line in read_cart(s, account)] == ["CF-PODS-24"]
        assert s.scalar(select(func.count(DialogEvent.id))) == 0


def test_a_kept_read_is_read_again_once_anything_is_written(runtime):
    with runtime.transaction() as s:
        account = get_or_create_account(s, "solo")
        assert household_of(s, account) is None
        s.add(Household(account_id=account.id))
        assert household_of(s, account) is not None  # pending: autoflush, then read afresh
        assert household_of(s, account) is household_of(s, account)
    with runtime.transaction() as s:
        account = get_or_create_account(s, "solo")
        household = household_of(s, account)
        try:
            with s.begin_nested():
                s.delete(household)
                s.flush()
                assert household_of(s, account) is None
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        assert household_of(s, account) is not None  # the savepoint's rollback forgot it


def test_work_in_a_savepoint_is_undone_alone_and_reads_cost_no_savepoint(runtime):
    recorder = Recorder(runtime)
    recorder.on = True
    with runtime.transaction() as s:
        account = get_or_create_account(s, "saver")
        with s.begin_nested():  # reads only: PostgreSQL gets no SAVEPOINT
            s.scalar(select(func.count(DialogEvent.id)))
        try:
            with s.begin_nested():
                account.email = "undone@example.com"
                s.flush()
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        account.pin_failures = 1
    sent = recorder.take()
    if runtime.engine.dialect.name == "postgresql":
        assert sum(s.startswith("SAVEPOINT") for s in sent) == 2, sent  # account, email
    with runtime.transaction() as s:
        account = get_or_create_account(s, "saver")
        assert (account.email, account.pin_failures) == (None, 1)


def test_a_savepoint_released_is_still_undone_with_the_one_around_it(runtime):
    with runtime.transaction() as s:
        for number in range(db.KEEP_RELEASED * 2 + 3):  # released on the server in between
            with s.begin_nested():
                get_or_create_account(s, f"many-{number}")
        try:
            with s.begin_nested():
                with s.begin_nested():
                    get_or_create_account(s, "inner")
                get_or_create_account(s, "outer")
                raise RuntimeError("undo both")
        except RuntimeError:
            pass
        with s.begin_nested():
            get_or_create_account(s, "after")
    with runtime.transaction() as s:
        names = set(s.scalars(text("SELECT user_id FROM accounts")))
    assert {f"many-{n}" for n in range(db.KEEP_RELEASED * 2 + 3)} | {"after"} <= names
    assert not {"inner", "outer"} & names


def test_a_failed_read_in_a_savepoint_never_sent_rolls_the_transaction_back(runtime):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("savepoints are held back on PostgreSQL only")
    with pytest.raises(db.SavepointLost), runtime.transaction() as s:
        get_or_create_account(s, "kept-out")
        with s.begin_nested():
            s.execute(text("SELECT 1 / 0"))
    with runtime.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0
        assert s.scalar(text("SELECT count(*) FROM accounts WHERE user_id = 'kept-out'")) == 0


def test_only_a_connection_idle_for_a_while_is_pinged(runtime, monkeypatch):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no connection to lose")
    engine = runtime.engine

    def kill_pooled_connection() -> None:
        with engine.connect() as connection:
            pid = connection.scalar(text("SELECT pg_backend_pid()"))
        with engine.pool._creator().cursor() as other:  # a connection outside the pool
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
            other.connection.commit()
        time.sleep(0.2)

    engine.dispose()
    kill_pooled_connection()
    with pytest.raises(DBAPIError), engine.connect() as connection:  # used just now: no ping
        connection.execute(text("SELECT 1"))
    engine.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    kill_pooled_connection()
    with engine.connect() as connection:  # idle "long enough": pinged, replaced
        assert connection.scalar(text("SELECT 1")) == 1
