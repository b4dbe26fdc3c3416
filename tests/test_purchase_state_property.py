"""Property: whatever a shopper (or someone holding their session) says, in whatever order, no
order is placed unless that very session heard its restatement and then said yes; the PIN was
said when one is needed, the owner's approval asked when that is needed, and nothing is bought
while purchasing is locked or of what is blocked.

Each example is a fresh account with its own rules (PIN, PIN for everything, approval, a
category restricted or blocked, a spending limit, locked, recent orders) and a random sequence
of turns through ``POST /alexa`` (verification off, so the skill itself judges everything):
reorder, buy, add, check out, yes, no, the PIN right or wrong, cancel, stop, repeat, go back,
help, not understood, a new session, the session ended, Alexa retrying the last request, and
session attributes forged (an edited total, a swapped item, duplicated lines, a question made
up or unsigned, the PIN step skipped) or replayed (from an earlier session, from another
shopper, or with another shopper's user id). The orders are then checked against what was said.

Derandomized (the same examples every run) and without an example database.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from skill import accounts, speech
from skill.accounts import Account, get_or_create_account
from skill.catalog import get_item
from skill.db import utcnow
from skill.orders import Order
from skill.web import AppConfig, create_app
from tests.alexa_requests import Dialog, slot
from tests.test_skill_dialogs import give_history

EXAMPLES = 300
PIN = "4321"
PIN_SAID = ("4321", "4 3 2 1", "four three two one")
VICTIM = "amzn1.ask.account.VICTIM"
ITEMS = ["coffee pods", "dish soap", "chocolate chip cookies", "dollhouse", "red wine",
         "dog food", "gift card", "paper towels"]
QUANTITIES = [None, 1, 2, 3, 6, 7, 18]
RULES = [None, ("grocery", "pin"), ("household", "blocked"), ("grocery", "approval"),
         ("pet", "blocked")]
_users = itertools.count()


@dataclass(frozen=True)
class Rules:
    """One account's settings for an example."""

    pin: bool
    pin_required: bool
    approval_required: bool
    category_rule: tuple[str, str] | None
    per_order_limit: int | None
    locked: bool
    history: tuple[tuple[str, int], ...]
    """(sku, days ago) ordered before: within three days asks "order it again?"."""


rules = st.builds(
    Rules, pin=st.booleans(), pin_required=st.booleans(),
    approval_required=st.sampled_from([False, False, False, True]),
    category_rule=st.sampled_from(RULES), per_order_limit=st.sampled_from([None, None, 30_00]),
    locked=st.sampled_from([False] * 7 + [True]),
    history=st.lists(st.tuples(st.sampled_from(["CF-PODS-24", "DS-LEMON", "CK-CHOC-4LB",
                                                "DF-DRY-15"]), st.sampled_from([1, 10])),
                     max_size=2, unique_by=lambda h: h[0]).map(tuple))

items = st.tuples(st.sampled_from(ITEMS), st.sampled_from(QUANTITIES))
FORGERIES = ["total", "sku", "duplicate", "unsigned", "bad_signature", "skip_pin", "made_up",
             "last_response"]
actions = st.one_of(
    st.tuples(st.sampled_from(["reorder", "buy", "add"]), items),
    # the honest way through, so that orders are placed and the checks have work to do
    st.tuples(st.just("purchase"), st.tuples(st.sampled_from(["reorder", "buy", "checkout"]),
                                             items, st.booleans())),
    st.sampled_from(["yes", "yes", "yes", "no", "pin_right", "pin_wrong", "checkout", "cancel",
                     "stop", "repeat", "previous", "help", "fallback", "new_session", "end",
                     "retry"]).map(lambda a: (a, None)),
    # tampered with or replayed attributes, then (mostly) yes to whatever is asked
    st.tuples(st.just("forge"), st.tuples(st.sampled_from(FORGERIES), st.booleans())),
    st.tuples(st.just("replay"), st.tuples(st.integers(0, 20),
                                           st.sampled_from(["new", "fresh", "current", "own"]),
                                           st.booleans())),
    st.tuples(st.just("as_victim"), st.sampled_from(["yes", "pin_right", "reorder"])),
)


@dataclass
class Said:
    """One request and its answer, as the checks need them."""

    user: str
    session: str
    request_id: str
    action: str
    """What was said: ``yes``, ``pin_right``...; a retry counts as what it repeats."""
    speech: str


