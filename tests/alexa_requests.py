"""Alexa-format request JSON, and a Dialog that carries a session across turns."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

SKILL_ID = "amzn1.ask.skill.00000000-test"
USER_ID = "amzn1.ask.account.TESTUSER"
_counter = itertools.count(1)


def now_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot(name: str, value: str | None, er_ids: list[str] | None = None) -> dict:
    """A slot; ``er_ids`` adds entity resolution (empty list = ER_SUCCESS_NO_MATCH)."""
    data: dict = {"name": name, "confirmationStatus": "NONE"}
    if value is not None:
        data["value"] = value
    if er_ids is not None:
        authority = {"authority": f"amzn1.er-authority.echo-sdk.{SKILL_ID}.CATALOG_ITEM",
                     "status": {"code": "ER_SUCCESS_MATCH" if er_ids else "ER_SUCCESS_NO_MATCH"}}
        if er_ids:
            authority["values"] = [{"value": {"name": value, "id": i}} for i in er_ids]
        data["resolutions"] = {"resolutionsPerAuthority": [authority]}
    return data


def envelope(request: dict, *, session: dict | None, user_id: str = USER_ID,
             skill_id: str = SKILL_ID) -> dict:
    request.setdefault("requestId", f"amzn1.echo-api.request.{uuid.uuid4()}")
    request.setdefault("timestamp", now_stamp())
    request.setdefault("locale", "en-US")
    body = {
        "version": "1.0",
        "context": {"System": {"application": {"applicationId": skill_id},
                               "user": {"userId": user_id},
                               "device": {"deviceId": "amzn1.ask.device.TEST",
                                          "supportedInterfaces": {}},
                               "apiEndpoint": "https://api.amazonalexa.com"}},
        "request": request,
    }
    if session is not None:
        body["session"] = session
    return body


def sender(skill: object) -> Callable[[dict], dict]:
    """Sends request JSON through ``skill`` in-process, the way the endpoint does."""
    import json

    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    serializer = DefaultSerializer()

    def _send(body: dict) -> dict:
        envelope = serializer.deserialize(json.dumps(body), RequestEnvelope)
        return serializer.serialize(skill.invoke(envelope, context={"channel": "alexa"}))

    return _send


class Dialog:
    """A shopper talking to the skill: one session at a time, attributes carried over."""

    def __init__(self, send: Callable[[dict], dict], *, user_id: str = USER_ID,
                 skill_id: str = SKILL_ID, locale: str = "en-US") -> None:
        self.send = send
        self.user_id = user_id
        self.skill_id = skill_id
        self.locale = locale
        self.session_id: str | None = None
        self.attributes: dict = {}
        self.new = True
        self.last: dict = {}
        self.last_request: dict = {}

    def _session(self) -> dict:
        if self.session_id is None:
            self.session_id = f"amzn1.echo-api.session.{next(_counter)}"
            self.new, self.attributes = True, {}
        return {"new": self.new, "sessionId": self.session_id,
                "application": {"applicationId": self.skill_id},
                "user": {"userId": self.user_id}, "attributes": self.attributes}

    def request(self, request: dict) -> dict:
        request.setdefault("locale", self.locale)
        body = envelope(request, session=self._session(), user_id=self.user_id,
                        skill_id=self.skill_id)
        return self.replay(body)

    def replay(self, body: dict) -> dict:
        """Send a request body exactly as given (for retries and replays)."""
        self.last_request = body
        self.last = self.send(body)
        self.new = False
        self.attributes = self.last.get("sessionAttributes") or {}
        if self.last.get("response", {}).get("shouldEndSession", True) is not False:
            self.session_id = None
        return self.last

    def launch(self) -> dict:
        return self.request({"type": "LaunchRequest"})

    def intent(self, name: str, dialog_state: str | None = None, **slots: object) -> dict:
        built = {}
        for slot_name, value in slots.items():
            if isinstance(value, tuple):
                built[slot_name] = slot(slot_name, value[0], value[1])
            else:
                built[slot_name] = slot(slot_name, value)  # type: ignore[arg-type]
        request = {"type": "IntentRequest",
                   "intent": {"name": name, "confirmationStatus": "NONE", "slots": built}}
        if dialog_state:
            request["dialogState"] = dialog_state
        return self.request(request)

    def end(self, reason: str = "USER_INITIATED") -> dict:
        result = self.request({"type": "SessionEndedRequest", "reason": reason})
        self.session_id = None
        return result

    def new_session(self) -> None:
        self.session_id = None

    # What the shopper heard -------------------------------------------------------------
    @property
    def speech(self) -> str:
        return (self.last.get("response", {}).get("outputSpeech") or {}).get("ssml", "")

    @property
    def reprompt(self) -> str | None:
        reprompt = self.last.get("response", {}).get("reprompt")
        return reprompt["outputSpeech"]["ssml"] if reprompt else None

    @property
    def card(self) -> dict | None:
        return self.last.get("response", {}).get("card")

    @property
    def ended(self) -> bool:
        return self.last.get("response", {}).get("shouldEndSession") is not False
