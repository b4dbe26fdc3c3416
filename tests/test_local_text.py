"""The offline loop with typed turns: text -> matcher -> Alexa request -> the same skill."""

import subprocess
import sys

import pytest

from skill.accounts import set_limits, set_pin
from skill.orders import list_orders
from skill.speech import ssml_to_text
from voice_local.session import LocalConversation

pytestmark = pytest.mark.both_databases


def test_talk_text_from_a_pipe(db_url):
    turns = "reorder coffee pods\nyeah, order it\nwhat's in my cart\nstop\nreorder dog food\n"
    result = subprocess.run([sys.executable, "-c", "from skill.cli import main; main()",
                             "--db", db_url, "init"], capture_output=True, text=True)
    assert result.returncode == 0
    result = subprocess.run([sys.executable, "-c", "from skill.cli import main; main()",
                             "--db", db_url, "talk", "--text"], input=turns,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "intent: ReorderIntent (Item='coffee pods')" in out
    assert "intent: AMAZON.YesIntent" in out and "is placed" in out
    assert "<speak>" not in out
    assert "dog food" not in out.split("intent: AMAZON.StopIntent")[1]  # the loop ended


def test_local_purchase_needs_confirmation_and_pin(runtime):
    with runtime.transaction() as s:
        set_pin(s, "demo", "4321")
        set_limits(s, "demo", pin_required=True)
    talk = LocalConversation(runtime, "demo")
    talk.launch()
    assert "Should I order" in talk.say("please reorder the coffee pods").speech
    assert "PIN" in talk.say("yes").speech
    assert "isn't right" in talk.say("my pin is one two three four").speech
    assert "is placed" in talk.say("forty three twenty one").speech
    with runtime.transaction() as s:
        assert list_orders(s)[0].status == "placed"


def test_hedged_answers_never_buy(runtime):
    talk = LocalConversation(runtime, "demo")
    with runtime.transaction() as s:
        before = len(list_orders(s))
    talk.say("reorder coffee pods")
    for answer in ("I think that's wrong", "wait", "what?", "yeah sure cookies", "maybe"):
        reply = talk.say(answer)
        assert "is placed" not in reply.speech
        if reply.match.intent == "AMAZON.NoIntent":
            talk.say("reorder coffee pods")
    with runtime.transaction() as s:
        assert len(list_orders(s)) == before


def test_ssml_to_text():
    assert ssml_to_text('<speak>Hi<break time="300ms"/> there.</speak>') == "Hi, there."
    assert ssml_to_text('<speak><sub alias="two">2</sub> &amp; <say-as interpret-as="digits">'
                        '12</say-as></speak>') == "two & 12"
