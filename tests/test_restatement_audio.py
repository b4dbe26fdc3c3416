"""Every purchase restatement of the demo dialogs is short enough to follow: synthesized with
pyttsx3 (espeak-ng), each lasts under 8 seconds of speech."""

import wave

import pytest

from skill.speech import ssml_to_text
from tests.test_skill_dialogs import give_history
from voice_local.speaker import Speaker

RESTATEMENT_SECONDS = 8.0


def restatements(dialog, runtime, question: str = "Should I order") -> list[str]:
    """The restatement of each purchase a demo shopper can start by voice."""
    said = []

    def take():
        assert question in dialog.speech, dialog.speech
        said.append(ssml_to_text(dialog.speech))
        dialog.intent("AMAZON.NoIntent")

    give_history(runtime)  # two boxes of coffee pods, ten days ago
    dialog.intent("ReorderIntent", Item="coffee pods")
    take()
    dialog.intent("BuyIntent", Item="paper towels")
    take()
    dialog.intent("BuyIntent", Item="toilet paper", Quantity="2")
    take()
    dialog.intent("ReorderIntent", Item="dish soap")  # never bought: offered first
    dialog.intent("AMAZON.YesIntent")
    take()
    dialog.intent("AddToCartIntent", Item="oat milk", Quantity="3")
    dialog.intent("CheckoutIntent")
    take()
    dialog.intent("BuyIntent", Item="Sonicare toothbrush heads")
    take()
    return said


def assert_short(texts: list[str], tmp_path, capsys, title: str) -> None:
    """Synthesize each text; every one must last under RESTATEMENT_SECONDS."""
    try:
        speaker = Speaker()
    except Exception as error:  # pragma: no cover - espeak-ng is installed by setup.sh
        pytest.fail(f"no speech synthesizer: {error}")
    lengths = []
    for number, text in enumerate(texts):
        path = speaker.synthesize(text, tmp_path / f"restatement-{number}.wav")
        with wave.open(str(path)) as wav:
            lengths.append((wav.getnframes() / wav.getframerate(), text))
    with capsys.disabled():
        print(f"\n{title}, seconds of pyttsx3 speech:")
        for seconds, text in lengths:
            print(f"  {seconds:4.1f} s  {text}")
    assert all(seconds < RESTATEMENT_SECONDS for seconds, _ in lengths), lengths


def test_every_restatement_is_under_eight_seconds(dialog, runtime, tmp_path, capsys):
    assert_short(restatements(dialog, runtime), tmp_path, capsys, "restatements")


def test_restatements_naming_the_delivery_address_stay_under_eight_seconds(dialog, runtime,
                                                                             tmp_path, capsys):
    """A household's restatement also says where it goes ("to Sycamore Street by Wednesday";
    not the house number, which alone takes up to two seconds): still short. The dialog's
    user becomes a household's account."""
    from sqlalchemy import select

    from skill.accounts import Account
    from tests.alexa_requests import USER_ID
    from tests.household_helpers import make_household

    make_household(runtime, street="1234 Sycamore Street")
    with runtime.transaction() as s:
        s.scalars(select(Account).where(Account.user_id.like("household:%"))).one().user_id \
            = USER_ID
    said = restatements(dialog, runtime, question="Order")
    assert all("to Sycamore Street by" in text for text in said), said
    assert_short(said, tmp_path, capsys, "restatements with the address")