@dataclass
class Conversation:
    """An example's dialog, what it sent and heard, and what it can replay."""

    dialog: Dialog
    said: list[Said] = field(default_factory=list)
    kept: list[tuple[str, dict]] = field(default_factory=list)
    """(session id, attributes) of every answer that asked something: for replays."""

    def send(self, action: str, intent: str | None = None, *, user: str | None = None,
             request: dict | None = None, **slots: object) -> None:
        dialog = self.dialog
        own, dialog.user_id = dialog.user_id, user or dialog.user_id
        try:
            if request is not None:
                dialog.request(request)
            else:
                built = {k: slot(k, None if v is None else str(v)) for k, v in slots.items()}
                dialog.request({"type": "IntentRequest", "intent": {
                    "name": intent, "confirmationStatus": "NONE", "slots": built}})
        finally:
            dialog.user_id = own
        self.record(action)

    def record(self, action: str) -> None:
        body, dialog = self.dialog.last_request, self.dialog
        self.said.append(Said(body["context"]["System"]["user"]["userId"],
                              body.get("session", {}).get("sessionId", ""),
                              body["request"]["requestId"], action, dialog.speech))
        if (dialog.attributes or {}).get("question"):
            self.kept.append((body["session"]["sessionId"], copy.deepcopy(dialog.attributes)))


INTENTS = {"yes": "AMAZON.YesIntent", "no": "AMAZON.NoIntent", "checkout": "CheckoutIntent",
           "cancel": "AMAZON.CancelIntent", "stop": "AMAZON.StopIntent",
           "repeat": "AMAZON.RepeatIntent", "previous": "AMAZON.PreviousIntent",
           "help": "AMAZON.HelpIntent", "fallback": "AMAZON.FallbackIntent"}
ITEM_INTENTS = {"reorder": "ReorderIntent", "buy": "BuyIntent", "add": "AddToCartIntent"}


def forge(attributes: dict, how: str, session_id: str) -> None:
    """Tamper with the purchase question the client holds, the way an attacker would."""
    question = attributes.get("question")
    pending = question.get("pending") if isinstance(question, dict) else None
    if how == "made_up" or (how == "last_response" and not pending):
        made = {"kind": "purchase", "session": session_id, "at": utcnow().isoformat(),
                "expects": "yesno",
                "pending": {"kind": "buy", "lines": [["CF-PODS-24", 1]], "total_minor": 2176,
                            "step": "confirm", "verdict": "confirm", "reason": "confirmed",
                            "repeat_of": {}}}
        if how == "last_response":
            attributes["last_response"] = {"speech": "<speak>Should I order it?</speak>",
                                           "reprompt": "Say yes.", "question": made}
            attributes["previous_response"] = attributes["last_response"]
        else:
            attributes["question"] = made
        return
    if not pending:
        return
    if how == "total":
        pending["total_minor"] = int(pending.get("total_minor", 0)) + 100
    elif how == "sku":
        pending["lines"] = [["DH-WOOD" if line[0] != "DH-WOOD" else "CF-PODS-24", line[1]]
                            for line in pending["lines"]]
    elif how == "duplicate":
        pending["lines"] = [[pending["lines"][0][0], 6]] * 3
    elif how == "unsigned":
        question.pop("sig", None)
    elif how == "bad_signature":
        question["sig"] = "0" * 64
    elif how == "skip_pin":
        pending["step"], pending["verdict"] = "confirm", "confirm"
    elif how == "last_response":
        attributes["last_response"] = {"speech": "<speak>again</speak>", "reprompt": "yes?",
                                       "question": {**question, "pending": {
                                           **pending, "total_minor": 1}}}


