"""A local conversation: recognized text -> Alexa-format request -> the same skill handler.

Requests are built exactly as Alexa would send them (launch, intent with slots, session
ended), with a session that persists across turns and a local account, and are run through
the skill in-process, so confirmation, PIN and approvals behave as on a speaker.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from ask_sdk_model import RequestEnvelope

from skill.alexa import build_skill
from skill.catalog import list_items
from skill.runtime import Runtime
from skill.speech import ssml_to_text
from voice_local.matcher import IntentMatcher, Match

LOCAL_SKILL_ID = "voicecart.local"


@dataclass
class Reply:
    """One turn's result, as the loop prints it."""

    heard: str
    match: Match | None
    speech: str
    """Plain text (SSML removed) for printing and for pyttsx3."""
    ended: bool


class LocalConversation:
    """Talks to the skill in-process as the local user ``user_id``."""

    def __init__(self, runtime: Runtime, user_id: str, locale: str = "en-US",
                 person: str | None = None) -> None:
        self.runtime = runtime
        self.user_id = user_id
        self.person = person
        """The recognized speaker Alexa would name (``context.System.person.personId``), or
        None for a voice Alexa does not recognize."""
        self.locale = locale
        self.skill = build_skill(runtime, LOCAL_SKILL_ID)
        with runtime.transaction() as session:
            index = runtime.resolver.index(session)
            categories = sorted({item.category for item in list_items(session)})
        self.matcher = IntentMatcher(index, categories, locale)
        self.session_id: str | None = None
        self.attributes: dict = {}

    def _send(self, request: dict, match: Match | None = None, text: str = "") -> dict:
        new = self.session_id is None
        if new:
            self.session_id = f"voicecart.local.session.{uuid.uuid4()}"
            self.attributes = {}
        request.update(requestId=f"voicecart.local.request.{uuid.uuid4()}",
                       timestamp=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       locale=self.locale)
        application = {"applicationId": LOCAL_SKILL_ID}
        user = {"userId": self.user_id}
        body = {"version": "1.0",
                "session": {"new": new, "sessionId": self.session_id, "attributes":
                            self.attributes, "application": application, "user": user},
                "context": {"System": {"application": application, "user": user}},
                "request": request}
        if self.person:
            body["context"]["System"]["person"] = {"personId": self.person}
        envelope = self.skill.serializer.deserialize(json.dumps(body), RequestEnvelope)
        # What was heard goes with the turn (Alexa sends no transcript; the local loop can):
        # the skill keeps it, masked, where it did not understand.
        context = {"channel": "local", "heard": text,
                   "guess": match.guess if match is not None else None}
        response = self.skill.serializer.serialize(self.skill.invoke(envelope, context=context))
        self.attributes = response.get("sessionAttributes") or {}
        if response.get("response", {}).get("shouldEndSession") is not False:
            self.session_id = None
        return response

    def expecting(self) -> str | None:
        """What the skill's open question waits for ("yesno", "which", "howmany", "pin"),
        as its last response said; None when no question is open."""
        question = self.attributes.get("question") or {}
        return question.get("expects") if self.session_id else None

    def launch(self) -> Reply:
        """Open the skill, as "Alexa, open voice cart" does."""
        return self._reply("", None, self._send({"type": "LaunchRequest"}))

    def say(self, text: str, spoken: bool = False) -> Reply:
        """One typed turn, or (``spoken``) what a recognizer heard."""
        match = self.matcher.match(text, self.expecting(), spoken=spoken)
        slots = {name: {"name": name, "value": value, "confirmationStatus": "NONE"}
                 for name, value in match.slots.items()}
        response = self._send({"type": "IntentRequest", "dialogState": "STARTED",
                               "intent": {"name": match.intent, "confirmationStatus": "NONE",
                                          "slots": slots}}, match, text)
        return self._reply(text, match, response)

    def end(self) -> None:
        """Close an open session (the shopper walked away)."""
        if self.session_id is not None:
            self._send({"type": "SessionEndedRequest", "reason": "USER_INITIATED"})
            self.session_id = None

    @staticmethod
    def _reply(heard: str, match: Match | None, response: dict) -> Reply:
        body = response.get("response", {})
        ssml = (body.get("outputSpeech") or {}).get("ssml", "")
        return Reply(heard, match, ssml_to_text(ssml),
                     body.get("shouldEndSession") is not False)
