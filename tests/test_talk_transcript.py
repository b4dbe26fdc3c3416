"""``voicecart talk`` prints what it heard and the slots it found, but never a PIN: not the
answer to the PIN question, not a PIN slot, not digits said anywhere else."""

from voice_local.session import LocalConversation
from voice_local.talk import run_dialog, text_turns

SECRETS = ("1234", "1 2 3 4", "one two three four", "4321", "four three two one")


def test_the_transcript_never_shows_a_pin(runtime):
    lines: list[str] = []
    turns = ["buy chocolate chip cookies", "yes", "four three two one",  # a wrong guess
             "one two three four", "reorder my pin is 4321 please"]
    records = run_dialog(LocalConversation(runtime, "demo"), text_turns(turns), lines.append)
    replies = [r.reply.speech for r in records if r.reply]
    assert "isn't right" in replies[2] and "is placed" in replies[3], replies
    transcript = "\n".join(lines)
    assert "heard: buy chocolate chip cookies" in transcript  # the rest is shown as said
    assert "intent: ProvidePinIntent (Pin=" in transcript
    for secret in SECRETS:
        assert secret not in transcript, transcript
