"""What the skill notes about each turn for the merchant (``skill.insights``) and keeps of the
dialog for a person who calls back (the transcript in the session, ``skill.support``).

Recording never blocks a turn: an event is written inside the turn's transaction in a
savepoint (or in a short transaction of its own when the turn has none), and a failure is
logged, rolled back to the savepoint, and the shopper still gets the answer.
"""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from sqlalchemy.orm import Session

from skill.alexa.turn import expects
from skill.insights import add_event, clean_name, clean_text
from skill.resolution import Resolution
from skill.signing import sign, verified
from skill.speech import ssml_to_text

log = logging.getLogger(__name__)

TRANSCRIPT = "transcript"
"""Session attribute: the last turns (signed), for the context of a support request."""
TRANSCRIPT_TURNS = 6


def heard_text(handler_input: HandlerInput) -> str:
    """What the shopper said, where the channel knows it (the local loop passes its text;
    Alexa sends none)."""
    context = handler_input.context if isinstance(handler_input.context, dict) else {}
    heard = context.get("heard")
    return heard if isinstance(heard, str) else ""


def slot_values(handler_input: HandlerInput) -> dict[str, str]:
    """The request's raw slot values as they arrived."""
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    slots = getattr(intent, "slots", None) or {}
    values = {}
    for name, slot in slots.items() if isinstance(slots, dict) else ():
        value = getattr(slot, "value", None)
        if isinstance(value, str) and value.strip():
            values[name] = value
    return values


def pin_near(handler_input: HandlerInput) -> bool:
    """Whether the PIN was asked for (then no number said is kept)."""
    attrs = handler_input.attributes_manager.request_attributes
    return expects(attrs.get("asked") or {}) == "pin"


def pin_asked(handler_input: HandlerInput) -> bool:
    """Whether this turn may hold the PIN (then nothing said is kept): a PIN, or words not
    understood while the PIN was asked for."""
    intent = getattr(getattr(handler_input.request_envelope.request, "intent", None), "name",
                     None)
    return intent == "ProvidePinIntent" or (pin_near(handler_input) and intent in (
        None, "AMAZON.FallbackIntent"))


def note(handler_input: HandlerInput, kind: str, session: Session | None = None,
         **fields: object) -> None:
    """Record a dialog event of this turn (see the module docstring); never raises."""
    attrs = handler_input.attributes_manager.request_attributes
    envelope = handler_input.request_envelope
    if session is not None:
        session.flush()  # an error in the turn's own changes is the turn's, not swallowed here
    try:
        context = handler_input.context if isinstance(handler_input.context, dict) else {}
        values = {"user_id": attrs["user_id"], "channel": attrs.get("channel", "alexa"),
                  "session_id": envelope.session.session_id if envelope.session else "",
                  "intent": getattr(getattr(envelope.request, "intent", None), "name", None),
                  "question": (attrs.get("asked") or {}).get("kind"),
                  "pin_asked": pin_asked(handler_input), "pin_near": pin_near(handler_input),
                  "guess": context.get("guess") if isinstance(context.get("guess"), str)
                  else None, **fields}
        if session is not None:
            with session.begin_nested():  # (the turn's own changes were flushed before)
                add_event(session, kind, **values)  # type: ignore[arg-type]
        else:
            with attrs["runtime"].transaction() as own:
                add_event(own, kind, **values)  # type: ignore[arg-type]
    except Exception:  # a record lost is logged; the shopper's turn goes on
        log.exception("could not record a %s event", kind)


def note_unserved(handler_input: HandlerInput, kind: str, session: Session | None) -> None:
    """A turn not understood: the heard text (local loop) or the raw slot values."""
    note(handler_input, kind, session, text=heard_text(handler_input),
         slots=slot_values(handler_input))


def note_item(handler_input: HandlerInput, resolution: Resolution, session: Session | None
              ) -> None:
    """An item that did not resolve (or only to several items), with its top candidates."""
    if resolution.status == "match":
        return
    note(handler_input, "unresolved_item" if resolution.status == "none" else
         "ambiguous_item", session, text=resolution.query,
         candidates=[{"sku": c.sku, "name": c.name, "score": c.score}
                     for c in resolution.candidates[:3]])


def transcript_of(handler_input: HandlerInput) -> list[dict]:
    """The last turns kept in the session, if they are the ones this server signed."""
    attrs = handler_input.attributes_manager.request_attributes
    if handler_input.request_envelope.session is None:
        return []
    kept = handler_input.attributes_manager.session_attributes.get(TRANSCRIPT)
    if not verified(attrs["runtime"].signing_key, kept, attrs.get("user_id", "")):
        return []
    turns = kept.get("turns")
    return turns if isinstance(turns, list) else []


class TranscriptInterceptor(AbstractResponseInterceptor):
    """After each turn: the turn joins the session's transcript (said, masked, and the
    reply; nothing said while the PIN was asked) and is counted for the Fallback rate."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        envelope = handler_input.request_envelope
        attrs = handler_input.attributes_manager.request_attributes
        if response is None or "runtime" not in attrs or "user_id" not in attrs:
            return
        intent = getattr(getattr(envelope.request, "intent", None), "name", None)
        if envelope.request.object_type == "IntentRequest":  # CanFulfill must change nothing
            note(handler_input, "turn")
        if envelope.session is None or response.should_end_session is not False:
            return
        pin = pin_asked(handler_input)
        said = heard_text(handler_input) or ", ".join(  # withheld whole where a PIN may be
            f"{clean_name(name) or 'slot'}: {value}"
            for name, value in slot_values(handler_input).items())
        speech = getattr(response.output_speech, "ssml", None) or ""
        entry = {"intent": clean_name(intent) or clean_name(envelope.request.object_type) or "",
                 "said": clean_text(said, pin_asked=pin, pin_near=pin_near(handler_input)),
                 "reply": clean_text(ssml_to_text(speech)), "pin": pin}
        turns = [*transcript_of(handler_input), entry][-TRANSCRIPT_TURNS:]
        handler_input.attributes_manager.session_attributes[TRANSCRIPT] = sign(
            attrs["runtime"].signing_key, {"turns": turns}, attrs["user_id"])
