"""A verified Alexa turn: one database transaction with the account read once, certificate
validation remembered until the certificate expires, and a signed request answered once
across workers (two apps on one database stand for two gunicorn workers)."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text

from skill import verification
from skill.runtime import Runtime
from skill.web import AppConfig, create_app
from tests.alexa_certs import SigningCA
from tests.alexa_requests import SKILL_ID, Dialog, envelope

pytestmark = pytest.mark.both_databases


@pytest.fixture(scope="module")
def ca():
    return SigningCA.create()


def _app(runtime, ca):
    # Account linking (tests/test_linking.py) joins the same transaction; here the turn's own
    # statements are counted, for an unlinked development user.
    return create_app(runtime, AppConfig(skill_id=SKILL_ID, verify=True, linking_required=False,
                                         cert_fetcher=lambda url: ca.chain_pem(),
                                         trust_store=ca.store())).test_client()


def _post(client, ca, request: dict):
    body = json.dumps(request).encode()
    return client.post("/alexa", data=body, headers=ca.headers(body))


def _statements(runtime):
    seen: list[str] = []
    event.listen(runtime.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *a: seen.append(statement))
    return seen


def test_a_reorder_turn_is_one_transaction_reading_the_account_once(runtime, ca):
    client = _app(runtime, ca)
    dialog = Dialog(lambda body: _post(client, ca, body).get_json(), user_id="demo")
    dialog.launch()
    seen = _statements(runtime)
    transactions = []
    event.listen(runtime.engine, "commit", lambda conn: transactions.append("commit"))
    dialog.intent("ReorderIntent", Item="coffee pods")
    assert "Should I order" in dialog.speech, dialog.last
    assert transactions == ["commit"]
    accounts = [s for s in seen if "FROM accounts" in s]
    assert len(accounts) == 1, accounts
    assert not [s for s in seen if "count(catalog_items.id)" in s]  # no fingerprint query


def test_a_signed_request_delivered_twice_is_answered_once_across_workers(runtime, db_url, ca):
    second = Runtime.open(db_url, migrate=False)
    try:
        first_worker, second_worker = _app(runtime, ca), _app(second, ca)
        request = envelope({"type": "LaunchRequest"}, session={
            "new": True, "sessionId": "s1", "attributes": {},
            "application": {"applicationId": SKILL_ID},
            "user": {"userId": "amzn1.ask.account.REPLAY"}})
        body = json.dumps(request).encode()
        headers = ca.headers(body)
        assert first_worker.post("/alexa", data=body, headers=headers).status_code == 200
        again = second_worker.post("/alexa", data=body, headers=headers)
        assert again.status_code == 400
        assert again.get_json() == {"error": "request was already received"}
        assert first_worker.post("/alexa", data=body, headers=headers).status_code == 400
        other = json.dumps({**request, "request": {**request["request"],
                                                   "requestId": "amzn1.other"}}).encode()
        assert second_worker.post("/alexa", data=other,
                                  headers=ca.headers(other)).status_code == 200
    finally:
        second.engine.dispose()


def test_a_turn_that_fails_leaves_no_fingerprint(runtime, ca, monkeypatch):
    client = _app(runtime, ca)
    request = envelope({"type": "LaunchRequest"}, session={
        "new": True, "sessionId": "s1", "attributes": {},
        "application": {"applicationId": SKILL_ID}, "user": {"userId": "amzn1.ask.account.F"}})
    body = json.dumps(request).encode()
    headers = ca.headers(body)
    from ask_sdk_core.skill import CustomSkill

    original = CustomSkill.invoke
    monkeypatch.setattr(CustomSkill, "invoke", lambda *a, **k: 1 / 0)
    assert "Sorry" in json.dumps(client.post("/alexa", data=body, headers=headers).get_json())
    monkeypatch.setattr(CustomSkill, "invoke", original)
    assert client.post("/alexa", data=body, headers=headers).status_code == 200


def test_certificate_validation_is_kept_until_the_certificate_expires(ca, backend):
    if backend != "sqlite":
        pytest.skip("no database involved")
    now = datetime.now(timezone.utc)
    leaf = SigningCA.make_leaf(ca.intermediate, ca.intermediate_key, ca.leaf_key,
                               san=["echo-api.amazon.com"], end=now + timedelta(minutes=10))
    clock = [now]
    verifier = verification.RequestVerifier(SKILL_ID, fetcher=lambda url: ca.chain_pem(leaf),
                                            trust_store=ca.store(), clock=lambda: clock[0])
    validations = []
    real = verifier._validate_chain
    verifier._validate_chain = lambda chain, at: (validations.append(at), real(chain, at))

    def request_at(when):
        clock[0] = when
        request = envelope({"type": "LaunchRequest", "timestamp": when.strftime(
            "%Y-%m-%dT%H:%M:%SZ")}, session=None)
        body = json.dumps(request).encode()
        return verifier.verify(ca.headers(body), body, request)

    for minutes in (0, 1, 5, 9):
        request_at(now + timedelta(minutes=minutes))
    assert len(validations) == 1
    with pytest.raises(verification.VerificationFailed, match="not valid"):
        request_at(now + timedelta(minutes=11))  # past the leaf's expiry: refused
    assert len(validations) == 2


def test_only_a_turn_that_wrote_nothing_commits_without_waiting_for_the_disk(runtime, ca,
                                                                              backend):
    if backend != "postgresql":
        pytest.skip("SQLite cannot change its safety level inside a transaction")
    client = _app(runtime, ca)
    dialog = Dialog(lambda body: _post(client, ca, body).get_json(), user_id="demo")
    seen = _statements(runtime)
    dialog.intent("ReorderIntent", Item="coffee pods")  # a question: nothing written
    assert any("synchronous_commit" in s for s in seen)
    seen.clear()
    dialog.intent("AMAZON.YesIntent")  # an order: its commit waits for the disk
    assert "is placed" in dialog.speech
    assert not any("synchronous_commit" in s for s in seen)


def test_on_sqlite_only_a_turn_that_wrote_an_order_waits_for_the_disk(runtime, ca, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's safety level")
    client = _app(runtime, ca)
    dialog = Dialog(lambda body: _post(client, ca, body).get_json(), user_id="demo")
    seen, levels = _statements(runtime), []
    event.listen(runtime.engine, "commit", lambda conn: levels.append(
        (conn.connection.driver_connection.execute("PRAGMA synchronous").fetchone()[0],
         any(s.startswith("PRAGMA user_version=") for s in seen))))
    dialog.intent("ReorderIntent", Item="coffee pods")  # a question: only bookkeeping
    assert "Should I order" in dialog.speech
    assert levels == [(1, False)]  # NORMAL: the commit does not sync
    levels.clear(), seen.clear()
    dialog.intent("AMAZON.YesIntent")  # an order: a commit at FULL syncs the WAL before
    assert "is placed" in dialog.speech  # the answer (and the order with it)
    assert levels == [(1, False), (2, True)]
    levels.clear()
    with runtime.transaction() as session:  # anything else: FULL, as always
        session.execute(text("UPDATE accounts SET email = email"))
    assert levels == [(2, True)]


def test_the_sync_after_a_turn_writes_a_frame_of_its_own(runtime, backend):
    import sqlite3

    if backend != "sqlite":
        pytest.skip("SQLite's WAL")
    from skill.db import _sync_sqlite_wal

    path = runtime.engine.url.database
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # an empty WAL
        with runtime.sessions() as session:
            _sync_sqlite_wal(session)
        busy, frames, _ = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and frames >= 1  # a commit with nothing to write would sync nothing


def test_fingerprints_out_of_the_window_are_purged(runtime):
    from sqlalchemy import func, select

    from skill.db import utcnow
    from skill.replay import ReplayGuard, SeenRequest

    guard = ReplayGuard()
    with runtime.transaction() as session:
        assert guard.first_delivery(session, "old", utcnow() - timedelta(minutes=10))
    with runtime.transaction() as session:
        guard._last_purge = 0.0  # a minute later
        assert guard.first_delivery(session, "new", utcnow())
        assert not guard.first_delivery(session, "new", utcnow())
        assert set(session.scalars(select(SeenRequest.fingerprint))) == {"new"}
        assert session.scalar(select(func.count()).select_from(SeenRequest)) == 1


def _deliver(client, body: bytes, headers: dict, start, codes: list) -> None:
    start.wait()  # both workers at the same instant
    codes.append(client.post("/alexa", data=body, headers=headers).status_code)


def test_two_workers_receiving_one_request_at_once_answer_it_once(runtime, db_url, ca):
    import threading

    second = Runtime.open(db_url, migrate=False)
    try:
        workers = [_app(runtime, ca), _app(second, ca)]
        for attempt in range(3):
            request = envelope({"type": "LaunchRequest"}, session={
                "new": True, "sessionId": f"s{attempt}", "attributes": {},
                "application": {"applicationId": SKILL_ID},
                "user": {"userId": "amzn1.ask.account.TWICE"}})
            body = json.dumps(request).encode()
            headers = ca.headers(body)
            start = threading.Barrier(2)
            codes: list[int] = []
            threads = [threading.Thread(target=_deliver, args=(w, body, headers, start, codes))
                       for w in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(codes) == [200, 400], codes
    finally:
        second.engine.dispose()