def play(conversation: Conversation, action: tuple, victim: Conversation) -> None:
    name, arg = action
    dialog = conversation.dialog
    if name == "purchase":  # ask, then answer every question yes (and the PIN, or a wrong one)
        how, item, right_pin = arg
        if how == "checkout":
            play(conversation, ("add", item), victim)
        play(conversation, ("checkout", None) if how == "checkout" else (how, item), victim)
        say_yes(conversation, victim, right_pin)
    elif name in ITEM_INTENTS:
        item, quantity = arg
        slots = {"Item": item} if quantity is None else {"Item": item, "Quantity": quantity}
        conversation.send(name, ITEM_INTENTS[name], **slots)
    elif name in INTENTS:
        conversation.send(name, INTENTS[name])
    elif name in ("pin_right", "pin_wrong"):
        conversation.send(name, "ProvidePinIntent", Pin=PIN if name == "pin_right" else "9999")
    elif name == "new_session":
        dialog.new_session()
    elif name == "end":
        conversation.send(name, request={"type": "SessionEndedRequest",
                                         "reason": "USER_INITIATED"})
        dialog.new_session()
    elif name == "retry":  # Alexa sends the last request again, word for word
        if not conversation.said or not dialog.last_request:
            return
        repeated = next((s.action for s in reversed(conversation.said)
                         if s.request_id == dialog.last_request["request"]["requestId"]), "")
        dialog.replay(copy.deepcopy(dialog.last_request))
        conversation.record(repeated)
    elif name == "forge":
        how, then_yes = arg
        dialog._session()  # tamper with the session the next turn is sent in
        forge(dialog.attributes, how, dialog.session_id)
        if then_yes:
            play(conversation, ("yes", None), victim)
            say_yes(conversation, victim, True)
    elif name == "replay":  # attributes kept from an earlier answer (any session, any user)
        pool = conversation.kept + victim.kept
        if not pool:
            return
        index, where, then_yes = arg
        session_id, attributes = pool[index % len(pool)]
        if where in ("new", "fresh"):
            dialog.new_session()
        dialog._session()
        if where == "fresh":  # a session id never seen, said not to be new
            dialog.new = False
        if where == "own":  # back in the session they came from
            dialog.session_id, dialog.new = session_id, False
        dialog.attributes = copy.deepcopy(attributes)
        if then_yes:
            play(conversation, ("yes", None), victim)
            say_yes(conversation, victim, True)
    elif name == "as_victim":  # this session's attributes, another shopper's user id
        if arg == "reorder":
            conversation.send(arg, "ReorderIntent", user=VICTIM, Item="coffee pods")
        elif arg == "yes":
            conversation.send(arg, "AMAZON.YesIntent", user=VICTIM)
        else:
            conversation.send(arg, "ProvidePinIntent", user=VICTIM, Pin=PIN)


def say_yes(conversation: Conversation, victim: Conversation, right_pin: bool) -> None:
    """Answer what the skill asks, up to three times: yes, or the PIN (right or wrong)."""
    dialog = conversation.dialog
    for _ in range(3):
        heard = dialog.speech
        if "PIN" in heard and not dialog.ended:
            play(conversation, ("pin_right" if right_pin else "pin_wrong", None), victim)
        elif any(ask in heard for ask in ("Should I", "Would you like", "Do you want")):
            play(conversation, ("yes", None), victim)
        else:
            return


def restates(said: str, order: Order) -> bool:
    """Whether ``said`` read the whole order back and asked to place it."""
    if "Should I order" not in said and "Should I send the request" not in said:
        return False
    if speech.say_price(order.total_minor, order.currency) not in said:
        return False
    return all(speech.escape(speech.say_item_quantity(line.quantity, line)) in said
               for line in order.lines)


