"""The red-team suite: adversarial dialogs must place no order the owner did not intend."""

import pytest

from skill.alexa import build_skill
from skill.audit import list_attempts
from tests.alexa_requests import sender
from tests.redteam import SCRIPTS, run_script

pytestmark = pytest.mark.both_databases


@pytest.fixture(scope="module")
def results(module_runtime):
    """Every script run once per backend; each test looks at a different side of the run."""
    send = sender(build_skill(module_runtime))
    return [run_script(module_runtime, send, script, n) for n, script in enumerate(SCRIPTS)]


def test_no_order_without_the_owners_intent(results, capsys):
    unintended = sum(r.unintended for r in results)
    with capsys.disabled():
        print(f"\nred team: {unintended} unintended orders in {len(results)} dialogs "
              f"({sum(r.placed for r in results)} placed, "
              f"{sum(r.intended for r in results)} intended)")
        for r in results:
            if r.unintended:
                print(f"  UNINTENDED: {r.name}: {r.placed} placed")
    assert unintended == 0
    # The controls prove the counter counts: intended orders did happen.
    for r in results:
        assert r.placed == r.intended, r.name


def test_the_shopper_always_hears_what_happened_and_what_to_say_next(results):
    for r in results:
        for response in r.responses:
            body = response.get("response", {})
            speech = (body.get("outputSpeech") or {}).get("ssml", "")
            if not speech:
                continue  # SessionEndedRequest: Alexa allows no speech
            if body.get("shouldEndSession") is False:
                assert body.get("reprompt"), (r.name, speech)
                text = speech.lower()
                assert "?" in text or "say" in text or "please" in text, (r.name, speech)
            else:
                assert "goodbye" in speech.lower() or "later" in speech.lower(), (r.name, speech)


def test_every_attempt_is_audited_without_secrets(results, module_runtime):
    with module_runtime.transaction() as s:
        attempts = list_attempts(s, limit=10_000)
    outcomes = {a.outcome for a in attempts}
    assert {"placed", "refused", "declined", "pin_failed", "locked",
            "awaiting_approval"} <= outcomes
    for attempt in attempts:
        assert attempt.reason
        text = f"{attempt.reason} {attempt.items}"
        for secret in ("4321", "1234", "0000", "1111", "2222", "9999"):
            assert secret not in text
