"""A person when the skill cannot help: a callback offered and recorded with the dialog's
context (never a PIN), its e-mail queued, the merchant's list; the welcome that remembers an
open callback and a cart left (once per change of the cart)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from skill.accounts import get_or_create_account, set_email, set_pin
from skill.cli import cli
from skill.notify import OutboxMessage
from skill.support import SupportRequest
from tests.alexa_requests import USER_ID

pytest_plugins = ["tests.console_fixtures"]
pytestmark = pytest.mark.both_databases


@pytest.fixture
def support_address(monkeypatch):
    monkeypatch.setenv("VOICECART_SUPPORT_EMAIL", "help@shop.test")
    monkeypatch.setenv("VOICECART_CALLBACK_HOURS", "4")


def requests_of(runtime) -> list[dict]:
    with runtime.transaction() as s:
        return [{"reason": r.reason, "order_id": r.order_id, "context": r.context,
                 "channel": r.channel, "status": r.status}
                for r in s.scalars(select(SupportRequest).order_by(SupportRequest.id))]


def test_a_handoff_through_the_alexa_handler(runtime, dialog, support_address, api_token,
                                             console_app):
    with runtime.transaction() as s:
        get_or_create_account(s, USER_ID)
        set_pin(s, USER_ID, "4321")
        set_email(s, USER_ID, "kim@home.test")
    dialog.launch()
    dialog.intent("BuyIntent", Item="chocolate chip cookies")
    dialog.intent("AMAZON.YesIntent")
    assert "PIN" in dialog.speech
    dialog.intent("ProvidePinIntent", Pin="9876")
    assert "isn't right" in dialog.speech
    dialog.intent("HandoffIntent")
    assert "call you back" in dialog.speech and dialog.reprompt
    assert dialog.attributes["question"]["expects"] == "yesno"  # asked like every question
    dialog.intent("AMAZON.YesIntent")
    assert "within 4 hours" in dialog.speech and "Anything else" in dialog.speech

    [request] = requests_of(runtime)
    context = request["context"]
    assert request["reason"] == "asked for a person" and request["channel"] == "alexa"
    said = [(t["intent"], t["said"]) for t in context["turns"]]
    assert ("BuyIntent", "Item: chocolate chip cookies") in said
    assert ("ProvidePinIntent", "(PIN, not kept)") in said
    assert context["question"] == "purchase" and context["contact"]["email"] == "kim@home.test"
    with runtime.transaction() as s:
        [mail] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind ==
                                                       "support_request")).all()
        assert mail.to_address == "help@shop.test" and "chocolate chip cookies" in mail.body
        body = mail.body
    client = console_app.test_client()
    listed = client.get("/api/v1/support", headers={"Authorization": f"Bearer {api_token}"})
    assert listed.get_json()["requests"][0]["context"]["turns"]
    for text in (json.dumps(request), body, listed.text):
        assert "9876" not in text and "4321" not in text and "nine eight" not in text

    dialog.new_session()
    dialog.launch()  # a returning shopper hears it is open
    assert "Your callback is still open" in dialog.speech
    dialog.intent("HandoffIntent")  # not a second one
    assert "already on its way" in dialog.speech and len(requests_of(runtime)) == 1

    handled = client.post(f"/api/v1/support/{listed.get_json()['requests'][0]['id']}/handle",
                          json={"note": "called back, PIN reset by the owner"},
                          headers={"Authorization": f"Bearer {api_token}"})
    assert handled.status_code == 200 and handled.get_json()["status"] == "handled"
    dialog.new_session()
    dialog.launch()
    assert "callback" not in dialog.speech


def test_a_handoff_through_talk_text(runtime, db_url, support_address):
    with runtime.transaction() as s:
        set_pin(s, "demo", "4321")
    turns = ("buy chocolate chip cookies\nyes\none two three four\n"
             "i need help with my order\nyes\nstop\n")
    result = CliRunner().invoke(cli, ["--db", db_url, "talk", "--text", "--user", "demo"],
                                input=turns)
    assert result.exit_code == 0, result.output
    assert "intent: HandoffIntent" in result.output and "within 4 hours" in result.output
    listed = CliRunner().invoke(cli, ["--db", db_url, "support", "list", "--json"])
    [request] = json.loads(listed.output)["requests"]
    said = [t["said"] for t in request["context"]["turns"]]
    assert "buy chocolate chip cookies" in said and "(PIN, not kept)" in said
    assert "i need help with my order" in said
    assert request["channel"] == "local" and request["order_id"] is None
    assert "1234" not in listed.output and "one two three four" not in listed.output
    text = CliRunner().invoke(cli, ["--db", db_url, "support", "list"]).output
    assert "shopper (HandoffIntent): i need help with my order" in text
    handle = CliRunner().invoke(cli, ["--db", db_url, "support", "handle",
                                      str(request["id"]), "--note", ""])
    assert handle.exit_code == 1 and "note is required" in handle.output
    CliRunner().invoke(cli, ["--db", db_url, "support", "handle", str(request["id"]),
                             "--note", "called"])
    assert "no open requests" in CliRunner().invoke(
        cli, ["--db", db_url, "support", "list"]).output


def test_misunderstood_twice_offers_a_person(runtime, dialog):
    dialog.launch()
    dialog.intent("AMAZON.FallbackIntent")
    assert "didn't catch" in dialog.speech
    dialog.intent("AMAZON.FallbackIntent")
    assert "still not getting it" in dialog.speech
    dialog.intent("AMAZON.NoIntent")
    assert "no call" in dialog.speech and requests_of(runtime) == []


def test_a_cart_left_is_said_once_per_change(runtime, dialog):
    dialog.launch()
    dialog.intent("AddToCartIntent", Item="coffee pods")
    dialog.intent("AMAZON.StopIntent")
    dialog.launch()
    assert "You still have one box of coffee pods in your cart. Check out, or start fresh?" \
        in dialog.speech
    assert dialog.attributes["question"]["expects"] == "yesno"
    dialog.intent("AMAZON.NoIntent")
    assert "keep it all in your cart" in dialog.speech
    dialog.intent("AMAZON.StopIntent")
    dialog.launch()
    assert "still have" not in dialog.speech  # the same cart: said once
    dialog.intent("AddToCartIntent", Item="dish soap")
    dialog.intent("AMAZON.StopIntent")
    dialog.launch()
    assert "coffee pods and one bottle of dish soap in your cart" in dialog.speech
    dialog.intent("AMAZON.YesIntent")  # check out
    assert "Should I order" in dialog.speech
    dialog.intent("AMAZON.NoIntent")
    dialog.intent("AMAZON.StopIntent")
    dialog.launch()
    assert "still have" not in dialog.speech
    dialog.intent("AddToCartIntent", Item="paper towels")
    dialog.intent("AMAZON.StopIntent")
    dialog.launch()
    dialog.intent("ClearCartIntent")  # "start fresh"
    assert "emptied" in dialog.speech


def test_support_and_insights_through_the_api(runtime, dialog, console_app, api_token):
    from tests.test_api import check_against_spec

    client = console_app.test_client()

    def call(method: str, path: str, **kwargs):  # noqa: ANN202
        response = client.open(f"/api/v1{path}", method=method, headers={
            "Authorization": f"Bearer {api_token}"}, **kwargs)
        check_against_spec(method, f"/api/v1{path}", response)
        return response

    dialog.launch()
    dialog.intent("AddToCartIntent", Item="dish liquid")
    dialog.intent("HandoffIntent")
    dialog.intent("AMAZON.YesIntent")
    report = call("GET", "/insights?days=7").get_json()
    assert report["unknown_items"][0]["suggestion"]["sku"] == "DS-LEMON"
    assert report["handoffs"] == 1
    for bad in ("0", "x", "99999"):
        assert call("GET", f"/insights?days={bad}").status_code == 400
    [request] = call("GET", "/support").get_json()["requests"]
    assert call("GET", "/support?status=maybe").status_code == 400
    assert call("POST", f"/support/{request['id']}/handle", json={}).status_code == 422
    assert call("POST", "/support/999/handle", json={"note": "x"}).status_code == 404
    assert call("POST", f"/support/{request['id']}/handle", data=b"{",
                content_type="application/json").status_code == 400
    assert call("POST", f"/support/{request['id']}/handle",
                json={"note": "called"}).get_json()["handled_by"] == "merchant"
    assert call("POST", f"/support/{request['id']}/handle",
                json={"note": "again"}).status_code == 409
    assert call("GET", "/support").get_json()["requests"] == []
    assert len(call("GET", "/support?status=all").get_json()["requests"]) == 1


@pytest.mark.parametrize("answer,heard", [
    ("yes please", "Should I order"), ("check out", "Should I order"),
    ("start fresh", "emptied"), ("no, keep it", "keep it all in your cart"),
    ("what's the weather like", "Should I check out your cart?")])
def test_the_cart_left_question_takes_its_natural_answers_typed(runtime, answer, heard):
    """Through the local matcher, as `talk` hears them: yes and "check out" check out,
    "start fresh" empties the cart, no keeps it, and something unrelated asks again."""
    from voice_local.session import LocalConversation

    first = LocalConversation(runtime, "demo")
    first.launch()
    first.say("add coffee pods to my cart")
    first.say("stop")
    again = LocalConversation(runtime, "demo")
    assert "still have" in again.launch().speech
    assert heard in again.say(answer).speech
