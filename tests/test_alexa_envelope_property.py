"""Property: whatever arrives at ``POST /alexa`` (random JSON, the right fields with the wrong
types, fields missing, JSON nested thousands deep, odd unicode, bytes that are not JSON at
all), the answer is never a 5xx and no order is ever placed.

Verification is off (as in local development), so every envelope reaches the skill itself.
Hypothesis runs derandomized (the same examples every run: the test cannot flake) and without
an example database (it writes nothing to the tree).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from skill.interaction_model import load_model
from skill.orders import Order
from skill.web import AppConfig, create_app

SETTINGS = settings(max_examples=2000, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
INTENTS = [intent["name"] for intent in
           load_model("en-US")["interactionModel"]["languageModel"]["intents"]]
SLOTS = ["Item", "Quantity", "Pin", "Category", "Ordinal"]
REQUEST_TYPES = ["LaunchRequest", "IntentRequest", "SessionEndedRequest",
                 "CanFulfillIntentRequest", "System.ExceptionEncountered",
                 "Connections.Response", "AlexaSkillEvent.SkillEnabled"]
USERS = ["demo", "amzn1.ask.account.PROPERTY"]  # demo: a PIN and an order history

odd_text = st.text(st.characters(exclude_categories=()), max_size=24)  # lone surrogates too
words = st.sampled_from(["coffee pods", "yes", "1234", "one two three four", "two", "toys",
                         "the first one", "", " ", "0", "-1", "99999999999", "½", "١٢٣٤"])
leaf = (st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70) | st.floats()
        | odd_text | words)
json_value = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(odd_text | words, inner, max_size=3),
                          max_leaves=6)
stamps = st.sampled_from(["now", "2020-01-01T00:00:00Z", "yesterday", "", "9999-12-31T23:59:59Z"])
locales = st.sampled_from(["en-US", "en-GB", "de-DE", "../../etc/passwd", "", "en"]) | odd_text


def maybe(value, draw, wild: bool = True):
    """``value``, or (when ``wild``) one time in eight something of another type entirely."""
    return draw(json_value) if wild and draw(_one_in_eight) == 0 else value


def mostly(likely: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """``likely`` three times in four, else ``other``."""
    return st.integers(0, 3).flatmap(lambda n: other if n == 0 else likely)


# The strategies the composites below draw from, built once: a strategy built inside a
# composite is built and validated again on every draw, which cost more than the request.
_one_in_eight = st.integers(0, 7)
_slot_names = st.lists(mostly(st.sampled_from(SLOTS), odd_text), max_size=3, unique=True)
_slot_values = words | odd_text
_codes = st.sampled_from(["ER_SUCCESS_MATCH", "ER_SUCCESS_NO_MATCH", "x"])
_skus = st.sampled_from(["CF-PODS-24", "PT-6ROLL", "NOPE"]) | odd_text
_users = mostly(st.sampled_from(USERS), odd_text)
_stamps = mostly(st.just("now"), stamps)
_request_types = mostly(st.sampled_from(REQUEST_TYPES), odd_text)
_intents = mostly(st.sampled_from(INTENTS), odd_text)
_attributes = st.dictionaries(
    st.sampled_from(["question", "last_response", "cart", "listing"]) | odd_text,
    json_value, max_size=3)
_session_ids = st.sampled_from(["s1", "s2"]) | odd_text
_changes = st.sampled_from([0, 0, 1, 2, 3])


@st.composite
def slots(draw, wild: bool) -> dict:
    def odd(value):
        return maybe(value, draw, wild)

    chosen = draw(_slot_names)
    result = {}
    for name in chosen:
        slot = {"name": odd(name), "value": odd(draw(_slot_values)),
                "confirmationStatus": odd("NONE")}
        if draw(st.booleans()):
            code = draw(_codes)
            sku = draw(_skus)
            slot["resolutions"] = odd({"resolutionsPerAuthority": [{
                "authority": "amzn1.er-authority.echo-sdk.x.CATALOG_ITEM",
                "status": {"code": code},
                "values": [{"value": {"name": draw(words), "id": sku}}]}]})
        result[name] = odd(slot)
    return result


@st.composite
def envelopes(draw) -> dict:
    from datetime import datetime, timezone

    wild = draw(st.booleans())  # else every field has the type Alexa sends, odd values only

    def odd(value):
        return maybe(value, draw, wild)

    user = draw(_users)
    application = {"applicationId": odd("amzn1.ask.skill.x")}
    stamp = draw(_stamps)
    if stamp == "now":
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    request: dict = {"type": draw(_request_types),
                     "requestId": odd("amzn1.echo-api.request.p"), "timestamp": odd(stamp),
                     "locale": odd(draw(locales))}
    if request["type"] in ("IntentRequest", "CanFulfillIntentRequest") or draw(st.booleans()):
        request["intent"] = odd({"name": draw(_intents),
                                 "confirmationStatus": odd("NONE"),
                                 "slots": odd(draw(slots(wild)))})
    if request["type"] == "SessionEndedRequest":
        request["reason"] = odd("USER_INITIATED")
    attributes = draw(_attributes)
    session = {"new": odd(draw(st.booleans())),
               "sessionId": odd(draw(_session_ids)),
               "attributes": odd(attributes), "application": application,
               "user": odd({"userId": user})}
    system = {"application": application, "user": odd({"userId": user}),
              "device": odd({"deviceId": "d", "supportedInterfaces": {}}),
              "apiEndpoint": "https://api.amazonalexa.com"}
    body: dict = {"version": odd("1.0"), "session": odd(session),
                  "context": odd({"System": odd(system)}), "request": request}
    for _ in range(draw(_changes if wild else st.just(0))):
        places = list(_places(body))  # drop a field, or give it a value of any type
        container, key = places[draw(st.integers(0, len(places) - 1))]
        if draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(json_value)
    return body


def _places(node: object):
    if isinstance(node, dict):
        for key, value in list(node.items()):
            yield node, key
            yield from _places(value)
    elif isinstance(node, list):
        for value in node:
            yield from _places(value)


def _nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


raw_bodies = st.one_of(
    st.integers(1, 20000).map(lambda d: _nested(d).encode()),
    st.integers(1, 5000).map(lambda d: ('{"request": {"type": "LaunchRequest", "x": '
                                        + _nested(d) + "}}").encode()),
    st.integers(1, 3000).map(lambda d: ('{"a":' * d + "1" + "}" * d).encode()),
    st.binary(max_size=200),
    odd_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_value.map(lambda v: json.dumps(v).encode()),
)


@pytest.fixture
def endpoint(runtime):
    client = create_app(runtime, AppConfig(skill_id=None, verify=False)).test_client()

    def orders() -> int:
        with runtime.transaction() as db:
            return db.scalar(select(func.count()).select_from(Order))

    return client, orders


def _check(client, orders, before: int, body: bytes) -> None:
    response = client.post("/alexa", data=body, content_type="application/json")
    assert response.status_code < 500, (response.status_code, body[:300])
    assert response.status_code in (200, 400, 413), response.status_code
    answer = response.get_json()
    assert isinstance(answer, dict)
    if response.status_code == 200:
        assert "response" in answer
    else:
        assert isinstance(answer.get("error"), str) and len(answer["error"]) < 120
    assert orders() == before, "an order was placed"


@SETTINGS
@given(envelope=envelopes())
def test_random_envelopes_never_fail_or_buy(endpoint, envelope):
    client, orders = endpoint
    before = orders()
    body = json.dumps(envelope, allow_nan=True).encode("utf-8", "surrogatepass")
    _check(client, orders, before, body)


@settings(SETTINGS, max_examples=1000)
@given(body=raw_bodies)
def test_random_bytes_never_fail_or_buy(endpoint, body):
    client, orders = endpoint
    _check(client, orders, orders(), body)


@settings(SETTINGS, max_examples=500)
@given(envelope=envelopes(), depth=st.integers(60, 3000))
def test_deep_nesting_anywhere_in_an_envelope_is_refused(endpoint, envelope, depth):
    client, orders = endpoint
    before = orders()
    places = list(_places(envelope))
    container, key = places[depth % len(places)]
    container[key] = json.loads(_nested(min(depth, 60)))  # within json's own limits
    text = json.dumps(envelope, allow_nan=True).replace(_nested(min(depth, 60)),
                                                        _nested(depth), 1)
    _check(client, orders, before, text.encode("utf-8", "surrogatepass"))