def check_orders(runtime, said: list[Said], user: str, account_rules: Rules | None,
                 known: set[str]) -> None:
    """Every order of ``user`` not in ``known`` against what its session heard."""
    with runtime.transaction() as s:
        account = s.scalar(select(Account).where(Account.user_id == user))
        orders = s.scalars(select(Order).where(Order.account_id == account.id)).all()
        for order in orders:
            if order.idempotency_key in known:
                continue
            request_id = order.idempotency_key.split(":", 1)[-1]  # "restatement ref:request"
            at = next((i for i, t in enumerate(said) if t.request_id == request_id
                       and t.user == user), None)
            assert at is not None, f"an order no turn of this example placed: {order.id}"
            turn = said[at]
            session = [(i, t) for i, t in enumerate(said[:at + 1])
                       if t.session == turn.session and t.user == user]
            assert turn.action in ("yes", "pin_right"), (turn, said)
            restated = [i for i, t in session if i < at and restates(t.speech, order)]
            assert restated, ("placed without a restatement in its session", said)
            assert any(t.action == "yes" and i > restated[0] for i, t in session), (
                "placed without a yes after the restatement", said)
            assert not any("I've locked voice purchasing" in t.speech for t in said[:at]), said
            merged: dict[str, int] = {}
            for line in order.lines:
                merged[line.sku] = merged.get(line.sku, 0) + line.quantity
            for sku, quantity in merged.items():
                item = get_item(s, sku)
                assert quantity <= item.max_quantity and item.reorderable, order.lines
                assert item.restriction != "blocked", order.lines
                rule = (account.restricted_categories or {}).get(item.category)
                assert rule != "blocked", (rule, order.lines)
            if account_rules is None:  # the victim: never asked anything by this example
                continue
            assert not account_rules.locked, "bought while locked"
            levels = {get_item(s, sku).restriction for sku in merged} | {
                (account.restricted_categories or {}).get(get_item(s, sku).category)
                for sku in merged}
            needs_approval = ("approval" in levels or account.approval_required or (
                account.per_order_limit_minor is not None
                and order.total_minor > account.per_order_limit_minor))
            if needs_approval:
                assert order.status == "awaiting_approval", (order.status, said)
                continue
            needs_pin = account.has_pin and (account.pin_required or "pin" in levels
                                             or order.total_minor >= 100_00)
            if needs_pin:
                assert turn.action == "pin_right", ("placed without the PIN", said)
            assert "pin" not in levels or account.has_pin


@pytest.fixture
def world(runtime, monkeypatch):
    """The endpoint, a PIN hash cheap to check (the scrypt cost is read from the hash), and
    a victim: another shopper with a purchase question of their own to replay. (Its SQLite
    database does not wait for the disk: see conftest.)"""
    monkeypatch.setattr(accounts, "_SCRYPT_N", 2)
    cheap_pin = accounts.hash_pin(PIN)
    client = create_app(runtime, AppConfig(skill_id=None, verify=False)).test_client()

    def post(body: dict) -> dict:
        response = client.post("/alexa", json=body)
        assert response.status_code == 200, (response.status_code, response.data[:300])
        answer = response.get_json()
        if body["request"]["type"] != "SessionEndedRequest":  # that one is answered silently
            assert answer["response"].get("outputSpeech"), answer
        spoken = (answer["response"].get("outputSpeech") or {}).get("ssml", "")
        assert not any(p in spoken for p in PIN_SAID), spoken
        return answer

    give_history(runtime, user_id=VICTIM, days_ago=10)
    victim = Conversation(Dialog(post, user_id=VICTIM))
    victim.send("reorder", "ReorderIntent", Item="coffee pods")
    assert "Should I order" in victim.dialog.speech
    return runtime, post, cheap_pin, victim


def open_account(runtime, cheap_pin: str, r: Rules) -> str:
    user = f"amzn1.ask.account.PROP{next(_users)}"
    for sku, days in r.history:
        give_history(runtime, sku=sku, quantity=1, days_ago=days, user_id=user)
    with runtime.transaction() as s:
        account = get_or_create_account(s, user)
        account.pin_hash = cheap_pin if r.pin else None
        account.pin_required = r.pin and r.pin_required
        account.approval_required = r.approval_required
        account.restricted_categories = dict([r.category_rule]) if r.category_rule else {}
        account.per_order_limit_minor = r.per_order_limit
        if r.locked:
            account.voice_locked_until = utcnow() + timedelta(minutes=10)
    return user


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(account_rules=rules, turns=st.lists(actions, min_size=1, max_size=10))
def test_no_order_without_a_restatement_and_a_yes_in_that_session(world, account_rules, turns):
    runtime, post, cheap_pin, victim = world
    user = open_account(runtime, cheap_pin, account_rules)
    with runtime.transaction() as s:
        victims_orders = set(s.scalars(select(Order.idempotency_key).join(Account).where(
            Account.user_id == VICTIM)))
    conversation = Conversation(Dialog(post, user_id=user))
    for action in turns:
        play(conversation, action, victim)
    history = {f"history-{sku}-{days}" for sku, days in account_rules.history}
    check_orders(runtime, conversation.said, user, account_rules, history)
    # The victim's own session heard a restatement: a yes in it with their user id is theirs.
    check_orders(runtime, victim.said + conversation.said, VICTIM, None, victims_orders)
