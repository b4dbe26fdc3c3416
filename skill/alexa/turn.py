"""One turn of the conversation: what was asked last, who is speaking, and how to answer.

The question the previous response asked is taken out of the session at the start of every
turn (see ``QuestionInterceptor``): an answer such as "yes" or a PIN counts only if the very
last thing the skill said was that question, in this session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, get_request_type
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard
from sqlalchemy.orm import Session

from skill.accounts import find_account
from skill.alexa.examples import example_values
from skill.db import utcnow
from skill.prompts import Prompts, Ssml
from skill.runtime import Runtime
from skill.signing import sign, verified
from skill.speech import escape

QUESTION = "question"
"""Session attribute: the question the last response asked (a dict with ``kind``)."""
LAST = "last_response"
"""Session attribute: the last response, for AMAZON.RepeatIntent."""

MAX_SPEECH_CHARS = 8000
"""Alexa's limit on spoken text."""
PREVIOUS = "previous_response"
"""Session attribute: the response before the last one that asked a question ("go back")."""
MISSES = "misses"
"""Session attribute: how many turns in a row were not understood."""
EXAMPLE_PLACEHOLDERS = {"try_reorder", "try_add", "example_item"}
"""Prompt placeholders filled from the store's catalog and the shopper's history."""
QUESTION_TTL = timedelta(minutes=5)
PREVIOUS_TTL = timedelta(minutes=15)
"""How far back "go back" reaches."""
"""An unanswered question older than this answers nothing (Alexa sessions last seconds)."""


def question_valid(question: object, session_id: str, now: datetime, *, key: str,
                   user_id: str, max_age: timedelta = QUESTION_TTL) -> bool:
    """Whether ``question`` was asked by this server, of this user, in this session, recently,
    as it is (signed: ``skill.signing``): else it answers nothing."""
    if not isinstance(question, dict) or question.get("session") != session_id:
        return False
    if not verified(key, question, user_id):
        return False
    try:
        asked_at = datetime.fromisoformat(question["at"])
    except (KeyError, TypeError, ValueError):
        return False
    return timedelta(0) <= now - asked_at <= max_age


def expects(question: dict) -> str | None:
    """What answers a question takes: ``yesno``, ``which`` (an item), ``howmany`` (a
    number) or ``pin``. The local loop listens and matches for exactly that; on Alexa the
    handlers accept those answers, whichever intent they arrive as."""
    kind = question.get("kind")
    if kind == "purchase":
        return "pin" if (question.get("pending") or {}).get("step") == "pin" else "yesno"
    return {"cancel_order": "yesno", "anything_else": "yesno", "offer": "yesno",
            "offer_buy": "yesno", "handoff": "yesno", "cart_left": "yesno",
            "item": "which", "quantity": "howmany"}.get(kind)


@dataclass
class Turn:
    """Everything a handler needs about the current request."""

    handler_input: HandlerInput
    runtime: Runtime
    prompts: Prompts
    user_id: str
    channel: str
    asked: dict | None
    """The question the previous response asked, or None."""
    now: datetime
    db: Session | None = None
    """The handler's database session, while it has one open."""

    @classmethod
    def of(cls, handler_input: HandlerInput) -> Turn:
        """The turn the interceptors prepared for this request."""
        attrs = handler_input.attributes_manager.request_attributes
        return cls(handler_input, attrs["runtime"], attrs["prompts"], attrs["user_id"],
                   attrs["channel"], attrs.get("asked"), utcnow())

    @property
    def request_id(self) -> str:
        """Alexa's id of this request: the same when Alexa retries it."""
        return self.handler_input.request_envelope.request.request_id

    @property
    def session_id(self) -> str:
        """The session's id (empty for requests outside a session)."""
        session = self.handler_input.request_envelope.session
        return session.session_id if session and session.session_id else ""

    @property
    def intent_name(self) -> str | None:
        """The intent of an IntentRequest."""
        if get_request_type(self.handler_input) != "IntentRequest":
            return None
        return get_intent_name(self.handler_input)

    @property
    def session(self) -> dict:
        """Session attributes (persist across turns of one session)."""
        return self.handler_input.attributes_manager.session_attributes

    def reply(self, key: str, *, question: dict | None = None, card: tuple[str, dict] | None
              = None, end: bool | None = None, **values: object) -> Response:
        """Answer with prompt ``key``; ``question`` is what an answer next turn may refer to.

        The session stays open (with a reprompt) when the prompt has one, unless ``end``.
        """
        if EXAMPLE_PLACEHOLDERS & self.prompts.placeholders(key) - set(values):
            values = {**self.examples(), **values}
        prompt = self.prompts.render(key, **values)
        if question is None and prompt.asks:
            question = {"kind": prompt.asks}
        return self.say(prompt.speech, prompt.reprompt, question=question, card=card, end=end,
                        missed=key.startswith("fallback"))

    def examples(self) -> dict[str, Ssml]:
        """What to suggest saying, from this store and this shopper (see ``examples``)."""
        if self.db is not None:
            return self._examples(self.db)
        with self.runtime.transaction() as session:
            return self._examples(session)

    def _examples(self, session: Session) -> dict[str, Ssml]:
        values = example_values(session, find_account(session, self.user_id))
        reorder, add = values["reorder_example"], values["add_example"]
        try_add = self.text("try.add", item=add) if add else self.text("try.browse")
        return {"try_reorder": self.text("try.reorder", item=reorder) if reorder else try_add,
                "try_add": try_add,
                "example_item": Ssml(escape(add or reorder)) if add or reorder
                else self.text("try.any_item")}

    def say(self, speech: str, reprompt: str | None, *, question: dict | None = None,
            card: tuple[str, dict] | None = None, end: bool | None = None,
            missed: bool = False) -> Response:
        """Answer with already rendered SSML (see ``reply``); ``missed`` counts a turn that
        was not understood (the second in a row gets help that fits)."""
        self.session[MISSES] = int(self.session.get(MISSES) or 0) + 1 if missed else 0
        builder = self.handler_input.response_builder
        builder.speak(speech[:MAX_SPEECH_CHARS])
        keep_open = reprompt is not None and not end
        if keep_open:
            builder.ask(reprompt)
        builder.set_should_end_session(not keep_open)
        if card is not None:
            card_key, values = card
            builder.set_card(SimpleCard(title=self.prompts.text(card_key, "title", **values),
                                        content=self.prompts.text(card_key, "content",
                                                                  **values)))
        if keep_open and question is not None:
            question = sign(self.runtime.signing_key,
                            {**question, "session": self.session_id,
                             "at": self.now.isoformat(), "expects": expects(question)},
                            self.user_id)
            self.session[QUESTION] = question
        else:
            self.session.pop(QUESTION, None)
        if keep_open:
            last = self.session.get(LAST)
            if isinstance(last, dict) and last.get("question") and last.get("speech") != speech:
                self.session[PREVIOUS] = last
            self.session[LAST] = {"speech": speech, "reprompt": reprompt, "question": question}
        return builder.response

    def text(self, key: str, **values: object) -> Ssml:
        """A rendered fragment, to put inside another prompt."""
        return self.prompts.text(key, **values)
