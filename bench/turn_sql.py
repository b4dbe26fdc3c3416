"""The SQL of one reorder turn and of the "yes" turn that places the order, as the load
benchmark sends them (``bench/reorder_dialog.lua``), through the real ``/alexa`` endpoint.

Counts what reaches the database server: every statement the driver sends, including the
transaction control that SQLAlchemy issues itself (BEGIN, SAVEPOINT, RELEASE, COMMIT) and
the pool's liveness ping, so the count is the number of round trips a turn costs.
Run: ``python bench/turn_sql.py [--db URL] [--quiet]`` (default: a fresh SQLite file).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skill import db  # noqa: E402
from skill.runtime import Runtime  # noqa: E402
from skill.web import AppConfig, create_app  # noqa: E402
from tests.test_skill_dialogs import give_history  # noqa: E402

USER = "bench-user-0"


def body(session: str, new: bool, attributes: dict, request: dict) -> bytes:
    return json.dumps({
        "version": "1.0",
        "session": {"new": new, "sessionId": session, "application": {"applicationId": "bench"},
                    "user": {"userId": USER}, "attributes": attributes},
        "context": {"System": {"application": {"applicationId": "bench"},
                               "user": {"userId": USER}}},
        "request": request}).encode()


def intent(name: str, slots: dict, request_id: str) -> dict:
    return {"type": "IntentRequest", "requestId": request_id, "locale": "en-US",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots}}


class Recorder:
    """Every statement the engine sends to the server, in order (transaction control too)."""

    def __init__(self, runtime: Runtime) -> None:
        self.statements: list[str] = []
        self.on = False
        engine = runtime.engine

        def record(text: str) -> None:
            if self.on:
                self.statements.append(" ".join(text.split()))

        @event.listens_for(engine, "before_cursor_execute")
        def _statement(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
            record(statement)

        # Savepoints are statements (seen above); BEGIN is sent by the driver before the
        # first statement of a transaction, COMMIT and ROLLBACK by the DBAPI connection.
        for name, text in (("begin", "BEGIN"), ("commit", "COMMIT"), ("rollback", "ROLLBACK")):
            event.listen(engine, name, lambda conn, _text=text: record(_text))
        # Savepoints PostgreSQL gets only when something inside them writes (skill.db).
        send = db.send_savepoint_now

        def _sent(cursor, statement: str) -> None:  # noqa: ANN001
            record(statement)
            send(cursor, statement)

        db.send_savepoint_now = _sent
        if engine.pool._pre_ping:  # a liveness query on every checkout, before the turn's own
            event.listen(engine.pool, "checkout",
                         lambda *args: record("SELECT 1 -- the pool's pre-ping"))

    def take(self) -> list[str]:
        taken, self.statements = self.statements, []
        return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--quiet", action="store_true", help="only the counts")
    args = parser.parse_args()
    import os

    os.environ["VOICECART_REPEAT_ORDER_DAYS"] = "0"  # as the load benchmark: "yes" orders
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime.open(args.db or f"sqlite:///{tmp}/bench.db")
        runtime.seed_demo()
        give_history(runtime, "CF-PODS-24", 2, 30, user_id=USER)
        app = create_app(runtime, AppConfig(verify=False, linking_required=False))
        client = app.test_client()
        recorder = Recorder(runtime)
        slots = {"Item": {"name": "Item", "value": "coffee pods", "confirmationStatus": "NONE"}}
        for round_ in range(3):  # the last round is shown: caches warm, as under load
            session = f"bench.session.{USER}.{time.time_ns()}"
            recorder.on = round_ == 2
            first = client.post("/alexa", data=body(session, True, {}, intent(
                "ReorderIntent", slots, f"bench.request.{round_}")),
                content_type="application/json").get_json()
            assert "Should I order" in first["response"]["outputSpeech"]["ssml"], first
            reorder = recorder.take()
            second = client.post("/alexa", data=body(session, False, first["sessionAttributes"],
                                                     intent("AMAZON.YesIntent", {},
                                                            f"bench.request.{round_}.yes")),
                                 content_type="application/json").get_json()
            assert "Order placed" in json.dumps(second.get("response", {}).get("card", {})), second
            yes = recorder.take()
        print(f"{runtime.engine.dialect.name}: reorder turn {len(reorder)} round trips, "
              f"\"yes\" turn (places the order) {len(yes)} round trips "
              "(each statement, BEGIN, SAVEPOINT, RELEASE, COMMIT and any pre-ping listed)")
        if not args.quiet:
            for name, statements in (("reorder", reorder), ("yes", yes)):
                print(f"\n-- {name} turn")
                for statement in statements:
                    print(statement if len(statement) < 160 else
                          f"{statement[:100]} ... {statement[-55:]}")
        runtime.engine.dispose()


if __name__ == "__main__":
    main()
