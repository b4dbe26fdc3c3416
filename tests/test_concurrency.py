"""Real concurrent requests against gunicorn workers: two speakers on one account, Alexa
retrying a request while the first is still running, two workers confirming one cart,
shoppers racing for the last units. Never a double order, a lost cart line or negative stock.

Each scenario releases its requests together from threads (a barrier), over loopback HTTP,
to ``voicecart serve --workers 4 --threads 2``, on SQLite and on PostgreSQL.
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from skill.accounts import get_or_create_account
from skill.cart import read_cart
from skill.catalog import get_item, update_item
from tests.alexa_requests import Dialog, envelope
from tests.test_serve import free_port
from tests.test_skill_dialogs import give_history, orders_of

pytestmark = pytest.mark.both_databases


@pytest.fixture
def server(runtime, db_url, tmp_path):
    """``(base_url, runtime)``: the demo store served by four gunicorn workers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from skill.cli import main; main()", "--db", db_url, "serve",
         "--no-verify", "--no-demo", "--workers", "4", "--threads", "2", "--port", str(port)],
        stdout=(tmp_path / "server.log").open("w"), stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "VOICECART_SKILL_ID": ""})  # a file: an unread pipe could fill
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1):
                    break
            except OSError:
                if process.poll() is not None:
                    pytest.fail((tmp_path / "server.log").read_text())
                time.sleep(0.05)
        yield base, runtime
    finally:
        process.terminate()
        process.wait(timeout=30)


def http_send(base: str):
    def send(body: dict) -> dict:
        request = urllib.request.Request(f"{base}/alexa", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
            return json.loads(response.read())
    return send


def together(*calls):
    """Run the calls at the same moment, each in its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_speakers_on_one_account_order_once(server):
    base, runtime = server
    for round_number in range(4):
        user = f"amzn1.ask.account.FAMILY{round_number}"
        give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30, user_id=user)
        kitchen, bedroom = Dialog(http_send(base), user_id=user), Dialog(http_send(base),
                                                                         user_id=user)
        for speaker in (kitchen, bedroom):
            speaker.intent("ReorderIntent", Item="coffee pods")
            assert "Should I order" in speaker.speech
        together(*[lambda s=s: s.intent("AMAZON.YesIntent") for s in (kitchen, bedroom)])
        placed = [s for s in (kitchen, bedroom) if "is placed" in s.speech]
        assert len(placed) == 1, [kitchen.speech, bedroom.speech]
        other = bedroom if placed[0] is kitchen else kitchen
        assert "ordered" in other.speech and not other.ended  # asked: order it again?
        assert len([o for o in orders_of(runtime, user) if o.status == "placed"]) == 1


def test_alexa_retrying_while_the_first_request_runs_places_one_order(server):
    base, runtime = server
    user = "amzn1.ask.account.RETRY"
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30, user_id=user)
    shopper = Dialog(http_send(base), user_id=user)
    shopper.intent("ReorderIntent", Item="coffee pods")
    assert "Should I order" in shopper.speech
    yes = envelope({"type": "IntentRequest", "intent": {
        "name": "AMAZON.YesIntent", "confirmationStatus": "NONE", "slots": {}}},
        session=shopper._session(), user_id=user)  # one request, delivered twice at once
    before = len(orders_of(runtime, user))
    send = http_send(base)
    answers = together(lambda: send(yes), lambda: send(yes))
    assert len(orders_of(runtime, user)) == before + 1
    for answer in answers:
        assert "placed" in answer["response"]["outputSpeech"]["ssml"], answer


def test_two_workers_confirming_one_cart_order_it_once(server):
    base, runtime = server
    user = "amzn1.ask.account.CART"
    shopper = Dialog(http_send(base), user_id=user)
    for item in ("coffee pods", "paper towels", "dish soap"):
        shopper.intent("AddToCartIntent", Item=item)
    phone, speaker = Dialog(http_send(base), user_id=user), Dialog(http_send(base), user_id=user)
    for device in (phone, speaker):
        device.intent("CheckoutIntent")
        assert "Should I order" in device.speech
    together(lambda: phone.intent("AMAZON.YesIntent"),
             lambda: speaker.intent("AMAZON.YesIntent"))
    assert sum("is placed" in d.speech for d in (phone, speaker)) == 1
    orders = orders_of(runtime, user)
    assert len(orders) == 1 and len(orders[0].lines) == 3
    with runtime.transaction() as s:
        assert read_cart(s, get_or_create_account(s, user)) == []


def test_concurrent_adds_to_one_cart_lose_no_line(server):
    base, runtime = server
    user = "amzn1.ask.account.ADDS"
    items = ["coffee pods", "paper towels", "dish soap", "trash bags"]
    speakers = [Dialog(http_send(base), user_id=user) for _ in range(2 * len(items))]
    together(*[lambda d=d, i=i: d.intent("AddToCartIntent", Item=i)
               for d, i in zip(speakers, items * 2, strict=True)])
    assert all("cart" in d.speech for d in speakers), [d.speech for d in speakers]
    with runtime.transaction() as s:
        cart = read_cart(s, get_or_create_account(s, user))
    assert sorted(e.quantity for e in cart) == [2, 2, 2, 2]


def test_racing_for_the_last_units_never_oversells(server):
    base, runtime = server
    with runtime.transaction() as s:
        update_item(s, "CF-PODS-24", {"stock": "3"})
    shoppers = []
    for number in range(8):
        shopper = Dialog(http_send(base), user_id=f"amzn1.ask.account.RACE{number}")
        shopper.intent("AddToCartIntent", Item="coffee pods")
        shopper.intent("CheckoutIntent")
        assert "Should I order" in shopper.speech
        shoppers.append(shopper)
    together(*[lambda d=d: d.intent("AMAZON.YesIntent") for d in shoppers])
    placed = [d for d in shoppers if "is placed" in d.speech]
    sold_out = [d for d in shoppers if "sold out" in d.speech]
    assert len(placed) == 3 and len(sold_out) == 5, [d.speech for d in shoppers]
    with runtime.transaction() as s:
        assert get_item(s, "CF-PODS-24").stock == 0
